"""The chapter notebooks are stored clean: valid, no outputs, python3 kernel, unique cell ids."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from almreport.lint import book_notebooks

ROOT = Path(__file__).resolve().parents[2]


def _notebooks() -> list[Path]:
    listed = book_notebooks(ROOT)
    extra = sorted(set((ROOT / "chapters").glob("**/*.ipynb")) - set(listed))
    return listed + extra


NOTEBOOKS = _notebooks()


def test_every_listed_chapter_exists() -> None:
    missing = [p.relative_to(ROOT).as_posix() for p in book_notebooks(ROOT) if not p.is_file()]
    assert not missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        cell.get("id", i)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"cells with outputs or execution counts: {dirty}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids), "every cell needs an id (nbformat 4.5)"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate cell ids: {duplicates}"
