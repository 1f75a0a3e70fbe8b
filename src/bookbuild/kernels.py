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
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bookbuild import servers
from bookbuild.errors import BuildError
from bookbuild.fork_kernel import FOLDER_PREFIX, NICENESS_ENV, SOCKET_ENV
from bookbuild.forkserver import RUN
from bookbuild.project import Project

KERNEL_NAME = "python3"
IOPUB_WAIT = 0.05  # seconds to wait for "idle" before asking again (cheap: a kernel_info)
# The client connects while the kernel is still starting; ZeroMQ retries a refused connection
# after this many milliseconds (its default, 100, was a third of a forked kernel's start).
RECONNECT_MS = 5
BEHIND_NICENESS = 5  # of every kernel but a build's first (see KernelFactory.next_start_options)
START_TIMEOUT = 120  # seconds the server may take to import the preloaded modules
SERVER_NAME = "forkserver"  # its entry among the kept servers (bookbuild.servers)
CONTROL = b"C"  # the first byte of a control request (a launcher sends K and its stdio)


class KernelFactory:
    """Kernel managers for the chapters of one build; the fork server starts at the first
    kernel (a build whose chapters all come from the cache starts none)."""

    def __init__(self, project: Project, code: str = "", excluded: list[str] | None = None
                 ) -> None:
        self.project = project
        self.code = code  # the project's code digest: a kept server with other code is stale
        self.excluded = list(excluded or [])  # folders whose files are never data
        self.fork = self.forks(project)
        self.preload_reads: list[str] = []
        self._server: asyncio.Task | None = None
        self._started = False  # a kernel was started (see next_start_options)

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
            self._server = asyncio.ensure_future(self._obtain())
        server = await asyncio.shield(self._server)
        self.preload_reads = server.reads
        # Unix sockets with names of their own in the server's private folder, not TCP: with
        # TCP, jupyter_client finds free ports, frees them and lets the kernel bind them, and
        # two kernels starting at once can be given the same port (jupyter/jupyter_client#487).
        return AsyncKernelManager(kernel_name="bookbuild-fork",
                                  kernel_spec_manager=_fork_specs(server.socket_path),
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
        modules = [str(m) for m in self.project.engine.get("kernel-preload", [])]
        return modules, (str(self.project.root), self.code, tuple(modules))

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
        server = ForkServer(self.project, modules, key, self.excluded)
        try:
            await asyncio.to_thread(server.wait_ready)
        except BaseException:
            server.stop()
            raise
        if _keeping:
            _kept[key[0]] = server
        return server

    def kept_server(self) -> ForkServer | None:
        """The server a build before left running, if it is right for this build; a server
        that is not is stopped (the build starts a new one)."""
        if not self.fork or not servers.kept_idle():
            return None
        with servers.locked(self.project.build_dir):
            return self._current_kept(self._preload()[1])

    def _current_kept(self, key: tuple) -> ForkServer | None:
        """(With the lock held.) The server a build before left running (bookbuild.servers),
        if it is still right for this build: same code, modules and environment, preloaded
        files unchanged."""
        build_dir = self.project.build_dir
        entry = servers.lookup(build_dir, SERVER_NAME, self._kept_key(key))
        if entry is None:
            return None
        server = ForkServer.attached(entry, key)
        if server.current():
            return server
        server.stop()
        return None

    @staticmethod
    def _kept_key(key: tuple) -> str:
        return servers.environment_digest() + json.dumps(key)

    def _kept_between_builds(self, modules: list[str], key: tuple) -> ForkServer:
        """The kept server that is right for this build, started now if there is none."""
        build_dir = self.project.build_dir
        with servers.locked(build_dir):
            server = self._current_kept(key)
            if server is not None:
                return server
            server = ForkServer(self.project, modules, key, self.excluded,
                                 idle=servers.kept_idle())
            try:
                server.wait_ready()
            except BaseException:
                server.stop()
                raise
            servers.register(build_dir, SERVER_NAME, {**server.entry(),
                                                       "key": self._kept_key(key)})
        return server

    async def close(self) -> None:
        """Stop the server (unless kept for the next build) with every kernel it still has."""
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


# Servers kept from one build to the next while `keep_servers()` is active (the preview).
_kept: dict[str, ForkServer] = {}
_keeping = False


@contextmanager
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


class ForkServer:
    """The `python -m bookbuild.forkserver` process and its socket. With `idle` > 0 it is kept
    after the build (bookbuild.servers); otherwise it ends when this build closes its stdin."""

    def __init__(self, project: Project, modules: list[str], key: tuple,
                 excluded: list[str] | None = None, idle: int = 0) -> None:
        self.key, self.idle = key, idle
        self.root = project.root
        self.reads: list[str] = []
        self.digests: dict[str, str] = {}
        self.token = servers.new_token() if idle else "-"
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))  # short: socket paths are
        self.socket_path = str(self.folder / "kernels.sock")  # limited to ~100 characters
        logs = project.build_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_name = f"{project.build_dir.name}/logs/forkserver.log"
        self.log = (logs / "forkserver.log").open("wb")
        self.process: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-m", "bookbuild.forkserver", self.socket_path, str(self.root),
             json.dumps(excluded or []), str(idle), self.token,
             str(servers.entry_path(project.build_dir, SERVER_NAME)) if idle else "-", *modules],
            stdin=subprocess.DEVNULL if idle else subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, cwd=str(self.root),
            start_new_session=True,  # Ctrl-C goes to the build only
        )

    @classmethod
    def attached(cls, entry: dict, key: tuple) -> ForkServer:
        """A kept server started by an earlier build (its registry entry)."""
        server = cls.__new__(cls)
        server.key, server.idle, server.process, server.log = key, 1, None, None
        server.root = Path(key[0])
        server.socket_path, server.token = entry["socket"], entry["token"]
        server.folder = Path(server.socket_path).parent
        server.reads, server.digests = list(entry["reads"]), dict(entry["digests"])
        return server

    def entry(self) -> dict:
        return {"socket": self.socket_path, "token": self.token, "reads": self.reads,
                "digests": self.digests, "pid": self.process.pid if self.process else None,
                "prefix": CONTROL.decode()}

    def run_module(self, module: str, argv: list[str], cwd: Path,
                   stdio: tuple[int, int, int] | None = None) -> ForkedRun:
        """Start `module.main(argv)` in a fork of the server (see bookbuild.forkserver) with
        these stdin, stdout and stderr; without them, its output goes to a pipe that
        `ForkedRun.wait` reads."""
        read_end, write_end = os.pipe() if stdio is None else (None, None)
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with open(os.devnull, "rb") as devnull:
                conn.connect(self.socket_path)
                fds = stdio or (devnull.fileno(), write_end, write_end)
                socket.send_fds(conn, [RUN], list(fds))
            request = {"module": module, "argv": argv, "cwd": str(cwd), "env": dict(os.environ)}
            conn.sendall(json.dumps(request).encode() + b"\n")
        except OSError as exc:
            conn.close()
            if read_end is not None:
                os.close(read_end)
            raise BuildError(f"the kernel fork server did not answer: {exc}") from None
        finally:
            if write_end is not None:
                os.close(write_end)
        return ForkedRun(conn, read_end)

    def release(self) -> None:
        """Leave a kept server running; close this build's ends of its pipes and log."""
        for stream in (self.process and self.process.stdout, self.log):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def wait_ready(self) -> None:
        """Block until the server has imported everything (its first line), or failed."""
        assert self.process.stdout is not None
        timer = threading.Timer(START_TIMEOUT, self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            raise BuildError(f"the kernel fork server did not start (its log: {self.log_name})")
        self.reads = list(json.loads(line)["read"])
        self.digests = self._digests()

    def current(self) -> bool:
        """Still running, and the files its modules read at import are unchanged."""
        running = self.process is None or self.process.poll() is None
        return running and self._digests() == self.digests

    def _digests(self) -> dict[str, str]:
        from bookbuild.cache import file_digest

        return {rel: file_digest(self.root / rel) for rel in self.reads}

    def stop(self) -> None:
        """Closing its stdin stops the server and its kernels; kill it if it does not."""
        if self.process is None or self.idle:  # kept: no stdin to close; ask it to end
            servers.ask(self.entry(), {"op": "stop", "token": self.token})
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(OSError, AttributeError):  # no stdin when kept
                self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.log):
            with contextlib.suppress(OSError, AttributeError):
                stream.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class ForkedRun:
    """A module's main() running in a fork of the server (`ForkServer.run_module`)."""

    def __init__(self, conn: socket.socket, output: int | None) -> None:
        self._conn, self._output = conn, output
        self._replies = conn.makefile("rb")
        self._pid: int | None = None
        self._killed = False

    def pid(self) -> int | None:
        """The fork's process id (None if the server did not fork)."""
        if self._pid is None:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                self._pid = int(json.loads(self._replies.readline())["pid"])
        return self._pid

    def wait(self) -> tuple[int | None, str]:
        """Its exit code as `os.waitstatus_to_exitcode` gives it (-SIGKILL once `kill` was
        called; None when the server ended first), and what it wrote when its output went to
        a pipe."""
        try:
            text = ""
            if self._output is not None:
                with open(self._output, "rb", closefd=True) as output:
                    text = output.read().decode("utf-8", "replace")  # until the fork ends
            self.pid()
            codes = [json.loads(line).get("exit") for line in self._replies if line.strip()]
        except (OSError, ValueError):
            codes = []
        finally:
            with contextlib.suppress(OSError):
                self._replies.close()
                self._conn.close()
        codes = [code for code in codes if isinstance(code, int)]
        if not codes and self._killed:  # its exit was not waited for
            codes = [-signal.SIGKILL]
        return (codes[-1] if codes else None), text

    def kill(self) -> None:
        """End it (from any thread): the server kills a fork whose client has gone."""
        self._killed = True
        with contextlib.suppress(OSError):
            self._conn.shutdown(socket.SHUT_RDWR)


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
