"""Static checks of the chapter notebooks (no kernel, no build).

    problems = lint_book(root)        # -> list[str], empty when the chapters are clean

Checks: figure cells carry `fig-alt`; labels are well formed and unique across the book;
every `@fig-/@tbl-/@sec-` reference and every `[@key]` citation resolves; each chapter opens
with a level-1 heading with an id, which is the id data/edits.yaml gives the chapter; and no
number typed in prose repeats a value of the records (`typed_data_numbers`), since such numbers
must come from `data/` through inline expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml
from pydantic import BaseModel

from almreport.chapter_ids import check_edit_chapters

LABEL_RE = re.compile(r"^(fig|tbl|sec)-[a-z0-9-]+$")
_HEADING_ID_RE = re.compile(r"^#{1,6}\s.*\{[^}]*#([^\s}]+)[^}]*\}\s*$", re.M)
_DIV_ID_RE = re.compile(r"^:::+\s*\{[^}]*#((?:fig|tbl)-[^\s}]+)[^}]*\}\s*$", re.M)
_DIV_CLOSE_RE = re.compile(r"^:::+\s*$", re.M)
_XREF_RE = re.compile(r"(?<![\w@.])-?@((?:fig|tbl|sec)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_CITE_RE = re.compile(r"(?<![\w.@/:])-?@([A-Za-z0-9][\w:.#$%&+?<>~/-]*[A-Za-z0-9])")
_BIB_KEY_RE = re.compile(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", re.M)
_BIB_IDS_RE = re.compile(r"^\s*ids\s*=\s*\{([^}]*)\}", re.M | re.I)  # BibLaTeX key aliases
_FIRST_LINE_RE = re.compile(r"^# \S.*\{[^}]*#sec-[a-z0-9-]+[^}]*\}\s*$")


@dataclass(frozen=True)
class Cell:
    notebook: str  # path relative to the project root
    index: int
    kind: str  # "markdown" | "code"
    source: str
    options: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.notebook} cell {self.index}"


# --- reading the book ----------------------------------------------------------------------


def book_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks `_quarto.yml` lists (chapters, parts, appendices), in book order."""
    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}
    book = config.get("book") or {}
    found: list[Path] = []
    for entry in [*(book.get("chapters") or []), *(book.get("appendices") or [])]:
        for name in _entry_files(entry):
            if name.endswith(".ipynb"):
                found.append(root / name)
    return found


def _entry_files(entry: Any) -> Iterator[str]:
    if isinstance(entry, str):
        yield entry
    elif isinstance(entry, dict):  # a part: {part: title, chapters: [...]}
        if isinstance(entry.get("part"), str) and entry["part"].endswith(".ipynb"):
            yield entry["part"]
        for item in entry.get("chapters") or []:
            yield from _entry_files(item)


def cell_options(source: str) -> dict[str, Any]:
    """The YAML of a code cell's leading `#| key: value` lines."""
    lines = []
    for line in source.splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[2:].removeprefix(" "))
    parsed = yaml.safe_load("\n".join(lines)) if lines else None
    return parsed if isinstance(parsed, dict) else {}


def read_cells(root: Path, notebook: Path) -> list[Cell]:
    nb = nbformat.read(notebook, as_version=4)
    rel = notebook.relative_to(root).as_posix()
    return [
        Cell(rel, i, c.cell_type, c.source,
             cell_options(c.source) if c.cell_type == "code" else {})
        for i, c in enumerate(nb.cells)
    ]


def bib_keys(root: Path) -> set[str]:
    path = root / "references.bib"
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8")
    aliases = {key.strip() for ids in _BIB_IDS_RE.findall(text) for key in ids.split(",")}
    return set(_BIB_KEY_RE.findall(text)) | aliases


# --- structural checks ---------------------------------------------------------------------


def check_figure_alt(cells: list[Cell]) -> list[str]:
    """A cell with `fig-cap`, or a figure cell inside a `::: {#fig-…}` div, needs `fig-alt`."""
    problems = []
    open_div: str | None = None
    for cell in cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                if match := _DIV_ID_RE.match(line):
                    open_div = match.group(1)
                elif _DIV_CLOSE_RE.match(line):
                    open_div = None
            continue
        if cell.kind != "code" or cell.options.get("include") is False:
            continue
        in_fig_div = open_div is not None and open_div.startswith("fig-")
        if ("fig-cap" in cell.options or in_fig_div) and not cell.options.get("fig-alt"):
            what = f"inside #{open_div}" if in_fig_div else "with fig-cap"
            problems.append(f"{cell.where}: figure cell {what} has no fig-alt")
    return problems


