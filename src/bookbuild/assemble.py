"""Assemble executed chapters into a `Book`: parse -> cross references -> citations -> links."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bookbuild import jsontext, sections
from bookbuild.citations import process_citations
from bookbuild.crossref import (
    CaptionEntry,
    TocEntry,
    link_to,
    number_book,
    resolve_references,
)
from bookbuild.pandoc import (
    MARKDOWN,
    attr_of,
    iter_elements,
    markdown_to_ast,
    pandoc_path,
)
from bookbuild.project import ChapterRef, Project

if TYPE_CHECKING:
    from bookbuild.execute import ExecutedChapter

SECTIONS = "sections"  # the store's folder of parsed sections

__all__ = ["Book", "CaptionEntry", "ChapterDoc", "TocEntry", "assemble_book", "display_date"]


@dataclass
class ChapterDoc:
    """One chapter page.

    `ast` is a pandoc JSON document. Numbers are in the AST: numbered headers carry a `number`
    attribute and start with a Span of class `header-section-number`; numbered figures carry
    `number` and their caption starts with a Span of class `caption-number` ("Figur 2.1:").
    Links to other chapters are project-relative (`chapters/x.html#fig-y`, as ChapterRef.href);
    links within the page are `#id`.
    """

    ref: ChapterRef
    number: str | None  # "1".., appendices "1" (shown with crossref-apx-prefix); None: unnumbered
    title: str  # plain text, without number
    ast: dict
    toc: list[TocEntry]  # sections (level >= 2) for the page TOC


@dataclass
class Book:
    project: Project
    chapters: list[ChapterDoc]
    figures: list[CaptionEntry]  # (label, number, caption text, project-relative href#label)
    tables: list[CaptionEntry]


def assemble_book(project: Project, executed: list[ExecutedChapter]) -> Book:
    parsed = _parse_all(executed, project.build_dir / "ast")
    pairs = list(zip([e.ref for e in executed], parsed, strict=True))
    xrefs = number_book(project.language, pairs)
    resolve_references(project.language, pairs, xrefs)
    process_citations(project, pairs)
    chapters = [
        ChapterDoc(ref, info.number, info.title, doc, info.toc)
        for (ref, doc), info in zip(pairs, xrefs.chapters, strict=True)
    ]
    _link_across_pages(chapters)
    return Book(project, chapters, xrefs.figures, xrefs.tables)


def _parse_all(executed: list[ExecutedChapter], store: Path) -> list[dict]:
    """Each chapter's markdown as a pandoc AST; unchanged markdown is not parsed again."""
    def parse(chapter: ExecutedChapter) -> dict:
        return parse_cached(chapter.markdown, store, what=chapter.ref.path.as_posix())

    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(parse, executed))
    used = {f"{_ast_key(chapter.markdown)}.json" for chapter in executed}
    for old in store.glob("*.json"):
        if old.name not in used:  # keep the store as small as the book
            old.unlink(missing_ok=True)
    sections.prune(store / SECTIONS, [chapter.markdown for chapter in executed])
    return docs


def _ast_key(markdown: str) -> str:
    return hashlib.sha256(f"{pandoc_path()}\0{MARKDOWN}\0{markdown}".encode()).hexdigest()


def parse_cached(markdown: str, store: Path, *, what: str) -> dict:
    """markdown_to_ast, kept in `store` under the hash of pandoc, reader and text (the
    callers change the AST they get, so every call returns a fresh copy). A changed text has
    pandoc read only its changed sections where that gives the same AST (bookbuild.sections)."""
    path = store / f"{_ast_key(markdown)}.json"
    try:
        return jsontext.loads(path.read_bytes())
    except (OSError, ValueError):
        pass
    doc = sections.parse(markdown, store / SECTIONS, what=what)
    if doc is None:
        doc = markdown_to_ast(markdown, what=what)
    store.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(jsontext.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
    return doc


def ensure_parsed(markdown: str, store: Path, *, what: str) -> None:
    """Parse into the store now (e.g. while other chapters execute) unless already there."""
    if not (store / f"{_ast_key(markdown)}.json").is_file():
        parse_cached(markdown, store, what=what)


def chapter_ids(doc: dict) -> set[str]:
    """Identifiers defined in a chapter AST (headers, divs, spans, figures, ...)."""
    return {a[0] for e in iter_elements(doc["blocks"]) if (a := attr_of(e)) and a[0]}


def _link_across_pages(chapters: list[ChapterDoc]) -> None:
    """`#id` links whose target lives on another page (e.g. citeproc's `#ref-x`) get that page.

    One pass per chapter finds its ids and its links; the links are then changed in place."""
    local: list[set[str]] = []
    links: list[list[dict]] = []
    for chapter in chapters:
        ids: set[str] = set()
        found: list[dict] = []
        for element in iter_elements(chapter.ast["blocks"]):
            if (a := attr_of(element)) and a[0]:
                ids.add(a[0])
            if element["t"] == "Link" and element["c"][2][0].startswith("#"):
                found.append(element)
        local.append(ids)
        links.append(found)
    owner: dict[str, ChapterRef] = {}
    for chapter, ids in zip(chapters, local, strict=True):
        for ident in ids:
            owner.setdefault(ident, chapter.ref)
    for chapter, ids, found in zip(chapters, local, links, strict=True):
        for link in found:
            target = link["c"][2]
            ident = target[0][1:]
            if ident and ident not in ids and ident in owner:
                target[0] = link_to(chapter.ref.href, owner[ident].href, ident)


_DAYJS = {"YYYY": "yyyy", "YY": "yy", "MMMM": "MMMM", "MMM": "MMM", "MM": "MM", "M": "M",
          "DD": "dd", "D": "d", "dddd": "EEEE", "ddd": "EEE"}


def display_date(project: Project) -> str | None:
    """The book date formatted with Quarto's `date-format` (dayjs tokens) in the book language."""
    raw = project.date
    book = project.raw.get("book") or {}
    fmt = book.get("date-format") or project.raw.get("date-format")
    parsed = parse_date(raw)
    if not raw or not fmt or parsed is None:
        return raw
    from babel.dates import format_date

    pattern = re.sub(r"YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd",
                     lambda m: _DAYJS[m.group(0)], str(fmt))
    return format_date(parsed, pattern, locale=project.lang.replace("-", "_"))


def parse_date(text: str | None) -> dt.date | None:
    """"2007", "2007-03" or "2007-03-15" as a date (missing parts = 1)."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", (text or "").strip())
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    return dt.date(year, month, day)
