"""Run the pandoc binary shipped by the `pypandoc-binary` wheel (JSON AST in and out)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bookbuild import jsontext
from bookbuild.errors import BuildError

# Pandoc markdown as Quarto reads it; these are pandoc defaults, listed to make them explicit.
MARKDOWN = (
    "markdown+footnotes+fenced_divs+bracketed_spans+pipe_tables+implicit_figures"
    "+link_attributes+header_attributes+citations+tex_math_dollars"
)


@dataclass
class PandocResult:
    stdout: str
    stderr: str


@cache
def pandoc_path() -> str:
    """The binary the pypandoc-binary wheel ships, found without importing pypandoc (whose
    import costs more than a whole no-op build's other work); pypandoc's own search else."""
    spec = importlib.util.find_spec("pypandoc")
    name = "pandoc.exe" if os.name == "nt" else "pandoc"
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "files" / name
        if candidate.is_file():
            return str(candidate)
    import pypandoc

    return pypandoc.get_pandoc_path()


# GHC runtime options for pandoc: a larger allocation area (32 MB) saves pandoc a
# quarter of its time writing a long chapter (fewer garbage collections; small ones are not
# slower). A binary built without -rtsopts refuses them: probed once.
RTS_OPTIONS = ["+RTS", "-A32m", "-RTS"]


@cache
def _rts_options() -> list[str]:
    probe = subprocess.run([pandoc_path(), *RTS_OPTIONS, "--version"], capture_output=True,
                           check=False)
    return RTS_OPTIONS if probe.returncode == 0 else []


def run(args: list[str], stdin: str, *, what: str = "pandoc") -> PandocResult:
    """Run pandoc with `args`, feeding `stdin`; a failure becomes a BuildError naming `what`."""
    proc = subprocess.run(
        [pandoc_path(), *_rts_options(), *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise BuildError(f"{what}: pandoc failed: {stderr.strip()}")
    return PandocResult(proc.stdout.decode("utf-8"), stderr)


def markdown_to_ast(markdown: str, *, what: str = "pandoc") -> dict:
    """Parse pandoc markdown into a pandoc JSON document."""
    return jsontext.loads(run(["-f", MARKDOWN, "-t", "json"], markdown, what=what).stdout)


def filter_ast(doc: dict, args: list[str], *, what: str = "pandoc") -> tuple[dict, str]:
    """JSON -> JSON through pandoc with extra `args` (e.g. --citeproc); returns (doc, stderr)."""
    res = run(["-f", "json", "-t", "json", *args], jsontext.dumps(doc), what=what)
    return jsontext.loads(res.stdout), res.stderr


def ast_to(doc: dict, to: str, args: list[str] | None = None, *, what: str = "pandoc") -> str:
    """Write a pandoc JSON document in format `to` (e.g. "typst-citations", "html5")."""
    return run(["-f", "json", "-t", to, *(args or [])], jsontext.dumps(doc), what=what).stdout


def document(blocks: list, meta: dict | None = None, api: list | None = None) -> dict:
    """A pandoc JSON document around `blocks`."""
    return {"pandoc-api-version": api or api_version(), "meta": meta or {}, "blocks": blocks}


@cache
def api_version() -> list:
    return jsontext.loads(run(["-f", "markdown", "-t", "json"], "").stdout)["pandoc-api-version"]


def version() -> str:
    first = run(["--version"], "").stdout.splitlines()[0]
    return first.split()[-1]


def meta_string(text: str) -> dict:
    return {"t": "MetaString", "c": text}


def meta_bool(value: bool) -> dict:
    return {"t": "MetaBool", "c": value}


# --- AST helpers -------------------------------------------------------------------------

Element = dict
Attr = list  # [id, [classes], [[key, value], ...]]


def walk(node, fn):
    """Rebuild `node` bottom-up, applying `fn` to every element ({"t": ...}) found in a list.

    `fn` returns None to keep the element, an element to replace it, or a list to splice in.
    Lists and elements with content are new objects (fn may change them); other dicts (e.g. a
    Cite's citations) are shared with `node`.
    """
    if type(node) is list:
        out: list = []
        for item in node:
            kind = type(item)
            if kind is dict:
                if "c" in item:
                    content = item["c"]
                    nested = type(content) is list or type(content) is dict
                    item = {**item, "c": walk(content, fn) if nested else content}
                if "t" in item:
                    result = fn(item)
                    if type(result) is list:
                        out.extend(result)
                        continue
                    if result is not None:
                        item = result
            elif kind is list:
                item = walk(item, fn)
            out.append(item)
        return out
    if type(node) is dict and "c" in node:
        return {**node, "c": walk(node["c"], fn)}
    return node


def walk_in_place(node, fn) -> None:
    """`walk` that changes `node` itself instead of rebuilding it, for a caller that owns the
    tree: `fn` gets the same elements in the same order (bottom-up) and its result is used the
    same way, but only the lists where an element is replaced change."""
    if type(node) is dict:
        if "c" in node:
            walk_in_place(node["c"], fn)
        return
    if type(node) is not list:
        return
    i = 0
    while i < len(node):
        item = node[i]
        kind = type(item)
        if kind is dict:
            if "c" in item:
                content = item["c"]
                if type(content) is list or type(content) is dict:
                    walk_in_place(content, fn)
            if "t" in item:
                result = fn(item)
                if type(result) is list:
                    node[i:i + 1] = result
                    i += len(result)
                    continue
                if result is not None:
                    node[i] = result
        elif kind is list:
            walk_in_place(item, fn)
        i += 1


def iter_elements(node):
    """Every element under `node` in document order (pre-order); safe to mutate in place.

    An explicit stack (not nested generators): the book's ASTs are deep and this runs often."""
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if type(item) is list:
            extend(reversed(item))
        elif type(item) is dict:
            if "t" in item:
                yield item  # the caller may change it: its content is read after this
            if "c" in item:
                push(item["c"])


def copy_ast(node):
    """A deep copy of JSON data (dicts, lists, scalars), much faster than copy.deepcopy."""
    if type(node) is list:
        return [copy_ast(item) for item in node]
    if type(node) is dict:
        return {key: copy_ast(value) for key, value in node.items()}
    return node


def stringify(node) -> str:
    """Plain text of inlines/blocks (footnotes left out)."""
    parts: list[str] = []

    def visit(n) -> None:
        if isinstance(n, list):
            for item in n:
                visit(item)
            return
        if not isinstance(n, dict) or "t" not in n:
            return
        t, c = n["t"], n.get("c")
        if t == "Str":
            parts.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif t in ("Code", "Math", "RawInline"):
            parts.append(c[1] if t != "RawInline" else "")
        elif t == "Note":
            return
        elif t in ("Link", "Image", "Span", "Cite", "Quoted"):
            visit(c[1])
        elif t in ("Para", "Plain", "Header"):
            visit(c)
            parts.append(" ")
        elif isinstance(c, list):
            visit(c)

    visit(node)
    return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()  # keeps non-breaking spaces


def attr(ident: str = "", classes: list[str] | None = None,
         kvs: list[list[str]] | None = None) -> Attr:
    return [ident, list(classes or []), [list(kv) for kv in (kvs or [])]]


def el(t: str, c=None) -> Element:
    return {"t": t} if c is None else {"t": t, "c": c}


def text_inlines(text: str) -> list[Element]:
    """Inlines for `text`: words as Str, ordinary spaces as Space (non-breaking spaces kept)."""
    out: list[Element] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append(el("Space"))
        if word:
            out.append(el("Str", word))
    return out


_ATTR_AT = {"Header": 1, "Div": 0, "Span": 0, "Figure": 0, "Table": 0, "CodeBlock": 0,
            "Code": 0, "Link": 0, "Image": 0}


def attr_of(element: Element) -> Attr | None:
    """The Attr of an element that has one (Header, Div, Span, Figure, Table, CodeBlock, ...)."""
    at = _ATTR_AT.get(element["t"])
    return None if at is None else element["c"][at]
