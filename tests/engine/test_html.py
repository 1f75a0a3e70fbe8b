"""html.write_site on a hand-made Book (no kernels, no assembler run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookbuild.assemble import Book, ChapterDoc, TocEntry
from bookbuild.html import write_site
from bookbuild.pandoc import markdown_to_ast
from bookbuild.project import load_project

CONFIG = """\
project:
  type: book
book:
  title: "Testbok – En prøve"
  subtitle: "Rapport 1"
  author: "Ola Nordmann"
  downloads: [pdf]
  chapters:
    - index.ipynb
    - chapters/01-arena.ipynb
    - chapters/02-miljo.ipynb
  appendices:
    - chapters/vedlegg.ipynb
lang: nb
language:
  crossref-apx-prefix: "Vedlegg"
"""

CHAPTER_1 = """\
# Arena – bakgrunn {#sec-arena}

Tekst med fotnote.[^1] Se [Figur 2.1](chapters/02-miljo.html#fig-miljo).

## Mål {#sec-mal}

Mer tekst.

::: {#fig-arena}
![Figur 1.1: Antall bedrifter](_build/figures/fig-arena.svg){fig-alt="Stolpediagram over bedrifter"}
:::

[^1]: En fotnote.
"""


def _chapter(project, index: int, number: str | None, title: str, markdown: str, toc=()):
    return ChapterDoc(
        ref=project.chapters[index],
        number=number,
        title=title,
        ast=markdown_to_ast(markdown),
        toc=list(toc),
    )


@pytest.fixture
def book(tmp_path: Path) -> Book:
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    (root / "_quarto.yml").write_text(CONFIG, encoding="utf-8")
    for name in ("index", "chapters/01-arena", "chapters/02-miljo", "chapters/vedlegg"):
        (root / f"{name}.ipynb").write_text("{}", encoding="utf-8")
    (root / "_build/figures").mkdir(parents=True)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    (root / "_build/figures/fig-arena.svg").write_text(svg, encoding="utf-8")
    project = load_project(root)
    chapters = [
        _chapter(project, 0, None, "Forord", "# Forord {.unnumbered}\n\nInnledning.\n"),
        _chapter(
            project,
            1,
            "1",
            "Arena – bakgrunn",
            CHAPTER_1,
            [TocEntry(2, "1.1", "Mål", "sec-mal")],
        ),
        _chapter(project, 2, "2", "Miljøet", "# Miljøet {#sec-miljo}\n\nTekst.\n"),
        _chapter(project, 3, "1", "Spørreskjema", "# Spørreskjema {#sec-skjema}\n\nSkjema.\n"),
    ]
    return Book(project=project, chapters=chapters, figures=[], tables=[])


@pytest.fixture
def site(book: Book, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_site(book, out, "testbok.pdf")
    return out


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_one_page_per_chapter_with_language(site: Path):
    for href in ("index.html", "chapters/01-arena.html", "chapters/02-miljo.html"):
        page = _soup(site / href)
        assert page.html["lang"] == "nb"
        assert "Testbok – En prøve" in page.title.get_text()
    assert (site / "chapters/vedlegg.html").is_file()


def test_sidebar_lists_all_chapters_with_numbers(site: Path):
    page = _soup(site / "chapters/01-arena.html")
    links = page.select("nav.sidebar .chapter-list a")
    labels = [" ".join(a.get_text().split()) for a in links]
    assert labels == ["Forord", "1 Arena – bakgrunn", "2 Miljøet", "Vedlegg 1 Spørreskjema"]
    hrefs = [a["href"] for a in links]
    assert hrefs == ["../index.html", "01-arena.html", "02-miljo.html", "vedlegg.html"]
    current = [a for a in links if a.get("aria-current") == "page"]
    assert [a["href"] for a in current] == ["01-arena.html"]


def test_prev_next_links(site: Path):
    first = _soup(site / "index.html")
    assert first.select_one("a[rel=prev]") is None
    assert first.select_one("a[rel=next]")["href"] == "chapters/01-arena.html"
    middle = _soup(site / "chapters/01-arena.html")
    assert middle.select_one("a[rel=prev]")["href"] == "../index.html"
    assert "2 Miljøet" in middle.select_one("a[rel=next]").get_text()
    last = _soup(site / "chapters/vedlegg.html")
    assert last.select_one("a[rel=next]") is None


def test_page_toc_and_numbered_heading(site: Path):
    page = _soup(site / "chapters/01-arena.html")
    toc = page.select_one("aside.page-toc")
    assert "På denne siden" in toc.get_text()
    assert [a["href"] for a in toc.select("a")] == ["#sec-mal"]
    assert page.select_one("#sec-mal") is not None
    assert page.select_one("h1").get_text(" ", strip=True).startswith("1 Arena")


def test_pdf_link_search_box_and_local_assets(site: Path):
    page = _soup(site / "chapters/02-miljo.html")
    pdf = [a for a in page.select("a") if a.get_text(strip=True) == "Last ned PDF"]
    assert pdf and pdf[0]["href"] == "../testbok.pdf"
    assert page.select_one("#search") is not None
    for tag in page.select("script[src], link[href]"):
        url = tag.get("src") or tag.get("href")
        assert not url.startswith(("http:", "https:", "//")), url
    assert (site / "site_libs/bookbuild.css").is_file()
    assert page.select_one("main[data-pagefind-body]") is not None


def test_image_copied_with_alt_text_and_links_relative(site: Path):
    page = _soup(site / "chapters/01-arena.html")
    img = page.select_one("figure img")
    assert img["alt"] == "Stolpediagram over bedrifter"
    assert (site / "chapters" / img["src"]).resolve() == (site / "figures/fig-arena.svg").resolve()
    link = page.find("a", string="Figur 2.1")
    assert link["href"] == "02-miljo.html#fig-miljo"
    assert page.select_one("section.footnotes") is not None


def test_output_is_deterministic(book: Book, site: Path, tmp_path: Path):
    again = tmp_path / "again"
    write_site(book, again, "testbok.pdf")
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (site / name).read_bytes() == (again / name).read_bytes(), name


def test_no_pdf_link_without_pdf(book: Book, tmp_path: Path):
    out = tmp_path / "nopdf"
    write_site(book, out, None)
    page = _soup(out / "index.html")
    assert not [a for a in page.select("a") if "PDF" in a.get_text()]
