"""The whole book as one Typst document (pandoc's Typst writer + templates/book.typ) -> PDF."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import posixpath
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from bookbuild import jsontext, servers
from bookbuild.assemble import Book, display_date, parse_date
from bookbuild.convcache import TextCache
from bookbuild.crossref import (
    CAPTION_NUMBER_CLASS,
    LIST_PLACEHOLDERS,
    NUMBER_CLASS,
    xref_kind,
)
from bookbuild.errors import BuildError
from bookbuild.memo import JsonMemo
from bookbuild.pandoc import attr_of, document, el, iter_elements, run, stringify, walk
from bookbuild.typstserver import compile_on, compile_pdf, kept_server, warm_up_thread

TEMPLATE = "book.typ"
WORK_TEMPLATE = "bookbuild-book.typ"  # copy next to the generated main file
MAIN = "main.typ"
KIND = {"fig": "image", "tbl": "table"}
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
LABEL = re.compile(r"^[\w\-.:]+$")
TYPST_LENGTH = re.compile(r"^\d+(\.\d+)?(%|pt|mm|cm|in|em)$")
WRITER, WRITER_ARGS = "typst-citations", ["--wrap=none"]
SENTINEL = "// bookbuild: chapter boundary"  # see join_blocks
CHAPTER_STORE = "typst-chapters"  # in the build folder: each chapter's Typst, by content
BLOCK_STORE = "typst-blocks"  # in the build folder: each chapter prepared for Typst (memo)
BATCH = 8  # new sections one pandoc run converts before the work is split in two


def write_pdf(book: Book, out_pdf: Path, warmed: Callable[[], dict | None] | None = None
              ) -> None:
    """Compile `book` to `out_pdf` (work files in <build_dir>/typst); `warmed` (from
    `warm_up`) waits for the warm-up compile, which must end before this one starts, and
    gives the kept typst server to compile on, if any."""
    project = book.project
    work = project.build_dir / "typst"
    work.mkdir(parents=True, exist_ok=True)
    template = resources.files("bookbuild").joinpath("templates", TEMPLATE).read_text("utf-8")
    _replace_text(work / WORK_TEMPLATE, template)
    main = work / MAIN
    text, summaries = _typst_source(book)
    _replace_text(main, text)
    standards = pdf_standards(project)
    if "ua-1" in standards:
        _require_alt_text(book, summaries)
    server = warmed() if warmed is not None else None
    timestamp = creation_timestamp(project.date)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf = None
    if server is not None:
        pdf = compile_on(server, main, project.root, timestamp, standards, work / "book.pdf")
    if pdf is None:  # no kept server (or it ended since): compile here
        pdf = compile_typst(main, project.root, timestamp, standards)
    out_pdf.write_bytes(pdf)


def warm_up(project, niceness: int = 0) -> Callable[[], dict | None]:
    """Start compiling the previous build's Typst source in a thread (typst works outside the
    GIL) while the book is assembled. typst keeps what it computed in memory, so compiling
    this build's source, mostly the same, afterwards redoes only what changed. Returns a
    function that waits for the warm-up; it never fails (its PDF is thrown away). A positive
    `niceness` lowers the thread's priority (Linux: a thread's niceness is its own, and
    typst's worker threads inherit it).

    When servers are kept between builds (bookbuild.servers), the memory is a kept typst
    server's: this finds it (warm already) or starts one that warms up, and the function
    returned gives it (else None)."""
    main = project.build_dir / "typst" / MAIN
    standards = pdf_standards(project)
    timestamp = creation_timestamp(project.date)
    if servers.kept_idle():
        return _kept_server(project, main if main.is_file() else None, niceness,
                            {"main": str(main), "root": str(project.root),
                             "timestamp": timestamp, "standards": standards})
    if not main.is_file():
        return lambda: None

    return warm_up_thread(main, project.root, timestamp, standards, niceness).join


def _kept_server(project, previous: Path | None, niceness: int, warm: dict
                 ) -> Callable[[], dict | None]:
    found: list[dict | None] = [None]

    def find() -> None:
        with contextlib.suppress(BuildError, OSError):  # no server: the build compiles itself
            found[0] = kept_server(project.build_dir, project.root, niceness,
                                   warm if previous is not None else None)

    thread = threading.Thread(target=find, name="typst-server", daemon=True)
    thread.start()

    def wait() -> dict | None:
        thread.join()
        return found[0]

    return wait


def _replace_text(path: Path, text: str) -> None:
    """Write atomically (a warm-up compile may be reading the old file), if changed."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def pdf_standards(project) -> list[str]:
    """Quarto's `format: typst: pdf-standard:` (one or a list, e.g. "ua-1"), lower case."""
    value = (project.formats.get("typst") or {}).get("pdf-standard") or []
    values = value if isinstance(value, list) else [value]
    return [str(v).strip().lower() for v in values if str(v).strip()]


