"""Citations: citeproc over the whole book, Norwegian locale, reference list in the refs chapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.assemble import Book, assemble_book
from bookbuild.errors import BuildError
from bookbuild.execute import ExecutedChapter
from bookbuild.pandoc import ast_to, iter_elements
from bookbuild.project import ChapterRef, Project, builtin_language

BIB = """@book{hansen2001,
  author = {Hansen, Per and Olsen, Kari},
  title = {Regional utvikling},
  publisher = {Universitetsforlaget},
  year = {2001}
}

@article{berg1999,
  author = {Berg, Anne},
  title = {Klynger og innovasjon},
  journal = {Plan},
  year = {1999}
}
"""

CHAPTERS = {
    "index.ipynb": "# Forord {.unnumbered}\n\nSom @hansen2001 viser.\n",
    "chapters/a.ipynb": "# Analyse\n\nSe @fig-a.[^1]\n\n![Et kart](a.svg){#fig-a}\n\n"
                        "[^1]: Jf. [@berg1999, s. 4].\n",
    "chapters/litteratur.ipynb": "# Litteratur {.unnumbered}\n\n::: {#refs}\n:::\n",
}


def make_book(root: Path, chapters: dict[str, str], bib: str | None = BIB) -> Book:
    if bib is not None:
        (root / "references.bib").write_text(bib, encoding="utf-8")
    refs = [ChapterRef(Path(p), False, Path(p).with_suffix(".html").as_posix()) for p in chapters]
    project = Project(
        root=root, raw={}, title="Bok", subtitle=None, author="", date=None, publisher=None,
        lang="nb", language=builtin_language("nb"), chapters=refs,
        bibliography=root / "references.bib" if bib is not None else None,
        execute={}, formats={}, output_dir=root / "_book", build_dir=root / "_build",
    )
    executed = [ExecutedChapter(r, chapters[r.path.as_posix()], [], [], False) for r in refs]
    return assemble_book(project, executed)


def text(book: Book, index: int) -> str:
    """The chapter as plain text (footnotes included), as pandoc writes it."""
    return " ".join(ast_to(book.chapters[index].ast, "plain", ["--wrap=none"]).split())


def test_citations_rendered_in_norwegian(tmp_path: Path) -> None:
    book = make_book(tmp_path, CHAPTERS)
    assert "Hansen og Olsen (2001)" in text(book, 0)  # "og", not "and"
    assert "Berg 1999" in text(book, 1)
    assert "Figur 1.1" in text(book, 1)  # the crossref was not taken for a citation


def test_reference_list_goes_to_refs_chapter_only(tmp_path: Path) -> None:
    book = make_book(tmp_path, CHAPTERS)
    refs = text(book, 2)
    assert "Regional utvikling" in refs and "Klynger og innovasjon" in refs
    assert refs.index("Berg") < refs.index("Hansen")  # sorted by author
    assert "Regional utvikling" not in text(book, 0) + text(book, 1)


def test_citation_links_point_to_refs_page(tmp_path: Path) -> None:
    book = make_book(tmp_path, CHAPTERS)
    targets = {e["c"][2][0] for e in iter_elements(book.chapters[0].ast["blocks"])
               if e["t"] == "Link"}
    assert targets == {"chapters/litteratur.html#ref-hansen2001"}
    ids = {e["c"][0][0] for e in iter_elements(book.chapters[2].ast["blocks"])
           if e["t"] == "Div"}
    assert {"refs", "ref-hansen2001", "ref-berg1999"} <= ids


def test_unknown_key_names_key_and_chapter(tmp_path: Path) -> None:
    chapters = {**CHAPTERS, "chapters/a.ipynb": "# A\n\nSe @finnesikke2020.\n"}
    with pytest.raises(BuildError, match=r"chapters/a\.ipynb.*finnesikke2020"):
        make_book(tmp_path, chapters)


def test_citation_without_bibliography_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="hansen2001"):
        make_book(tmp_path, CHAPTERS, bib=None)


def test_book_without_citations_needs_no_bibliography(tmp_path: Path) -> None:
    book = make_book(tmp_path, {"index.ipynb": "# Forord\n\nIngen kilder.\n"}, bib=None)
    assert text(book, 0).endswith("Ingen kilder.")


def test_bibliography_without_refs_div_goes_to_last_chapter(tmp_path: Path) -> None:
    chapters = {k: v for k, v in CHAPTERS.items() if "litteratur" not in k}
    book = make_book(tmp_path, chapters)
    assert "Regional utvikling" in text(book, len(chapters) - 1)


def test_nocite_in_chapter_front_matter_lists_uncited_work(tmp_path: Path) -> None:
    chapters = dict(CHAPTERS)
    chapters["chapters/a.ipynb"] = "# Analyse\n\nIngen henvisning her.\n"
    chapters["chapters/litteratur.ipynb"] = (
        "---\nnocite: |\n  @berg1999\n---\n\n" + CHAPTERS["chapters/litteratur.ipynb"]
    )
    book = make_book(tmp_path, chapters)
    assert "Berg, Anne. 1999" in text(book, 2)


def test_nocite_with_unknown_key_is_an_error(tmp_path: Path) -> None:
    chapters = dict(CHAPTERS)
    chapters["chapters/litteratur.ipynb"] = (
        "---\nnocite: |\n  @finnesikke2000\n---\n\n" + CHAPTERS["chapters/litteratur.ipynb"]
    )
    with pytest.raises(BuildError, match="chapters/litteratur.ipynb: unknown citation key "
                                         "@finnesikke2000"):
        make_book(tmp_path, chapters)
