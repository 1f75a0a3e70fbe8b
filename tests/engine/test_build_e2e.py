"""The whole engine on the minibook fixture: kernels, assembly, PDF, site, search, publish."""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from buildcheck import tree_digest
from pypdf import PdfReader

from bookbuild.build import BuildResult, build
from bookbuild.errors import BuildError

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    root = tmp_path_factory.mktemp("e2e") / "minibook"
    shutil.copytree(FIXTURE, root)
    result = build(root, log=lambda message: None)
    return root, result


def page(root: Path, href: str) -> BeautifulSoup:
    return BeautifulSoup((root / "_book" / href).read_text(encoding="utf-8"), "html.parser")


def resolve(from_href: str, link: str) -> str:
    """A link on page `from_href` as a site-relative "page#fragment"."""
    path, _, fragment = link.partition("#")
    target = from_href
    if path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(from_href), path))
    return f"{target}#{fragment}" if fragment else target


def text(element) -> str:
    """Visible text with all whitespace (also no-break spaces) as single spaces."""
    return " ".join(element.get_text().split())




def test_pages_and_navigation(built):
    root, result = built
    assert result.output_dir == root / "_book"
    home = page(root, "index.html")
    assert home.html["lang"] == "nb"
    labels = [text(a) for a in home.select("nav.sidebar .chapter-list a")]
    assert labels == [
        "Forord",
        "1 Innledning",
        "2 Resultater",
        "Litteratur",
        "Vedlegg 1 Spørreskjema",
    ]
    for link in home.select("nav.sidebar .chapter-list a"):
        assert (root / "_book" / link["href"]).is_file()
    chapter = page(root, "chapters/01-innledning.html")
    assert chapter.select_one("a[aria-current=page]")["href"] == "01-innledning.html"
    assert chapter.select_one("a[rel=next]")["href"] == "02-resultater.html"
    assert chapter.select_one("a[rel=prev]")["href"] == "../index.html"
    toc = [a["href"] for a in chapter.select("aside.page-toc a")]
    assert toc == ["#sec-utvalget", "#sec-metode"]


def test_computed_text_figure_and_table(built):
    root, _ = built
    chapter = page(root, "chapters/01-innledning.html")
    assert "Utvalget består av 3 bedrifter med til sammen 245 ansatte" in text(chapter.main)
    figure = chapter.select_one("figure#fig-ansatte")
    assert text(figure.figcaption).startswith("Figur 1.1")
    img = figure.img
    assert img["alt"] == "Stolpediagram: Alfa har flest ansatte, Beta færrest."
    assert (root / "_book/chapters" / img["src"]).is_file()
    assert "Tabell 1.1" in text(chapter.select_one("#tbl-ansatte"))
    assert (root / "_book/figures/fig-ansatte.svg").is_file()
    assert (root / "_book/figures/fig-ansatte.png").is_file()


def test_cross_reference_across_pages(built):
    root, _ = built
    results = page(root, "chapters/02-resultater.html")
    link = next(a for a in results.main.select("a") if text(a) == "Figur 1.1")
    assert resolve("chapters/02-resultater.html", link["href"]) == (
        "chapters/01-innledning.html#fig-ansatte"
    )


def test_citation_links_to_reference_list(built):
    root, _ = built
    chapter = page(root, "chapters/01-innledning.html")
    citation = chapter.select_one(".citation a")
    assert "Hansen 2005" in text(citation)
    target = resolve("chapters/01-innledning.html", citation["href"])
    href, _, ident = target.partition("#")
    entry = page(root, href).find(id=ident)
    assert "Klynger i norsk industri" in text(entry)


def test_search_index_and_pdf_link(built):
    root, result = built
    assert (root / "_book/pagefind/pagefind-entry.json").is_file()
    assert (root / "_book/pagefind/pagefind-ui.js").is_file()
    links = [a for a in page(root, "index.html").select("a") if a.get_text() == "Last ned PDF"]
    assert links and (root / "_book" / links[0]["href"]) == result.pdf


def test_pdf(built):
    _, result = built
    reader = PdfReader(result.pdf)
    assert len(reader.pages) > 1
    content = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for expected in ("Innledning", "Resultater", "Spørreskjema", "Figur 1.1", "Hansen"):
        assert expected in content
    assert reader.outline


def test_failing_cell_keeps_previous_site(built, tmp_path: Path):
    source, _ = built
    root = tmp_path / "minibook"
    shutil.copytree(source, root)
    before = tree_digest(root / "_book")
    notebook_path = root / "chapters/02-resultater.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell('raise ValueError("testfeil")'))
    nbformat.write(notebook, notebook_path)
    cell_number = len(notebook.cells)

    with pytest.raises(BuildError) as caught:
        build(root, log=lambda message: None)

    message = str(caught.value)
    assert "chapters/02-resultater.ipynb" in message
    assert f"celle {cell_number}" in message
    assert "testfeil" in message
    assert tree_digest(root / "_book") == before
    leftovers = [p.name for p in root.iterdir() if p.name.startswith("_book.")]
    assert leftovers == []


# --- the command line (fast: these stop before any kernel starts) ------------------------


@pytest.fixture
def hooked(tmp_path: Path) -> Path:
    """The minibook with a check hook that finds one problem, or none."""
    root = tmp_path / "minibook"
    shutil.copytree(FIXTURE, root)
    (root / "minibook_hook.py").write_text(
        "def problems(root):\n"
        "    return [f'data/bedrifter.yaml: kilde mangler ({root.name})']\n\n"
        "def none(root):\n"
        "    return []\n",
        encoding="utf-8",
    )
    return root


def _use_hook(root: Path, function: str) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.bookbuild]\ncheck = "minibook_hook:{function}"\n', encoding="utf-8"
    )


def test_check_command(hooked: Path, capsys: pytest.CaptureFixture[str]):
    from bookbuild.cli import main

    _use_hook(hooked, "problems")
    assert main(["check", "--root", str(hooked)]) == 1
    assert "data/bedrifter.yaml: kilde mangler (minibook)" in capsys.readouterr().out
    _use_hook(hooked, "none")
    assert main(["check", "--root", str(hooked)]) == 0
    assert capsys.readouterr().out.strip() == "OK"


def test_build_stops_on_check_problems_without_traceback(
    hooked: Path, capsys: pytest.CaptureFixture[str]
):
    from bookbuild.cli import main

    _use_hook(hooked, "problems")
    assert main(["build", "--root", str(hooked)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Feil: ")
    assert "kilde mangler" in err
    assert "Traceback" not in err
    assert not (hooked / "_book").exists()


def test_bad_config_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from bookbuild.cli import main

    (tmp_path / "_quarto.yml").write_text("book:\n  title: [uavsluttet\n", encoding="utf-8")
    assert main(["build", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Feil: _quarto.yml")
    assert "Traceback" not in err


def test_split_conversions_equal_whole_book(built, tmp_path: Path):
    """Per-chapter Typst and citations-only citeproc give what whole-book conversions give."""
    from splitcheck import assert_split_conversions_match

    from bookbuild.execute import execute_book
    from bookbuild.project import load_project

    root, _ = built
    project = load_project(root)
    assert_split_conversions_match(project, execute_book(project), tmp_path / "typst")
