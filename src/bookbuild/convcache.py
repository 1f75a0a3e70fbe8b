"""Text produced by pandoc, kept in a folder under a hash of pandoc and everything it read.

Used for the per-chapter conversions after assembly (Typst, HTML pages) and for citeproc, so a
rebuild after a prose edit converts only what changed. Entries the current build did not use are
pruned by `prune()`, writes are atomic and unreadable entries are ignored (recomputed).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from bookbuild.pandoc import pandoc_path

SUFFIX = ".txt"


@cache
def pandoc_identity() -> str:
    """pandoc's path, size and modification time: a new binary invalidates every entry."""
    path = pandoc_path()
    try:
        stat = os.stat(path)
    except OSError:
        return path
    return f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}"


class TextCache:
    """`get(material, produce)`: produce() once per distinct material; thread-safe."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.used: set[str] = set()
        self.misses = 0

    def key(self, material: str) -> str:
        digest = hashlib.sha256(pandoc_identity().encode())
        digest.update(b"\0")
        digest.update(material.encode("utf-8"))
        return digest.hexdigest()

    def get(self, material: str, produce: Callable[[], str]) -> str:
        cached = self.find(material)
        if cached is not None:
            return cached
        self.misses += 1
        text = produce()
        self.put(material, text)
        return text

    def find(self, material: str) -> str | None:
        """The text kept for `material`, None if there is none (it is kept on pruning)."""
        path = self.store / f"{self.key(material)}{SUFFIX}"
        self.used.add(path.name)
        return _read(path)

    def keep(self, material: str) -> None:
        """Keep the entry for `material` on pruning, without reading it."""
        self.used.add(f"{self.key(material)}{SUFFIX}")

    def put(self, material: str, text: str) -> None:
        path = self.store / f"{self.key(material)}{SUFFIX}"
        self.used.add(path.name)
        self.store.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        data = text.encode("utf-8")
        tmp.write_bytes(hashlib.sha256(data).hexdigest().encode() + b"\n" + data)
        os.replace(tmp, path)

    def prune(self) -> None:
        """Remove the entries this build did not use (not temporary files: another build
        may be writing one)."""
        if not self.store.is_dir():
            return
        for old in self.store.glob(f"*{SUFFIX}"):
            if old.name not in self.used:
                old.unlink(missing_ok=True)


def _read(path: Path) -> str | None:
    """The entry's text, or None if missing or damaged (its first line is the text's hash)."""
    try:
        head, _, data = path.read_bytes().partition(b"\n")
        if hashlib.sha256(data).hexdigest().encode() != head:
            return None
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
