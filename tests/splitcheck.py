"""The split and cached conversions after assembly must give what one conversion of the whole
book gives (tests/conftest.py puts this folder on sys.path):

    assert_split_conversions_match(book)   # a bookbuild.assemble.Book

- Typst: each section converted apart and joined == the whole book's blocks in one pandoc call;
- citeproc: only the citations and the refs div sent == the whole book sent (the fallback
  path, used for note styles).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bookbuild import assemble, citations
from bookbuild import typst as typst_mod
from bookbuild.pandoc import ast_to, document


def whole_book_typst(book) -> str:
    """Reference: the prepared blocks of every chapter in ONE pandoc call."""
    chapters = typst_mod._chapter_blocks(book)
    typst_mod._place_contents(book, chapters)
    blocks = [b for chapter in chapters for b in chapter]
    return ast_to(document(blocks), typst_mod.WRITER, typst_mod.WRITER_ARGS)


def split_typst(book, store: Path) -> str:
    chapters = typst_mod._chapter_blocks(book)
    typst_mod._place_contents(book, chapters)
    return typst_mod._chapters_to_typst(store, chapters)


def citeproc_both_ways(project, docs: list[tuple]) -> tuple[str, str]:
    """The chapters' ASTs (JSON) after citeproc on citations only, and on the whole book."""
    split = copy.deepcopy(docs)
    whole = copy.deepcopy(docs)
    citations.process_citations(project, split)
    original = citations._note_style
    citations._note_style = lambda csl: True  # the whole-document path
    try:
        citations.process_citations(project, whole)
    finally:
        citations._note_style = original
    return json.dumps([d for _, d in split]), json.dumps([d for _, d in whole])


def assembled_without_citations(project, executed) -> list[tuple]:
    """(ref, doc) pairs as assemble_book has them just before citeproc."""
    original = assemble.process_citations
    captured: list[tuple] = []
    assemble.process_citations = lambda _project, pairs: captured.extend(copy.deepcopy(pairs))
    try:
        assemble.assemble_book(project, executed)
    finally:
        assemble.process_citations = original
    return captured


def assert_split_conversions_match(project, executed, store: Path) -> None:
    book = assemble.assemble_book(project, executed)
    assert split_typst(book, store) == whole_book_typst(book)
    split, whole = citeproc_both_ways(project, assembled_without_citations(project, executed))
    assert split == whole
