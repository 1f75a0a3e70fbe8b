"""Where chapter kernels come from: forked from a fork server (Linux), or started the usual way.

Settings under `[tool.bookbuild]` in pyproject.toml:

    kernel-preload = ["pandas", "mypackage.charts"]   # imported once, before any fork
    kernel-fork = false                               # start every kernel from scratch instead

A module imported by the server is not imported again by a chapter, so its import-time reads
of project files happen once, in the server: the server reports them, and they count as read
by every chapter that ran (a change to them re-runs every chapter, as it must). List only
modules that start no threads or processes when imported: a fork copies the importing thread
alone. A module that fails to import is skipped (see `_build/logs/forkserver.log`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator

from bookbuild import forkclient, servers
from bookbuild.fork_kernel import NICENESS_ENV, SOCKET_ENV
from bookbuild.forkclient import SERVER_NAME, ForkServer, find_kept, kept_key
from bookbuild.project import Project

KERNEL_NAME = "python3"
IOPUB_WAIT = 0.05  # seconds to wait for "idle" before asking again (cheap: a kernel_info)
# The client connects while the kernel is still starting; ZeroMQ retries a refused connection
# after this many milliseconds (its default, 100, was a third of a forked kernel's start).
RECONNECT_MS = 5
BEHIND_NICENESS = 5  # of every kernel but a build's first (see KernelFactory.next_start_options)


class KernelFactory:
    """Kernel managers for the chapters of one build; the fork server starts at the first
    kernel (a build whose chapters all come from the cache starts none)."""

    def __init__(self, project: Project, code: str = "", excluded: list[str] | None = None,
                 share: concurrent.futures.Future | None = None) -> None:
        """`share` gets the fork server once it is ready (None when there will be none), for
        other work of the same build that wants its imports (the project's check)."""
        self.project = project
        self.code = code  # the project's code digest: a kept server with other code is stale
        self.excluded = list(excluded or [])  # folders whose files are never data
        self.fork = forkclient.forks(project)
        self.preload_reads: list[str] = []
        self._server: asyncio.Task | None = None
        self._started = False  # a kernel was started (see next_start_options)
        self._retiring: list[asyncio.Future] = []  # shutdowns of kernels whose work is done
        self._share = share
        if not self.fork:
            offer(share, None)

    async def manager(self):
        """A new AsyncKernelManager for one chapter."""
        from jupyter_client.manager import AsyncKernelManager

        if not self.fork:
            return AsyncKernelManager(kernel_name=KERNEL_NAME)
        if self._server is None:
            self._server = asyncio.ensure_future(self._obtain())
        server = await asyncio.shield(self._server)
        offer(self._share, server)
        self.preload_reads = server.reads
        # Unix sockets with names of their own in the server's private folder, not TCP: with
        # TCP, jupyter_client finds free ports, frees them and lets the kernel bind them, and
        # two kernels starting at once can be given the same port (jupyter/jupyter_client#487).
        return AsyncKernelManager(kernel_name="bookbuild-fork",
                                  kernel_spec_manager=_fork_specs(server.socket_path,
                                                                  spare=server.spare),
                                  transport="ipc", ip=str(server.folder / uuid.uuid4().hex[:12]))

    def next_start_options(self) -> dict:
        """Options for starting the next kernel. Chapters start longest first, so the first
        kernel belongs to the chapter the build waits for: the later ones give way to it
        when the cores are short (a forked kernel lowers its priority as its environment
        says; bookbuild.forkserver)."""
        first, self._started = not self._started, True
        if not self.fork or first:
            return {}
        return {"env": {**os.environ, NICENESS_ENV: str(BEHIND_NICENESS)}}

    def _preload(self) -> tuple[list[str], tuple]:
        """The modules a server imports, and what makes a server right for this build."""
        return forkclient.preload(self.project, self.code)

    def server_for_other_work(self) -> ForkServer | None:
        """The server this build's kernels use, for work outside the chapters that wants the
        same imports (the project's check): the one kept between builds (started now if
        there is none, so the kernels find it), the preview's if it is current, or None
        (no forking; or a server that lives only as long as one build's kernels)."""
        if not self.fork:
            return None
        modules, key = self._preload()
        if _keeping:
            kept = _kept.get(key[0])
            return kept if kept is not None and kept.key == key and kept.current() else None
        if servers.kept_idle():
            return self._kept_between_builds(modules, key)
        return None

    async def _obtain(self) -> ForkServer:
        modules, key = self._preload()
        if servers.kept_idle() and not _keeping:
            return await asyncio.to_thread(self._kept_between_builds, modules, key)
        kept = _kept.get(key[0]) if _keeping else None
        if kept is not None and kept.key == key and kept.current():
            return kept
        if kept is not None:
            kept.stop()
        server = ForkServer(self.project, modules, key, self.excluded, spare=_keeping)
        try:
            await asyncio.to_thread(server.wait_ready)
        except BaseException:
            server.stop()
            raise
        if _keeping:
            _kept[key[0]] = server
        return server

    def _kept_between_builds(self, modules: list[str], key: tuple) -> ForkServer:
        """The kept server that is right for this build, started now if there is none."""
        build_dir = self.project.build_dir
        with servers.locked(build_dir):
            server = find_kept(build_dir, key)
            if server is not None:
                return server
            server = ForkServer(self.project, modules, key, self.excluded,
                                 idle=servers.kept_idle())
            try:
                server.wait_ready()
            except BaseException:
                server.stop()
                raise
            servers.register(build_dir, SERVER_NAME, {**server.entry(), "key": kept_key(key)})
        return server

    def retire(self, shutdown: Callable[[], Awaitable[None]]) -> None:
        """Shut down a kernel whose chapter is done without waiting for it: the chapter goes
        on to be parsed and the next one starts (jupyter_client checks every 0.1 s whether a
        killed kernel has ended). close() waits for every one."""
        self._retiring.append(asyncio.ensure_future(shutdown()))

    async def close(self) -> None:
        """Wait for the retiring kernels, then stop the server (unless kept for the next
        build) with every kernel it still has. A kernel that failed to shut down is an error
        once the server is seen to."""
        retiring, self._retiring = self._retiring, []
        offer(self._share, None)  # no kernel needed one: there will be no server
        try:
            ended = await asyncio.gather(*retiring, return_exceptions=True)
        finally:  # interrupted while waiting, too: the server takes the kernels with it
            await self._close_server()
        for outcome in ended:
            if isinstance(outcome, Exception):
                raise outcome

    async def _close_server(self) -> None:
        job, self._server = self._server, None
        if job is None:
            return
        if not job.done():
            job.cancel()
        results = await asyncio.gather(job, return_exceptions=True)
        server = results[0]
        if not isinstance(server, ForkServer) or _kept.get(server.key[0]) is server:
            return
        if server.idle:
            server.release()  # it stays for the next build
        else:
            await asyncio.to_thread(server.stop)


def offer(share: concurrent.futures.Future | None, outcome: object) -> None:
    """Settle `share` with `outcome` (a server, None, or an exception for "do not start"),
    unless it is settled already: the first word counts."""
    if share is None:
        return
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if isinstance(outcome, BaseException):
            share.set_exception(outcome)
        else:
            share.set_result(outcome)


# Servers kept from one build to the next while `keep_servers()` is active (the preview).
_kept: dict[str, ForkServer] = {}
_keeping = False


@contextlib.contextmanager
def keep_servers() -> Iterator[None]:
    """Builds inside reuse the fork server of the build before (with the same code, preload
    list and preloaded files): a rebuild skips the imports. All are stopped at the end."""
    global _keeping
    _keeping = True
    try:
        yield
    finally:
        _keeping = False
        for server in _kept.values():
            server.stop()
        _kept.clear()


def _fork_specs(socket_path: str, spare: bool = False):
    """The kernel spec of forked kernels; with `spare` (a server that keeps a spare kernel:
    bookbuild.spare), its provisioner takes the spare when it can."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    from bookbuild import provisioner

    spec = KernelSpec(
        argv=[sys.executable, "-m", "bookbuild.fork_kernel", "-f", "{connection_file}"],
        display_name="Python 3 (bookbuild fork)",
        language="python",
        env={SOCKET_ENV: socket_path},
        interrupt_mode="signal",
        metadata={"kernel_provisioner": {"provisioner_name": provisioner.NAME}}
        if spare and _provisioner_installed() else {},
    )

    class ForkSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    return ForkSpecs()


def _provisioner_installed() -> bool:
    """jupyter_client finds provisioners by entry point: only an installed project has it."""
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    from bookbuild import provisioner

    return provisioner.NAME in KernelProvisionerFactory.instance().provisioners


async def connect(km, timeout: float):
    """A started client of the kernel `km` runs, once the kernel answers on both channels.

    jupyter_client's wait_for_ready also does this, then listens 0.2 s or more for stray
    messages; here the kernel's own "idle" after kernel_info proves IOPub is connected."""
    import zmq

    kc = km.client()
    if km.transport == "ipc":  # retrying a Unix socket costs a failed connect() and nothing more
        kc.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
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
