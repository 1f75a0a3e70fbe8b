"""Bad records through the real command line, on a copy of the built report.

The check hook refuses every case before a kernel starts, so each costs a few seconds. Every
case: exit 1, one short `Feil:` message naming file, line and field, no traceback, `_book/`
byte-identical, nothing left behind.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from buildcheck import assert_refused, bookbuild, tree_digest

from almreport.loader import MAX_BYTES, RecordError, load_yaml

SURVEY = "data/survey.yaml"
FUNDING = "data/subprojects/funding.yaml"
ITEM_1_COUNTS = "counts: {svaert-liten: 0, noen: 0, ganske-stor: 9, svaert-stor: 15, vet-ikke: 0}"


@pytest.fixture
def report(built_book, tmp_path: Path) -> tuple[Path, str]:
    """A fresh copy of the built report (sources, `_book/`, cache) and its `_book/` digest."""
    root = tmp_path / "report"
    shutil.copytree(built_book.root, root, symlinks=True)
    return root, tree_digest(root / "_book")


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace the first `old` in a record by `new`; returns the 1-based line of the change."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def refused(root: Path, before: str, *expected: str) -> str:
    return assert_refused(bookbuild(root, "build"), root, before, *expected)


def test_yaml_syntax_error(report):
    root, before = report
    line = edit(root, FUNDING, "goal_quoted: true", "goal_quoted: [true")
    message = refused(root, before, FUNDING, "YAML syntax error")
    found = int(re.search(rf"{re.escape(FUNDING)}:(\d+)", message).group(1))
    assert line <= found <= line + 2


def test_wrong_type(report):
    root, before = report
    line = edit(root, SURVEY, "invited: 30", "invited: tretti")
    refused(root, before, f"{SURVEY}:{line}: method.invited: expected a whole number")


def test_missing_required_field(report):
    root, before = report
    edit(root, FUNDING, "short_name: Funding\n", "")
    refused(root, before, FUNDING, "short_name: this required field is missing")


def test_counts_that_do_not_add_up_to_n(report):
    root, before = report
    fewer = ITEM_1_COUNTS.replace("svaert-stor: 15", "svaert-stor: 14")
    line = edit(root, SURVEY, ITEM_1_COUNTS, fewer)
    refused(root, before, f"{SURVEY}:{line}", "counts", "23", "24")


def test_unknown_answer_category(report):
    root, before = report
    line = edit(root, SURVEY, ITEM_1_COUNTS, ITEM_1_COUNTS.replace("vet-ikke: 0", "vet-ikkje: 0"))
    refused(root, before, f"{SURVEY}:{line}", "vet-ikkje")


def test_unknown_person(report):
    root, before = report
    line = edit(root, FUNDING, "leader: kari-broberg", "leader: ola-nordmann")
    refused(root, before, f"{FUNDING}:{line}: leader: unknown person 'ola-nordmann'")


def test_unknown_subproject(report):
    root, before = report
    line = edit(root, SURVEY, "subproject: total", "subproject: finnes-ikke")
    refused(root, before, f"{SURVEY}:{line}", "subproject", "(got 'finnes-ikke')")


def test_duplicate_id(report):
    root, before = report
    line = edit(root, "data/claims.yaml", "id: 4.4.1.b", "id: 4.4.1.a")
    refused(root, before, f"data/claims.yaml:{line}", "4.4.1.a", "duplicate")


def test_duplicate_key(report):
    root, before = report
    line = edit(root, FUNDING, "short_name: Funding\n", "short_name: Funding\nshort_name: Fond\n")
    refused(root, before, f"{FUNDING}:{line + 1}: short_name: duplicate key")


def test_claim_the_data_no_longer_satisfy(report):
    """14 of 24 is 58 %: the text's "Over 60 %" (claim 4.4.1.a) is no longer true."""
    root, before = report
    new = ITEM_1_COUNTS.replace("ganske-stor: 9", "ganske-stor: 10")
    edit(root, SURVEY, ITEM_1_COUNTS, new.replace("svaert-stor: 15", "svaert-stor: 14"))
    check = bookbuild(root, "check")
    assert check.code == 1 and "Traceback" not in check.out + check.err
    assert "data/claims.yaml:" in check.out and "(4.4.1.a): does not hold" in check.out
    refused(root, before, "(4.4.1.a): does not hold")


def test_not_utf8(report):
    root, before = report
    path = root / FUNDING
    raw = path.read_bytes()
    line = raw[: raw.index("ø".encode())].count(b"\n") + 1
    path.write_bytes(raw.replace("ø".encode(), "ø".encode("latin-1"), 1))
    refused(root, before, f"{FUNDING}:{line}", "not valid UTF-8", "save it as UTF-8")


def test_empty_file(report):
    root, before = report
    (root / "data/region.yaml").write_text("", encoding="utf-8")
    refused(root, before, "data/region.yaml", "empty")


def test_very_large_file(report):
    root, before = report
    with (root / SURVEY).open("r+b") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper
    refused(root, before, SURVEY, "too large", str(MAX_BYTES))


def test_very_large_file_is_refused_before_reading(tmp_path: Path, monkeypatch):
    """The size is checked first: the loader never reads the 50 MB."""
    big = tmp_path / "stor.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)

    def no_reading(self, *args, **kwargs):
        raise AssertionError(f"read {self}")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "read_text", no_reading)
    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(RecordError, match="too large"):
        load_yaml(big, root=tmp_path)


# --- data text with markup: printed literally, never interpreted -----------------------------

NASTY = ("<script>alert(1)</script> & < \"sitat\" #tag [lenke] $x$ @hansen2005 *fet* _kursiv_ "
         "**sterk** `kode` <b>b</b> # overskrift")


def flat(text: str) -> str:
    return "".join(text.split())


def test_markup_in_records_prints_as_text(report):
    """A survey question's wording, the survey's intro and a sub-project's label carry HTML,
    Typst and Markdown markup: the site shows it as text (no element created), the PDF shows
    it literally, and the build does not break."""
    from bs4 import BeautifulSoup
    from pypdf import PdfReader

    root, _ = report
    path = root / SURVEY
    text = path.read_text(encoding="utf-8")
    old = "wording: Hvor godt synes du prosjektet har lykkes i å oppnå dette delmålet?\n"
    text = text.replace(old, f"wording: {json.dumps(NASTY)}\n", 1)
    title = re.search(r"^intro_title: .*$", text, re.MULTILINE).group()
    text = text.replace(title, f"intro_title: {json.dumps(NASTY)}", 1)
    path.write_text(text, encoding="utf-8")
    run = bookbuild(root, "build")
    assert run.code == 0, run.text
    site = root / "_book"
    shown = ""
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not [s for s in soup.find_all("script") if "alert(1)" in s.get_text()], page
        assert not soup.find_all("b", string="b"), page
        shown += soup.get_text()
    assert shown.count(NASTY) >= 2  # the question's wording and the intro's title
    pdf = next(site.glob("*.pdf"))
    content = flat("".join(p.extract_text() for p in PdfReader(pdf).pages))
    assert content.count(flat(NASTY)) >= 2
