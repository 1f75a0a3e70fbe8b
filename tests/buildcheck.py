"""Helpers of the failure tests (tests/conftest.py puts this folder on sys.path): run the
real `bookbuild` command in a subprocess and check that a refused build left nothing behind.

    run = bookbuild(root, "build")
    assert_refused(run, root, before, "data/survey.yaml:85", "counts")

`assert_refused` is the contract every failure case shares: exit 1, one short message on
stderr naming where the problem is, no Python traceback, `_book/` byte-identical to `before`
(a `tree_digest`), no temporary folders and no kernel left running.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

MAX_MESSAGE_LINES = 25  # "short": a check listing a few problems, never a traceback


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a build of `root`: kernels import the copy's own `src/`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKBUILD_TEST")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def bookbuild_cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bookbuild", *args, "--root", str(root)]


def bookbuild(root: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 600) -> Run:
    """`python -m bookbuild <args> --root <root>` with real exit code, stdout and stderr."""
    done = subprocess.run(
        bookbuild_cmd(root, *args), cwd=root, env=cli_env(root, env),
        capture_output=True, text=True, timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def tree_digest(folder: Path) -> str:
    """One hash over every file's relative path and bytes ("" when the folder is missing)."""
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def leftovers(root: Path) -> list[str]:
    """Temporary siblings of the output folder (`_book.tmp-*`, `_book.old-*`)."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith("_book."))


def processes_in(root: Path, grace: float = 10.0) -> list[str]:
    """Processes (kernels) still running with their working folder inside `root`, after
    giving ones that are already shutting down `grace` seconds to go."""
    deadline = time.monotonic() + grace
    while True:
        found = []
        for proc in psutil.process_iter(["pid", "cwd", "cmdline"]):
            cwd = proc.info.get("cwd")
            if cwd and Path(cwd).is_relative_to(root) and proc.pid != os.getpid():
                found.append(f"{proc.pid}: {' '.join(proc.info.get('cmdline') or [])}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def assert_clean_failure(run: Run, root: Path, before: str, *, code: int = 1) -> None:
    """Exit `code`, no traceback, `_book/` unchanged, no temporary folders, no kernels."""
    assert run.code == code, run.text
    assert "Traceback" not in run.text, run.text
    assert "Exception ignored" not in run.text, run.text
    assert tree_digest(root / "_book") == before, "the previous _book/ was changed"
    assert leftovers(root) == []
    assert processes_in(root) == []


def assert_refused(run: Run, root: Path, before: str, *expected: str) -> str:
    """A clean failure with ONE short `Feil:` message containing every `expected` text."""
    assert_clean_failure(run, root, before)
    message = run.err.strip()
    assert message.startswith("Feil: "), run.text
    assert message.count("Feil:") == 1, run.text
    assert len(message.splitlines()) <= MAX_MESSAGE_LINES, run.text
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"
    return message


def skip_unless_ci(reason: str) -> None:
    """Skip with `reason`, except on CI, where the requirement must be met."""
    if os.environ.get("CI"):
        pytest.fail(f"required on CI: {reason}")
    pytest.skip(reason)