def labels(cells: list[Cell]) -> list[tuple[str, str]]:
    """(label, where) of every cell label, heading id and crossref div id."""
    found = []
    for cell in cells:
        if cell.kind == "code" and cell.options.get("label"):
            found.append((str(cell.options["label"]), cell.where))
        if cell.kind == "markdown":
            text = strip_code(cell.source)
            found += [(m, cell.where) for m in _HEADING_ID_RE.findall(text)]
            found += [(m, cell.where) for m in _DIV_ID_RE.findall(text)]
    return found


def check_labels(found: list[tuple[str, str]]) -> list[str]:
    problems, seen = [], {}
    for label, where in found:
        if not LABEL_RE.match(label):
            problems.append(f"{where}: label {label!r} does not match {LABEL_RE.pattern}")
        if label in seen:
            problems.append(f"{where}: label {label!r} already used in {seen[label]}")
        seen.setdefault(label, where)
    return problems


def _texts(cell: Cell) -> Iterator[str]:
    """Text that pandoc reads as markdown: markdown cells and caption/alt options."""
    if cell.kind == "markdown":
        yield strip_code(cell.source)
    for key in ("fig-cap", "tbl-cap", "fig-alt"):
        if isinstance(cell.options.get(key), str):
            yield cell.options[key]


def check_references(cells: list[Cell], known_labels: set[str], keys: set[str]) -> list[str]:
    problems = []
    for cell in cells:
        for text in _texts(cell):
            text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
            for ref in _XREF_RE.findall(text):
                if ref not in known_labels:
                    problems.append(f"{cell.where}: @{ref} points to no label")
            for key in _CITE_RE.findall(text):
                if not re.match(r"(fig|tbl|sec|eq|lst)-", key) and key not in keys:
                    problems.append(f"{cell.where}: citation @{key} is not in references.bib")
    return problems


def check_first_heading(notebook: str, cells: list[Cell]) -> list[str]:
    first = next((c for c in cells if c.kind == "markdown" and c.source.strip()), None)
    line = first.source.strip().splitlines()[0] if first else ""
    if not _FIRST_LINE_RE.match(line):
        return [f"{notebook}: first markdown line is not '# Title {{#sec-id}}': {line!r}"]
    return []


def strip_code(text: str) -> str:
    """Markdown without fenced code blocks and inline code (their content is not prose)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"(`+).*?\1", " ", text, flags=re.S)


def lint_book(root: Path) -> list[str]:
    """Every structural problem of the book's chapters (typed data numbers excluded)."""
    root = Path(root)
    chapters = {nb.relative_to(root).as_posix(): read_cells(root, nb)
                for nb in book_notebooks(root)}
    every = [cell for cells in chapters.values() for cell in cells]
    found = labels(every)
    problems = check_labels(found)
    problems += check_figure_alt(every)
    problems += check_references(every, {label for label, _ in found}, bib_keys(root))
    for name, cells in chapters.items():
        problems += check_first_heading(name, cells)
    return problems + check_edit_chapters(root)


# --- typed numbers that duplicate data -----------------------------------------------------

# Record files that describe the text, not the world: their numbers are the printed wording
# (claims) or editorial bookkeeping (edits), so prose may and must show them as typed.
_TEXT_RECORDS = ("claims", "edits")
# Fields that order or place things rather than state a fact: list positions ("number",
# "sub_goal"), calendar years and months (prose cites years as history all the time; dated
# facts live in date fields, which are not numbers).
_STRUCTURAL_FIELDS = {"number", "sub_goal", "year", "month", "report_year", "start", "end"}
_PERCENT_UNITS = {"prosent", "%"}


@dataclass(frozen=True)
class DataValue:
    value: float
    path: str
    percent: bool  # a share (unit prosent), compared only with numbers printed with %


def data_values(records: Any) -> list[DataValue]:
    """Every number in the records, found by walking the pydantic models."""
    found: list[DataValue] = []
    for name in ("project", "programme", "organisation", "region", "survey"):
        _walk(getattr(records, name), name, False, found)
    for sub_id, sub in records.subprojects.items():
        _walk(sub, f"subprojects/{sub_id}", False, found)
    return found


