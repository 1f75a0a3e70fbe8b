"""Per-chapter execution cache in `_build/cache/`.

An entry holds a chapter's cell outputs and inline values (not its markdown: the prose is
rendered around them on every build). It is valid when (1) the chapter's code key is
unchanged — the code cells and inline expressions in order, execute options, the engine's and
project's Python sources and templates, the lock file — and (2) every file the kernel read last
time still has the same content.

Files the chapter wrote (e.g. a CSV for download) are kept with the entry and put back in place
when the entry is reused, so a cached build publishes the same files as a fresh one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from bookbuild.project import ChapterRef, Project

FORMAT_VERSION = 2
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
    files += sorted(p for sub in ("templates", "resources") for p in (engine_dir / sub).glob("*"))
    lock = project.root / "requirements.lock"
    if lock.is_file():
        files.append(lock)
    digest = hashlib.sha256(f"{FORMAT_VERSION}\n{sys.version}\n".encode())
    for path in files:
        digest.update(f"{path.name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


@functools.cache
def engine_digest() -> str:
    """Hash of the engine's own Python sources (what produced an entry of its memos)."""
    digest = hashlib.sha256()
    for path in sorted(_python_files(Path(__file__).resolve().parent)):
        digest.update(f"{path.name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


def in_code_digest(rel: str) -> bool:
    """Whether the project file `rel` (e.g. one a kernel read while importing) is part of
    `code_digest` already, and so needs no place among a chapter's data files."""
    return rel.startswith("src/") and rel.endswith(".py")


def fingerprint(parts: Iterable[object]) -> str:
    """A stable hash of JSON-able parts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
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

    def last_seconds(self, ref: ChapterRef) -> float | None:
        """How long the chapter's last execution took (valid or not: a scheduling hint)."""
        try:
            seconds = json.loads(self._entry_path(ref).read_text(encoding="utf-8"))["seconds"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return float(seconds) if isinstance(seconds, int | float) else None

    def load(self, ref: ChapterRef, key: str) -> dict | None:
        """The stored entry when still valid for `key`, else None."""
        try:
            entry = json.loads(self._entry_path(ref).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if entry.get("key") != key:
            return None
        for rel, digest in entry["inputs"].items():
            if file_digest(self.root / rel) != digest:
                return None
        if not self._restore_written(ref, entry.get("files_written", [])):
            return None
        return entry

    def store(self, ref: ChapterRef, key: str, entry: dict) -> None:
        """Save `entry` (outputs, files_read, ...) with the digests that validate it."""
        entry = {
            **entry,
            "key": key,
            "inputs": {rel: file_digest(self.root / rel) for rel in entry["files_read"]},
        }
        self._keep_written(ref, entry.get("files_written", []))
        path = self._entry_path(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(entry, ensure_ascii=False, indent=1).encode())

    def _written_dir(self, ref: ChapterRef) -> Path:
        return self.folder / "written" / ref.path.as_posix().replace("/", "__")

    def _keep_written(self, ref: ChapterRef, written: list[str]) -> None:
        for rel in written:
            source = self.root / rel
            if source.is_file():
                _atomic_write(self._written_dir(ref) / rel, source.read_bytes())

    def _restore_written(self, ref: ChapterRef, written: list[str]) -> bool:
        """Put the chapter's written files back; False if a kept copy is missing."""
        for rel in written:
            kept = self._written_dir(ref) / rel
            if not kept.is_file():
                return False
            target = self.root / rel
            content = kept.read_bytes()
            if not target.is_file() or target.read_bytes() != content:
                _atomic_write(target, content)
        return True


def _atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
