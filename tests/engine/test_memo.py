"""The Typst preparation is memoized per chapter (bookbuild.memo) and typst compiles the last
build's source ahead: after any edit the result must be what computing afresh gives, also in the
chapters the edit did not touch (an edit in one chapter can rename another chapter's label or
retarget a link to it without changing that chapter's AST)."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild import html, memo, typst
from bookbuild.assemble import Book, assemble_book
from bookbuild.errors import BuildError
from bookbuild.execute import ExecutedChapter
from bookbuild.nbmarkdown import write_if_changed
from bookbuild.pandoc import el, walk, walk_in_place
from bookbuild.project import ChapterRef, Project, builtin_language

CHAPTERS = {
    "index.ipynb": "# Forord {.unnumbered}\n\nSe [målene](chapters/c.html#mal) og "
                   "[kapittel C](chapters/c.html).\n",
    "chapters/a.ipynb": "# Analyse\n\n## Mål {#mal}\n\nTekst.\n",
    "chapters/b.ipynb": "# Bakgrunn\n\nMer tekst.\n",
    "chapters/c.ipynb": "# Tall {#sec-tall}\n\n## Mål {#mal}\n\nTall.\n",
}


def make_book(root: Path, chapters: dict[str, str], formats: dict | None = None) -> Book:
    refs = [ChapterRef(Path(p), False, Path(p).with_suffix(".html").as_posix())
            for p in chapters]
    project = Project(
        root=root, raw={}, title="Bok", subtitle=None, author="", date="2007", publisher=None,
        lang="nb", language=builtin_language("nb"), chapters=refs, bibliography=None,
        execute={}, formats=formats or {"typst": {"toc": True}}, output_dir=root / "_book",
        build_dir=root / "_build",
    )
    return assemble_book(project, [ExecutedChapter(r, chapters[r.path.as_posix()], [], [],
                                                   False) for r in refs])


def afresh(book: Book, folder: Path) -> str:
    """The Typst text with no memo entries (a build folder of its own)."""
    project = dataclasses.replace(book.project, build_dir=folder)
    return typst.book_to_typst(dataclasses.replace(book, project=project))


def edited(old: str, new: str, path: str = "chapters/a.ipynb") -> dict[str, str]:
    return {**CHAPTERS, path: CHAPTERS[path].replace(old, new)}


def test_unchanged_book_comes_from_the_memo(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(tmp_path, CHAPTERS)
    first = typst.book_to_typst(book)
    produced: list[int] = []
    real = typst._summary
    monkeypatch.setattr(typst, "_summary", lambda blocks: produced.append(1) or real(blocks))
    monkeypatch.setattr(typst, "walk", lambda *a: pytest.fail("prepared again"))
    assert typst.book_to_typst(make_book(tmp_path, CHAPTERS)) == first
    assert produced == []


def test_edit_renaming_a_label_in_another_chapter(tmp_path: Path) -> None:
    book = make_book(tmp_path, CHAPTERS)
    before = typst.book_to_typst(book)
    assert "<mal-4>" in before and "#link(<mal-4>)" in before  # c's #mal repeats a's
    after = typst.book_to_typst(make_book(tmp_path, edited("## Mål {#mal}", "## Formål")))
    # neither c nor the index changed, yet c's label and the index's link did
    assert "<mal>" in after and "mal-4" not in after and "#link(<mal>)" in after
    assert after == afresh(make_book(tmp_path, edited("## Mål {#mal}", "## Formål")),
                           tmp_path / "fresh")


def test_edit_renumbering_later_chapters(tmp_path: Path) -> None:
    typst.book_to_typst(make_book(tmp_path, CHAPTERS))
    book = make_book(tmp_path, edited("# Analyse", "# Analyse {.unnumbered}"))
    after = typst.book_to_typst(book)
    assert after == afresh(book, tmp_path / "fresh")
    assert '"2"' in after and '"3"' not in after  # c is chapter 2 now, not 3


def test_edit_changing_a_chapters_first_heading_id(tmp_path: Path) -> None:
    """[kapittel C](chapters/c.html) links to c's first heading, whose id the edit changes."""
    assert "#link(<sec-tall>)[kapittel C]" in typst.book_to_typst(make_book(tmp_path, CHAPTERS))
    book = make_book(tmp_path, edited("{#sec-tall}", "{#sec-tallene}", "chapters/c.ipynb"))
    after = typst.book_to_typst(book)
    assert "#link(<sec-tallene>)[kapittel C]" in after
    assert after == afresh(book, tmp_path / "fresh")


def test_image_without_alt_text_found_after_an_edit(tmp_path: Path) -> None:
    (tmp_path / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" '
                                    'height="9"/>', encoding="utf-8")
    formats = {"typst": {"pdf-standard": "ua-1"}}
    out = tmp_path / "_book" / "bok.pdf"
    with_alt = edited("Mer tekst.", "![Et kart](../x.svg)", "chapters/b.ipynb")
    typst.book_to_typst(make_book(tmp_path, with_alt, formats))
    without = edited("Mer tekst.", "![](../x.svg)", "chapters/b.ipynb")
    with pytest.raises(BuildError, match=r"chapters/b.ipynb: \.\./x\.svg"):
        typst.write_pdf(make_book(tmp_path, without, formats), out)


