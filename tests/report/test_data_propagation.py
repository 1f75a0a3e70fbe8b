"""A change to a record reaches every place that shows it, and nothing else changes.

The session's built copy (with its `_build/` cache) is copied, two records are edited, and the
book is rebuilt once:
(a) survey item 3 (NAA, Tabell 4.1): one answer moves from "vet ikke" to "i ganske stor grad".
    Its provenance says these two counts are estimated; the claims of 4.4.3 pin only the two
    lowest categories (54 %, nesten 80 %), so `almreport.check.run` stays clean.
(b) RISC's number of projects 21 -> 22 (no validator relates it to other figures).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from built import BuiltBook, run_build
from pypdf import PdfReader

SURVEY = Path("data/survey.yaml")
RISC = Path("data/subprojects/risc.yaml")
NAA_ITEM = "3"
MOVE = ("vet-ikke", "ganske-stor")  # one answer from the first category to the second


@dataclass
class Change:
    before: BuiltBook
    after: BuiltBook
    old_counts: dict[str, int]
    new_counts: dict[str, int]
    naa_label: str
    old_risc: str  # the RISC sentence as the record quotes it (before the change)
    new_risc: str


def _naa(root: Path) -> dict:
    survey = yaml.safe_load((root / SURVEY).read_text(encoding="utf-8"))
    return next(item for block in survey["blocks"] for item in block["items"]
                if str(item["id"]) == NAA_ITEM)


def _edit_survey(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    item = _naa(root)
    old = dict(item["counts"])
    new = dict(old, **{MOVE[0]: old[MOVE[0]] - 1, MOVE[1]: old[MOVE[1]] + 1})
    assert old[MOVE[0]] > 0

    def flow(counts: dict[str, int]) -> str:
        return "{" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "}"

    _replace_once(root / SURVEY, f"counts: {flow(old)}", f"counts: {flow(new)}")
    return old, new


def _edit_risc(root: Path) -> tuple[str, str]:
    record = yaml.safe_load((root / RISC).read_text(encoding="utf-8"))
    figure = record["figures"]["projects"]
    value = figure["value"]
    _replace_once(root / RISC, f"  projects:\n    value: {value}\n",
                  f"  projects:\n    value: {value + 1}\n")
    sentence = figure["quote"]
    assert f" {value} " in sentence
    return sentence, sentence.replace(f" {value} ", f" {value + 1} ")


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} not found exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def change(built_book: BuiltBook, tmp_path_factory: pytest.TempPathFactory) -> Change:
    from almreport.check import run as check

    root = tmp_path_factory.mktemp("changed") / "project"
    shutil.copytree(built_book.root, root, symlinks=True)
    old_counts, new_counts = _edit_survey(root)
    old_risc, new_risc = _edit_risc(root)
    assert [str(p) for p in check(root)] == [], "the edit must keep every claim true"
    after = run_build(root)
    return Change(built_book, after, old_counts, new_counts,
                  _naa(root)["label"], old_risc, new_risc)


def _text(path: Path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return " ".join(soup.get_text(" ").split())


def _page(book: BuiltBook, name: str) -> Path:
    return next(p for p in book.result.pages if p.name == name)


def _row_counts(page: Path, label: str) -> list[list[int]]:
    """The counts in every HTML table row that names `label`."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    rows = []
    for tr in soup.find_all("tr"):
        cells = [" ".join(td.get_text(" ").split()) for td in tr.find_all(["td", "th"])]
        if label in cells:
            rest = cells[cells.index(label) + 1:]
            rows.append([int(c) for c in rest if re.fullmatch(r"\d+", c)])
    return rows


def test_chapter_4_sentence_shows_the_new_figure(change: Change) -> None:
    before = _text(_page(change.before, "04-hovedprosjekt.html"))
    after = _text(_page(change.after, "04-hovedprosjekt.html"))
    assert change.old_risc in before
    assert change.new_risc in after and change.old_risc not in after


def test_tallgrunnlag_table_shows_the_new_counts(change: Change) -> None:
    label = " ".join(change.naa_label.split())
    order = list(change.old_counts)  # the table's columns follow the scale's order
    before = _row_counts(_page(change.before, "04-hovedprosjekt.html"), label)
    after = _row_counts(_page(change.after, "04-hovedprosjekt.html"), label)
    assert [r[:5] for r in before] == [[change.old_counts[k] for k in order]]
    assert [r[:5] for r in after] == [[change.new_counts[k] for k in order]]


def test_csv_shows_the_new_counts(change: Change) -> None:
    path = change.after.book / "data" / "tables" / "tbl-delmal.csv"
    with path.open(encoding="utf-8-sig") as handle:
        rows = [line.rstrip("\r\n").split(";") for line in handle]
    header, row = rows[0], next(r for r in rows[1:] if r[0] == NAA_ITEM)
    counts = [int(v) for col, v in zip(header, row, strict=True) if col.endswith("(antall)")]
    assert counts == list(change.new_counts.values())


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_chart_was_redrawn(change: Change, suffix: str) -> None:
    name = f"figures/tbl-delmal{suffix}"
    assert (change.before.book / name).read_bytes() != (change.after.book / name).read_bytes()
    unchanged = "figures/tbl-mal-hensikt" + suffix  # a chart of untouched data
    assert (change.before.book / unchanged).read_bytes() == (
        change.after.book / unchanged).read_bytes()


def test_pdf_shows_the_new_figure(change: Change) -> None:
    text = " ".join(" ".join(p.extract_text() or "" for p in
                             PdfReader(change.after.result.pdf).pages).split())
    assert change.new_risc in text and change.old_risc not in text


def test_only_pages_showing_the_data_changed(change: Change) -> None:
    """A page changes iff it showed one of the edited values (the RISC sentence or the NAA
    row); every other page is byte-identical (no build stamp or other site-wide bits)."""
    label = " ".join(change.naa_label.split())
    expected, changed = set(), set()
    for before, after in zip(change.before.result.pages, change.after.result.pages,
                             strict=True):
        text = _text(before)
        if change.old_risc in text or _row_counts(before, label):
            expected.add(before.name)
        if before.read_bytes() != after.read_bytes():
            changed.add(before.name)
    assert "04-hovedprosjekt.html" in expected
    assert changed == expected


def test_chapters_that_do_not_read_the_records_were_not_rerun(change: Change) -> None:
    """The cache entries of the first build list the data files each chapter read (engine
    format: _build/cache/<chapter>.json with "inputs"); those that read neither edited file
    must come from the cache."""
    states = change.after.chapter_states()
    independent = []
    for entry in sorted((change.before.root / "_build" / "cache").glob("*.json")):
        inputs = json.loads(entry.read_text(encoding="utf-8")).get("inputs", {})
        if not {SURVEY.as_posix(), RISC.as_posix()} & set(inputs):
            independent.append(entry.stem.replace("__", "/"))
    assert independent, "some chapter (e.g. Litteratur) reads no record"
    assert {ch: states.get(ch) for ch in independent} == dict.fromkeys(independent, "cached")
    readers = [ch for ch in states if ch not in independent]
    assert all(states[ch] == "done" for ch in readers), states
