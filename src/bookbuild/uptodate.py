"""Skip assembly and writing when nothing that feeds them changed since the last build.

After a good build, `_build/output.json` records a fingerprint of everything the writers
read — each chapter's rendered markdown, the figures and written files it refers to, the
configuration, bibliography and style, resources, the engine's code and templates, the
writer options, SOURCE_DATE_EPOCH — and a listing of the output folder as published. The next
build compares both and leaves the output folder untouched when they match.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bookbuild.cache import code_digest, file_digest, fingerprint
from bookbuild.project import Project

if TYPE_CHECKING:
    from bookbuild.execute import ExecutedChapter

STATE_NAME = "output.json"


def build_fingerprint(
    project: Project, executed: list[ExecutedChapter], options: dict
) -> str:
    return fingerprint([
        options,
        os.environ.get("SOURCE_DATE_EPOCH"),
        code_digest(project),
        project.raw,
        [_digests(project.root, _config_files(project))],
        [_chapter_part(project, chapter) for chapter in executed],
        _digests(project.root, _resource_files(project)),
    ])


def _config_files(project: Project) -> list[Path]:
    files = [project.config_path, project.root / "pyproject.toml"]
    if project.bibliography:
        files.append(project.bibliography)
    if project.raw.get("csl"):
        files.append(project.root / str(project.raw["csl"]))
    return files


def _resource_files(project: Project) -> list[Path]:
    return [p for pattern in project.resources for p in sorted(project.root.glob(pattern))]


def _chapter_part(project: Project, chapter: ExecutedChapter) -> list:
    figures = []
    for path in chapter.figures:
        figures += [path, path.with_suffix(".png")]
    written = [project.root / rel for rel in chapter.files_written]
    return [
        chapter.ref.path.as_posix(),
        chapter.markdown,
        chapter.labelled_figures,
        _digests(project.root, [*figures, *written]),
    ]


def _digests(root: Path, paths: Iterable[Path]) -> dict[str, str | None]:
    out = {}
    for path in paths:
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = str(path)
        out[name] = file_digest(path)
    return out


def output_listing(folder: Path) -> dict[str, int]:
    """Names and sizes of the published files (cheap; catches deleted or replaced files)."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def is_up_to_date(project: Project, print_: str) -> bool:
    try:
        state = json.loads((project.build_dir / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if state.get("fingerprint") != print_:
        return False
    listing = output_listing(project.output_dir)
    return bool(listing) and listing == state.get("listing")


def remember(project: Project, print_: str) -> None:
    state = {"fingerprint": print_, "listing": output_listing(project.output_dir)}
    path = project.build_dir / STATE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


def forget(project: Project) -> None:
    """Called before writing: an interrupted build must not leave a stale 'up to date'."""
    (project.build_dir / STATE_NAME).unlink(missing_ok=True)