def _walk(obj: Any, path: str, percent: bool, out: list[DataValue]) -> None:
    if isinstance(obj, BaseModel):
        unit = getattr(obj, "unit", None)
        is_percent = str(getattr(unit, "value", unit)) in _PERCENT_UNITS
        for field in type(obj).model_fields:
            if field not in _STRUCTURAL_FIELDS:
                _walk(getattr(obj, field), f"{path}.{field}", is_percent, out)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, f"{path}[{key}]", percent, out)
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _walk(value, f"{path}[{i}]", percent, out)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        out.append(DataValue(float(obj), path, percent))


# Numbers as the report prints them: 500.000 / 13 000 (thousands), 0,5 (decimal comma), ½.
_NUMBER_RE = re.compile(
    r"(?<![\w.,/½-])(?P<num>\d{1,3}(?:[. \u00a0\u202f]\d{3})+(?![\d.,]\d)|\d+(?:,\d+)?|½)"
    r"(?![\w½]|[.,]\d|-[A-ZÆØÅ])"
)
_MONTHS = ("januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|"
           "desember")

# Contexts in which a typed number is not a data fact. Keep this list short: each entry says why.
_NOT_DATA = [
    # Ordered-list markers ("1. ", "2. "): enumeration, not a quantity.
    re.compile(r"^\s*\d+\.\s", re.M),
    # Day of month in a date ("25. juni 2003"): dates live in date fields, not numbers.
    re.compile(rf"\b\d{{1,2}}\.\s+(?:{_MONTHS})\b", re.I),
    # Section, table and figure numbers written out ("4.4.1", "Tabell 4.1"): references.
    re.compile(r"\b\d+(?:\.\d+)+\b(?!\d)"),
    # Publication identifiers in the text's source lists: "NIBR-rapport 2007:9", "nr. 01/2004",
    # "NIBR-rapport 11/2005", "NIBR-notat 117", "kapittel 6" (a chapter of another work).
    re.compile(r"\b\d{4}:\d+\b|(?:\bnr\.\s*)?\b\d+/\d{4}\b|\b(?:kapittel|notat|rapport)\s+\d+(?:[:/]\s*\d+)?",
               re.I),
    # Centuries ("17- og 1800-tallet"): history, not a quantity.
    re.compile(r"\b\d+-(?:\s+(?:og|eller)\s+\d+-)?tallet\b"),
    # Proper names that contain a number: "innholdsindustrien 1", "bygning 100" (an address).
    re.compile(r"\b(?:innholdsindustrien|bygning)\s+\d+\b", re.I),
]


@dataclass(frozen=True)
class TypedNumber:
    where: str
    text: str  # the number as typed
    context: str
    matches: list[str]  # record paths holding the same value


def prose_for_numbers(markdown: str) -> str:
    """Prose whose numbers are typed by the author: code, inline expressions, citations,
    cross-references, attributes ({#id .class}), comments, links and footnote markers removed."""
    text = strip_code(markdown)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\{[#.][^}]*\}", " ", text)  # heading/div attributes
    text = re.sub(r"\[\^[^\]]*\]", " ", text)  # footnote markers [^1]
    text = re.sub(r"\[[^\]]*@[^\]]*\]", " ", text)  # bracketed citations
    text = re.sub(r"-?@[\w:.-]*\w", " ", text)  # narrative citations and crossrefs
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"https?://\S+|www\.\S+", " ", text)
    for pattern in _NOT_DATA:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _as_number(token: str) -> float:
    if token == "½":
        return 0.5
    return float(re.sub(r"[. \u00a0\u202f]", "", token).replace(",", "."))


def typed_data_numbers(root: Path, records: Any) -> list[TypedNumber]:
    """Numbers typed in markdown cells that equal a value of the records."""
    values = data_values(records)
    found = []
    for notebook in book_notebooks(Path(root)):
        for cell in read_cells(Path(root), notebook):
            if cell.kind == "markdown":
                found += _typed_in(cell, values)
    return found


def _typed_in(cell: Cell, values: list[DataValue]) -> list[TypedNumber]:
    text = prose_for_numbers(cell.source)
    hits = []
    for match in _NUMBER_RE.finditer(text):
        number = _as_number(match.group("num"))
        after = text[match.end():match.end() + 9]
        percent = bool(re.match(r"\s*(%|prosent)", after))
        same = [v.path for v in values if v.value == number and v.percent == percent]
        if same:
            start, end = max(0, match.start() - 40), match.end() + 40
            context = " ".join(text[start:end].split())
            hits.append(TypedNumber(cell.where, match.group("num"), context, same))
    return hits
