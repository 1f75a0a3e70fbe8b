"""Chapter linter (in the spirit of tidy-finance's): captions, labels, references, citations,
chapter headings, and no typed number that repeats a value of the records."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from almreport import lint
from almreport.records import load_all

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chapters() -> dict[str, list[lint.Cell]]:
    return {nb.relative_to(ROOT).as_posix(): lint.read_cells(ROOT, nb)
            for nb in lint.book_notebooks(ROOT)}


@pytest.fixture(scope="module")
def cells(chapters: dict[str, list[lint.Cell]]) -> list[lint.Cell]:
    return [cell for chapter in chapters.values() for cell in chapter]


def test_figure_cells_have_alt_text(cells: list[lint.Cell]) -> None:
    assert lint.check_figure_alt(cells) == []


def test_labels_are_well_formed_and_unique(cells: list[lint.Cell]) -> None:
    found = lint.labels(cells)
    assert found, "the book has labels"
    assert lint.check_labels(found) == []


def test_references_and_citations_resolve(cells: list[lint.Cell]) -> None:
    known = {label for label, _ in lint.labels(cells)}
    assert lint.check_references(cells, known, lint.bib_keys(ROOT)) == []


def test_source_figures_and_tables_are_labelled(cells: list[lint.Cell]) -> None:
    # The labels content-rules.md assigns to Figur 2.1-2.3 and Tabell 4.1-4.6 of the source.
    expected = {"fig-industrifaser", "fig-ra-til-klynge", "fig-dynamisk-klynge", "tbl-delmal",
                "tbl-mal-hensikt", "tbl-organisering", "tbl-samspill", "tbl-kompetanse",
                "tbl-kommunikasjon"}
    assert expected <= {label for label, _ in lint.labels(cells)}


def test_chapters_open_with_a_level_one_heading(chapters: dict[str, list[lint.Cell]]) -> None:
    problems = [p for name, c in chapters.items() for p in lint.check_first_heading(name, c)]
    assert problems == []


# Known content gaps the linter found; strict, so fixing the chapter turns them into failures
# that ask for the marker to be removed.
def _chapter_params() -> list:
    return [nb.relative_to(ROOT).as_posix() for nb in lint.book_notebooks(ROOT)]


@pytest.fixture(scope="module")
def typed_numbers() -> list[lint.TypedNumber]:
    return lint.typed_data_numbers(ROOT, load_all(ROOT))


@pytest.mark.parametrize("chapter", _chapter_params())
def test_no_typed_number_duplicates_a_data_value(
    chapter: str, typed_numbers: list[lint.TypedNumber]
) -> None:
    report = [f"{h.where}: {h.text!r} in '{h.context}' = {h.matches[:3]}"
              for h in typed_numbers if h.where.startswith(f"{chapter} ")]
    assert report == []


# --- the linter itself catches what it should (on small synthetic books) -------------------


def _book(tmp_path: Path, *cells: nbformat.NotebookNode, bib: str = "") -> Path:
    (tmp_path / "_quarto.yml").write_text("book:\n  chapters: [index.ipynb]\n", encoding="utf-8")
    (tmp_path / "references.bib").write_text(bib, encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nbformat.write(nb, tmp_path / "index.ipynb")
    return tmp_path


def _md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text)


def test_linter_reports_each_kind_of_problem(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        _md("Tittel uten id"),
        nbformat.v4.new_code_cell("#| label: fig-a\n#| fig-cap: Kurve\nplot()"),
        _md("::: {#fig-b}"),
        nbformat.v4.new_code_cell("plot()"),
        _md("Tekst\n:::\n\n## Del {#sec-Del}\n\n## Igjen {#sec-x}\n\n## To {#sec-x}"),
        _md("Se @fig-finnes-ikke og [@ukjent2001; @kjent2000; @alias2000]."),
        bib="@book{kjent2000,\n  ids = {alias2000},\n  title = {T},\n}\n",
    )
    problems = "\n".join(lint.lint_book(root))
    assert "cell 1: figure cell with fig-cap has no fig-alt" in problems
    assert "cell 3: figure cell inside #fig-b has no fig-alt" in problems
    assert "'sec-Del' does not match" in problems
    assert "'sec-x' already used" in problems
    assert "@fig-finnes-ikke points to no label" in problems
    assert "@ukjent2001 is not in references.bib" in problems
    assert "@kjent2000" not in problems and "@alias2000" not in problems
    assert "first markdown line" in problems


def test_typed_data_numbers_are_found_and_exempt_contexts_are_not(tmp_path: Path) -> None:
    records = load_all(ROOT)
    projects = int(records.subprojects["risc"].figures.projects.value)
    answered = records.survey.method.answered
    root = _book(tmp_path, _md(
        f"# T {{#sec-t}}\n\nRISC har hatt {projects} prosjekter, og {answered} svarte. "
        f"Tall fra data: `{{python}} {projects}` [@kilde{projects}] (jfr. 4.4.1, @sec-t).\n\n"
        f"1. punkt\n2. punkt\n\nMøtet 5. januar var i bygning {answered}. NIBR-rapport 2007:9."
    ))
    typed = [(h.text, h.where) for h in lint.typed_data_numbers(root, records)]
    assert typed == [(str(projects), "index.ipynb cell 0"), (str(answered), "index.ipynb cell 0")]


def test_percent_numbers_are_compared_with_shares_only(tmp_path: Path) -> None:
    records = load_all(ROOT)
    answered = records.survey.method.answered  # a count, not a share
    root = _book(tmp_path, _md(f"# T {{#sec-t}}\n\nHele {answered} % svarte."))
    assert lint.typed_data_numbers(root, records) == []
