"""The id of a chapter notebook's title (`# Tittel {#sec-id}`), read without a kernel.

    title_id(notebook) -> "sec-forord" | None
    check_edit_chapters(root) -> list[str]   # data/edits.yaml `chapters` against the notebooks

Records name chapters by these ids, so a chapter's code never opens another chapter's notebook
(which would re-execute it whenever that chapter's prose changes). The comparison is part of
the chapter lint (almreport.lint), not of the build's check hook: the hook's result is reused
until a file it read changes, and reading the notebooks would re-run it on every prose edit. A
build still stops on an id that names no chapter (an unknown cross reference).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from almreport.loader import Problem, RecordError, format_loc, load_record_with_lines
from almreport.schema.edits import Edits

EDITS_FILE = Path("data") / "edits.yaml"
_TITLE_ID = re.compile(r"^#\s+.*\{[^}]*#(sec-[^\s}]+)[^}]*\}\s*$", re.MULTILINE)


def title_id(notebook: Path) -> str | None:
    """The `#sec-` id of the notebook's title (its first markdown cell's `# ` heading)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            match = _TITLE_ID.search("".join(cell.get("source", "")))
            return match.group(1) if match else None
    return None


def check_edit_chapters(root: Path) -> list[str]:
    """Problems of edits.yaml's `chapters`: each id must be that notebook's title id.
    (A file that does not load is reported by the records check.)"""
    root = Path(root)
    try:
        edits, lines = load_record_with_lines(root / EDITS_FILE, Edits, root=root)
    except RecordError:
        return []
    problems = []
    for chapter, sec in edits.chapters.items():
        loc = ("chapters", chapter)
        path = root / chapter
        actual = title_id(path) if path.is_file() else None
        if actual == sec:
            continue
        problem = (f"no notebook {chapter}" if not path.is_file() else
                   f"{chapter}'s title has no #sec- id" if actual is None else
                   f"{chapter}'s title is #{actual}, not #{sec}")
        problems.append(str(Problem(EDITS_FILE.as_posix(), lines.line_of(loc),
                                    format_loc(loc), problem)))
    return problems
