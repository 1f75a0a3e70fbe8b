"""Write the book as an HTML site: one page per chapter, rendered by pandoc with our template."""

from __future__ import annotations

import html
import os
import posixpath
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from bookbuild import jsontext, pandoc
from bookbuild.errors import BuildError
from bookbuild.memo import JsonMemo

if TYPE_CHECKING:
    from bookbuild.assemble import Book, ChapterDoc

ASSET_DIR = "site_libs"  # CSS/JS of the site, like Quarto's folder of the same name
FIGURE_DIR = "figures"  # images the pages show
_GENERATED_FIGURES = "_build/figures/"
PAGE_MEMO = "html-page-memo"  # in the build folder: each page's HTML, by chapter AST and context


@dataclass(frozen=True)
class _Page:
    """What one page needs to know about its place in the book."""

    index: int
    chapter: ChapterDoc
    href: str  # project-relative output path, e.g. "chapters/01-arena.html"

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.href)


def write_site(book: Book, out_dir: Path, pdf_name: str | None) -> None:
    """Write every chapter page, the site assets and the images the pages use into `out_dir`.

    `pdf_name` (a file at the site root) gets a download link on every page when given.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    _copy_assets(out_dir)
    pages = [_Page(i, ch, ch.ref.href) for i, ch in enumerate(book.chapters)]
    hrefs = {p.href for p in pages}
    template = resources.files("bookbuild") / "templates" / "page.html"
    memo = JsonMemo(book.project.build_dir / PAGE_MEMO)
    with (
        resources.as_file(template) as template_path,
        tempfile.TemporaryDirectory(prefix="bookbuild-html-") as work,
        ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool,
    ):
        template_text = template_path.read_text(encoding="utf-8")
        jobs = []
        for page in pages:
            variables = _variables(book, pages, page, pdf_name)
            material = _page_material(book, page, hrefs, variables, template_path, template_text)
            out_file = out_dir / page.href
            kept = memo.find(material)
            if kept is not None and _copy_images_again(kept["images"], book, page, out_dir):
                _write_page(out_file, kept["html"])
                continue
            images: list[list[str]] = []
            ast = _prepare_ast(book, page, hrefs, out_dir, images)
            job = pool.submit(_render, ast, variables, template_path, Path(work), out_file)
            jobs.append((material, images, job))
        for material, images, job in jobs:
            memo.put(material, {"html": job.result(), "images": images})
    memo.prune()


def _page_material(book: Book, page: _Page, hrefs: set[str], variables: dict,
                   template_path: Path, template_text: str) -> str:
    """Everything a page's HTML is made of (see _prepare_ast and _render)."""
    chapter = page.chapter
    context = [page.href, sorted(hrefs), str(book.project.root), str(template_path),
               template_text, variables, chapter.number, chapter.title,
               [_toc_fields(item) for item in chapter.toc],
               chapter.ref.appendix, chapter.ref.path.as_posix(), book.project.language]
    return jsontext.dumps(context) + "\0" + jsontext.dumps(chapter.ast)


def _copy_images_again(images: list[list[str]], book: Book, page: _Page, out_dir: Path) -> bool:
    """Copy a kept page's images into the site; False if one now resolves elsewhere."""
    root = book.project.root
    return all(_copy_image(src, page, root, out_dir) == site for src, site in images)


# --- the page's navigation ----------------------------------------------------------------


def chapter_label(book: Book, chapter: ChapterDoc) -> tuple[str | None, str]:
    """(number label, title) as shown in navigation: ("1", t), ("Vedlegg 1", t) or (None, t)."""
    if chapter.number is None:
        return None, chapter.title
    if chapter.ref.appendix:
        prefix = book.project.language.get("crossref-apx-prefix", "Appendix")
        return f"{prefix} {chapter.number}", chapter.title
    return chapter.number, chapter.title


def _plain_label(book: Book, chapter: ChapterDoc) -> str:
    number, title = chapter_label(book, chapter)
    return f"{number} {title}" if number else title


def _relative(target: str, page: _Page) -> str:
    """`target` (project-relative POSIX path) as a link from `page`."""
    start = page.directory or "."
    if ".." in target.split("/") or ".." in start.split("/"):
        return posixpath.relpath(target, start)
    # as if both were under "/": the same answer without asking for the working directory
    return posixpath.relpath("/" + target, "/" + start)


