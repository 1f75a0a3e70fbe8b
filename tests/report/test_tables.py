"""The numbers behind the charts: display table, markdown escaping, CSV, caption."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pypandoc
import pytest
from bs4 import BeautifulSoup

from almreport import survey as sv
from almreport import tables

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ["delmal", "mal-hensikt", "organisering", "samspill", "kompetanse", "kommunikasjon"]


@pytest.fixture(scope="module")
def survey():
    return sv.load_survey(ROOT)


def _html_cells(markdown: str) -> list[list[str]]:
    html = pypandoc.convert_text(markdown, "html", format="markdown")
    soup = BeautifulSoup(html, "html.parser")
    return [[" ".join(c.get_text().split()) for c in tr.find_all(["td", "th"])]
            for tr in soup.find_all("tr")]


@pytest.mark.parametrize("block_id", BLOCKS)
def test_table_numbers_are_the_counts(survey, block_id) -> None:
    table = tables.block_table(survey, block_id)
    for (_, row), it in zip(table.iterrows(), sv.block(survey, block_id).items, strict=True):
        assert row[tables.NUMBER] == it.id
        assert [row[c.label] for c in survey.scale] == [it.counts[c.id] for c in survey.scale]
        assert row[tables.N_COLUMN] == sum(it.counts.values())


def test_markdown_table_renders_the_counts(survey) -> None:
    cells = _html_cells(tables.markdown_table(tables.block_table(survey, "samspill")))
    header, rows = cells[0], cells[1:]
    items = sv.block(survey, "samspill").items
    assert len(rows) == len(items)
    for row, it in zip(rows, items, strict=True):
        by_column = dict(zip(header, row, strict=True))
        assert by_column[tables.QUESTION] == it.label
        assert [by_column[c.label] for c in survey.scale] == [
            str(it.counts[c.id]) for c in survey.scale]


def test_markdown_cells_show_data_text_literally() -> None:
    nasty = ["a | b", "<script>alert(1)</script>", "*ikke kursiv*", "@sec-x [lenke](x) `k`",
             "1. ikke liste", "$x$ ~sub~ ^sup^ \\ & &amp;"]
    df = pd.DataFrame({"Tekst": nasty, "Tall": [1234.5, 2, 3, 4, 5, 6]})
    md = tables.markdown_table(df)
    assert "<script>" not in pypandoc.convert_text(md, "html", format="markdown")
    cells = _html_cells(md)
    assert [row[0] for row in cells[1:]] == nasty
    assert cells[1][1].replace("\u00a0", " ") == "1 234,5"  # Norwegian number format


def test_csv_round_trips(survey, tmp_path) -> None:
    path = tables.write_block_csv(survey, "delmal", tmp_path)
    assert path == tmp_path / "tbl-delmal.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads æøå right
    first = raw.decode("utf-8-sig").splitlines()[1]
    assert first.count(";") >= 12 and "62,5" in first  # ; separated, decimal comma
    back = tables.read_block_csv(path)
    items = sv.block(survey, "delmal").items
    assert list(back[tables.NUMBER]) == [it.id for it in items]
    for (_, row), it in zip(back.iterrows(), items, strict=True):
        n = sum(it.counts.values())
        for c in survey.scale:
            assert row[f"{c.label} (antall)"] == it.counts[c.id]
            assert row[f"{c.label} (%)"] == pytest.approx(round(100 * it.counts[c.id] / n, 1))
        assert row[tables.PROVENANCE] == tables.PROVENANCE_WORDS[it.provenance.kind]


def test_caption_n_comes_from_the_counts(survey) -> None:
    block = sv.block(survey, "delmal")
    assert "n=" not in block.caption  # not typed in the data
    n = sum(block.items[0].counts.values())
    assert tables.caption(survey, "delmal") == (
        f"Hvor godt vurderes oppnåelsen av de enkelte delmål (n={n}).")
    assert "n=" not in tables.caption(survey, "samspill")  # the source prints n only once


def test_tallgrunnlag_writes_the_csv_and_links_it(survey, tmp_path) -> None:
    folder = tmp_path / "tables"
    md = tables.tallgrunnlag(survey, "kompetanse", folder=folder)
    assert (folder / "tbl-kompetanse.csv").is_file()
    assert (folder / "arena-lettmetall-tabeller.xlsx").is_file()
    html = pypandoc.convert_text(md, "html", format="markdown")
    links = {a.get_text(): a["href"] for a in BeautifulSoup(html, "html.parser").select("a")}
    assert links["tabellen som CSV"] == f"../{folder.as_posix()}/tbl-kompetanse.csv"
    assert links["alle tabellene som Excel-fil (XLSX)"] == (
        f"../{folder.as_posix()}/arena-lettmetall-tabeller.xlsx")
    text = " ".join(BeautifulSoup(html, "html.parser").text.split())
    assert "* Spørsmål 13a, 13b og 13c: rekonstruert" in text


def test_the_workbook_is_written_once_per_survey(survey, tmp_path, monkeypatch) -> None:
    from almreport import workbook

    folder = tmp_path / "tables"
    written = []
    real = workbook.write_workbook
    monkeypatch.setattr(workbook, "write_workbook",
                        lambda s, f, *a: written.append(s) or real(s, f, *a))
    for block_id in BLOCKS:  # a chapter shows every table, each linking the one workbook
        tables.tallgrunnlag(survey, block_id, folder=folder)
    assert len(written) == 1
    item = survey.blocks[0].items[0]
    changed = survey.model_copy(deep=True)
    first, second = list(item.counts)[:2]
    counts = changed.blocks[0].items[0].counts
    counts[first], counts[second] = counts[first] + 1, counts[second] - 1
    tables.tallgrunnlag(changed, "delmal", folder=folder)
    assert len(written) == 2  # other counts: written again
    (folder / workbook.WORKBOOK_NAME).unlink()
    tables.tallgrunnlag(changed, "delmal", folder=folder)
    assert len(written) == 3 and (folder / workbook.WORKBOOK_NAME).is_file()