def _require_alt_text(book: Book, summaries: list[dict]) -> None:
    """PDF/UA needs alt text on every image; say which ones lack it, by chapter."""
    missing = [f"{c.ref.path}: {src}" for c, summary in zip(book.chapters, summaries, strict=True)
               for src in summary["no_alt"]]
    if missing:
        raise BuildError("PDF/UA (pdf-standard: ua-1) needs alt text (fig-alt) on every image:\n"
                         + "\n".join(missing))


def image_alt(image: dict) -> str:
    """An image's alt text: Quarto's `fig-alt` attribute, else the image's own description."""
    alt = dict(image["c"][0][2]).get("fig-alt")
    return " ".join((alt if alt is not None else stringify(image["c"][1])).split())


compile_typst = compile_pdf  # typst's PDF of a main file, or a BuildError


def creation_timestamp(date: str | None) -> int | None:
    """SOURCE_DATE_EPOCH if set, else the book date (UTC midnight), so builds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return int(epoch)
    day = parse_date(date)
    if day is None:
        return None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def book_to_typst(book: Book) -> str:
    return _typst_source(book)[0]


def _typst_source(book: Book) -> tuple[str, list[dict]]:
    """The Typst text of `book` and each chapter's summary (see _summary)."""
    memo = JsonMemo(book.project.build_dir / BLOCK_STORE)
    texts = [jsontext.dumps(c.ast["blocks"]) for c in book.chapters]
    summaries = _summaries(book, texts, memo)
    chapters = _chapter_blocks(book, texts, summaries, memo)
    memo.prune()
    contents_in_body = _place_contents(book, chapters)
    body = _chapters_to_typst(book.project.build_dir / CHAPTER_STORE, chapters)
    has_lists = any(s["has_lists"] for s in summaries)
    return _preamble(book, has_lists, contents_in_body) + "\n" + body, summaries


