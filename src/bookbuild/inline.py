"""Inline expressions `` `{python} expr` `` in markdown text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")
_MARKER = "{python}"


@dataclass(frozen=True)
class InlineExpr:
    start: int  # offset of the opening backtick in the text
    end: int  # offset just after the closing backtick
    code: str  # the Python expression


def find_inline(text: str) -> list[InlineExpr]:
    """All inline expressions outside fenced code blocks and other code spans, in order."""
    found: list[InlineExpr] = []
    for start, chunk in _prose_chunks(text):
        found.extend(_find_in_prose(chunk, start))
    return found


def has_inline(text: str) -> bool:
    return _MARKER in text and bool(find_inline(text))


def substitute(text: str, exprs: Sequence[InlineExpr], values: Sequence[str]) -> str:
    """Replace each expression span by its value (exprs as returned by find_inline)."""
    if len(exprs) != len(values):
        raise ValueError("one value per inline expression is required")
    parts: list[str] = []
    pos = 0
    for expr, value in zip(exprs, values, strict=True):
        parts.append(text[pos : expr.start])
        parts.append(value)
        pos = expr.end
    parts.append(text[pos:])
    return "".join(parts)


def _prose_chunks(text: str) -> list[tuple[int, str]]:
    """(offset, text) runs of lines outside fenced code blocks."""
    chunks: list[tuple[int, str]] = []
    fence: str | None = None
    chunk_start = offset = 0
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            chunks.append((chunk_start, text[chunk_start:offset]))
            fence = match.group(1)
        elif fence is not None and match and _closes(match.group(1), fence, line):
            fence = None
            chunk_start = offset + len(line)
        offset += len(line)
    if fence is None:
        chunks.append((chunk_start, text[chunk_start:]))
    return [(start, chunk) for start, chunk in chunks if chunk]


def _closes(marker: str, fence: str, line: str) -> bool:
    rest = line.strip()[len(marker) :]
    return marker[0] == fence[0] and len(marker) >= len(fence) and not rest.strip()


def _find_in_prose(chunk: str, base: int) -> list[InlineExpr]:
    """Code spans per CommonMark: a run of N backticks closes at the next run of exactly N."""
    found: list[InlineExpr] = []
    pos = 0
    while (opening := _BACKTICKS.search(chunk, pos)) is not None:
        width = len(opening.group())
        closing = _next_run(chunk, opening.end(), width)
        if closing is None:
            pos = opening.end()
            continue
        content = chunk[opening.end() : closing]
        if width == 1 and content.startswith(_MARKER):
            code = content[len(_MARKER) :].strip()
            if code:
                found.append(InlineExpr(base + opening.start(), base + closing + 1, code))
        pos = closing + width
    return found


def _next_run(chunk: str, pos: int, width: int) -> int | None:
    for run in _BACKTICKS.finditer(chunk, pos):
        if len(run.group()) == width:
            return run.start()
    return None
