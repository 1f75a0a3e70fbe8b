"""`project.resources` (Quarto): files matching the globs are published with the site."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from bookbuild.build import build
from bookbuild.errors import BuildError
from bookbuild.project import load_project

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"
CHAPTER = "chapters/01-innledning.ipynb"


def _with_resources(tmp_path: Path, resources: object) -> Path:
    root = tmp_path / "minibook"
    shutil.copytree(FIXTURE, root)
    config = root / "_quarto.yml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["project"]["resources"] = resources
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return root


def _add_cell_writing(root: Path, rel: str, content: str) -> None:
    """A chapter cell that writes `rel` while it executes (like a chart writing its CSV)."""
    path = root / CHAPTER
    nb = nbformat.read(path, as_version=4)
    code = (f"#| include: false\nfrom pathlib import Path\nPath({rel!r}).parent.mkdir("
            f"parents=True, exist_ok=True)\nPath({rel!r}).write_text({content!r})")
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, path)


def test_resources_are_copied_with_their_relative_paths(tmp_path):
    root = _with_resources(tmp_path, ["tables/*.csv", "extra/**/*.txt"])
    _add_cell_writing(root, "tables/t1.csv", "a;b\n1;2\n")
    (root / "tables").mkdir(exist_ok=True)
    (root / "tables" / "skip.json").write_text("{}")
    (root / "extra" / "deep").mkdir(parents=True)
    (root / "extra" / "deep" / "note.txt").write_text("hei")
    build(root, only_html=True, log=lambda message: None)
    out = root / "_book"
    assert (out / "tables" / "t1.csv").read_text() == "a;b\n1;2\n"  # written by the kernel
    assert (out / "extra" / "deep" / "note.txt").read_text() == "hei"
    assert not (out / "tables" / "skip.json").exists()


def test_single_pattern_string_is_accepted(tmp_path):
    root = _with_resources(tmp_path, "data/*")
    assert load_project(root).resources == ["data/*"]


def test_no_resources_by_default():
    assert load_project(FIXTURE).resources == []


@pytest.mark.parametrize("bad", ["../secret.txt", "/etc/passwd", "tables/../../x"])
def test_resources_outside_the_project_are_refused(tmp_path, bad):
    root = _with_resources(tmp_path, [bad])
    with pytest.raises(BuildError, match="project.resources"):
        load_project(root)
