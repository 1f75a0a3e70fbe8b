"""Where chapter kernels come from: forked from a fork server (Linux), or started the usual way.

Settings under `[tool.bookbuild]` in pyproject.toml:

    kernel-preload = ["pandas", "mypackage.charts"]   # imported once, before any fork
    kernel-fork = false                               # start every kernel from scratch instead

A module imported by the server is not imported again by a chapter, so its import-time reads
of project files happen once, in the server: the server reports them, and they count as read
by every chapter that ran (a change to them re-runs every chapter, as it must).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO

from bookbuild.errors import BuildError
from bookbuild.fork_kernel import SOCKET_ENV
from bookbuild.project import Project

KERNEL_NAME = "python3"
IOPUB_WAIT = 0.05  # seconds to wait for "idle" before asking again (cheap: a kernel_info)
START_TIMEOUT = 120  # seconds the server may take to import the preloaded modules


class KernelFactory:
    """Kernel managers for the chapters of one build; the fork server starts at the first
    kernel (a build whose chapters all come from the cache starts none)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.fork = self.forks(project)
        self.preload_reads: list[str] = []
        self._server: asyncio.Task | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._folder: Path | None = None
        self._log: IO[bytes] | None = None

    @staticmethod
    def forks(project: Project) -> bool:
        """fork() after importing libraries is safe on Linux (macOS frameworks are not)."""
        return (sys.platform.startswith("linux")
                and project.engine.get("kernel-fork", True) is not False)

    async def manager(self):
        """A new AsyncKernelManager for one chapter."""
        from jupyter_client.manager import AsyncKernelManager

        if not self.fork:
            return AsyncKernelManager(kernel_name=KERNEL_NAME)
        if self._server is None:
            self._server = asyncio.ensure_future(self._start_server())
        socket_path = await asyncio.shield(self._server)
        return AsyncKernelManager(kernel_name="bookbuild-fork",
                                  kernel_spec_manager=_fork_specs(socket_path))

    async def _start_server(self) -> str:
        self._folder = Path(tempfile.mkdtemp(prefix="bookbuild-"))  # short: socket paths are
        socket_path = str(self._folder / "kernels.sock")  # limited to ~100 characters
        modules = [str(m) for m in self.project.engine.get("kernel-preload", [])]
        logs = self.project.build_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._log = (logs / "forkserver.log").open("wb")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bookbuild.forkserver", socket_path,
            str(self.project.root), *modules,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._log,
            cwd=str(self.project.root), start_new_session=True,  # Ctrl-C goes to the build only
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if not line:
            raise BuildError("the kernel fork server did not start (its log: "
                             f"{self.project.build_dir.name}/logs/forkserver.log)")
        ready = json.loads(line)
        self.preload_reads = list(ready["read"])
        return socket_path

    async def close(self) -> None:
        """Stop the server and every kernel it still has; safe to call more than once."""
        process, self._process = self._process, None
        if self._server is not None and not self._server.done():
            self._server.cancel()
            await asyncio.gather(self._server, return_exceptions=True)
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()  # the server's signal to stop
            try:
                await asyncio.wait_for(asyncio.shield(process.wait()), 5)
            except (TimeoutError, asyncio.CancelledError):
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _fork_specs(socket_path: str):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    spec = KernelSpec(
        argv=[sys.executable, "-m", "bookbuild.fork_kernel", "-f", "{connection_file}"],
        display_name="Python 3 (bookbuild fork)",
        language="python",
        env={SOCKET_ENV: socket_path},
        interrupt_mode="signal",
    )

    class ForkSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    return ForkSpecs()


async def connect(km, timeout: float):
    """A started client of the kernel `km` runs, once the kernel answers on both channels.

    jupyter_client's wait_for_ready also does this, then listens 0.2 s or more for stray
    messages; here the kernel's own "idle" after kernel_info proves IOPub is connected."""
    kc = km.client()
    kc.start_channels()
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg_id = kc.kernel_info()
        if await _replied(kc, msg_id) and await _idle_seen(kc, msg_id):
            kc.allow_stdin = False
            return kc
        if not await km.is_alive():
            raise RuntimeError("the kernel died before it answered")
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"the kernel did not answer in {timeout:.0f} s")


async def _replied(kc, msg_id: str) -> bool:
    from queue import Empty

    try:
        while True:
            msg = await kc.shell_channel.get_msg(timeout=1)
            if msg["parent_header"].get("msg_id") == msg_id:
                kc._handle_kernel_info_reply(msg)  # protocol adaptation, as wait_for_ready does
                return True
    except Empty:
        return False


async def _idle_seen(kc, msg_id: str) -> bool:
    """IOPub may connect after the kernel said "idle" (ZeroMQ's slow joiner): then ask again."""
    from queue import Empty

    try:
        while True:
            msg = await kc.iopub_channel.get_msg(timeout=IOPUB_WAIT)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return True
    except Empty:
        return False
