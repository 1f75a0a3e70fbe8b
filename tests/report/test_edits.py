"""data/edits.yaml: loads, every edit is in force in its chapter, and the chapter
"Om denne utgaven" lists them all."""

from __future__ import annotations

import re
from pathlib import Path

import pypandoc
import pytest
from bs4 import BeautifulSoup

from almreport import editorial
from almreport.loader import RecordError, load_record
from almreport.records import load_all
from almreport.schema.edits import Edits

ROOT = Path(__file__).resolve().parents[2]
EDITS = ROOT / "data" / "edits.yaml"


@pytest.fixture(scope="module")
def records():
    return load_all(ROOT)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_edits_load(records) -> None:
    assert records.edits.edits, "no edits listed"
    assert load_record(EDITS, Edits, root=ROOT) == records.edits


def test_edit_without_change_is_rejected(tmp_path) -> None:
    bad = tmp_path / "edits.yaml"
    bad.write_text("artifacts: [{id: sidetall, description: sidetall}]\nedits:\n"
                   "  - {chapter: index.ipynb, section: Forord, kind: typo, original: a, "
                   "edited: a, note: x}\n", encoding="utf-8")
    with pytest.raises(RecordError, match="nothing was edited"):
        load_record(bad, Edits)


# Numbers and "Author (year)" are often generated in the chapters (inline expressions,
# citations, cross-references); the words around them must be there as edited.
_GENERATED = re.compile(r"[A-ZÆØÅ][\w-]* \(\d{4}\)|\d[\d.,]*\s*%?")


def _in_force(edited: str, text: str) -> bool:
    if _flat(edited) in text:
        return True
    fragments = [f.strip() for f in _GENERATED.split(_flat(edited))]
    return all(f in text for f in fragments if len(f) >= 3)


def _page_text(built_book, chapter: str) -> str:
    """The visible text of the chapter's built page (numbers in the chapters are generated, so
    only the page shows them)."""
    page = built_book.root / "_book" / Path(chapter).with_suffix(".html")
    text = _flat(BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" "))
    # get_text(" ") also spaces out inline links, e.g. linked citations: "( Piore og Sabel 1984 )"
    return re.sub(r"\s+([)\];,.:])", r"\1", re.sub(r"([(\[])\s+", r"\1", text))


def test_each_edit_is_in_force_in_its_chapter(records, built_book) -> None:
    texts = {e.chapter: _page_text(built_book, e.chapter) for e in records.edits.edits}
    missing, still_there = [], []
    for e in records.edits.edits:
        text = texts[e.chapter] or ""
        if not _in_force(e.edited, text):
            missing.append(f"{e.chapter} {e.section}: {e.edited!r}")
        if _flat(e.original) not in _flat(e.edited) and _flat(e.original) in text:
            still_there.append(f"{e.chapter} {e.section}: {e.original!r}")
    assert not missing, "edited text not in the chapter:\n" + "\n".join(missing)
    assert not still_there, "original text still in the chapter:\n" + "\n".join(still_there)


def test_notes_chapter_lists_every_edit(records) -> None:
    md = editorial.edits_markdown(records)
    text = _flat(pypandoc.convert_text(md, "plain", format="markdown", extra_args=["--wrap=none"]))
    for e in records.edits.edits:
        assert f"«{_flat(e.original)}» → «{_flat(e.edited)}»" in text


def test_generated_paragraphs_count_from_the_data(records) -> None:
    summary = editorial.edits_summary(records.edits)
    assert f"endret {len(records.edits.edits)} steder" in summary
    provenance = editorial.provenance_paragraph(records.survey)
    assert "for to spørsmål følger tallene entydig" in provenance  # items 2 and 4
    assert "(spørsmål 2 og 4)" in provenance
    rows = editorial.discrepancies(records)
    assert {(r[0], r[2], r[3]) for r in rows} >= {("4.4.7", 80, 19), ("4.5", 47, 11)}
    assert all(round(100 * r[5]) != r[2] for r in rows)  # really not the rounded share
