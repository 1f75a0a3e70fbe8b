"""Incremental and deterministic builds of the minibook fixture.

The copy gets a second data file read by chapter 2 only, so "exactly the chapters that read
the edited file" is tested with two chapters reading two different files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from bookbuild.build import build

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"
RESULTS = "chapters/02-resultater.ipynb"


def make_book(dest: Path) -> Path:
    root = dest / "minibook"
    shutil.copytree(FIXTURE, root)
    (root / "data" / "malinger.yaml").write_text("malinger: [4, 5, 6]\n", encoding="utf-8")
    nb = nbformat.read(root / RESULTS, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(
        'import yaml\n\nwith open("data/malinger.yaml", encoding="utf-8") as fh:\n'
        '    malinger = yaml.safe_load(fh)["malinger"]'))
    nb.cells.insert(2, nbformat.v4.new_markdown_cell(
        "Summen av målingene er `{python} sum(malinger)`."))
    nbformat.write(nb, root / RESULTS)
    return root


def run(root: Path) -> tuple[list[str], set[str]]:
    """Build; return the log and the chapters that ran in a kernel."""
    log: list[str] = []
    build(root, log=log.append)
    executed = {line.split("] ", 1)[1].rsplit(": ", 1)[0]
                for line in log if line.startswith("[") and line.endswith(": executing")}
    return log, executed


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def page_text(root: Path, href: str) -> str:
    html = (root / "_book" / href).read_text(encoding="utf-8")
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_book(tmp_path_factory.mktemp("incremental"))
    _, executed = run(root)
    assert executed == {"chapters/01-innledning.ipynb", RESULTS}
    return root


def test_nothing_changed_executes_nothing_and_leaves_output_alone(book):
    before = tree(book / "_book")
    mtimes = {p: p.stat().st_mtime_ns for p in (book / "_book").rglob("*")}
    log, executed = run(book)
    assert executed == set()
    assert tree(book / "_book") == before
    assert {p: p.stat().st_mtime_ns for p in (book / "_book").rglob("*")} == mtimes
    assert any(line.startswith("Uendret") for line in log)


def test_deleted_output_is_written_again(book):
    (book / "_book" / "index.html").unlink()
    _, executed = run(book)
    assert executed == set()
    assert (book / "_book" / "index.html").is_file()


def test_prose_edit_executes_nothing_and_shows_the_new_text(book):
    replace_in(book / RESULTS, "Resultatene drøftes kort her.", "Resultatene drøftes grundig.")
    _, executed = run(book)
    assert executed == set()
    text = page_text(book, "chapters/02-resultater.html")
    assert "Resultatene drøftes grundig." in text
    assert "Summen av målingene er 15." in text  # inline value kept from the cached run


def test_data_edit_executes_exactly_the_chapters_that_read_it(book):
    replace_in(book / "data" / "malinger.yaml", "[4, 5, 6]", "[4, 5, 7]")
    _, executed = run(book)
    assert executed == {RESULTS}
    assert "Summen av målingene er 16." in page_text(book, "chapters/02-resultater.html")

    data = book / "data" / "bedrifter.yaml"
    records = data.read_text(encoding="utf-8")
    first_count = records.split("ansatte:", 1)[1].split()[0]
    replace_in(data, f"ansatte: {first_count}", f"ansatte: {int(first_count) + 1000}")
    figure = (book / "_book" / "figures" / "fig-ansatte.svg").read_bytes()
    _, executed = run(book)
    assert executed == {"chapters/01-innledning.ipynb"}
    assert (book / "_book" / "figures" / "fig-ansatte.svg").read_bytes() != figure


def test_code_edit_executes_the_chapter(book):
    nb = json.loads((book / RESULTS).read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = nb["cells"][1]["source"] + ["\nmalinger = malinger * 2"]
    (book / RESULTS).write_text(json.dumps(nb), encoding="utf-8")
    _, executed = run(book)
    assert executed == {RESULTS}
    assert "Summen av målingene er 32." in page_text(book, "chapters/02-resultater.html")


def test_the_rebuilt_book_is_the_book_a_clean_build_makes(book, tmp_path):
    """After the edits above (data, prose, code), each rebuilt from what the last build kept
    (its executed chapters, parsed sections, figures, pages), a clean build of the same sources
    elsewhere writes the same bytes."""
    nb = nbformat.read(book / RESULTS, as_version=4)
    prose = next(c for c in nb.cells if "Resultatene drøftes grundig." in c.source)
    prose.source = prose.source.replace("grundig.", "her [@hansen2005].")
    nbformat.write(nb, book / RESULTS)
    run(book)
    clean = tmp_path / "rent"
    shutil.copytree(book, clean, ignore=shutil.ignore_patterns("_build", "_book", "figures"))
    _, executed = run(clean)
    assert executed == {"chapters/01-innledning.ipynb", RESULTS}
    kept, fresh = tree(book / "_book"), tree(clean / "_book")
    assert kept.keys() == fresh.keys()
    assert [name for name in kept if kept[name] != fresh[name]] == []


def test_two_clean_builds_are_byte_identical(tmp_path):
    first = make_book(tmp_path / "a")
    second = make_book(tmp_path / "b" / "elsewhere")  # another absolute path
    run(first)
    run(second)
    one, two = tree(first / "_book"), tree(second / "_book")
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_project_code_is_covered_by_the_code_digest_not_listed_as_data(tmp_path):
    """A file counts as a chapter's data only if the code digest does not cover it already:
    a change to src/**/*.py must change the digest (so every chapter re-runs), and those are
    the only files left out of the data list."""
    from bookbuild.cache import code_digest, in_code_digest
    from bookbuild.project import load_project

    root = make_book(tmp_path)
    module = root / "src" / "pakke" / "verdier.py"
    module.parent.mkdir(parents=True)
    module.write_text("VERDI = 1\n", encoding="utf-8")
    project = load_project(root)
    before = code_digest(project)
    module.write_text("VERDI = 2\n", encoding="utf-8")
    assert code_digest(project) != before
    assert in_code_digest("src/pakke/verdier.py")
    assert not in_code_digest("data/malinger.yaml")
    assert not in_code_digest("hjelp.py")  # outside src/: not in the digest, so it is data
