"""Executed notebook cells -> pandoc markdown (like Quarto's intermediate `.md`)."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_TYPES = (("image/svg+xml", ".svg"), ("image/png", ".png"))
_BACKTICK_RUN = re.compile(r"`{3,}")
# Fenced div lines: an opening one may carry an id (`::: {#fig-x}`), a closing one is bare.
_DIV_LINE = re.compile(r"^:::+\s*(?:\{(?P<attrs>[^}]*)\})?\s*(?P<cls>[\w-]+)?\s*$", re.M)
_CROSSREF_ID = re.compile(r"#((?:fig|tbl)-[\w-]+)")


@dataclass
class CellResult:
    """One notebook cell after execution."""

    number: int  # 1-based position in the notebook (as a reader counts cells)
    cell_type: str  # "markdown" | "code" | "raw"
    source: str  # markdown: inline values substituted; code: without `#|` lines
    options: dict = field(default_factory=dict)  # cell options merged over `execute:`
    outputs: list[dict] = field(default_factory=list)
    div_label: str | None = None  # id of the crossref div (`::: {#fig-x}`) around this cell


@dataclass
class RenderedChapter:
    markdown: str
    figures: list[Path]  # images the markdown refers to (a PNG twin sits next to each SVG)
    labelled: list[str]  # figure names that are cell labels (published to figures/)


def render_chapter(
    cells: list[CellResult], stem: str, figures_dir: Path, root: Path
) -> RenderedChapter:
    out = RenderedChapter("", [], [])
    _mark_enclosing_divs(cells)
    blocks = [_render_cell(cell, stem, figures_dir, root, out) for cell in cells]
    out.markdown = "\n\n".join(b for b in blocks if b.strip()) + "\n"
    return out


def _mark_enclosing_divs(cells: list[CellResult]) -> None:
    """A crossref div may open in one markdown cell and close in a later one (Quarto's way to
    give a computed caption to a code cell's figure); its figures are then named by its id."""
    stack: list[str | None] = []
    for cell in cells:
        if cell.cell_type == "code":
            cell.div_label = next((label for label in reversed(stack) if label), None)
            continue
        if cell.cell_type != "markdown":
            continue
        for match in _DIV_LINE.finditer(cell.source):
            if match["attrs"] is None and match["cls"] is None:
                if stack:
                    stack.pop()
                continue
            found = _CROSSREF_ID.search(match["attrs"] or "")
            stack.append(found.group(1) if found else None)


def _render_cell(
    cell: CellResult, stem: str, fig_dir: Path, root: Path, out: RenderedChapter
) -> str:
    if cell.cell_type == "markdown":
        return cell.source.strip("\n")
    if cell.cell_type == "raw":
        return cell.source
    opts = cell.options
    if opts.get("include") is False:
        return ""
    parts: list[str] = []
    if opts.get("echo") is True and cell.source.strip():
        parts.append(fenced(cell.source.rstrip(), "python"))
    if opts.get("output", True) is not False:
        rendered = _render_outputs(cell, stem, fig_dir, root, out)
        if rendered:
            parts.append(_wrap_crossref(rendered, opts))
    return "\n\n".join(parts)


def _render_outputs(
    cell: CellResult, stem: str, fig_dir: Path, root: Path, out: RenderedChapter
) -> str:
    opts = cell.options
    asis = opts.get("output") == "asis"
    show_stderr = opts.get("warning", True) is not False
    parts: list[str] = []
    for output in _coalesced(cell.outputs, show_stderr):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_render_stream(output, asis))
        elif kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            if any(mime in data for mime, _ in IMAGE_TYPES):
                parts.append(_render_image(data, cell, stem, fig_dir, root, out))
            else:
                parts.append(_render_text_data(data, asis))
    return "\n\n".join(p for p in parts if p.strip())


def _coalesced(outputs: list[dict], show_stderr: bool) -> list[dict]:
    """Drop stderr when warnings are off and join adjacent chunks of the same stream (a kernel
    may split one print-out over several messages, which must not split a markdown table)."""
    merged: list[dict] = []
    for output in outputs:
        if output.get("output_type") == "stream":
            if output.get("name") == "stderr" and not show_stderr:
                continue
            last = merged[-1] if merged else {}
            if last.get("output_type") == "stream" and last.get("name") == output.get("name"):
                last["text"] = _joined(last["text"]) + _joined(output.get("text", ""))
                continue
            output = {**output, "text": _joined(output.get("text", ""))}
        merged.append(output)
    return merged


def _render_stream(output: dict, asis: bool) -> str:
    text = output["text"]
    if output.get("name") == "stderr":
        return fenced(text.rstrip("\n"), ".cell-output .cell-output-stderr")
    return text.strip("\n") if asis else fenced(text.rstrip("\n"), ".cell-output")


def _render_text_data(data: dict, asis: bool) -> str:
    if "text/markdown" in data:
        return _joined(data["text/markdown"]).strip("\n")
    if "text/plain" in data:
        text = _joined(data["text/plain"])
        return text.strip("\n") if asis else fenced(text.rstrip("\n"), ".cell-output")
    return ""


def _render_image(
    data: dict, cell: CellResult, stem: str, fig_dir: Path, root: Path, out: RenderedChapter
) -> str:
    label = cell.options.get("label") or cell.div_label
    base = re.compile(re.escape(_figure_base(cell, stem)) + r"(-\d+)?")
    k = sum(1 for f in out.figures if base.fullmatch(f.stem)) + 1
    name = _figure_name(cell, stem, k)
    written: list[Path] = []
    for mime, suffix in IMAGE_TYPES:
        if mime in data:
            path = fig_dir / f"{name}{suffix}"
            payload = data[mime]
            content = _joined(payload).encode() if suffix == ".svg" else base64.b64decode(payload)
            write_if_changed(path, content)
            written.append(path)
    shown = written[0]  # SVG when there is one
    out.figures.append(shown)
    if label:
        out.labelled.append(name)
    target = Path(os.path.relpath(shown, root)).as_posix()
    caption = "" if cell.options.get("label") else str(cell.options.get("fig-cap") or "")
    return f"![{caption}]({target}){_alt_attr(cell.options.get('fig-alt'))}"


def _figure_base(cell: CellResult, stem: str) -> str:
    return str(cell.options.get("label") or cell.div_label or f"{stem}-cell{cell.number}")


def _figure_name(cell: CellResult, stem: str, k: int) -> str:
    label = cell.options.get("label") or cell.div_label
    if label:
        return str(label) if k == 1 else f"{label}-{k}"
    return f"{stem}-cell{cell.number}-{k}"


def _alt_attr(alt: object) -> str:
    if not alt:
        return ""
    text = str(alt).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'{{fig-alt="{text}"}}'


def _wrap_crossref(body: str, opts: dict) -> str:
    label = opts.get("label")
    caption = opts.get("fig-cap") or opts.get("tbl-cap")
    if not label or not caption:
        return body
    caption = " ".join(str(caption).split())
    return f"::: {{#{label}}}\n{body}\n\n{caption}\n:::"


def fenced(text: str, info: str) -> str:
    """A fenced code block that is longer than any backtick run inside `text`."""
    longest = max((len(m.group()) for m in _BACKTICK_RUN.finditer(text)), default=2)
    fence = "`" * max(3, longest + 1)
    attrs = info if not info.startswith(".") else "{" + info + "}"
    return f"{fence}{attrs}\n{text}\n{fence}"


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def write_if_changed(path: Path, content: bytes) -> None:
    """Atomic write that leaves an identical file (and its mtime) alone."""
    if path.is_file() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