def _variables(book: Book, pages: list[_Page], page: _Page, pdf_name: str | None) -> dict:
    """Template variables of one page; every value is already HTML-escaped."""
    project = book.project
    lang = project.language
    esc = html.escape
    root = _relative(".", page) + "/" if page.directory else ""
    sidebar = []
    for other in pages:
        number, title = chapter_label(book, other.chapter)
        kind = "appendix" if other.chapter.ref.appendix else "chapter"
        entry = {
            "href": esc(_relative(other.href, page)),
            "title": esc(title),
            "kind": kind if number else f"{kind} unnumbered",
        }
        if number:
            entry["number"] = esc(number)
        if other is page:
            entry["current"] = True
        sidebar.append(entry)
    variables: dict[str, Any] = {
        "lang": esc(project.lang),
        "pagetitle": esc(_page_title(book, page)),
        "book-title": esc(project.title),
        "root": esc(root),
        "home-href": esc(pages[0].href) if pages else "index.html",
        "sidebar": sidebar,
        "skip-label": esc(_label(book, "skip-to-content")),
        "menu-label": esc(_label(book, "toggle-navigation")),
        "nav-label": esc(lang.get("toc-title-document", "Contents")),
        "pagenav-label": esc(_label(book, "page-navigation")),
    }
    if project.subtitle:
        variables["book-subtitle"] = esc(project.subtitle)
    if _search_enabled(book):
        variables["search"] = True
        variables["search-placeholder"] = esc(lang.get("search-text-placeholder", "Search"))
        variables["search-no-results"] = esc(lang.get("search-no-results-text", "No results"))
    if pdf_name:
        variables["pdf"] = {"href": esc(pdf_name), "label": esc(_label(book, "download-pdf"))}
    toc = _toc_entries(book, page.chapter)
    if toc:
        variables["toc"] = toc
        html_opts = project.formats.get("html") or {}
        title = html_opts.get("toc-title") or lang.get("toc-title-website", "On this page")
        variables["toc-title"] = esc(str(title))
    for key, offset in (("prev", -1), ("next", 1)):
        neighbour = page.index + offset
        if 0 <= neighbour < len(pages):
            other = pages[neighbour]
            variables[key] = {
                "href": esc(_relative(other.href, page)),
                "label": esc(_plain_label(book, other.chapter)),
            }
    return variables


def _page_title(book: Book, page: _Page) -> str:
    label = _plain_label(book, page.chapter)
    if page.index == 0 or not label or label == book.project.title:
        return book.project.title or label
    return f"{label} – {book.project.title}" if book.project.title else label


def _toc_entries(book: Book, chapter: ChapterDoc) -> list[dict]:
    html_opts = book.project.formats.get("html") or {}
    if html_opts.get("toc") is False:
        return []
    depth = int(html_opts.get("toc-depth", 3))
    entries = []
    for item in chapter.toc:
        level, number, title, ident = _toc_fields(item)
        if level < 2 or level > depth or not ident:
            continue
        entry = {"level": str(level), "id": html.escape(ident), "title": html.escape(title)}
        if number:
            entry["number"] = html.escape(number)
        entries.append(entry)
    return entries


def _toc_fields(item: Any) -> tuple[int, str | None, str, str]:
    """A TocEntry as (level, number, title, id), whether a named tuple or a dataclass."""
    if isinstance(item, tuple | list):
        level, number, title, ident = item
    else:
        level, number, title, ident = item.level, item.number, item.title, item.id
    return int(level), number, str(title), str(ident)


def _search_enabled(book: Book) -> bool:
    return (book.project.raw.get("book") or {}).get("search", True) is not False


# Labels the Quarto language files do not carry; overridable through `language:`.
_EXTRA_LABELS = {
    "en": {
        "download-pdf": "Download PDF",
        "toggle-navigation": "Menu",
        "skip-to-content": "Skip to content",
        "page-navigation": "Previous and next chapter",
    },
    "nb": {
        "download-pdf": "Last ned PDF",
        "toggle-navigation": "Meny",
        "skip-to-content": "Hopp til innholdet",
        "page-navigation": "Forrige og neste kapittel",
    },
}
_EXTRA_LABELS["nn"] = _EXTRA_LABELS["no"] = _EXTRA_LABELS["nb"]


def _label(book: Book, key: str) -> str:
    """A UI string: `language:` override, else our default for the book's language."""
    if key in book.project.language:
        return book.project.language[key]
    base = book.project.lang.split("-")[0].lower()
    return _EXTRA_LABELS.get(base, _EXTRA_LABELS["en"])[key]


# --- the page's document -----------------------------------------------------------------


def _prepare_ast(book: Book, page: _Page, hrefs: set[str], out_dir: Path,
                 images: list[list[str]] | None = None) -> dict:
    """A copy of the chapter AST with images copied into the site and links made page-relative
    (each local image's source and site path added to `images`)."""
    root = book.project.root

    def fix(node: dict) -> None:
        if node["t"] == "Image":
            _fix_image(node, page, root, out_dir, images)
        else:
            _fix_link(node, page, hrefs)

    ast = {key: _copy_fixing(value, fix) if key == "blocks" else pandoc.copy_ast(value)
           for key, value in page.chapter.ast.items()}
    _number_headings(book, page.chapter, ast)
    return ast


