"""The Excel workbook with every survey table: README first, a sheet per block, same numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from almreport import survey as sv
from almreport import tables, workbook
from almreport.schema.survey import Survey

openpyxl = pytest.importorskip("openpyxl")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def survey() -> Survey:
    return sv.load_survey(ROOT)


@pytest.fixture(scope="module")
def book(survey, tmp_path_factory):
    path = workbook.write_workbook(survey, tmp_path_factory.mktemp("xlsx"))
    return openpyxl.load_workbook(path)


def test_readme_first_then_one_sheet_per_block(book, survey) -> None:
    assert book.sheetnames[0] == "README"
    assert book.sheetnames[1:] == [f"Tabell {b.table}" for b in survey.blocks]


def test_readme_states_provenance_and_generation(book) -> None:
    text = " ".join(str(c.value) for row in book["README"].iter_rows() for c in row if c.value)
    for word in ("oppgitt", "rekonstruert", "anslått", "data/survey.yaml"):
        assert word in text


def test_sheet_counts_are_the_survey_counts(book, survey) -> None:
    for block in survey.blocks:
        rows = list(book[f"Tabell {block.table}"].iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        assert len(body) == len(block.items)
        for item, row in zip(block.items, body, strict=True):
            values = dict(zip(header, row, strict=True))
            assert str(values[tables.NUMBER]) == item.id
            for category in survey.scale:
                assert values[f"{category.label} (antall)"] == item.counts[category.id]
            assert values["n"] == sum(item.counts.values())
            shares = sv.shares(survey, item)
            assert values[f"{survey.scale[0].label} (%)"] == pytest.approx(
                100 * shares[survey.scale[0].id], abs=0.05)


def test_same_data_give_the_same_bytes_at_another_time(survey, tmp_path) -> None:
    """Zip entries are dated to the two-second: a later write must not show it."""
    import time
    import zipfile

    first = workbook.write_workbook(survey, tmp_path / "a").read_bytes()
    time.sleep(2.1)
    path = workbook.write_workbook(survey, tmp_path / "b")
    assert path.read_bytes() == first
    dates = {info.date_time for info in zipfile.ZipFile(path).infolist()}
    assert dates == {(survey.method.year, survey.method.month, 1, 0, 0, 0)}
