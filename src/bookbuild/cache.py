"""Per-chapter execution cache in `_build/cache/`.

An entry is valid when (1) the chapter's source key is unchanged — notebook cells without
outputs, execute options, the engine's and project's Python sources, the lock file — and
(2) every file the kernel read last time still has the same content, and (3) the figures the
markdown refers to are still in `_build/figures/` with the same content.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from bookbuild.project import ChapterRef, Project

FORMAT_VERSION = 1
_SKIP_DIRS = {"__pycache__", ".venv", "venv", ".git", "_build", "_book"}


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def code_digest(project: Project) -> str:
    """Hash of the engine's and the project's own Python sources and the lock file."""
    engine_dir = Path(__file__).resolve().parent
    dirs = [engine_dir, project.root / "src"]
    files = sorted({p.resolve() for d in dirs if d.is_dir() for p in _python_files(d)})
    lock = project.root / "requirements.lock"
    if lock.is_file():
        files.append(lock)
    digest = hashlib.sha256(f"{FORMAT_VERSION}\n{sys.version}\n".encode())
    for path in files:
        digest.update(f"{path.name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


def _python_files(folder: Path) -> Iterable[Path]:
    for path in folder.rglob("*.py"):
        if not _SKIP_DIRS.intersection(path.parts):
            yield path


def source_key(cells: list[tuple[str, str]], execute: dict, code: str) -> str:
    """Key of one chapter's inputs other than the data files it reads."""
    payload = json.dumps([cells, execute, code], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ChapterCache:
    def __init__(self, project: Project) -> None:
        self.root = project.root
        self.folder = project.build_dir / "cache"

    def _entry_path(self, ref: ChapterRef) -> Path:
        name = ref.path.as_posix().replace("/", "__")
        return self.folder / f"{name}.json"

    def load(self, ref: ChapterRef, key: str) -> dict | None:
        """The stored entry when still valid for `key`, else None."""
        try:
            entry = json.loads(self._entry_path(ref).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if entry.get("key") != key:
            return None
        for rel, digest in {**entry["inputs"], **entry["figure_digests"]}.items():
            if file_digest(self.root / rel) != digest:
                return None
        return entry

    def store(self, ref: ChapterRef, key: str, entry: dict) -> None:
        """Save `entry` (markdown, figures, files_read, ...) with the digests that validate it."""
        entry = {
            **entry,
            "key": key,
            "inputs": {rel: file_digest(self.root / rel) for rel in entry["files_read"]},
            "figure_digests": {
                rel: file_digest(self.root / rel)
                for rel in entry.get("all_figures", entry["figures"])
            },
        }
        path = self._entry_path(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
