"""Publish the output folder atomically: build beside it, swap it in only on success.

    with staged_output(project.output_dir) as tmp:
        ...write everything into tmp...
    # here the new folder is in place; on any exception (also KeyboardInterrupt or SIGTERM)
    # the temporary folder is gone and the previous output folder is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from bookbuild.pause import pause_at

_STAGE = ".tmp-"
_RETIRED = ".old-"


@contextlib.contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of `out_dir`; it replaces `out_dir` when the block ends."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)
    stage = out_dir.with_name(f"{out_dir.name}{_STAGE}{os.getpid()}")
    stage.mkdir()
    try:
        with _sigterm_as_interrupt():
            yield stage
        _swap(stage, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def remove_leftovers(out_dir: Path) -> None:
    """Delete temporary siblings of `out_dir` left by a build that was killed (SIGKILL, power)."""
    for pattern in (_STAGE, _RETIRED):
        for path in out_dir.parent.glob(f"{out_dir.name}{pattern}*"):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
                continue  # another build is running right now
            if pattern == _RETIRED and not out_dir.exists():
                os.replace(path, out_dir)  # killed between the two renames: restore
            else:
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap(stage: Path, out_dir: Path) -> None:
    """Two renames, with SIGINT/SIGTERM held back so we never stop between them."""
    retired = out_dir.with_name(f"{out_dir.name}{_RETIRED}{os.getpid()}")
    with _signals_deferred():
        if out_dir.exists():
            os.replace(out_dir, retired)
        try:
            pause_at("swap")
            os.replace(stage, out_dir)
        except BaseException:
            if retired.exists() and not out_dir.exists():
                os.replace(retired, out_dir)
            raise
        # Still deferred: a signal that arrived during the swap must not leave `retired` behind.
        shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C, so `finally` blocks clean up (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
