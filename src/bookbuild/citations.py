"""Citations: citeproc once over the whole book, so numbering/disambiguation and the reference
list (placed in the chapter holding `::: {#refs}`, as in Quarto) cover every chapter."""

from __future__ import annotations

import re
from pathlib import Path

from bookbuild.crossref import xref_kind
from bookbuild.errors import BuildError
from bookbuild.pandoc import attr, document, el, filter_ast, iter_elements, meta_bool, meta_string
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
    """Run citeproc over all chapters at once and put the results back (in place)."""
    keys = {ref: citation_keys(doc) + nocite_keys(doc) for ref, doc in chapters}
    if not any(keys.values()) and not any(has_refs_div(doc) for _, doc in chapters):
        return
    bib = _bibliography(project, keys)
    blocks = [el("Div", [attr(f"{MARKER}{i}"), doc["blocks"]])
              for i, (_, doc) in enumerate(chapters)]
    meta = {
        "bibliography": meta_string(str(bib)),
        "lang": meta_string(citeproc_lang(project.lang)),
        "link-citations": meta_bool(True),
    }
    nocite = [doc["meta"]["nocite"] for _, doc in chapters if "nocite" in doc.get("meta", {})]
    if nocite:  # a chapter's front matter lists works to include uncited (pandoc's `nocite`)
        meta["nocite"] = {"t": "MetaList", "c": nocite}
    csl = project.raw.get("csl")
    if csl:
        meta["csl"] = meta_string(str((project.root / str(csl)).resolve()))
    out, stderr = filter_ast(document(blocks, meta), ["--citeproc"], what="citeproc")
    _check_missing(stderr, keys, bib.name)
    _check_nocite(out["blocks"], chapters)
    _split(out["blocks"], chapters)


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
