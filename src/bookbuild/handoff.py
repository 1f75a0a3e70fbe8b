"""Hand a command-line build to a fork of the kernels' fork server kept from the last build.

The fork starts with the engine, Jupyter's client and the project's libraries imported, as the
server has them; a rebuild on the command line then saves what a new Python spends importing
them (about half a CPU-second for this report). The command line stays the build's face: the
fork gets its stdin, stdout and stderr, its working folder and its environment; Ctrl-C and a
terminate are passed on, and the exit code is the build's. Killed outright, the command line
takes the fork with it (the server kills a fork whose client has gone).

Without a kept server that is right for the build (the first build, kept servers turned off,
changed code or environment, not Linux) the build runs in the command line's own process, as
`bookbuild build --in-process` always does, and leaves a server for the next one.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bookbuild import servers
from bookbuild.errors import BuildError

if TYPE_CHECKING:
    from bookbuild.forkclient import ForkServer

# What a build imports beyond what a kernel needs: the server imports these once it is idle
# (bookbuild.forkserver), so a handed-off build finds them done.
BUILD_MODULES = ["bookbuild.cli", "bookbuild.build", "bookbuild.execute", "bookbuild.assemble",
                 "bookbuild.typst", "bookbuild.html", "bookbuild.search", "bookbuild.checkrun",
                 "nbclient", "jupyter_client.manager", "bookbuild.citations",
                 "bookbuild.crossref"]
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def prepare_build_modules() -> None:
    """Import BUILD_MODULES and do the work they do once per process at first use (for the
    server to do once: bookbuild.forkserver). A module that fails is left to the build."""
    for name in BUILD_MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        # nbformat compiles its schema's validator at the first output a kernel sends
        # (0.08 s, while the build's other kernels wait for their next cell).
        from nbformat.v4 import new_output

        new_output("stream", name="stdout", text="")


def build_in_kept_server(root: Path, argv: list[str], debug: bool = False) -> int | None:
    """Run `bookbuild ARGV --in-process` in a fork of the project's kept server and return
    its exit code; None when there is no server to hand it to, or the server ended before
    the build did (build here instead: the output folder changes only when a build ends
    well, so nothing of the lost build remains)."""
    server = _kept_server(root)
    if server is None:
        return None
    try:
        run = server.run_module("bookbuild.cli", [*argv, "--in-process"], Path.cwd(),
                                stdio=(0, 1, 2))
    except BuildError:
        return None  # it ended since it was found
    pid = run.pid()
    if pid is None:
        run.kill()
        return None
    if debug:
        print(f"  bygger i kjernetjenerens kopi (pid {pid})", file=sys.stderr, flush=True)
    with _forwarding_signals_to(pid):
        code, _ = run.wait()
    if code is None:  # the server ended under it (stopped from elsewhere): build here
        print("Kjernetjeneren stoppet under bygget; bygger på nytt", file=sys.stderr, flush=True)
        return None
    return code if code >= 0 else 128 - code  # killed by a signal: as a shell reports it


def _kept_server(root: Path) -> ForkServer | None:
    from bookbuild import forkclient  # not bookbuild.kernels: asyncio alone costs 0.04 s
    from bookbuild.cache import code_digest
    from bookbuild.project import load_project

    try:
        project = load_project(root)
    except BuildError:
        return None  # the build itself reports it
    if (not forkclient.forks(project) or not servers.idle_setting(project.engine)
            or not project.build_dir.is_dir()):
        return None
    key = forkclient.preload(project, code_digest(project))[1]
    with servers.locked(project.build_dir):
        return forkclient.find_kept(project.build_dir, key)


@contextlib.contextmanager
def _forwarding_signals_to(pid: int) -> Iterator[None]:
    def forward(signum: int, _frame) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
