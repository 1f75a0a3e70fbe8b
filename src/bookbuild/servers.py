"""Servers kept between builds, so that the next build starts warm (as Gradle's daemon does).

Two helpers of a build can outlive it: the kernels' fork server (its imports done) and a typst
compiler (its memory of the last compile). Each is registered in `<build_dir>/servers/NAME.json`
with its socket, a random token and the key it was started with (code, settings, environment).
The next build uses it only when the key is the same and it answers with its token; otherwise
it is stopped and a new one started. A kept server ends by itself after `idle` seconds without
work, or when its project folder is gone; `bookbuild stop` and `bookbuild clean` end it at once.

How long servers are kept (seconds of idleness; 0 keeps none):

    BOOKBUILD_KEEP_SERVERS=600                  # the environment wins
    [tool.bookbuild] keep-servers = 600         # pyproject.toml

The default is 600, or 0 when CI is set. Only the command line keeps servers (`keeping`): a
build run as a library call starts and stops its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

ENV = "BOOKBUILD_KEEP_SERVERS"
DEFAULT_IDLE = 600
FOLDER = "servers"  # in the build folder
# Variables that change between two shells without changing what a server computes.
_VOLATILE_ENV = {"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES", "TERM_SESSION_ID",
                 "WINDOWID", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKE_TERMOUT", "MAKE_TERMERR"}

_idle = 0  # seconds: kept servers are used while this is positive (see `keeping`)


def idle_setting(engine: dict) -> int:
    """Seconds a server is kept idle: $BOOKBUILD_KEEP_SERVERS, else `keep-servers`, else the
    default (0 under CI, where nobody rebuilds and no process may outlive the job)."""
    if os.name != "posix":  # sockets, locks and signals as used here are POSIX
        return 0
    value = os.environ.get(ENV, "").strip()
    if not value:
        value = engine.get("keep-servers", 0 if os.environ.get("CI") else DEFAULT_IDLE)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


@contextlib.contextmanager
def keeping(idle: int) -> Iterator[None]:
    """Builds inside use kept servers, and leave them for `idle` seconds after their last use."""
    global _idle
    before, _idle = _idle, idle
    try:
        yield
    finally:
        _idle = before


def kept_idle() -> int:
    return _idle


def new_token() -> str:
    return secrets.token_hex(16)


def environment_digest() -> str:
    """What a server inherits from the environment it was started in (e.g. PYTHONPATH), and
    the state of the installed packages (a server keeps the versions it imported)."""
    items = sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV)
    installed = _installation_stamps()
    return hashlib.sha256(json.dumps([sys.executable, items, installed]).encode()).hexdigest()


def _installation_stamps() -> list[int]:
    """When the package folders last changed: installing, upgrading or removing a package
    adds or removes entries there."""
    import sysconfig

    stamps = []
    for name in ("purelib", "platlib"):
        try:
            stamps.append(os.stat(sysconfig.get_paths()[name]).st_mtime_ns)
        except (KeyError, OSError):
            stamps.append(0)
    return stamps


@contextlib.contextmanager
def locked(build_dir: Path) -> Iterator[None]:
    """One build at a time looks up or starts the project's servers."""
    import fcntl

    folder = build_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def entry_path(build_dir: Path, name: str) -> Path:
    """Where the registry entry of server `name` is (the server watches it, see Lifetime)."""
    return build_dir / FOLDER / f"{name}.json"


def lookup(build_dir: Path, name: str, key: str) -> dict | None:
    """The registered server `name` if it was started with `key` and answers; a server with
    another key is stopped, and its entry removed."""
    entry = _read(build_dir, name)
    if entry is None:
        return None
    if entry.get("folder") != str(build_dir):  # copied with the project: another's server
        entry_path(build_dir, name).unlink(missing_ok=True)
        return None
    if entry.get("key") == key:
        reply = ask(entry, {"op": "hello"})
        if reply is not None and reply.get("token") == entry.get("token"):
            return entry
    stop(build_dir, name)
    return None


def register(build_dir: Path, name: str, entry: dict) -> None:
    """Record a started server: `entry` has its socket, token, key and, if its requests
    start with a byte, that byte as `prefix`."""
    path = entry_path(build_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**entry, "folder": str(build_dir)}), encoding="utf-8")
    os.replace(tmp, path)


def stop(build_dir: Path, name: str) -> bool:
    """Ask the registered server `name` to end; forget it either way. True if it answered."""
    entry = _read(build_dir, name)
    entry_path(build_dir, name).unlink(missing_ok=True)
    if entry is None or entry.get("folder") != str(build_dir):  # none, or another project's
        return False
    return ask(entry, {"op": "stop", "token": entry.get("token")}) is not None


def ask(entry: dict, message: dict, timeout: float | None = 5) -> dict | None:
    """Send `message` to the server of a registry entry; its reply, or None."""
    prefix = str(entry.get("prefix", "")).encode()
    return request(str(entry.get("socket", "")), message, prefix=prefix, timeout=timeout)


def registered(build_dir: Path) -> dict[str, dict]:
    """Every registered server by name (for `bookbuild stop` and the benchmark)."""
    folder = build_dir / FOLDER
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return {name: entry for name in names if (entry := _read(build_dir, name)) is not None}


def request(socket_path: str, message: dict, *, prefix: bytes = b"",
            timeout: float | None = None) -> dict | None:
    """Send one JSON line (after `prefix`), return the one-line JSON reply; None when nobody
    answers (no such socket, a server that ended, a timeout)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(socket_path)
            conn.sendall(prefix + json.dumps(message).encode() + b"\n")
            with conn.makefile("rb") as replies:
                line = replies.readline()
        return json.loads(line) if line else None
    except (OSError, ValueError):
        return None


def _read(build_dir: Path, name: str) -> dict | None:
    try:
        entry = json.loads(entry_path(build_dir, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


class Lifetime:
    """When a kept server should end: after `idle` seconds without work, when its project
    folder is gone (a removed copy must not leave its servers behind), or when its registry
    entry, once written, is gone or names another server (`rm -rf _build`: no build will find
    it again)."""

    CHECK_EVERY = 2.0  # seconds between looks at the project folder and the entry
    # Until the entry has named the server: a short build writes it, ends, and the entry may be
    # removed within CHECK_EVERY; a server that never saw it would stay until it is idle.
    FIRST_CHECKS_EVERY = 0.1

    def __init__(self, idle: float, root: str, entry: str = "", token: str = "") -> None:
        import time

        self._now = time.monotonic
        self.idle, self.root = idle, root
        self.entry, self.token, self._registered = entry, token, False
        self.last_used = self._checked = self._now()

    def touch(self) -> None:
        self.last_used = self._now()

    def over(self, busy: bool = False) -> bool:
        now = self._now()
        if busy:
            self.last_used = now
        every = self.CHECK_EVERY
        if self.entry and not self._registered:
            every = min(every, self.FIRST_CHECKS_EVERY)
        if now - self._checked >= every:
            self._checked = now
            if not os.path.isdir(self.root) or self._unregistered():
                return True
        return now - self.last_used > self.idle

    def _unregistered(self) -> bool:
        """The entry named this server and no longer does (the build writes it only after the
        server has started, so before that its absence means nothing)."""
        if not self.entry:
            return False
        try:
            with open(self.entry, encoding="utf-8") as handle:
                named = json.load(handle).get("token") == self.token
        except (OSError, ValueError, AttributeError):
            named = False
        self._registered = self._registered or named
        return self._registered and not named