def _copy_fixing(value: Any, fix) -> Any:
    """A deep copy of `value` (JSON data) in which `fix` has changed every Image and Link
    element (a JSON round trip copies faster than Python code can)."""
    copy = jsontext.loads(jsontext.dumps(value))
    for node in pandoc.iter_elements(copy):
        if node["t"] in ("Image", "Link"):
            fix(node)
    return copy


def _is_local(target: str) -> bool:
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith(("#", "/"))


def _fix_image(node: dict, page: _Page, root: Path, out_dir: Path,
               images: list[list[str]] | None = None) -> None:
    attr, alt_inlines, (src, title) = node["c"]
    ident, classes, pairs = attr
    fig_alt = next((v for k, v in pairs if k == "fig-alt"), None)
    if fig_alt is not None:
        pairs = [[k, v] for k, v in pairs if k != "fig-alt"]
        alt_inlines = [{"t": "Str", "c": fig_alt}]
    if _is_local(src):
        site_path = _copy_image(src, page, root, out_dir)
        if images is not None:
            images.append([src, site_path])
        src = _relative(site_path, page)
    node["c"] = [[ident, classes, pairs], alt_inlines, [src, title]]


def _copy_image(src: str, page: _Page, root: Path, out_dir: Path) -> str:
    """Copy a local image into the site; returns its project-relative site path."""
    chapter_dir = page.chapter.ref.path.parent
    for candidate in (root / src, root / chapter_dir / src):
        if candidate.is_file():
            source = candidate.resolve()
            break
    else:
        raise BuildError(f"{page.chapter.ref.path.as_posix()}: image not found: {src}")
    try:
        relative = source.relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = f"{FIGURE_DIR}/{source.name}"
    if relative.startswith(_GENERATED_FIGURES):
        relative = f"{FIGURE_DIR}/{relative.removeprefix(_GENERATED_FIGURES)}"
    dest = out_dir / relative
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    return relative


def _fix_link(node: dict, page: _Page, hrefs: set[str]) -> None:
    """Links to another chapter written project-relative ("chapters/x.html#id") -> page-relative."""
    target, title = node["c"][2]
    path, _, fragment = target.partition("#")
    if path not in hrefs:
        return
    if path == page.href:
        new = f"#{fragment}" if fragment else _relative(path, page)
    else:
        new = _relative(path, page) + (f"#{fragment}" if fragment else "")
    node["c"][2] = [new, title]


def _number_headings(book: Book, chapter: ChapterDoc, ast: dict) -> None:
    """Show chapter and section numbers in headings, unless the assembler already did."""
    numbers = {}
    for item in chapter.toc:
        _, number, _, ident = _toc_fields(item)
        if number:
            numbers[ident] = number
    blocks = ast.setdefault("blocks", [])
    headers = [b for b in blocks if b.get("t") == "Header"]
    if not any(h["c"][0] == 1 for h in headers):
        blocks.insert(0, _header(1, _chapter_id(chapter), chapter.title))
        headers.insert(0, blocks[0])
    for header in headers:
        level, (ident, _classes, _), inlines = header["c"]
        number = chapter_label(book, chapter)[0] if level == 1 else numbers.get(ident)
        if number and not _has_number(inlines):
            span = {
                "t": "Span",
                "c": [["", ["header-section-number"], []], [{"t": "Str", "c": number}]],
            }
            header["c"][2] = [span, {"t": "Space"}, *inlines]


def _has_number(inlines: list) -> bool:
    return any(
        node.get("t") == "Span" and "header-section-number" in node["c"][0][1]
        for node in inlines[:2]
    )


def _chapter_id(chapter: ChapterDoc) -> str:
    return f"sec-{chapter.ref.path.stem}"


def _header(level: int, ident: str, text: str) -> dict:
    return {"t": "Header", "c": [level, [ident, [], []], [{"t": "Str", "c": text}]]}


# --- rendering ---------------------------------------------------------------------------


def _render(ast: dict, variables: dict, template: Path, work: Path, out_file: Path) -> str:
    # Variables go through a defaults file: pandoc takes nested lists/maps only that way.
    options = {"template": str(template), "variables": variables}
    defaults = work / f"{out_file.name}-{id(ast)}.yaml"
    defaults.write_text(yaml.safe_dump(options, allow_unicode=True), encoding="utf-8")
    args = ["-f", "json", "-t", "html5", f"--defaults={defaults}", "--wrap=none"]
    page = pandoc.run(args, jsontext.dumps(ast), what=f"HTML page {out_file.name}").stdout
    _write_page(out_file, page)
    return page


def _write_page(out_file: Path, page: str) -> None:
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(page, encoding="utf-8")


def _copy_assets(out_dir: Path) -> None:
    target = out_dir / ASSET_DIR
    target.mkdir(parents=True, exist_ok=True)
    for item in (resources.files("bookbuild") / "resources").iterdir():
        if item.is_file() and not item.name.startswith("."):
            (target / item.name).write_bytes(item.read_bytes())