def _chapters_to_typst(store: Path, chapters: list[list]) -> str:
    """pandoc's Typst for each chapter's blocks, section by section (a section starts at a
    top-level header; unchanged ones come from `store`), joined into the same text as one
    conversion of the whole book would give. New sections are converted in one pandoc run
    (two when there are many: one per core), with a sentinel between them."""
    cache = TextCache(store)
    args = ["-f", "json", "-t", WRITER, *WRITER_ARGS]
    sections = [section for blocks in chapters for section in _sections(blocks)]
    materials = ["\0".join([*args, _between_sentinels(section)]) for section in sections]
    parts = [cache.find(material) for material in materials]
    missing = [i for i, part in enumerate(parts) if part is None]
    batches = [missing[:len(missing) // 2], missing[len(missing) // 2:]] \
        if len(missing) > BATCH else [missing]
    with ThreadPoolExecutor(max_workers=2) as pool:
        converted = pool.map(lambda batch: _convert_apart([sections[i] for i in batch], args),
                             [batch for batch in batches if batch])
        for batch, texts in zip([b for b in batches if b], converted, strict=True):
            for i, text in zip(batch, texts, strict=True):
                cache.put(materials[i], text)
                parts[i] = text
    cache.prune()
    return join_blocks(parts)


def _sections(blocks: list) -> list[list]:
    """`blocks` cut before each top-level header (the writer's output for a block does not
    depend on the blocks around it; only the line breaks between them do: join_blocks)."""
    sections: list[list] = [[]]
    for block in blocks:
        if block["t"] == "Header" and sections[-1]:
            sections.append([])
        sections[-1].append(block)
    return sections


def _between_sentinels(blocks: list) -> str:
    return jsontext.dumps(document([_raw_block(SENTINEL), *blocks, _raw_block(SENTINEL)]))


def _convert_apart(sections: list[list], args: list[str]) -> list[str]:
    """Each section's Typst between two sentinels, as converting it alone gives, from one
    pandoc run over all of them with a sentinel between each two (the line breaks around a
    sentinel depend only on it and its neighbour)."""
    blocks = [_raw_block(SENTINEL)]
    for section in sections:
        blocks += [*section, _raw_block(SENTINEL)]
    text = run(args, jsontext.dumps(document(blocks)), what="typst").stdout
    pieces = text.split(SENTINEL)
    if len(pieces) == len(sections) + 2 and not pieces[0] and pieces[-1] == "\n":
        return [f"{SENTINEL}{middle}{SENTINEL}\n" for middle in pieces[1:-1]]
    # The text itself has the sentinel (say, in a code block): each section on its own.
    return [run(args, _between_sentinels(section), what="typst").stdout for section in sections]


def join_blocks(parts: list[str]) -> str:
    """Join pandoc outputs of consecutive block lists, each converted between two SENTINEL raw
    blocks. The sentinels show the line breaks the first and last block want around them
    (a blank line or a newline); pandoc keeps the larger of the two at a boundary."""
    pieces: list[str] = []
    gap = ""
    for part in parts:
        lead, body, trail = _split_sentinels(part)
        if not body:
            gap = max(gap, lead, trail, key=len)
            continue
        if pieces:
            pieces.append(max(gap, lead, key=len))
        pieces.append(body)
        gap = trail
    return "".join(pieces) + "\n" if pieces else ""


def _split_sentinels(text: str) -> tuple[str, str, str]:
    """(line breaks after the opening sentinel, body, line breaks before the closing one)."""
    if not (text.startswith(SENTINEL) and text.endswith(SENTINEL + "\n")):
        raise BuildError(f"typst: unexpected pandoc output around {SENTINEL!r}")
    middle = text[len(SENTINEL):-len(SENTINEL) - 1]
    body = middle.strip("\n")
    lead = middle[:len(middle) - len(middle.lstrip("\n"))]
    trail = middle[len(middle.rstrip("\n")):]
    return lead, body, trail


def _preamble(book: Book, has_lists: bool, contents_in_body: bool = False) -> str:
    project = book.project
    language = project.language
    lang, _, region = project.lang.replace("_", "-").partition("-")
    typst_opts = project.formats.get("typst") or {}
    keywords = project.raw.get("keywords") or []
    args = {
        "title": project.title,
        "subtitle": project.subtitle,
        "author": project.author or None,
        "publisher": project.publisher,
        "date": display_date(project),
        "lang": lang.lower(),
        "region": region.upper() or None,
        "keywords": [str(k) for k in keywords] if isinstance(keywords, list) else [str(keywords)],
        "description": _description(project),
        "toc-title": language.get("toc-title-document", "Contents"),
        "toc-depth": int(typst_opts.get("toc-depth", 3)),
        "lof-title": None if has_lists or not book.figures else language["crossref-lof-title"],
        "lot-title": None if has_lists or not book.tables else language["crossref-lot-title"],
    }
    if typst_opts.get("toc") is False or contents_in_body:
        args["toc-depth"] = 0
    rendered = ", ".join(f"{k}: {_value(v)}" for k, v in args.items())
    return (f'#import "{WORK_TEMPLATE}": book, horizontalrule, bbnote\n'
            f"#show: book.with({rendered})\n")


def _description(project) -> str | None:
    """`book.description` (Quarto's key), else top-level `description`: the PDF's subject."""
    book = project.raw.get("book") if isinstance(project.raw.get("book"), dict) else {}
    text = book.get("description") or project.raw.get("description")
    return " ".join(str(text).split()) if text else None


def _place_contents(book: Book, chapters: list[list]) -> bool:
    """Printed reports put the contents after the preface and before the lists of tables and
    figures: a section whose content is a list placeholder becomes a chapter-level heading in
    the PDF, and the contents go before the first one. False if the book has no such section."""
    depth = int((book.project.formats.get("typst") or {}).get("toc-depth", 3))
    if (book.project.formats.get("typst") or {}).get("toc") is False:
        return False
    positions = [(j, k) for j, blocks in enumerate(chapters) for k in range(len(blocks))]
    first = None
    for (j, k), (nj, nk) in zip(positions, positions[1:], strict=False):
        block = chapters[j][k]
        if block["t"] == "Header" and _is_list_placeholder(chapters[nj][nk]):
            block["c"][0] = 1
            first = (j, k) if first is None else first
    if first is None:
        return False
    title = book.project.language.get("toc-title-document", "Contents")
    chapters[first[0]].insert(first[1],
                              _raw_block(f"#outline(title: {_value(title)}, depth: {depth})"))
    return True


def _is_list_placeholder(block: dict) -> bool:
    if block["t"] == "RawBlock":
        return block["c"][1].startswith("#outline(") and "target: figure" in block["c"][1]
    return False


def _value(value) -> str:
    """A Python value as a Typst expression."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "(" + "".join(f"{_value(v)}, " for v in value) + ")"
    return json.dumps(str(value), ensure_ascii=False)  # JSON strings are valid Typst strings


# --- AST for Typst ---------------------------------------------------------------------------


def _chapter_blocks(book: Book, texts: list[str] | None = None,
                    summaries: list[dict] | None = None,
                    memo: JsonMemo | None = None) -> list[list]:
    """Each chapter's blocks, prepared for Typst (a copy; the book is not changed). A chapter
    is prepared again only when its blocks or what it sees of the others changed."""
    memo = memo or JsonMemo(book.project.build_dir / BLOCK_STORE)
    texts = texts or [jsontext.dumps(c.ast["blocks"]) for c in book.chapters]
    summaries = summaries or _summaries(book, texts, memo)
    renames = _unique_ids([s["ids"] for s in summaries])
    hrefs = {c.ref.href: i for i, c in enumerate(book.chapters)}
    first_ids = [s["first_id"] for s in summaries]
    labels = {rename.get(i, i) for s, rename in zip(summaries, renames, strict=True)
              for i in s["labelled"]}
    # everything a chapter's preparation reads besides its own blocks (see _Context)
    shared = jsontext.dumps([renames, list(hrefs), first_ids, sorted(labels),
                         book.project.language, str(book.project.root)])

    def prepare(i: int) -> list:
        context = _Context(book, i, renames, hrefs, first_ids, labels)
        # walk builds new lists and elements, which the context may change
        return walk(book.chapters[i].ast["blocks"], context.visit)

    return [memo.get(f"typst-blocks\0{i}\0{shared}\0{text}", lambda i=i: prepare(i))
            for i, text in enumerate(texts)]


def _summaries(book: Book, texts: list[str], memo: JsonMemo) -> list[dict]:
    return [memo.get(f"summary\0{text}", lambda c=c: _summary(c["blocks"]))
            for c, text in zip((c.ast for c in book.chapters), texts, strict=True)]


def _summary(blocks: list) -> dict:
    """What the other chapters and the book need to know of a chapter's blocks, in one pass:
    its ids, those that become Typst labels, its first heading's id, whether it has a list of
    figures/tables, and the images without alt text."""
    labelled = {"Header", "Div", "Span", "Figure", "Table"}
    ids: set[str] = set()
    labels: set[str] = set()
    first_id = None
    seen_header = has_lists = False
    no_alt: list[str] = []
    for element in iter_elements(blocks):
        t = element["t"]
        a = attr_of(element)
        if a and a[0]:
            ids.add(a[0])
            if t in labelled:
                labels.add(a[0])
        if t == "Header" and not seen_header:
            seen_header, first_id = True, element["c"][1][0] or None
        elif t == "Div" and not has_lists:
            has_lists = _is_list_div(element)
        elif t == "Image" and not image_alt(element):
            no_alt.append(element["c"][2][0])
    return {"ids": sorted(ids), "labelled": sorted(labels), "first_id": first_id,
            "has_lists": has_lists, "no_alt": no_alt}


def _unique_ids(chapter_ids: list[list[str]]) -> list[dict[str, str]]:
    """Ids repeated in later chapters get a suffix: Typst labels share one document."""
    seen: set[str] = set()
    renames: list[dict[str, str]] = []
    for i, ids in enumerate(chapter_ids):
        mapping: dict[str, str] = {}
        for ident in sorted(ids):
            new = ident
            while new in seen:
                new = f"{new}-{i + 1}"
            mapping[ident] = new
            seen.add(new)
        renames.append({k: v for k, v in mapping.items() if k != v})
    return renames


class _Context:
    def __init__(self, book: Book, index: int, renames: list[dict[str, str]],
                 hrefs: dict[str, int], first_ids: list[str | None], labels: set[str]):
        self.book, self.index, self.renames = book, index, renames
        self.hrefs, self.first_ids, self.labels = hrefs, first_ids, labels
        self.page = book.chapters[index].ref.href

    def visit(self, element: dict):
        a = attr_of(element)
        if a and a[0] in self.renames[self.index]:
            a[0] = self.renames[self.index][a[0]]
        handler = getattr(self, f"_{element['t'].lower()}", None)
        return handler(element) if handler else None

    def _header(self, header: dict):
        inlines = header["c"][2]
        number = _number_text(inlines)
        if number is None:
            return None
        header["c"][2] = _strip_number(inlines, NUMBER_CLASS)
        return [_raw_block(f"#set heading(numbering: (..) => {_value(number)})"), header]

    def _figure(self, figure: dict):
        (ident, _classes, kvs), caption, content = figure["c"]
        number = dict(kvs).get("number")
        kind = xref_kind(ident)
        if number is None or kind not in KIND:
            return None
        supplement = self.book.project.language[f"crossref-{kind}-title"]
        inlines = _strip_number(caption[1][0]["c"], CAPTION_NUMBER_CLASS) if caption[1] else []
        inlines = walk(inlines, _outline_safe_note)
        head = (f"#figure(kind: {KIND[kind]}, supplement: {_value(supplement)}, "
                f"numbering: (..) => {_value(number)}, outlined: true, ")
        opening = ([_raw_inline(head + "caption: ["), *inlines, _raw_inline("], [")]
                   if inlines else [_raw_inline(head + "[")])
        label = f" <{ident}>" if LABEL.match(ident) else ""
        return [el("Plain", opening), *content, _raw_block(f"]){label}")]

    def _div(self, div: dict):
        ident, classes, _ = div["c"][0]
        kind = LIST_PLACEHOLDERS.get(ident) or next(
            (LIST_PLACEHOLDERS[c] for c in classes if c in LIST_PLACEHOLDERS), None)
        if kind is None:
            return None
        return _raw_block(f"#outline(title: none, target: figure.where(kind: {KIND[kind]}))")

    def _link(self, link: dict):
        target = link["c"][2]
        resolved = self._resolve(target[0])
        if resolved is None:
            return None
        if resolved == "":
            return el("Span", [["", [], []], link["c"][1]])  # target not in the PDF
        target[0] = resolved
        return None

    def _resolve(self, url: str) -> str | None:
        """"#label" for links into the book, "" if unresolvable, None to leave as is."""
        if SCHEME.match(url) or url.startswith("/"):
            return None
        page, _, frag = url.partition("#")
        if page and page not in self.hrefs:  # project-relative, else relative to this page
            page = posixpath.normpath(posixpath.join(posixpath.dirname(self.page), page))
            if page not in self.hrefs:
                return None
        index = self.hrefs[page] if page else self.index
        ident = frag or self.first_ids[index]
        if not ident:
            return ""
        ident = self.renames[index].get(ident, ident)
        return f"#{ident}" if ident in self.labels else ""

    def _image(self, image: dict):
        target = image["c"][2]
        src = target[0]
        if SCHEME.match(src):
            return None
        root = self.book.project.root
        path = Path(src)
        if path.is_absolute():
            try:
                path = path.relative_to(root)
            except ValueError:
                raise BuildError(f"{self.page}: image outside the project: {src}") from None
        # Pandoc's writer drops the alt text; Typst tags it for screen readers (PDF/UA).
        alt = image_alt(image)
        size = "".join(f", {key}: {value}" for key, value in image["c"][0][2]
                       if key in ("width", "height") and TYPST_LENGTH.match(value))
        args = _value("/" + path.as_posix()) + (f", alt: {_value(alt)}" if alt else "") + size
        return _raw_inline(f"#box(image({args}))")  # "/..." is relative to the project root


def _outline_safe_note(element: dict) -> list | None:
    """A caption footnote as `bbnote[...]` (see book.typ), so the list of figures omits it."""
    if element["t"] != "Note":
        return None
    inlines: list = []
    for block in element["c"]:
        if inlines:
            inlines.append(el("LineBreak"))
        inlines.extend(block["c"] if block["t"] in ("Para", "Plain") else [])
    return [_raw_inline("#bbnote["), *inlines, _raw_inline("]")]


def _number_text(inlines: list) -> str | None:
    for inline in inlines:
        if inline.get("t") == "Span" and NUMBER_CLASS in inline["c"][0][1]:
            return stringify(inline["c"][1]).replace("\u00a0", " ")  # plain space in bookmarks
    return None


def _strip_number(inlines: list, cls: str) -> list:
    out = [i for i in inlines if not (i.get("t") == "Span" and cls in i["c"][0][1])]
    while out and out[0]["t"] == "Space":
        out.pop(0)
    return out


def _is_list_div(div: dict) -> bool:
    ident, classes, _ = div["c"][0]
    return ident in LIST_PLACEHOLDERS or any(c in LIST_PLACEHOLDERS for c in classes)


def _raw_block(code: str) -> dict:
    return el("RawBlock", ["typst", code])


def _raw_inline(code: str) -> dict:
    return el("RawInline", ["typst", code])
