"""Parse a chapter's markdown section by section, keeping each section's AST by its text, so
that an edit has pandoc read only the sections it touched (a data edit changes a table or a
sentence; the rest of a long chapter is as it was).

The result must be the AST pandoc makes of the whole text. Reading sections apart differs in
what pandoc carries from one part of a text to the next, and each such thing is handled:

- note numbers (`citationNoteNum`: each footnote and each citation outside one counts): every
  section is numbered from 0 and shifted by the count of the sections before it;
- header identifiers (pandoc makes an identifier unique against the ones before it), header
  references (`[Header text]`), reference links and footnotes defined elsewhere, example
  lists, LaTeX macros, metadata blocks: where the text has any of these across sections, or
  could have, `parse` returns None and the caller parses the whole text.

Sections start at a level-1..6 ATX header (`#`) outside fenced code and fenced divs, after a
blank line. Text that could hide such a line from this scan (raw HTML or TeX, YAML blocks) is
not split.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bookbuild.memo import JsonMemo
from bookbuild.pandoc import MARKDOWN, copy_ast, iter_elements, markdown_to_ast, stringify

SENTINEL_ID = "bookbuild-section-end"
# After each section in one pandoc run: a div of its own, whose citation shows the note count.
SENTINEL = f"::: {{.{SENTINEL_ID}}}\n[@{SENTINEL_ID}]\n:::"

_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_DIV_OPEN = re.compile(r":{3,}\s*[^:\s]")
_DIV_CLOSE = re.compile(r":{3,}\s*$")
_HEADER = re.compile(r"#{1,6}(\s|$)")
# What pandoc reads across the whole text (example lists, LaTeX macros), or what this scan
# cannot see through (raw HTML or TeX, YAML blocks: the checks of the parsed sections find
# these too, after a parse that is then wasted).
_UNSPLIT = re.compile(
    r"^ {0,3}<|\\begin\{|^(---|\.\.\.)\s*$|^\s*\(@[\w-]*\)\s"
    r"|\\(re)?new(command|environment)|\\def\b|\\let\b",
    re.MULTILINE,
)
_NO_TEXT = frozenset({"Code", "Math", "RawInline", "RawBlock", "CodeBlock"})
_DEFINITION = re.compile(r"^ {0,3}\[(\^?)([^\]]+)\]:", re.MULTILINE)
_NOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def split(markdown: str) -> list[str] | None:
    """The sections of `markdown`, or None when it must be read whole."""
    if _UNSPLIT.search(markdown) or not _definitions_allow_split(markdown):
        return None
    sections: list[list[str]] = [[]]
    automatic: list[str] = []  # identifiers pandoc would derive (headers without their own)
    fence = ""
    depth = 0
    blank_before = True
    for line in markdown.split("\n"):
        if fence:
            if line.lstrip(" ").startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
        elif match := _FENCE.match(line):
            fence = match.group(1)
        elif _DIV_CLOSE.match(line):
            depth = max(depth - 1, 0)
        elif _DIV_OPEN.match(line):
            depth += 1
        elif _HEADER.match(line):
            if "{#" not in line:
                automatic.append(_automatic_id(line))
            if depth == 0 and blank_before and sections[-1]:
                sections.append([])
        sections[-1].append(line)
        blank_before = not line.strip()
    if fence or depth or len(set(automatic)) != len(automatic):
        return None  # unclosed; or pandoc would number a repeated header's identifier
    return ["\n".join(lines) for lines in sections]


def _automatic_id(header_line: str) -> str:
    """Near enough to the identifier pandoc derives from a header's text (its leading
    non-letters dropped, attributes not part of it) to see two that would be the same."""
    text = re.sub(r"\{[^}]*\}\s*$", "", header_line.lstrip("#"))
    return _label(re.sub(r"^[\W\d_]+", "", text))


def _definitions_allow_split(markdown: str) -> bool:
    """Each reference and footnote label defined once: pandoc reads the last definition of a
    label for the whole text, a section its own."""
    labels = Counter((caret, _label(label)) for caret, label in _DEFINITION.findall(markdown))
    return all(n == 1 for n in labels.values())


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def parse(markdown: str, store: Path, *, what: str) -> dict | None:
    """The AST of `markdown` from its sections (kept in `store`, parsed when new); None
    when the text must be parsed whole."""
    sections = split(markdown)
    if sections is None or len(sections) < 2:
        return None
    memo = JsonMemo(store)
    stored = {text: memo.find(_material(text)) for text in set(sections)}
    missing = [text for text in dict.fromkeys(sections) if stored[text] is None]
    if missing:
        parsed = _parse_apart(missing, what=what)
        if parsed is None:
            return None
        for text, entry in zip(missing, parsed, strict=True):
            memo.put(_material(text), entry)
            stored[text] = entry
    entries = [stored[text] for text in sections]
    if not _same_as_whole(entries, markdown):
        return None
    used: set[str] = set()  # the caller changes the AST: a section there twice is copied
    for i, text in enumerate(sections):
        if text in used:
            entries[i] = {**entries[i], "blocks": copy_ast(entries[i]["blocks"])}
        used.add(text)
    return _join(entries)


def prune(store: Path, markdowns: list[str]) -> None:
    """Remove the kept sections none of `markdowns` has."""
    memo = JsonMemo(store)
    for markdown in markdowns:
        sections = split(markdown)
        for text in sections if sections and len(sections) > 1 else []:
            memo.keep(_material(text))
    memo.prune()


def _material(text: str) -> str:
    return f"section\0{MARKDOWN}\0{text}"


def _parse_apart(texts: list[str], *, what: str) -> list[dict] | None:
    """Each text's blocks as pandoc reads it alone, from one pandoc run: a sentinel after each
    text marks where it ends and how many notes it counted. None when a text's reading
    depends on another's (then the texts' AST cannot be told from their reading alone)."""
    doc = markdown_to_ast("\n\n".join(f"{text}\n\n{SENTINEL}" for text in texts), what=what)
    entries: list[dict] = []
    blocks: list = []
    before = 0  # the note count at the start of the current text
    for block in doc["blocks"]:
        number = _sentinel_number(block)
        if number is None:
            blocks.append(block)
            continue
        entries.append(_entry(doc["pandoc-api-version"], blocks, number - 1 - before, before))
        blocks, before = [], number
    if blocks or len(entries) != len(texts) or doc["meta"]:
        return None
    if not all(_reads_alone(text, entry) for text, entry in zip(texts, entries, strict=True)):
        return None
    if _renamed_or_repeated([i for e in entries for i, _ in e["headers"]]):
        return None  # pandoc made an identifier unique against another text's
    return entries


def _entry(api: list, blocks: list, notes: int, before: int) -> dict:
    """A section as stored: its blocks numbered as if alone, its note count, and what the
    checks read (link targets, header identifiers and texts, whether a bracket was left
    unread), found in one walk."""
    targets: list[str] = []
    headers: list[list[str]] = []
    cites = brackets = False
    stack: list = [blocks]
    while stack:
        item = stack.pop()
        if type(item) is list:
            stack.extend(item)
            continue
        if type(item) is not dict or "t" not in item:
            continue
        kind = item["t"]
        if kind == "Str":
            brackets = brackets or "[" in item["c"] or "]" in item["c"]
        elif kind == "Cite":  # its own text is the citation as written, brackets and all
            cites = True
            for citation in item["c"][0]:
                citation["citationNoteNum"] -= before
        elif kind in _NO_TEXT:
            pass
        else:
            if kind in ("Link", "Image"):
                targets.append(item["c"][2][0])
            elif kind == "Header":
                headers.append([item["c"][1][0], stringify(item["c"][2])])
            if "c" in item:
                stack.append(item["c"])
    return {"api": api, "blocks": blocks, "notes": notes, "cites": cites, "headers": headers,
            "brackets": brackets, "targets": targets}


def _sentinel_number(block: dict) -> int | None:
    if block["t"] != "Div" or SENTINEL_ID not in block["c"][0][1]:
        return None
    cites = [e for e in iter_elements(block["c"][1]) if e["t"] == "Cite"]
    return cites[0]["c"][0][0]["citationNoteNum"] if len(cites) == 1 else None


def _reads_alone(text: str, entry: dict) -> bool:
    """Whether nothing in `blocks` came from another text: every link target is written in
    this text (not taken from a reference or a header elsewhere), and every footnote it
    refers to is defined in it."""
    if any(target not in text for target in entry["targets"]):
        return False
    defined = {_label(label) for caret, label in _DEFINITION.findall(text) if caret}
    return all(_label(ref) in defined for ref in _NOTE_REF.findall(text))


def _join(entries: list[dict]) -> dict:
    blocks: list = []
    notes = 0
    for entry in entries:
        if notes and entry["cites"]:
            for element in iter_elements(entry["blocks"]):
                if element["t"] == "Cite":
                    for citation in element["c"][0]:
                        citation["citationNoteNum"] += notes
        blocks.extend(entry["blocks"])
        notes += entry["notes"]
    return {"pandoc-api-version": entries[0]["api"], "meta": {}, "blocks": blocks}


def _same_as_whole(entries: list[dict], markdown: str) -> bool:
    """Whether pandoc reading the whole text would have read each section as it did alone: no
    identifier it would have made unique, no bracket left unread (a reference, header or
    footnote defined in another section), and no `[Header text]` that could mean a header
    whose text another header has too (pandoc would link it to the first)."""
    headers = [header for entry in entries for header in entry["headers"]]
    if _renamed_or_repeated([i for i, _ in headers]) or any(e["brackets"] for e in entries):
        return False
    twice = [text for text, n in Counter(_label(t) for _, t in headers).items() if n > 1]
    text = _label(markdown) if twice else ""
    return not any(f"[{header}]" in text for header in twice)


def _renamed_or_repeated(ids: list[str]) -> bool:
    seen = set(ids)
    if len(seen) != len(ids):
        return True
    return any((m := re.fullmatch(r"(.+)-\d+", i)) and m.group(1) in seen for i in ids)
