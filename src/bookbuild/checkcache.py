"""Remember the project's check hook result until a file it looked at changes.

The hook runs with an audit hook recording which files under the project root it opened and
which folders it listed (`os.scandir`/`os.listdir`, as a glob does); the result is reused while
the engine's and project's code, every recorded file's content and every recorded folder's
listing are unchanged. Nothing is listed by hand, so a new data file in a folder the checker
globs re-runs it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from bookbuild.cache import file_digest

_recording: dict = {"root": None, "opened": set(), "listed": set(), "thread": None}
_installed = False
_NOT_INPUTS = {"__pycache__", ".venv", "venv", "_build", "_book", ".git"}
_guard = threading.local()


def _audit(event: str, args: tuple) -> None:
    root = _recording["root"]
    if root is None or threading.get_ident() != _recording["thread"]:
        return
    if event not in ("open", "os.scandir", "os.listdir") or getattr(_guard, "busy", False):
        return
    path = args[0] if args else None
    if path is None or isinstance(path, int):
        return
    _guard.busy = True
    try:
        full = os.path.realpath(os.fsdecode(path))
        inside = full.startswith(root + os.sep) or full == root
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        if inside and not _NOT_INPUTS.intersection(rel.split("/")):
            kind = "opened" if event == "open" else "listed"
            _recording[kind].add(rel)
    except Exception:  # an audit hook must never break the code it watches
        pass
    finally:
        _guard.busy = False


def _install() -> None:
    global _installed
    if not _installed:  # audit hooks cannot be removed: install one, switch it on and off
        sys.addaudithook(_audit)
        _installed = True


def run_recorded(root: Path, func: Callable[[], list[str]]) -> tuple[list[str], dict]:
    """Run `func`, returning its result and the inputs it touched under `root`."""
    _install()
    _recording.update(root=os.path.realpath(root), opened=set(), listed=set(),
                      thread=threading.get_ident())
    try:
        result = func()
    finally:
        opened, listed = _recording["opened"], _recording["listed"]
        _recording["root"] = None
    return result, _snapshot(Path(root), opened, listed)


def _snapshot(root: Path, opened: set[str], listed: set[str]) -> dict:
    files = {rel: file_digest(root / rel) for rel in sorted(opened) if (root / rel).is_file()}
    folders = {rel: _listing(root / rel) for rel in sorted(listed)
               if rel != "." and not _for_imports(root / rel)}
    return {"files": files, "folders": folders}


def _for_imports(folder: Path) -> bool:
    """Folders the import system lists (sys.path entries, packages, the project root): code,
    which the key covers; the root's listing also changes with every build's outputs."""
    on_path = {os.path.realpath(p or ".") for p in sys.path}
    return os.path.realpath(folder) in on_path or (folder / "__init__.py").is_file()


def _listing(folder: Path) -> str:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ""
    return hashlib.sha256("\0".join(names).encode()).hexdigest()


def still_valid(root: Path, inputs: dict) -> bool:
    files = inputs.get("files", {})
    folders = inputs.get("folders", {})
    return all(file_digest(root / rel) == digest for rel, digest in files.items()) and all(
        _listing(root / rel) == digest for rel, digest in folders.items()
    )


def cached_check(
    root: Path, store: Path, key: str, run: Callable[[], tuple[list[str], dict]]
) -> list[str]:
    """The problems `run` reports (with the inputs it touched, as `run_recorded` returns
    them), reused from `store` while key and inputs are unchanged."""
    try:
        entry = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entry = {}
    if entry.get("key") == key and still_valid(root, entry.get("inputs", {})):
        return list(entry["problems"])
    problems, inputs = run()
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_name(f".{store.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"key": key, "inputs": inputs, "problems": problems}),
                   encoding="utf-8")
    os.replace(tmp, store)
    return problems
