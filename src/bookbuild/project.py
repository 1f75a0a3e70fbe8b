"""Load a Quarto book project (`_quarto.yml`) and the engine settings of `pyproject.toml`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bookbuild.errors import BuildError

CONFIG_NAME = "_quarto.yml"

# Quarto's built-in language strings (the subset this engine uses).
_ENGLISH: dict[str, str] = {
    "crossref-fig-title": "Figure",
    "crossref-tbl-title": "Table",
    "crossref-fig-prefix": "Figure",
    "crossref-tbl-prefix": "Table",
    "crossref-ch-prefix": "Chapter",
    "crossref-apx-prefix": "Appendix",
    "crossref-sec-prefix": "Section",
    "crossref-lof-title": "List of Figures",
    "crossref-lot-title": "List of Tables",
    "toc-title-document": "Table of contents",
    "toc-title-website": "On this page",
    "section-title-appendices": "Appendices",
    "section-title-references": "References",
    "section-title-footnotes": "Footnotes",
    "search-no-results-text": "No results",
    "search-text-placeholder": "Search",
}

_NORWEGIAN: dict[str, str] = {
    "crossref-fig-title": "Figur",
    "crossref-tbl-title": "Tabell",
    "crossref-fig-prefix": "Figur",
    "crossref-tbl-prefix": "Tabell",
    "crossref-ch-prefix": "Kapitel",
    "crossref-apx-prefix": "Bilag",
    "crossref-sec-prefix": "Seksjon",
    "crossref-lof-title": "Figuroversikt",
    "crossref-lot-title": "Tabelloversikt",
    "toc-title-document": "Innholdsfortegnelse",
    "toc-title-website": "På denne siden",
    "section-title-appendices": "Bilag",
    "section-title-references": "Referanser",
    "section-title-footnotes": "Fotnoter",
    "search-no-results-text": "Ingen resultater",
    "search-text-placeholder": "Søk",
}

_BUILTIN: dict[str, dict[str, str]] = {"nb": _NORWEGIAN, "no": _NORWEGIAN, "nn": _NORWEGIAN}


@dataclass(frozen=True)
class ChapterRef:
    path: Path  # project-relative, e.g. Path("chapters/01-arena.ipynb")
    appendix: bool  # listed under book.appendices
    href: str  # output page, project-relative: "index.html", "chapters/01-arena.html"


@dataclass(frozen=True)
class Project:
    root: Path
    raw: dict
    title: str
    subtitle: str | None
    author: str
    date: str | None
    publisher: str | None
    lang: str
    language: dict[str, str]
    chapters: list[ChapterRef]
    bibliography: Path | None
    execute: dict
    formats: dict
    output_dir: Path
    build_dir: Path
    engine: dict = field(default_factory=dict)
    # project.resources: project-relative globs of files copied into the output as they are
    resources: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME


def builtin_language(lang: str) -> dict[str, str]:
    """Quarto's default strings for `lang` ("nb-NO" falls back to "nb"), English otherwise."""
    base = lang.split("-")[0].split("_")[0].lower()
    return {**_ENGLISH, **_BUILTIN.get(base, {})}


def load_project(root: Path) -> Project:
    root = Path(root).resolve()
    raw = _read_config(root / CONFIG_NAME)
    book = _mapping(raw.get("book"), "book")
    lang = str(raw.get("lang") or "en")
    overrides = _mapping(raw.get("language"), "language")
    bib = raw.get("bibliography")
    if isinstance(bib, list):
        bib = bib[0] if bib else None
    project_opts = _mapping(raw.get("project"), "project")
    return Project(
        root=root,
        raw=raw,
        title=_text(book.get("title")) or _text(raw.get("title")) or "",
        subtitle=_text(book.get("subtitle")),
        author=_author(book.get("author", raw.get("author"))),
        date=_text(book.get("date")),
        publisher=_text(book.get("publisher")),
        lang=lang,
        language={**builtin_language(lang), **{str(k): str(v) for k, v in overrides.items()}},
        chapters=_chapters(root, book),
        bibliography=(root / str(bib)).resolve() if bib else None,
        execute=dict(_mapping(raw.get("execute"), "execute")),
        formats=dict(_mapping(raw.get("format"), "format")),
        output_dir=root / str(project_opts.get("output-dir") or "_book"),
        build_dir=root / "_build",
        engine=_engine_settings(root / "pyproject.toml"),
        resources=_resources(project_opts.get("resources")),
    )


def _read_config(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(f"{path.name}: not found in {path.parent}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BuildError(f"{CONFIG_NAME}{line}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BuildError(f"{CONFIG_NAME}:1: expected a mapping at the top level")
    return data


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BuildError(f"{CONFIG_NAME}: `{key}` must be a mapping")
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _author(value: Any) -> str:
    """Quarto allows a string, a list of strings, or a list of {name: ...} mappings."""
    if value is None:
        return ""
    items = value if isinstance(value, list) else [value]
    names = [str(a.get("name", "")) if isinstance(a, dict) else str(a) for a in items]
    return ", ".join(n for n in names if n)


def _chapter_files(entries: Any, key: str) -> list[str]:
    """Flatten a chapter list; Quarto parts (`- part: ..., chapters: [...]`) are expanded."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise BuildError(f"{CONFIG_NAME}: `book.{key}` must be a list")
    files: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            part = entry.get("part")
            if isinstance(part, str) and part.endswith((".ipynb", ".qmd", ".md")):
                files.append(part)
            files.extend(_chapter_files(entry.get("chapters"), key))
        else:
            files.append(str(entry))
    return files


def _chapters(root: Path, book: dict) -> list[ChapterRef]:
    refs: list[ChapterRef] = []
    for key, appendix in (("chapters", False), ("appendices", True)):
        for name in _chapter_files(book.get(key), key):
            path = Path(name)
            if not (root / path).is_file():
                where = _line_of(root / CONFIG_NAME, name)
                raise BuildError(
                    f"{CONFIG_NAME}{where}: chapter `{name}` listed in book.{key} does not "
                    "exist (correct the file name or remove the line)"
                )
            refs.append(ChapterRef(path, appendix, path.with_suffix(".html").as_posix()))
    return refs


def _resources(value: Any) -> list[str]:
    """`project.resources`: one glob or a list of globs, relative to the project folder."""
    if value is None:
        return []
    patterns = value if isinstance(value, list) else [value]
    for pattern in patterns:
        text = str(pattern)
        if not text or text.startswith(("/", "\\")) or ".." in Path(text).parts:
            raise BuildError(
                f"{CONFIG_NAME}: project.resources entry `{text}` must be a path inside the "
                "project (relative, without ..)"
            )
    return [str(p) for p in patterns]


def _line_of(config: Path, needle: str) -> str:
    """Return ":LINE" of the first config line mentioning `needle` (for error messages)."""
    for number, line in enumerate(config.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return f":{number}"
    return ""


def _engine_settings(pyproject: Path) -> dict:
    if not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"pyproject.toml: invalid TOML: {exc}") from None
    return dict(data.get("tool", {}).get("bookbuild", {}))
