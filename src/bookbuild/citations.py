"""Citations: citeproc once over the whole book, so numbering/disambiguation and the reference
list (placed in the chapter holding `::: {#refs}`, as in Quarto) cover every chapter."""

from __future__ import annotations

import re
from pathlib import Path

from bookbuild import jsontext
from bookbuild.convcache import TextCache
from bookbuild.crossref import xref_kind
from bookbuild.errors import BuildError
from bookbuild.pandoc import attr, document, el, iter_elements, meta_bool, meta_string, run
from bookbuild.project import ChapterRef, Project

MARKER = "bookbuild-chapter-"
MISSING = re.compile(r"citation (\S+) not found")
# citeproc locales are named by language and region; Quarto maps bare languages the same way.
REGIONS = {"nb": "nb-NO", "nn": "nn-NO", "no": "nb-NO", "en": "en-US", "sv": "sv-SE", "da": "da-DK"}


def citation_keys(doc: dict) -> list[str]:
    """Keys of the (non-crossref) citations in a chapter, in order of first use."""
    keys: dict[str, None] = {}
    for element in iter_elements(doc["blocks"]):
        if element["t"] == "Cite":
            for citation in element["c"][0]:
                if not xref_kind(citation["citationId"]):
                    keys[citation["citationId"]] = None
    return list(keys)


def nocite_keys(doc: dict) -> list[str]:
    """Keys listed in the chapter's `nocite` front matter (`@*` means every entry)."""
    found = iter_elements(doc.get("meta", {}).get("nocite", []))
    return [c["citationId"] for e in found if e["t"] == "Cite" for c in e["c"][0]
            if c["citationId"] != "*"]


def has_refs_div(doc: dict) -> bool:
    return any(e["t"] == "Div" and e["c"][0][0] == "refs" for e in iter_elements(doc["blocks"]))


def process_citations(project: Project, chapters: list[tuple[ChapterRef, dict]]) -> None:
    """Run citeproc over all chapters at once and put the results back (in place).

    citeproc gets only what it reads and rewrites: every Cite (in a Note if it is in one) and the
    `#refs` div, in document order; with an in-text style each rendered citation depends only on
    the citations and their order. The result is kept in <build_dir>/citeproc by content."""
    keys = {ref: citation_keys(doc) + nocite_keys(doc) for ref, doc in chapters}
    if not any(keys.values()) and not any(has_refs_div(doc) for _, doc in chapters):
        return
    bib = _bibliography(project, keys)
    meta = {
        "bibliography": meta_string(str(bib)),
        "lang": meta_string(citeproc_lang(project.lang)),
        "link-citations": meta_bool(True),
    }
    nocite = [doc["meta"]["nocite"] for _, doc in chapters if "nocite" in doc.get("meta", {})]
    if nocite:  # a chapter's front matter lists works to include uncited (pandoc's `nocite`)
        meta["nocite"] = {"t": "MetaList", "c": nocite}
    csl = project.raw.get("csl")
    csl_path = (project.root / str(csl)).resolve() if csl else None
    if csl_path is not None:
        meta["csl"] = meta_string(str(csl_path))
    if _note_style(csl_path):  # notes are placed by context: citeproc needs the whole text
        blocks = [el("Div", [attr(f"{MARKER}{i}"), doc["blocks"]])
                  for i, (_, doc) in enumerate(chapters)]
        out, stderr = _citeproc(project, document(blocks, meta), [bib, csl_path])
        _check_missing(stderr, keys, bib.name)
        _check_nocite(out, chapters)
        _split(out, chapters)
        return
    targets = [e for _, doc in chapters for e in _citeproc_targets(doc["blocks"], False)]
    items = [_wrap(element, in_note) for element, in_note in targets]
    out, stderr = _citeproc(project, document(items, meta), [bib, csl_path])
    _check_missing(stderr, keys, bib.name)
    _check_nocite(out, chapters)
    _splice(out, targets, chapters)


def _note_style(csl: Path | None) -> bool:
    """A CSL style whose citations are footnotes (class="note"); pandoc's default is in-text."""
    if csl is None or not csl.is_file():
        return False
    head = csl.read_text(encoding="utf-8", errors="replace")[:4000]
    return re.search(r"<style\b[^>]*\bclass=[\"']note[\"']", head) is not None


