"""PDF via Typst: numbered captions, chapter order, bookmarks, metadata, reproducible bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookbuild.assemble import Book, assemble_book
from bookbuild.execute import ExecutedChapter
from bookbuild.project import ChapterRef, Project, builtin_language
from bookbuild.typst import book_to_typst, write_pdf

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120">'
       '<rect width="300" height="120" fill="#4682b4"/></svg>')

CHAPTERS = {
    "index.ipynb": ("# Forord {.unnumbered}\n\nSe @fig-kart og @tbl-tall.\n\n## Bakgrunn\n", False),
    "chapters/01-innledning.ipynb": (
        "# Innledning {#sec-innledning}\n\n## Bakgrunn\n\nTekst med fotnote.[^1]\n\n"
        "[^1]: Fotnoteteksten.\n\n"
        "::: {#fig-kart}\n![](_build/figures/kart.svg)\n\nKart over regionen\n:::\n", False),
    "chapters/02-resultater.ipynb": (
        "# Resultater {#sec-resultater}\n\n"
        "Som i [Bakgrunn](01-innledning.html#bakgrunn) og @sec-innledning.\n\n"
        "| År | Antall |\n|----|--------|\n| 2005 | 12 |\n\n: Antall prosjekter {#tbl-tall}\n",
        False),
    "chapters/vedlegg.ipynb": ("# Spørreskjema\n\n## Del A\n\nSpørsmål.\n", True),
}


def make_book(root: Path) -> Book:
    (root / "_build" / "figures").mkdir(parents=True)
    (root / "_build" / "figures" / "kart.svg").write_text(SVG, encoding="utf-8")
    refs = [ChapterRef(Path(p), apx, Path(p).with_suffix(".html").as_posix())
            for p, (_, apx) in CHAPTERS.items()]
    language = {**builtin_language("nb"), "crossref-apx-prefix": "Vedlegg",
                "toc-title-document": "Innhold"}
    project = Project(
        root=root,
        raw={"keywords": ["evaluering", "lettmetall"], "book": {"date-format": "MMMM YYYY"}},
        title="Prøvebok om metall", subtitle="Rapport 2007:1", author="Kari Nordmann",
        date="2007-03", publisher="Instituttet",
        lang="nb", language=language, chapters=refs, bibliography=None, execute={},
        formats={"typst": {"toc": True}}, output_dir=root / "_book", build_dir=root / "_build",
    )
    executed = [ExecutedChapter(r, CHAPTERS[r.path.as_posix()][0], [], [], False) for r in refs]
    return assemble_book(project, executed)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Book, Path]:
    root = tmp_path_factory.mktemp("book")
    book = make_book(root)
    out = root / "_book" / "book.pdf"
    write_pdf(book, out)
    return book, out


def page_texts(path: Path) -> list[str]:
    return [" ".join(p.extract_text().replace("\u00a0", " ").split())
            for p in PdfReader(path).pages]


def test_captions_are_numbered_like_crossrefs(pdf: tuple[Book, Path]) -> None:
    text = " ".join(page_texts(pdf[1]))
    assert "Figur 1.1: Kart over regionen" in text
    assert "Tabell 2.1: Antall prosjekter" in text
    assert "Se Figur 1.1 og Tabell 2.1." in text


def test_chapters_start_pages_in_order_with_numbers(pdf: tuple[Book, Path]) -> None:
    starts = [t for t in page_texts(pdf[1])
              if re.match(r"^(Forord|1 Innledning|2 Resultater|Vedlegg 1 Spørreskjema)", t)]
    assert [s.split(" ")[0] for s in starts] == ["Forord", "1", "2", "Vedlegg"]
    assert starts[-1].startswith("Vedlegg 1 Spørreskjema 1.1 Del A")


def test_title_page_and_contents(pdf: tuple[Book, Path]) -> None:
    pages = page_texts(pdf[1])
    cover = pages[0]  # series line, author, title; institute and date at the foot
    assert cover.index("Rapport 2007:1") < cover.index("Kari Nordmann") < cover.index(
        "Prøvebok om metall") < cover.index("Instituttet")
    assert "mars 2007" in pages[0]
    contents = next(p for p in pages if p.startswith("Innhold"))
    assert contents.index("Forord") < contents.index("1 Innledning") < contents.index(
        "2 Resultater") < contents.index("Vedlegg 1 Spørreskjema")
    assert any(p.startswith("Figuroversikt") for p in pages)
    assert any(p.startswith("Tabelloversikt") for p in pages)


def test_footnote_in_pdf(pdf: tuple[Book, Path]) -> None:
    page = next(t for t in page_texts(pdf[1]) if t.startswith("1 Innledning"))
    assert "Fotnoteteksten." in page


def test_bookmarks_list_chapters(pdf: tuple[Book, Path]) -> None:
    outline = PdfReader(pdf[1]).outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == ["Forord", "1 Innledning", "2 Resultater", "Vedlegg 1 Spørreskjema"]


def test_metadata(pdf: tuple[Book, Path]) -> None:
    meta = PdfReader(pdf[1]).metadata
    assert meta.title == "Prøvebok om metall"
    assert meta.author == "Kari Nordmann"
    assert "lettmetall" in (meta.get("/Keywords") or "")
    assert meta.get("/CreationDate", "").startswith("D:20070301")


def test_internal_links_survive(pdf: tuple[Book, Path]) -> None:
    reader = PdfReader(pdf[1])
    internal = [a for page in reader.pages for a in (page.get("/Annots") or [])
                if a.get_object().get("/Subtype") == "/Link"
                and "/URI" not in (a.get_object().get("/A") or {})]
    assert len(internal) >= 4  # two crossrefs in Forord, a section link and a chapter link


def test_duplicate_heading_ids_are_made_unique(pdf: tuple[Book, Path]) -> None:
    source = book_to_typst(pdf[0])
    assert "<bakgrunn>" in source and "<bakgrunn-2>" in source
    assert "#link(<bakgrunn-2>)" in source  # chapter 2 links to chapter 1's heading


def test_reproducible_bytes(pdf: tuple[Book, Path], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    book, first = pdf
    again = tmp_path / "again.pdf"
    write_pdf(book, again)
    assert again.read_bytes() == first.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1262304000")  # 2010-01-01
    dated = tmp_path / "dated.pdf"
    write_pdf(book, dated)
    assert PdfReader(dated).metadata["/CreationDate"].startswith("D:20100101")
