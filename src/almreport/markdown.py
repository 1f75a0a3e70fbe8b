"""Data text as literal pandoc markdown: escaping and pipe tables.

Text from data/ must print as written: a `*`, `|`, `<script>` or `@name` in a record is text,
not emphasis, a table column, raw HTML or a citation. Pandoc lets a backslash escape any ASCII
punctuation, so every character with a markdown meaning is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters with an inline meaning in pandoc markdown (emphasis, code, links, raw HTML,
# entities, citations, math, sub/superscript, strike-out, attributes, table cells).
_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|~^$@&#!\"])")
# At the start of a line these begin a block (list, heading, quote, ordered list "1.").
_LINE_START = re.compile(r"^(\s*)([-+:=]|\d+[.)])", re.MULTILINE)


def escape(text: str) -> str:
    """`text` as pandoc markdown that renders literally (inline; newlines become spaces)."""
    flat = " ".join(str(text).split())
    escaped = _SPECIAL.sub(r"\\\1", flat)
    return _LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), escaped)


def escape_block(text: str) -> str:
    """Like `escape`, but keeps paragraphs (blank-line separated) apart."""
    paragraphs = re.split(r"\n\s*\n", str(text).strip())
    return "\n\n".join(escape(p) for p in paragraphs if p.strip())


def _escape_marker(marker: str) -> str:
    if marker[-1] in ".)":  # "1." -> "1\." so it is not an ordered list
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def pipe_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               align: Sequence[str], widths: Sequence[int] | None = None) -> str:
    """A pandoc pipe table from cells that are already markdown.

    `align` per column: "l", "r" or "c". `widths` are relative column widths (the dash counts
    of the separator line, which pandoc uses when a row is wider than the page).
    """
    if not (len(header) == len(align) and all(len(r) == len(header) for r in rows)):
        raise ValueError("header, align and every row must have the same number of columns")
    widths = widths or [max(3, len(h)) for h in header]
    seps = [_separator(a, w) for a, w in zip(align, widths, strict=True)]
    lines = [_row(header), _row(seps), *(_row(r) for r in rows)]
    return "\n".join(lines)


def _separator(align: str, width: int) -> str:
    dashes = "-" * max(3, width)
    return {"l": ":" + dashes, "r": dashes + ":", "c": ":" + dashes + ":"}[align]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
