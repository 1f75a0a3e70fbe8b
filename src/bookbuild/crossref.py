"""Quarto-style cross references over a whole book.

Pass 1 (`number_book`): crossref divs and labelled tables become pandoc Figure blocks; chapters,
sections, figures and tables get their numbers (stored in the AST: a `number` attribute plus a
`header-section-number` / `caption-number` span that writers may show or strip).
Pass 2 (`resolve_references`): `@fig-x`, `@tbl-x`, `@sec-x` become links to the page holding the
target, and `::: {#lof}` / `::: {#lot}` placeholders become lists of figures/tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from bookbuild.errors import BuildError
from bookbuild.pandoc import attr, el, iter_elements, stringify, text_inlines, walk_in_place
from bookbuild.project import ChapterRef

NBSP = "\u00a0"
KINDS = ("fig", "tbl")
XREF_KINDS = ("fig", "tbl", "sec")
LIST_PLACEHOLDERS = {"lof": "fig", "list-of-figures": "fig", "lot": "tbl", "list-of-tables": "tbl"}
NUMBER_CLASS = "header-section-number"
CAPTION_NUMBER_CLASS = "caption-number"
XREF_CLASS = "quarto-xref"


class TocEntry(NamedTuple):
    level: int
    number: str | None
    title: str
    id: str


class CaptionEntry(NamedTuple):
    label: str
    number: str
    caption: str
    href: str  # project-relative page + "#label"


@dataclass
class Target:
    label: str
    kind: str  # "fig" | "tbl" | "sec"
    number: str | None
    title: str  # caption or heading text
    href: str  # project-relative page holding the target
    level: int = 0  # heading level for "sec"
    appendix: bool = False


@dataclass
class ChapterInfo:
    number: str | None
    title: str
    toc: list[TocEntry] = field(default_factory=list)


@dataclass
class Crossrefs:
    chapters: list[ChapterInfo]
    targets: dict[str, Target]
    figures: list[CaptionEntry]
    tables: list[CaptionEntry]


def xref_kind(label: str) -> str | None:
    """"fig"/"tbl"/"sec" when `label` is a cross-reference label (Quarto allows `@Fig-x`)."""
    head, _, rest = label.partition("-")
    kind = head.lower()
    return kind if kind in XREF_KINDS and rest else None


def link_to(from_page: str, to_page: str, ident: str) -> str:
    """Link to `ident` on page `to_page`: "#id" on the same page, else project-relative
    "chapters/x.html#id" (writers make it page-relative)."""
    return f"#{ident}" if from_page == to_page else f"{to_page}#{ident}"


# --- pass 1: figures and numbers ------------------------------------------------------------


def number_book(language: dict[str, str], chapters: list[tuple[ChapterRef, dict]]) -> Crossrefs:
    """Number chapters, sections, figures and tables of all chapters (ASTs changed in place)."""
    result = Crossrefs([], {}, [], [])
    counters = {False: 0, True: 0}  # keyed by ChapterRef.appendix
    for ref, doc in chapters:
        walk_in_place(doc["blocks"], _as_figure)
        result.chapters.append(_number_chapter(ref, doc, counters, language, result))
    return result


def _as_figure(element: dict) -> dict | None:
    t = element["t"]
    if t == "Div" and _label_kind(element["c"][0][0]) in KINDS:
        return _div_to_figure(element)
    if t == "Table" and _label_kind(element["c"][0][0]) == "tbl":
        return _table_to_figure(element)
    return None


def _label_kind(label: str) -> str | None:
    return xref_kind(label) if label[:1].islower() else None


def _div_to_figure(div: dict) -> dict:
    (ident, classes, kvs), blocks = div["c"]
    caption: list = []
    content = list(blocks)
    if len(content) >= 2 and content[-1]["t"] in ("Para", "Plain"):
        caption = content.pop()["c"]
    if len(content) == 1 and content[0]["t"] == "Figure" and not content[0]["c"][0][0]:
        inner = content[0]["c"]
        caption = caption or _caption_inlines(inner[1])
        content = inner[2]
    elif len(content) == 1 and content[0]["t"] == "Table" and not caption:
        caption = _caption_inlines(content[0]["c"][1])
    # the figure's caption replaces any caption of the tables it holds
    content = [_without_caption(b) if b["t"] == "Table" else b for b in content]
    return _figure(attr(ident, classes, kvs), caption, content)


def _table_to_figure(table: dict) -> dict:
    ident, classes, kvs = table["c"][0]
    caption = _caption_inlines(table["c"][1])
    inner = _without_caption(table)
    inner["c"][0] = attr("", classes, kvs)
    return _figure(attr(ident), caption, [inner])


def _figure(figure_attr: list, caption: list, content: list) -> dict:
    return el("Figure", [figure_attr, [None, [el("Plain", caption)] if caption else []], content])


def _caption_inlines(caption: list) -> list:
    inlines: list = []
    for block in caption[1]:
        if block["t"] in ("Para", "Plain"):
            if inlines:
                inlines.append(el("Space"))
            inlines.extend(block["c"])
    return inlines


def _without_caption(table: dict) -> dict:
    c = list(table["c"])
    c[1] = [None, []]
    return {"t": "Table", "c": c}


def _number_chapter(ref: ChapterRef, doc: dict, counters: dict[bool, int],
                    language: dict[str, str], result: Crossrefs) -> ChapterInfo:
    headers = [e for e in iter_elements(doc["blocks"]) if e["t"] == "Header"]
    title_header = headers[0] if headers else None
    numbered = title_header is not None and "unnumbered" not in title_header["c"][1][1]
    number: str | None = None
    if numbered:
        counters[ref.appendix] += 1
        number = str(counters[ref.appendix])
    info = ChapterInfo(number, stringify(title_header["c"][2]) if title_header else ref.path.stem)
    if title_header is not None:
        shown = f"{language['crossref-apx-prefix']}{NBSP}{number}" if ref.appendix else number
        _set_header_number(title_header, number, shown)
        _add_section_target(title_header, ref, number, result)
    sections = [0] * 7
    for header in headers[1:]:
        level, (ident, classes, _kvs), inlines = header["c"]
        sec_number = None
        if number is None:
            if "unnumbered" not in classes:
                classes.append("unnumbered")  # sections of unnumbered chapters stay unnumbered
        elif "unnumbered" not in classes:
            sections[level] += 1
            sections[level + 1:] = [0] * (len(sections) - level - 1)
            sec_number = ".".join([number, *(str(n) for n in sections[2:level + 1])])
            _set_header_number(header, sec_number, sec_number)
        info.toc.append(TocEntry(level, sec_number, stringify(inlines), ident))
        _add_section_target(header, ref, sec_number, result)
    _number_figures(ref, doc, number, language, result)
    return info


def _set_header_number(header: dict, number: str | None, shown: str | None) -> None:
    if number is None:
        return
    header["c"][1][2].append(["number", number])
    span = el("Span", [attr("", [NUMBER_CLASS]), [el("Str", shown)]])
    header["c"][2] = [span, el("Space"), *header["c"][2]]


def _add_section_target(header: dict, ref: ChapterRef, number: str | None,
                        result: Crossrefs) -> None:
    level, (ident, _classes, _kvs), inlines = header["c"]
    if xref_kind(ident) == "sec":
        title = stringify([i for i in inlines if not _is_number_span(i)])
        _register(result, ref, Target(ident, "sec", number, title, ref.href, level, ref.appendix))


def _number_figures(ref: ChapterRef, doc: dict, chapter: str | None,
                    language: dict[str, str], result: Crossrefs) -> None:
    counts = dict.fromkeys(KINDS, 0)
    for figure in (e for e in iter_elements(doc["blocks"]) if e["t"] == "Figure"):
        label = figure["c"][0][0]
        kind = _label_kind(label)
        if kind not in KINDS:
            continue
        counts[kind] += 1
        number = f"{chapter}.{counts[kind]}" if chapter else str(counts[kind])
        caption_text = stringify(figure["c"][1][1])
        figure["c"][0][2].append(["number", number])
        _prefix_caption(figure, f"{language[f'crossref-{kind}-title']}{NBSP}{number}")
        _register(result, ref, Target(label, kind, number, caption_text, ref.href))
        entries = result.figures if kind == "fig" else result.tables
        entries.append(CaptionEntry(label, number, caption_text, f"{ref.href}#{label}"))


def _prefix_caption(figure: dict, prefix: str) -> None:
    blocks = figure["c"][1][1]
    if not blocks:
        blocks.append(el("Plain", []))
    first = blocks[0]
    rest = first["c"]
    text = f"{prefix}:" if rest else prefix
    span = el("Span", [attr("", [CAPTION_NUMBER_CLASS]), [el("Str", text)]])
    first["c"] = [span, el("Space"), *rest] if rest else [span]


def _is_number_span(inline: dict) -> bool:
    return inline.get("t") == "Span" and NUMBER_CLASS in inline["c"][0][1]


def _register(result: Crossrefs, ref: ChapterRef, target: Target) -> None:
    if target.label in result.targets:
        other = result.targets[target.label].href
        raise BuildError(
            f"{ref.path.as_posix()}: duplicate cross-reference label #{target.label} "
            f"(also used in {other})"
        )
    result.targets[target.label] = target


# --- pass 2: references and lists -----------------------------------------------------------


def resolve_references(language: dict[str, str], chapters: list[tuple[ChapterRef, dict]],
                       xrefs: Crossrefs) -> None:
    """Replace crossref citations and list placeholders in every chapter (in place)."""
    for ref, doc in chapters:
        def visit(element: dict, ref: ChapterRef = ref) -> dict | list | None:
            if element["t"] == "Cite":
                return _resolve_cite(element, ref, xrefs, language)
            if element["t"] == "Div":
                return _list_placeholder(element, ref, xrefs, language)
            return None

        walk_in_place(doc["blocks"], visit)


def _resolve_cite(cite: dict, ref: ChapterRef, xrefs: Crossrefs,
                  language: dict[str, str]) -> list | None:
    citations = cite["c"][0]
    if not any(xref_kind(c["citationId"]) for c in citations):
        return None
    out: list = []
    for i, citation in enumerate(citations):
        label = citation["citationId"]
        target = xrefs.targets.get(label[:1].lower() + label[1:])
        if target is None:
            raise BuildError(
                f"{ref.path.as_posix()}: unknown cross-reference @{label} (no figure, table or "
                f"section is labelled #{label}; correct the reference or add the label)"
            )
        if i:
            out += [el("Str", ","), el("Space")]
        out += _reference(citation, target, ref, language)
    return out


def _reference(citation: dict, target: Target, ref: ChapterRef,
               language: dict[str, str]) -> list:
    mode = citation["citationMode"]["t"]
    prefix = citation["citationPrefix"]
    if mode == "SuppressAuthor":
        text = [el("Str", target.number or target.title)]
    elif prefix:
        text = [*prefix, el("Str", NBSP + (target.number or target.title))]
    else:
        label_text = reference_text(target, language)
        if citation["citationId"][:1].isupper():
            label_text = label_text[:1].upper() + label_text[1:]
        text = text_inlines(label_text)
    url = link_to(ref.href, target.href, target.label)
    return [el("Link", [attr("", [XREF_CLASS]), text, [url, ""]]), *citation["citationSuffix"]]


def reference_text(target: Target, language: dict[str, str]) -> str:
    """"Figur 2.1", "Tabell 4.3", "Kapittel 4", "Vedlegg 1", "Avsnitt 4.1" (title if unnumbered)."""
    if target.number is None:
        return target.title
    if target.kind == "sec":
        if target.level > 1:
            key = "crossref-sec-prefix"
        else:
            key = "crossref-apx-prefix" if target.appendix else "crossref-ch-prefix"
    else:
        key = f"crossref-{target.kind}-prefix"
    return f"{language[key]}{NBSP}{target.number}"


def _list_placeholder(div: dict, ref: ChapterRef, xrefs: Crossrefs,
                      language: dict[str, str]) -> dict | None:
    ident, classes, _ = div["c"][0]
    kind = LIST_PLACEHOLDERS.get(ident) or next(
        (LIST_PLACEHOLDERS[c] for c in classes if c in LIST_PLACEHOLDERS), None)
    if kind is None:
        return None
    entries = xrefs.figures if kind == "fig" else xrefs.tables
    title = language[f"crossref-{kind}-title"]
    items = []
    for entry in entries:
        page, _, label = entry.href.partition("#")
        url = link_to(ref.href, page, label)
        link = el("Link", [attr("", [XREF_CLASS]), [el("Str", f"{title}{NBSP}{entry.number}")],
                           [url, ""]])
        items.append([el("Plain", [link, el("Str", ":"), el("Space"),
                                   *text_inlines(entry.caption)])])
    cls = "list-of-figures" if kind == "fig" else "list-of-tables"
    return el("Div", [attr(ident, [cls]), [el("BulletList", items)] if items else []])
