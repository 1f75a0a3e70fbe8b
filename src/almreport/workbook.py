"""One Excel workbook with the numbers of every survey table: a README sheet, then a sheet per
table (the same columns as its CSV, see `tables.csv_frame`)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from almreport import tables
from almreport.charts import MARK_MEANING
from almreport.schema.survey import Block, Survey

WORKBOOK_NAME = "arena-lettmetall-tabeller.xlsx"
README_SHEET = "README"
PROVENANCE_MEANING = {
    "oppgitt": "følger entydig av prosentene i rapportens tekst",
    "rekonstruert": MARK_MEANING["reconstructed"],
    "anslått": MARK_MEANING["estimated"],
}


def sheet_name(block: Block) -> str:
    """The sheet of a block: its table number in the report, "Tabell 4.1"."""
    return f"Tabell {block.table}"[:31]  # Excel allows 31 characters


def readme_rows(survey: Survey) -> list[list[str]]:
    """The README sheet: what the workbook holds and where each number comes from."""
    m = survey.method
    rows = [
        ["Arena Lettmetall – En evaluering (NIBR-rapport 2007:9): tallene bak tabellene"],
        [],
        ["Kilde", f"Spørreskjemaundersøkelse, {m.period}, {m.conducted_by}: "
                  f"{m.answered} av {m.invited} svarte."],
        ["Generert", "Filen lages av rapportens byggeprosess fra data/survey.yaml; "
                     "den redigeres ikke for hånd."],
        ["Andeler", f"Prosent av alle {m.answered} som svarte (inkludert «vet ikke»), "
                    "én desimal."],
        ["Grunnlag", "Kolonnen «Grunnlag» sier hvordan antallene er kommet fram:"],
    ]
    rows += [["", f"{word}: {meaning}"] for word, meaning in PROVENANCE_MEANING.items()]
    rows += [[], ["Ark", "Tabell (bildetekst i rapporten)", "Samme tall som CSV"]]
    rows += [[sheet_name(b), tables.caption(survey, b.id).replace("\\", ""),
              f"tbl-{b.id}.csv"] for b in survey.blocks]
    return rows


def write_workbook(survey: Survey, folder: Path | str, name: str = WORKBOOK_NAME) -> Path:
    """Write `<folder>/<name>` and return its path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    for row in readme_rows(survey):
        readme.append(row)
    readme["A1"].font = Font(bold=True)
    readme.column_dimensions["A"].width = 18
    readme.column_dimensions["B"].width = 90
    for b in survey.blocks:
        ws = wb.create_sheet(sheet_name(b))
        frame = tables.csv_frame(survey, b.id)
        ws.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            ws.append([v.item() if hasattr(v, "item") else v for v in values])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["B"].width = 60
        ws.freeze_panes = "C2"
    # Fixed dates (document and zip entries): the same data give the same bytes.
    stamp = dt.datetime(survey.method.year, survey.method.month, 1)
    wb.properties.created = wb.properties.modified = stamp
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("wb") as out:
        # Workbook.save would date the document and every zip entry with the current time.
        ExcelWriter(wb, _DatedZip(out, stamp.timetuple()[:6])).save()
    return path


class _DatedZip(zipfile.ZipFile):
    """A zip file whose entries all carry one date (not the time they were written)."""

    def __init__(self, file, date_time: tuple[int, ...]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16  # what ZipFile.writestr gives a named entry
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        """openpyxl writes sheets through temporary files: their entries too get the date."""
        data = Path(filename).read_bytes()
        self.writestr(arcname or Path(filename).name, data, compress_type, compresslevel)
