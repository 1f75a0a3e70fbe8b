"""The build's side of the kernels' fork server (bookbuild.forkserver): start one, find the
one kept from an earlier build, and run a module's main() in a fork of it.

It imports no more than the standard library and the engine's small modules, so that the
command line can find a kept server before it hands a build to it (bookbuild.handoff).
"""

from __future__ import annotations

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
from pathlib import Path
from typing import TYPE_CHECKING

from bookbuild import servers
from bookbuild.errors import BuildError
from bookbuild.fork_kernel import FOLDER_PREFIX

if TYPE_CHECKING:
    from bookbuild.project import Project

START_TIMEOUT = 120  # seconds the server may take to import the preloaded modules
SERVER_NAME = "forkserver"  # its entry among the kept servers (bookbuild.servers)
CONTROL = b"C"  # the first byte of a control request (a launcher sends K and its stdio)
RUN = b"R"  # the first byte of a request to run a module's main() in a fork


def forks(project: Project) -> bool:
    """fork() after importing libraries is safe on Linux (macOS frameworks are not)."""
    return (sys.platform.startswith("linux")
            and project.engine.get("kernel-fork", True) is not False)


def preload(project: Project, code: str) -> tuple[list[str], tuple]:
    """The modules a server imports, and the key a server must have been started with to
    serve a build: project folder, code digest and the modules."""
    modules = [str(m) for m in project.engine.get("kernel-preload", [])]
    return modules, (str(project.root), code, tuple(modules))


def kept_key(key: tuple) -> str:
    """A kept server's registry key: `key` in the environment it was started in."""
    return servers.environment_digest() + json.dumps(key)


def find_kept(build_dir: Path, key: tuple) -> ForkServer | None:
    """(With `servers.locked(build_dir)` held.) The server a build before left running, if
    it is still right: same key and environment, preloaded files unchanged. One that is not
    is stopped."""
    entry = servers.lookup(build_dir, SERVER_NAME, kept_key(key))
    if entry is None:
        return None
    server = ForkServer.attached(entry, key)
    if server.current():
        return server
    server.stop()
    return None


class ForkServer:
    """The `python -m bookbuild.forkserver` process and its socket. With `idle` > 0 it is kept
    after the build (bookbuild.servers); otherwise it ends when this build closes its stdin.
    A server that serves more than one build (kept, or with `spare`: the preview's) keeps a
    spare kernel for the next one (bookbuild.spare)."""

    def __init__(self, project: Project, modules: list[str], key: tuple,
                 excluded: list[str] | None = None, idle: int = 0, spare: bool = False) -> None:
        self.key, self.idle = key, idle
        self.spare = spare or idle > 0
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
             str(servers.entry_path(project.build_dir, SERVER_NAME)) if idle else "-",
             str(logs) if self.spare else "-", *modules],
            stdin=subprocess.DEVNULL if idle else subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, cwd=str(self.root),
            start_new_session=True,  # Ctrl-C goes to the build only
        )

    @classmethod
    def attached(cls, entry: dict, key: tuple) -> ForkServer:
        """A kept server started by an earlier build (its registry entry)."""
        server = cls.__new__(cls)
        server.key, server.idle, server.process, server.log = key, 1, None, None
        server.spare = True
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