def test_changed_engine_invalidates_the_memo(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    typst.book_to_typst(make_book(tmp_path, CHAPTERS))
    monkeypatch.setattr(memo, "engine_digest", lambda: "another engine")
    produced: list[int] = []
    real = typst._summary
    monkeypatch.setattr(typst, "_summary", lambda blocks: produced.append(1) or real(blocks))
    typst.book_to_typst(make_book(tmp_path, CHAPTERS))
    assert len(produced) == len(CHAPTERS)


def test_pdf_after_warm_up_equals_a_fresh_compile(tmp_path: Path) -> None:
    out = tmp_path / "_book" / "bok.pdf"
    typst.write_pdf(make_book(tmp_path, CHAPTERS), out)
    book = make_book(tmp_path, edited("Mer tekst.", "Helt ny setning.", "chapters/b.ipynb"))
    warmed = typst.warm_up(book.project)  # compiles the previous main.typ
    typst.write_pdf(book, out, warmed)
    main = tmp_path / "_build" / "typst" / typst.MAIN
    assert "Helt ny setning." in main.read_text(encoding="utf-8")
    assert out.read_bytes() == _fresh_compile(book)


def test_pdf_after_warm_up_shows_a_figure_rewritten_meanwhile(tmp_path: Path) -> None:
    """A data edit starts the warm-up while a chapter re-executes and rewrites its figure."""
    figure = tmp_path / "x.svg"
    figure.write_text(_svg(9), encoding="utf-8")
    book = make_book(tmp_path, edited("Mer tekst.", "![Et kart](x.svg)", "chapters/b.ipynb"))
    out = tmp_path / "_book" / "bok.pdf"
    typst.write_pdf(book, out)
    before = out.read_bytes()
    warmed = typst.warm_up(book.project)
    warmed()  # the warm-up has compiled with the old figure
    write_if_changed(figure, _svg(40).encode())
    typst.write_pdf(book, out, warmed)
    assert out.read_bytes() == _fresh_compile(book) != before


def _svg(width: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="9">'
            f'<rect width="{width}" height="9"/></svg>')


def _fresh_compile(book: Book) -> bytes:
    """The PDF of the book's main.typ compiled by a new process (no typst memory)."""
    root = book.project.root
    main, fresh = root / "_build" / "typst" / typst.MAIN, root / "fresh.pdf"
    code = ("import sys; from pathlib import Path; from bookbuild.typst import compile_typst\n"
            "Path(sys.argv[3]).write_bytes(compile_typst(Path(sys.argv[1]), Path(sys.argv[2]),"
            " int(sys.argv[4]), []))")
    timestamp = typst.creation_timestamp(book.project.date)
    subprocess.run([sys.executable, "-c", code, str(main), str(root), str(fresh),
                    str(timestamp)], check=True)
    return fresh.read_bytes()


def test_warm_up_without_a_previous_build_does_nothing(tmp_path: Path) -> None:
    book = make_book(tmp_path, CHAPTERS)
    typst.warm_up(book.project)()
    assert not (tmp_path / "_build" / "typst").exists()


def test_walk_in_place_equals_walk(tmp_path: Path) -> None:
    """Same calls, same result: splices, replacements and nested lists."""
    doc = make_book(tmp_path, CHAPTERS).chapters[0].ast["blocks"]
    doc = [*doc, el("Div", [["d", [], []], [el("Para", [el("Str", "a"), el("Space")])]])]

    def change(element: dict) -> list | dict | None:
        if element["t"] == "Space":
            return [el("Str", "_"), el("Space")]
        if element["t"] == "Str":
            return el("Str", element["c"].upper())
        if element["t"] == "Para":
            return el("Plain", element["c"])
        return None

    expected = walk(doc, change)
    in_place = copy.deepcopy(doc)
    walk_in_place(in_place, change)
    assert in_place == expected and in_place != doc


def test_kept_html_page_still_gets_its_images(tmp_path: Path) -> None:
    (tmp_path / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" '
                                    'height="9"/>', encoding="utf-8")
    chapters = edited("Mer tekst.", "![Et kart](x.svg)", "chapters/b.ipynb")
    html.write_site(make_book(tmp_path, chapters), tmp_path / "site1", None)
    html.write_site(make_book(tmp_path, chapters), tmp_path / "site2", None)
    assert (tmp_path / "site2" / "x.svg").is_file()
    for name in ("chapters/b.html", "chapters/a.html"):
        assert ((tmp_path / "site2" / name).read_bytes()
                == (tmp_path / "site1" / name).read_bytes())


def test_edited_title_changes_the_other_html_pages(tmp_path: Path) -> None:
    """a's page names b in its navigation: a new title for b changes a's page, not a's AST."""
    html.write_site(make_book(tmp_path, CHAPTERS), tmp_path / "site1", None)
    book = make_book(tmp_path, edited("# Bakgrunn", "# Forhistorie", "chapters/b.ipynb"))
    html.write_site(book, tmp_path / "site2", None)
    project = dataclasses.replace(book.project, build_dir=tmp_path / "fresh")
    html.write_site(dataclasses.replace(book, project=project), tmp_path / "site3", None)
    page = (tmp_path / "site2" / "chapters/a.html").read_text(encoding="utf-8")
    assert "Forhistorie" in page and "Bakgrunn" not in page
    assert page == (tmp_path / "site3" / "chapters/a.html").read_text(encoding="utf-8")
