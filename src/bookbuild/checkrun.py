"""The project's check hook (`[tool.bookbuild] check = "module:function"`), in-process or in a
process of its own.

The build runs the hook beside the chapters' kernels. In the build's own process its
pure-Python work would hold the GIL that the kernels' message loop needs, and every chapter
would wait for it; in a child process (`python -m bookbuild.checkrun ROOT SPEC RESULT`) it only
shares the cores.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bookbuild.cache import file_digest
from bookbuild.errors import BuildError

if TYPE_CHECKING:
    from bookbuild.forkclient import ForkServer

NICENESS = 10  # the check only has to finish before the last chapter does
MODULE = "bookbuild.checkrun"  # run as `python -m`, or in a fork of the kernels' server
_children: set[Callable[[], None]] = set()  # how to kill each running hook
_children_lock = threading.Lock()


def call_hook(root: Path, spec: str) -> list[str]:
    """Import the hook named by `spec` and return the problems it reports for `root`."""
    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise BuildError(f'pyproject.toml: check = "{spec}" must be "module:function"')
    with _importable(root):
        try:
            func = getattr(importlib.import_module(module_name), func_name)
        except (ImportError, AttributeError) as exc:
            raise BuildError(f"pyproject.toml: check hook {spec} not found: {exc}") from None
    return [str(p) for p in (func(root) or [])]


@contextmanager
def _importable(root: Path) -> Iterator[None]:
    """Let the hook be imported from the project (root or src/) even when not installed."""
    extra = [str(p) for p in (root / "src", root) if p.is_dir() and str(p) not in sys.path]
    sys.path[:0] = extra
    try:
        yield
    finally:
        for path in extra:
            sys.path.remove(path)


def run_isolated(root: Path, spec: str, server: ForkServer | None = None
                 ) -> tuple[list[str], dict]:
    """The hook's problems and the inputs it touched (see `checkcache.run_recorded`), from a
    child process: a fork of the kernels' fork `server` when given (its imports are done),
    else a new Python. A hook that crashes is a BuildError naming the hook and its error."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-check-") as work:
        result = Path(work) / "result.json"
        wait, stop = _start(root, [str(root), spec, str(result)], server)
        with _children_lock:
            _children.add(stop)
        try:
            code, output = wait()
        finally:
            with _children_lock:
                _children.discard(stop)
        if code is None and server is not None:  # the server ended under it: run it alone
            return run_isolated(root, spec)
        if code != 0 or not result.is_file():
            tail = "\n".join(output.strip().splitlines()[-12:])
            raise BuildError(f"check hook {spec} failed:\n{tail}".rstrip())
        answer = json.loads(result.read_text(encoding="utf-8"))
    if "error" in answer:
        raise BuildError(answer["error"])
    inputs = answer["inputs"]
    if server is not None:  # files its preloaded modules read while importing count too
        inputs["files"].update({rel: file_digest(root / rel) for rel in server.reads})
    return answer["problems"], inputs


def _start(root: Path, argv: list[str], server: ForkServer | None
           ) -> tuple[Callable[[], tuple[int | None, str]], Callable[[], None]]:
    """Start `python -m bookbuild.checkrun ARGV`; how to wait for its exit code and output,
    and how to kill it."""
    if server is not None:
        try:
            run = server.run_module(MODULE, argv, root)
            return run.wait, run.kill
        except BuildError:
            pass  # it ended since it was found (idle, stale): a new Python does the same
    proc = subprocess.Popen(
        [sys.executable, "-m", MODULE, *argv],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )

    def wait() -> tuple[int | None, str]:
        output = proc.communicate()[0].decode("utf-8", "replace")
        return proc.returncode, output

    return wait, proc.kill


def stop_isolated() -> None:
    """Kill the hooks still running in child processes (the build was interrupted)."""
    with _children_lock:
        for stop in _children:
            stop()


def main(argv: list[str]) -> int:
    from bookbuild.checkcache import run_recorded

    # The chapters' kernels, not the check, are what the build waits for: let them go first.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)
    root, spec, result = Path(argv[0]), argv[1], Path(argv[2])
    try:
        problems, inputs = run_recorded(root, lambda: call_hook(root, spec))
        answer: dict = {"problems": problems, "inputs": inputs}
    except BuildError as exc:
        answer = {"error": str(exc)}
    except Exception:
        traceback.print_exc()
        return 1
    result.write_text(json.dumps(answer), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
