"""The spare kernel of a fork server that serves more than one build (bookbuild.forkserver):
one kept between command-line builds, or the preview's.

A forked kernel still spends about a quarter of a second before it answers: jupyter_client
starts its launcher, the server forks, ipykernel sets up its shell and sockets. Such a server
does that once ahead, between builds: the spare is a forked kernel that has done all
of it, bound to a connection file of the server's own, and waits. The next build's first
kernel (the chapter it waits for longest) takes it through bookbuild.provisioner: the spare
then moves to the build's directory and environment, lowers its priority if asked, and
starts answering. A spare nobody takes costs memory only; it ends with the server.

Protocol: a provisioner connects to the server's socket and sends the byte S and
`{"cwd": ..., "env": {...}}`; it gets `{"pid": N, "connection": {...}, "log": PATH}` and, as
a launcher does, `{"exit": code}` when the kernel ends (its connection closing kills the
kernel), or `{"pid": null}` when no spare is ready. PATH is the spare's stdout and stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from bookbuild.fork_kernel import NICENESS_ENV

REQUEST = b"S"
MAX_FAILURES = 3  # spares that died unused: then the server starts no more


class Spare:
    """The server's side: at most one spare, started when asked and handed out once ready."""

    def __init__(self, folder: str, logs: Path) -> None:
        self.folder, self.logs = folder, logs
        self.pid: int | None = None
        self.channel: socket.socket | None = None  # the spare says "ready" here, and is adopted
        self.connection: dict | None = None  # its connection file's content, once ready
        self.log = ""
        self._info: dict = {}
        self._file = ""  # its connection file
        self.started = self.failures = 0

    def wanted(self, busy: bool) -> bool:
        """Whether to start a spare now: none yet, and the server has no other child (the
        next build may come at once: a spare that is not ready yet is not handed out)."""
        return self.pid is None and not busy and self.failures < MAX_FAILURES

    def start(self, fork: Callable[[list[int], Callable[[], int]], int]) -> None:
        """Fork a spare with `fork(stdio fds, work)`: the child runs `work` and exits."""
        from jupyter_client.connect import write_connection_file

        self.started += 1
        name = f"spare-{os.getpid()}-{self.started}"
        self._file, self._info = write_connection_file(
            os.path.join(self.folder, f"{name}.json"), transport="ipc",
            ip=os.path.join(self.folder, name), key=uuid.uuid4().hex.encode())
        self.logs.mkdir(parents=True, exist_ok=True)
        self.log = str(self.logs / f"kernel-{name}.log")
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        ours, theirs = socket.socketpair()

        def work() -> int:
            ours.close()  # else the spare would never see the server's end go
            return run_spare(theirs, self._file)

        try:
            self.pid = fork([null, log, log], work)
        finally:
            for fd in (null, log):
                os.close(fd)
            theirs.close()
        self.channel, self.connection = ours, None

    def read_ready(self) -> None:
        """The channel is readable: the spare is ready, or gone (reaped later)."""
        assert self.channel is not None
        data = b""
        with contextlib.suppress(OSError):
            data = self.channel.recv(4096)
        if data.startswith(b"ready"):
            self.connection = dict(self._info)
        else:
            self.connection = None

    def take(self, request: dict) -> dict | None:
        """Hand the ready spare to `request` (its cwd and env): the reply for the provisioner,
        or None. The spare is then the requester's kernel, no longer the server's spare."""
        if self.pid is None or self.connection is None or self.channel is None:
            return None
        adoption = {"cwd": str(request.get("cwd") or os.getcwd()),
                    "env": {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}}
        try:
            self.channel.sendall(json.dumps(adoption).encode() + b"\n")
        except OSError:
            return None
        reply = {"pid": self.pid, "connection": self.connection, "log": self.log}
        self._forget(remove_log=False)
        return reply

    def died(self) -> None:
        """The spare was reaped before anyone took it."""
        self.failures += 1
        self._forget(remove_log=self.failures < MAX_FAILURES)  # the last one's log is kept

    def stop(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        self._forget(remove_log=True)

    def _forget(self, remove_log: bool) -> None:
        if self.channel is not None:
            self.channel.close()
        with contextlib.suppress(OSError):  # read by the kernel when it set itself up
            os.unlink(self._file)
        if remove_log and self.log:
            with contextlib.suppress(OSError):
                os.unlink(self.log)
        self.pid, self.channel, self.connection, self.log = None, None, None, ""


def run_spare(channel: socket.socket, connection_file: str) -> int:
    """In the forked child: become a kernel up to the point of answering, say so, wait to be
    adopted, then take the adopter's directory, environment and priority and serve."""
    from ipykernel import kernelapp

    from bookbuild.forkserver import KERNEL_OPTIONS

    before = dict(os.environ)
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *KERNEL_OPTIONS]
    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    # What the kernel set for itself (e.g. PAGER) it keeps in the adopter's environment.
    own = {k: v for k, v in os.environ.items() if before.get(k) != v}
    own["JPY_PARENT_PID"] = str(os.getppid())  # as bookbuild.forkserver sets it for a kernel
    channel.sendall(b"ready\n")
    line = channel.makefile("rb").readline()
    if not line:
        return 0  # the server ended before anyone took it
    adoption = json.loads(line)
    os.chdir(adoption["cwd"])
    env = dict(adoption["env"])
    niceness = env.pop(NICENESS_ENV, "")
    os.environ.clear()
    os.environ.update({**env, **own})
    if niceness.isdigit() and int(niceness) > 0:
        with contextlib.suppress(OSError):
            os.nice(int(niceness))
    app.start()
    return 0
