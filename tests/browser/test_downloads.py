"""Downloads from the site: the PDF, and the numbers behind every chart as CSV and XLSX, which
must be the numbers in data/survey.yaml."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "chapters/04-hovedprosjekt.html"


def _survey() -> dict:
    return yaml.safe_load((ROOT / "data" / "survey.yaml").read_text(encoding="utf-8"))


def test_last_ned_pdf_downloads_the_pdf(context, site_url) -> None:
    page = context.new_page()
    page.goto(site_url + "index.html")
    link = page.get_by_role("link", name="Last ned PDF")
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"


def _chart_tables(page) -> list[dict]:
    """Per chart-table figure: its id, the first HTML table after it, and its data links."""
    return page.evaluate("""() => [...document.querySelectorAll('main figure[id^="tbl-"]')]
      .map(fig => {
        let el = fig.nextElementSibling, table = null, links = [];
        while (el && el.tagName !== 'FIGURE') {
          if (!table && el.tagName === 'TABLE') table = el;
          if (el.textContent.includes('Last ned data'))
            links = [...el.querySelectorAll('a')].map(a => ({text: a.textContent, href: a.href}));
          el = el.nextElementSibling;
        }
        const rows = table ? [...table.tBodies[0].rows].map(r =>
          [...r.cells].map(c => c.textContent.trim())) : [];
        const head = table ? [...table.tHead.rows[0].cells].map(c => c.textContent.trim()) : [];
        return {id: fig.id, head, rows, links};
      })""")


def test_each_chart_table_offers_its_data_matching_the_survey(context, site_url) -> None:
    survey = _survey()
    blocks = {f"tbl-{b['id']}": b for b in survey["blocks"]}
    scale = [c["label"] for c in survey["scale"]]
    ids = [c["id"] for c in survey["scale"]]
    page = context.new_page()
    page.goto(site_url + CHAPTER)
    charts = _chart_tables(page)
    assert sorted(c["id"] for c in charts) == sorted(blocks)
    for chart in charts:
        block = blocks[chart["id"]]
        csv_link = next(a["href"] for a in chart["links"] if "CSV" in a["text"])
        response = page.request.get(csv_link)
        assert response.ok, csv_link
        rows = list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig")),
                                   delimiter=";"))
        assert len(rows) == len(block["items"]) == len(chart["rows"])
        for row, item, shown in zip(rows, block["items"], chart["rows"], strict=True):
            counts = [item["counts"][i] for i in ids]
            assert [int(row[f"{label} (antall)"]) for label in scale] == counts
            # The HTML table under the chart shows the same counts.
            columns = [chart["head"].index(label) for label in scale]
            assert [int(shown[c]) for c in columns] == counts
            percent = [float(row[f"{label} (%)"].replace(",", ".")) for label in scale]
            assert sum(percent) == pytest.approx(100, abs=0.3)


def test_one_workbook_holds_every_table(context, site_url) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    survey = _survey()
    page = context.new_page()
    page.goto(site_url + CHAPTER)
    links = {a["href"] for c in _chart_tables(page) for a in c["links"] if "XLSX" in a["text"]}
    assert len(links) == 1  # the same workbook under every chart
    response = page.request.get(links.pop())
    assert response.ok
    book = openpyxl.load_workbook(io.BytesIO(response.body()))
    assert book.sheetnames[0] == "README"
    assert book.sheetnames[1:] == [f"Tabell {b['table']}" for b in survey["blocks"]]
    for block in survey["blocks"]:
        sheet = list(book[f"Tabell {block['table']}"].iter_rows(values_only=True))
        first = survey["scale"][0]
        column = sheet[0].index(f"{first['label']} (antall)")
        assert [r[column] for r in sheet[1:]] == [i["counts"][first["id"]]
                                                  for i in block["items"]]