def _citeproc_targets(node, in_note: bool) -> list[tuple[dict, bool]]:
    """The Cite elements and `#refs` divs under `node` in document order, with whether each is
    inside a footnote (citeproc numbers citations by note)."""
    found: list[tuple[dict, bool]] = []
    if isinstance(node, list):
        for item in node:
            found.extend(_citeproc_targets(item, in_note))
    elif isinstance(node, dict) and "t" in node:
        t = node["t"]
        if t == "Cite" or (t == "Div" and node["c"][0][0] == "refs"):
            found.append((node, in_note))
        elif "c" in node:
            found.extend(_citeproc_targets(node["c"], in_note or t == "Note"))
    return found


def _wrap(element: dict, in_note: bool) -> dict:
    if element["t"] != "Cite":
        return element
    para = el("Para", [element])
    return el("Para", [el("Note", [para])]) if in_note else para


def _unwrap(block: dict, original: dict) -> dict:
    """The element citeproc made of `original` (wrapped as by _wrap)."""
    if original["t"] != "Cite":
        return block
    inner = block["c"][0]
    if inner["t"] == "Note":
        inner = inner["c"][0]["c"][0]
    return inner


def _splice(blocks: list, targets: list[tuple[dict, bool]],
            chapters: list[tuple[ChapterRef, dict]]) -> None:
    """Put citeproc's elements in place of the originals; a bibliography appended at the end
    goes to the last chapter."""
    for block, (original, _) in zip(blocks, targets, strict=False):
        new = _unwrap(block, original)
        original.clear()
        original.update(new)
    trailing = blocks[len(targets):]
    if trailing and chapters:
        chapters[-1][1]["blocks"].extend(trailing)


def _citeproc(project: Project, doc: dict, files: list[Path | None]) -> tuple[list, str]:
    """pandoc --citeproc over `doc`: (blocks, stderr), kept by `doc` and the files' content."""
    text = jsontext.dumps(doc)
    material = "\0".join([text, *(_content(f) for f in files)])
    cache = TextCache(project.build_dir / "citeproc")

    def run_citeproc() -> str:
        res = run(["-f", "json", "-t", "json", "--citeproc"], text, what="citeproc")
        blocks = jsontext.loads(res.stdout)["blocks"]
        return jsontext.dumps({"blocks": blocks, "stderr": res.stderr})

    result = jsontext.loads(cache.get(material, run_citeproc))
    cache.prune()
    return result["blocks"], result["stderr"]


def _content(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def citeproc_lang(lang: str) -> str:
    return REGIONS.get(lang.lower(), lang)


def _bibliography(project: Project, keys: dict[ChapterRef, list[str]]) -> Path:
    bib = project.bibliography
    if bib is not None and bib.is_file():
        return bib
    used = [(ref, k[0]) for ref, k in keys.items() if k]
    where = f"{used[0][0].path.as_posix()}: citation @{used[0][1]}: " if used else ""
    missing = "no `bibliography:` in _quarto.yml" if bib is None else f"{bib} not found"
    raise BuildError(f"{where}{missing}")


def _check_missing(stderr: str, keys: dict[ChapterRef, list[str]], bib_name: str) -> None:
    missing = MISSING.findall(stderr)
    if not missing:
        return
    problems = []
    for key in dict.fromkeys(missing):
        where = [ref.path.as_posix() for ref, used in keys.items() if key in used]
        problems.append(f"{', '.join(where) or '?'}: unknown citation key @{key} "
                        f"(not in {bib_name}: add the work there or correct the key)")
    raise BuildError("\n".join(problems))


def _check_nocite(blocks: list, chapters: list[tuple[ChapterRef, dict]]) -> None:
    """pandoc says nothing of a `nocite` key it does not know: look for its entry."""
    listed = {e["c"][0][0] for e in iter_elements(blocks) if e["t"] == "Div"}
    problems = [f"{ref.path.as_posix()}: unknown citation key @{key} (not in the bibliography)"
                for ref, doc in chapters for key in nocite_keys(doc)
                if f"ref-{key}" not in listed]
    if problems:
        raise BuildError("\n".join(problems))


def _split(blocks: list, chapters: list[tuple[ChapterRef, dict]]) -> None:
    """Undo the per-chapter wrapping; a bibliography appended at the end goes to the last one."""
    parts: dict[int, list] = {}
    trailing: list = []
    for block in blocks:
        ident = block["c"][0][0] if block["t"] == "Div" else ""
        if ident.startswith(MARKER):
            parts[int(ident[len(MARKER):])] = block["c"][1]
        else:
            trailing.append(block)
    for i, (_, doc) in enumerate(chapters):
        doc["blocks"] = parts[i]
    if trailing and chapters:
        chapters[-1][1]["blocks"].extend(trailing)
