"""data/edits.yaml: loads, every edit is in force in its chapter, and the chapter
"Om denne utgaven" lists them all, by chapter, referring to the chapters by their ids."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypandoc
import pytest
import yaml
from bs4 import BeautifulSoup

from almreport import editorial
from almreport.chapter_ids import check_edit_chapters
from almreport.lint import book_notebooks
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


def _edits_with(tmp_path, edit: str) -> Path:
    """An edits file listing only the Forord's chapter id and the one `edit` (flow mapping)."""
    path = tmp_path / "edits.yaml"
    path.write_text("artifacts: [{id: sidetall, description: sidetall}]\n"
                    f"chapters: {{index.ipynb: sec-forord}}\nedits:\n  - {edit}\n",
                    encoding="utf-8")
    return path


def test_edit_without_change_is_rejected(tmp_path) -> None:
    bad = _edits_with(tmp_path, "{chapter: index.ipynb, section: Forord, kind: typo, "
                                "original: a, edited: a, note: x}")
    with pytest.raises(RecordError, match="nothing was edited"):
        load_record(bad, Edits)


def test_edit_in_an_unlisted_chapter_is_rejected(tmp_path) -> None:
    bad = _edits_with(tmp_path, "{chapter: chapters/sammendrag.ipynb, section: Sammendrag, "
                                "kind: typo, original: a, edited: b, note: x}")
    with pytest.raises(RecordError, match=r"edits\[0\]\.chapter: .*not listed under `chapters`"):
        load_record(bad, Edits)


def _notebook(title_line: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": "import x"},
                                 {"cell_type": "markdown", "source": [title_line, "\n"]}]})


def test_check_compares_the_chapter_ids_with_the_notebooks(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "index.ipynb").write_text(_notebook("# Forord {#sec-forord .unnumbered}"))
    (tmp_path / "chapters" / "a.ipynb").write_text(_notebook("# Tittel {#sec-a}"))
    (tmp_path / "chapters" / "b.ipynb").write_text(_notebook("# Uten id"))
    (tmp_path / "data" / "edits.yaml").write_text(
        "artifacts: [{id: sidetall, description: sidetall}]\nchapters:\n"
        "  index.ipynb: sec-forord\n  chapters/a.ipynb: sec-b\n  chapters/b.ipynb: sec-b\n"
        "  chapters/c.ipynb: sec-c\nedits: []\n", encoding="utf-8")
    problems = check_edit_chapters(tmp_path)
    assert problems == [
        "data/edits.yaml:4: chapters['chapters/a.ipynb']: chapters/a.ipynb's title is #sec-a, "
        "not #sec-b",
        "data/edits.yaml:5: chapters['chapters/b.ipynb']: chapters/b.ipynb's title has no "
        "#sec- id",
        "data/edits.yaml:6: chapters['chapters/c.ipynb']: no notebook chapters/c.ipynb",
    ]


def test_the_reports_chapter_ids_match_its_notebooks() -> None:
    assert check_edit_chapters(ROOT) == []


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
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    # get_text(" ") also spaces inline elements apart: "( Piore og Sabel 1984 ; …)".
    return _flat(re.sub(r"\(\s+", "(", re.sub(r"\s+([,;.:)])", r"\1", text)))


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


def _reference_text(page: Path, sec: str) -> str:
    """What a cross reference to the chapter titled #sec on `page` reads, from the built
    chapter: its title when unnumbered, else the chapter prefix of _quarto.yml and its number."""
    title = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find(id=sec)
    number = title.find(class_="header-section-number")
    if number is None:
        return _flat(title.get_text(" "))
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return f"{config['language']['crossref-ch-prefix']} {number.get_text()}"


def test_notes_page_heads_each_chapter_by_its_reference(records, built_book) -> None:
    """One heading per chapter with edits, in book order, linking to the chapter and reading
    as a reference to it does ("Forord", "Kapittel 4")."""
    book = built_book.root / "_book"
    page = book / "chapters" / "redaksjonelle-merknader.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    links = [h.find("a") for h in soup.find_all("h4") if h.find("a", class_="quarto-xref")]
    order = [nb.relative_to(ROOT).as_posix() for nb in book_notebooks(ROOT)]
    chapters = sorted(editorial.by_chapter(records.edits), key=order.index)
    assert len(links) == len(chapters)
    for link, chapter in zip(links, chapters, strict=True):
        sec = records.edits.chapters[chapter]
        target = (page.parent / link["href"]).resolve()
        chapter_page = (book / chapter).with_suffix(".html").resolve()
        assert target.as_posix() == f"{chapter_page.as_posix()}#{sec}"
        assert _flat(link.get_text().replace("\u00a0", " ")) == _reference_text(chapter_page, sec)


def test_notes_chapter_reads_no_chapter_notebook(built_book) -> None:
    """Editing a chapter's prose must not re-execute "Om denne utgaven"."""
    (entry,) = (built_book.root / "_build" / "cache").glob("*redaksjonelle-merknader*.json")
    files_read = json.loads(entry.read_text(encoding="utf-8"))["files_read"]
    assert "data/edits.yaml" in files_read
    assert not [f for f in files_read if f.endswith(".ipynb")]
