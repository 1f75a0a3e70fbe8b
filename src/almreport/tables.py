"""The numbers behind the survey charts: display table, markdown, CSV, caption.

CSV convention (what Norwegian Excel opens with a double click): `;` between fields, decimal
comma, UTF-8 with a byte-order mark (so æ, ø, å are read right), one row per question. Counts
and shares (percent of all respondents, one decimal) for every answer category, n, and the
provenance of the counts.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd

from almreport import norsk
from almreport import survey as sv
from almreport.charts import MARKS, provenance_note
from almreport.markdown import escape, pipe_table
from almreport.schema.survey import Survey

PROVENANCE_WORDS = {"stated": "oppgitt", "reconstructed": "rekonstruert", "estimated": "anslått"}
QUESTION = "Spørsmål"
NUMBER = "Nr."
N_COLUMN = "n"
PROVENANCE = "Grunnlag"
CSV_ENCODING = "utf-8-sig"
CSV_SEPARATOR = ";"
SHOW_N = ("delmal",)  # the blocks whose printed caption gives n (only Tabell 4.1)


def block_n(survey: Survey, block_id: str) -> int:
    """Number of respondents of the block (the counts of its first item add up to it)."""
    return sum(sv.block(survey, block_id).items[0].counts.values())


def caption(survey: Survey, block_id: str, with_n: bool | None = None) -> str:
    """The printed caption as markdown; with n from the counts where the source shows it:
    "Hvor godt vurderes oppnåelsen av de enkelte delmål (n=24)."."""
    b = sv.block(survey, block_id)
    text = escape(b.caption.rstrip(". "))
    if block_id in SHOW_N if with_n is None else with_n:
        return f"{text} (n={block_n(survey, block_id)})."
    return text


def block_table(survey: Survey, block_id: str) -> pd.DataFrame:
    """Wide display table: Nr., Spørsmål, one count column per category, n, Grunnlag."""
    rows = []
    for it in sv.block(survey, block_id).items:
        row: dict[str, object] = {NUMBER: it.id, QUESTION: it.label}
        row.update({c.label: it.counts[c.id] for c in survey.scale})
        row[N_COLUMN] = sum(it.counts.values())
        row[PROVENANCE] = PROVENANCE_WORDS[it.provenance.kind]
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table of `df`: text escaped, numbers in Norwegian format and right-aligned."""
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    header = [escape(str(c)) for c in df.columns]
    rows = [[_cell(v, num) for v, num in zip(row, numeric, strict=True)]
            for row in df.itertuples(index=False)]
    widths = [_width(df[c], num) for c, num in zip(df.columns, numeric, strict=True)]
    align = ["r" if num else "l" for num in numeric]
    return pipe_table(header, rows, align, widths)


def _cell(value: object, numeric: bool) -> str:
    if numeric:
        return norsk.fmt_number(float(value), 1)  # type: ignore[arg-type]
    return escape(str(value))


def _width(column: pd.Series, numeric: bool) -> int:
    """Relative column width: numbers narrow, text by its typical length."""
    if numeric:
        return 6
    return max(6, min(40, int(column.astype(str).str.len().median())))


def csv_frame(survey: Survey, block_id: str) -> pd.DataFrame:
    """The CSV content: per question the counts and shares (percent) of every category."""
    rows = []
    for it in sv.block(survey, block_id).items:
        shares = sv.shares(survey, it)
        row: dict[str, object] = {NUMBER: it.id, QUESTION: it.label}
        row.update({f"{c.label} (antall)": it.counts[c.id] for c in survey.scale})
        row.update({f"{c.label} (%)": round(100 * shares[c.id], 1) for c in survey.scale})
        row[N_COLUMN] = sum(it.counts.values())
        row[PROVENANCE] = PROVENANCE_WORDS[it.provenance.kind]
        rows.append(row)
    return pd.DataFrame(rows)


def write_block_csv(survey: Survey, block_id: str, folder: Path | str,
                    name: str | None = None) -> Path:
    """Write `<folder>/<name>.csv` (default name tbl-<block id>) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or 'tbl-' + block_id}.csv"
    csv_frame(survey, block_id).to_csv(path, sep=CSV_SEPARATOR, decimal=",", index=False,
                                       encoding=CSV_ENCODING, quoting=csv.QUOTE_MINIMAL)
    return path


def read_block_csv(path: Path | str) -> pd.DataFrame:
    """Read a CSV written by write_block_csv (the same convention)."""
    return pd.read_csv(path, sep=CSV_SEPARATOR, decimal=",", encoding=CSV_ENCODING,
                       dtype={NUMBER: str})


DOWNLOAD_FOLDER = "data/tables"  # listed in _quarto.yml `project: resources:`


def tallgrunnlag(survey: Survey, block_id: str, label: str | None = None,
                 folder: Path | str = DOWNLOAD_FOLDER, href_prefix: str = "../") -> str:
    """The markdown under a chart: the counts as a table, the provenance note and links to the
    data: the block's CSV, written to `<folder>/<label>.csv`, and the workbook with every table
    (the build copies the folder to the site; `href_prefix` leads from the chapter page to the
    site root)."""
    label = label or f"tbl-{block_id}"
    path = write_block_csv(survey, block_id, folder, label)
    workbook = _workbook_of(survey, folder)
    table = block_table(survey, block_id)
    marks = {w: MARKS.get(k, "") for k, w in PROVENANCE_WORDS.items()}
    table[PROVENANCE] = [f"{w} {marks[w]}".strip() for w in table[PROVENANCE]]
    base = f"{href_prefix}{Path(folder).as_posix()}"
    return "\n\n".join([
        f"**Tallgrunnlag.** Antall svar per spørsmål og svarkategori "
        f"(n = {block_n(survey, block_id)}).",
        markdown_table(table),
        escape(provenance_note(survey, block_id)),
        f"Last ned data: [tabellen som CSV]({base}/{path.name}){{.data-download}} · "
        f"[alle tabellene som Excel-fil (XLSX)]({base}/{workbook.name}){{.data-download}}",
        "",
    ])


_workbooks: dict[Path, str] = {}  # workbook path -> the survey it was last written from


def _workbook_of(survey: Survey, folder: Path | str) -> Path:
    """The workbook of every table, written once per survey: each chart of a chapter links
    to it, and writing it takes longer than the rest of a table."""
    from almreport.workbook import WORKBOOK_NAME, write_workbook

    path = Path(folder).resolve() / WORKBOOK_NAME
    digest = hashlib.sha256(survey.model_dump_json().encode()).hexdigest()
    if _workbooks.get(path) != digest or not path.is_file():
        write_workbook(survey, folder)
        _workbooks[path] = digest
    return Path(folder) / WORKBOOK_NAME
