"""The PDF for print and archives: a NIBR-style cover, Forord, Innhold, the lists of tables and
figures, then the chapters; A4; bookmarks; metadata; tagged (PDF/UA-1) with alt text. Pages are
rendered to PNG under artifacts/pdf/ for a person to look at."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "pdf"
A4 = (595.28, 841.89)  # points
FRONT = ["Forord", "Innhold", "Tabelloversikt", "Figuroversikt", "Sammendrag"]


@pytest.fixture(scope="module")
def reader(built_book) -> PdfReader:
    return PdfReader(built_book.result.pdf)


@pytest.fixture(scope="module")
def texts(reader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _starts(texts: list[str], title: str) -> int:
    """Index of the first page that opens with `title` (chapter pages have no header)."""
    return next(i for i, t in enumerate(texts) if _lines(t)[:1] == [title])


def test_cover_names_title_series_author_institute_and_year(texts, config) -> None:
    cover = " ".join(_lines(texts[0]))
    book = config["book"]
    for value in (book["title"], book["subtitle"], book["author"], book["publisher"]):
        assert value in cover
    assert str(book["date"])[:4] in cover


def test_front_matter_in_the_order_of_a_printed_report(texts) -> None:
    pages = [_starts(texts, title) for title in FRONT]
    assert pages == sorted(pages) and pages[0] == 1, dict(zip(FRONT, pages, strict=True))


def test_every_chapter_starts_on_a_new_page_in_order(texts, built_book) -> None:
    from bs4 import BeautifulSoup

    titles = []
    for page in built_book.result.pages:
        h1 = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("main").h1
        titles.append(" ".join(h1.get_text(" ").split()))
    starts = [_starts(texts, title) for title in titles]
    assert starts == sorted(starts)


def test_captions_in_order_after_the_lists(texts) -> None:
    body = " ".join(texts[_starts(texts, "Sammendrag"):])
    for kind, count in (("Figur 2.", 3), ("Tabell 4.", 6)):
        pattern = re.escape(kind).replace(r"\ ", r"\s*") + r"(\d+)\s*:"
        found = [int(n) for n in re.findall(pattern, body)]
        assert found == list(range(1, count + 1)), kind


def test_running_header_shows_report_and_chapter(texts, config) -> None:
    start = _starts(texts, "4 Arena Lettmetall – hovedprosjekt")
    header = _lines(texts[start + 2])[0]
    assert header.startswith(config["book"]["title"])
    assert header.endswith("Arena Lettmetall – hovedprosjekt")


def test_a4_pages_and_a_report_length(reader) -> None:
    assert 40 <= len(reader.pages) <= 150
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=1)


def _bookmarks(outline: list, depth: int = 0) -> list[str]:
    titles = []
    for entry in outline:
        if isinstance(entry, list):
            titles += _bookmarks(entry, depth + 1)
        else:
            titles.append(" ".join(entry.title.split()))
    return titles


def test_bookmarks_for_every_chapter_and_section(reader, built_book) -> None:
    from bs4 import BeautifulSoup

    marks = _bookmarks(reader.outline)
    wanted = []
    for page in built_book.result.pages:
        main = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("main")
        wanted += [" ".join(h.get_text(" ").split()) for h in main.find_all(["h1", "h2"])]
    assert len(wanted) > 40
    missing = [w for w in wanted if w not in marks]
    assert missing == []


def test_metadata_title_author_subject_keywords_language(reader, config) -> None:
    info = reader.metadata
    assert info.title == config["book"]["title"]
    assert info.author == config["book"]["author"]
    assert info.subject and "Arena Lettmetall" in info.subject
    assert "evaluering" in (info.get("/Keywords") or "")
    assert str(reader.trailer["/Root"]["/Lang"]).lower().startswith("nb")


def _struct_elements(node, seen: set[int] | None = None):
    """Every structure element under `node` (depth first)."""
    seen = set() if seen is None else seen
    node = node.get_object()
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            yield node
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object()
            for kid in kids if isinstance(kids, ArrayObject) else [kids]:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), DictionaryObject):
                    yield from _struct_elements(kid, seen)


def test_tagged_pdf_ua_with_alt_text_on_every_figure(reader) -> None:
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    elements = list(_struct_elements(root["/StructTreeRoot"]))
    assert len(elements) > 500
    figures = [e for e in elements if e["/S"] == "/Figure"]
    alts = [str(e.get("/Alt", "")).strip() for e in figures]
    assert len(alts) >= 9  # three diagrams and six charts
    assert all(len(a.split()) >= 4 for a in alts), alts
    metadata = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid:part" in metadata and re.search(r"pdfuaid:part[^0-9]{0,3}1", metadata)


def test_render_first_pages_and_a_chart_page_to_png(built_book, texts) -> None:
    if shutil.which("pdftoppm") is None:
        message = "PDF pages not rendered: pdftoppm missing (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must render them", pytrace=False)
        pytest.skip(message)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    body = _starts(texts, "Sammendrag")
    chart = next(i for i, t in enumerate(texts)
                 if i > body and "Tabell 4.1" in " ".join(t.split())) + 1
    for first, last in ((1, 4), (chart, chart)):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(first), "-l", str(last),
                        str(built_book.result.pdf), str(ARTIFACTS / "side")], check=True)
    pngs = sorted(ARTIFACTS.glob("side-*.png"))
    assert len(pngs) >= 5 and all(p.stat().st_size > 5_000 for p in pngs)
