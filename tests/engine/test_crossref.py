"""Cross references: numbering of chapters, sections, figures and tables across a small book."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.assemble import Book, assemble_book
from bookbuild.errors import BuildError
from bookbuild.execute import ExecutedChapter
from bookbuild.pandoc import iter_elements, stringify
from bookbuild.project import ChapterRef, Project, builtin_language

LANGUAGE = {
    **builtin_language("nb"),
    "crossref-ch-prefix": "Kapittel",
    "crossref-apx-prefix": "Vedlegg",
    "crossref-sec-prefix": "Avsnitt",
}
NBSP = "\u00a0"

FRONT = """# Forord {.unnumbered #sec-forord}

Se @fig-kart, [-@tbl-tall], @sec-metode, @sec-resultater og @sec-skjema.

## Om arbeidet

Tekst.
"""

CHAPTER_1 = """# Metode {#sec-metode}

## Data {#sec-data}

![Kart over regionen](img/kart.svg){#fig-kart}

### Utvalg

::: {#fig-beregnet}
![](img/kurve.svg)

Andel bedrifter, beregnet: 42 prosent
:::

Som vist i @fig-beregnet og [Tab. @tbl-tall].
"""

CHAPTER_2 = """# Resultater {#sec-resultater}

| År | Antall |
|----|--------|
| 2005 | 12 |

: Antall prosjekter {#tbl-tall}

::: {#tbl-beregnet}
| a |
|---|
| 1 |

Beregnet tabelltekst
:::

## Drøfting {.unnumbered}

## Konklusjon {#sec-konklusjon}

Se @sec-data og @sec-konklusjon.
"""

APPENDIX = """# Spørreskjema {#sec-skjema}

## Spørsmål

![Skjemaet](img/skjema.svg){#fig-skjema}
"""


def make_project(root: Path, chapters: list[tuple[str, bool]]) -> Project:
    refs = [ChapterRef(Path(p), apx, Path(p).with_suffix(".html").as_posix())
            for p, apx in chapters]
    return Project(
        root=root, raw={}, title="Prøvebok", subtitle=None, author="Forfatter", date="2007-03",
        publisher=None, lang="nb", language=LANGUAGE, chapters=refs, bibliography=None,
        execute={}, formats={}, output_dir=root / "_book", build_dir=root / "_build",
    )


def make_book(tmp_path: Path, sources: dict[str, tuple[str, bool]]) -> Book:
    project = make_project(tmp_path, [(p, apx) for p, (_, apx) in sources.items()])
    executed = [ExecutedChapter(ref, sources[ref.path.as_posix()][0], [], [], False)
                for ref in project.chapters]
    return assemble_book(project, executed)


@pytest.fixture
def book(tmp_path: Path) -> Book:
    return make_book(tmp_path, {
        "index.ipynb": (FRONT, False),
        "chapters/01-metode.ipynb": (CHAPTER_1, False),
        "chapters/02-resultater.ipynb": (CHAPTER_2, False),
        "chapters/vedlegg.ipynb": (APPENDIX, True),
    })


def links(doc: dict) -> dict[str, str]:
    """Link text -> target of every link in a chapter AST."""
    return {stringify(e["c"][1]): e["c"][2][0]
            for e in iter_elements(doc["blocks"]) if e["t"] == "Link"}


def headers(doc: dict) -> list[tuple[str | None, str]]:
    out = []
    for e in iter_elements(doc["blocks"]):
        if e["t"] == "Header":
            out.append((dict(e["c"][1][2]).get("number"), stringify(e["c"][2])))
    return out


def captions(doc: dict) -> dict[str, str]:
    return {e["c"][0][0]: stringify(e["c"][1][1])
            for e in iter_elements(doc["blocks"]) if e["t"] == "Figure"}


def test_chapter_numbers_skip_unnumbered_and_restart_for_appendices(book: Book) -> None:
    assert [(c.number, c.title) for c in book.chapters] == [
        (None, "Forord"), ("1", "Metode"), ("2", "Resultater"), ("1", "Spørreskjema")]


def test_sections_are_numbered_per_chapter(book: Book) -> None:
    assert headers(book.chapters[1].ast) == [
        ("1", "1 Metode"), ("1.1", "1.1 Data"), ("1.1.1", "1.1.1 Utvalg")]
    assert headers(book.chapters[2].ast) == [
        ("2", "2 Resultater"), (None, "Drøfting"), ("2.1", "2.1 Konklusjon")]
    # sections of an unnumbered chapter stay unnumbered; the appendix shows its prefix
    assert headers(book.chapters[0].ast) == [(None, "Forord"), (None, "Om arbeidet")]
    assert headers(book.chapters[3].ast)[0] == ("1", f"Vedlegg{NBSP}1 Spørreskjema")
    assert [(t.level, t.number, t.title) for t in book.chapters[2].toc] == [
        (2, None, "Drøfting"), (2, "2.1", "Konklusjon")]


def test_figures_and_tables_numbered_per_chapter_with_caption_prefix(book: Book) -> None:
    assert captions(book.chapters[1].ast) == {
        "fig-kart": f"Figur{NBSP}1.1: Kart over regionen",
        "fig-beregnet": f"Figur{NBSP}1.2: Andel bedrifter, beregnet: 42 prosent",
    }
    assert captions(book.chapters[2].ast) == {
        "tbl-tall": f"Tabell{NBSP}2.1: Antall prosjekter",
        "tbl-beregnet": f"Tabell{NBSP}2.2: Beregnet tabelltekst",
    }
    assert [(f.label, f.number, f.href) for f in book.figures] == [
        ("fig-kart", "1.1", "chapters/01-metode.html#fig-kart"),
        ("fig-beregnet", "1.2", "chapters/01-metode.html#fig-beregnet"),
        ("fig-skjema", "1.1", "chapters/vedlegg.html#fig-skjema"),
    ]
    assert [(t.label, t.caption) for t in book.tables] == [
        ("tbl-tall", "Antall prosjekter"), ("tbl-beregnet", "Beregnet tabelltekst")]


def test_div_figure_keeps_content_but_not_caption_paragraph(book: Book) -> None:
    figure = next(e for e in iter_elements(book.chapters[1].ast["blocks"])
                  if e["t"] == "Figure" and e["c"][0][0] == "fig-beregnet")
    content = figure["c"][2]
    assert any(e["t"] == "Image" for e in iter_elements(content))
    assert "42 prosent" not in stringify(content)
    table_figure = next(e for e in iter_elements(book.chapters[2].ast["blocks"])
                        if e["t"] == "Figure" and e["c"][0][0] == "tbl-beregnet")
    assert [b["t"] for b in table_figure["c"][2]] == ["Table"]


def test_references_become_links_across_pages(book: Book) -> None:
    front = links(book.chapters[0].ast)
    assert front == {
        f"Figur{NBSP}1.1": "chapters/01-metode.html#fig-kart",
        "2.1": "chapters/02-resultater.html#tbl-tall",
        f"Kapittel{NBSP}1": "chapters/01-metode.html#sec-metode",
        f"Kapittel{NBSP}2": "chapters/02-resultater.html#sec-resultater",
        f"Vedlegg{NBSP}1": "chapters/vedlegg.html#sec-skjema",
    }
    assert links(book.chapters[1].ast) == {
        f"Figur{NBSP}1.2": "#fig-beregnet",
        f"Tab.{NBSP}2.1": "chapters/02-resultater.html#tbl-tall",
    }
    assert links(book.chapters[2].ast) == {
        f"Avsnitt{NBSP}1.1": "chapters/01-metode.html#sec-data",
        f"Avsnitt{NBSP}2.1": "#sec-konklusjon",
    }
    assert not any(e["t"] == "Cite" for c in book.chapters
                   for e in iter_elements(c.ast["blocks"]))


def test_unknown_label_names_chapter(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"chapters/a\.ipynb.*@fig-mangler"):
        make_book(tmp_path, {
            "index.ipynb": ("# Forord {.unnumbered}\n", False),
            "chapters/a.ipynb": ("# A\n\nSe @fig-mangler.\n", False),
        })


def test_duplicate_label_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="fig-x"):
        make_book(tmp_path, {
            "a.ipynb": ("# A\n\n![a](a.svg){#fig-x}\n", False),
            "b.ipynb": ("# B\n\n![b](b.svg){#fig-x}\n", False),
        })


def test_list_of_figures_placeholder(tmp_path: Path) -> None:
    book = make_book(tmp_path, {
        "index.ipynb": ("# Innhold {.unnumbered}\n\n::: {#lof}\n:::\n\n::: {.list-of-tables}\n"
                        ":::\n", False),
        "chapters/a.ipynb": ("# A\n\n![Et kart](a.svg){#fig-a}\n\n| x |\n|---|\n| 1 |\n\n"
                             ": Tall {#tbl-a}\n", False),
    })
    lists = {e["c"][0][1][0]: links({"blocks": e["c"][1]})
             for e in iter_elements(book.chapters[0].ast["blocks"]) if e["t"] == "Div"}
    assert lists == {
        "list-of-figures": {f"Figur{NBSP}1.1": "chapters/a.html#fig-a"},
        "list-of-tables": {f"Tabell{NBSP}1.1": "chapters/a.html#tbl-a"},
    }
