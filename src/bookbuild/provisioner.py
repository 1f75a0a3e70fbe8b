"""A jupyter_client kernel provisioner that takes the spare kernel of a kept fork server.

Named in the kernel spec bookbuild.kernels gives the kernels of a server kept between builds
(entry point `bookbuild-fork` of the group `jupyter_client.kernel_provisioners`). It asks the
server for its spare (bookbuild.spare) with the directory and environment the kernel would
get; jupyter_client then connects to the spare's sockets, with its key, instead of the ones it
wrote. When there is no spare, the kernel starts as with the plain LocalProvisioner, through
the server's launcher.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from bookbuild.fork_kernel import SOCKET_ENV
from bookbuild.spare import REQUEST

NAME = "bookbuild-fork"
GROUP = "jupyter_client.kernel_provisioners"


class ForkProvisioner(LocalProvisioner):
    spare_log: str | None = None  # the kernel's stdout and stderr, when it was the spare

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> dict:
        env = dict(kwargs.get("env") or os.environ)
        path = env.pop(SOCKET_ENV, "")
        cwd = os.path.realpath(kwargs.get("cwd") or os.getcwd())
        taken = _take_spare(path, {"env": env, "cwd": cwd}) if path else None
        if taken is None:
            return await super().launch_kernel(cmd, **kwargs)
        conn, reply, rest = taken
        self.process = _Adopted(reply["pid"], conn, rest)
        self.pid, self.pgid = reply["pid"], None  # never signal the server's process group
        self.cwd = cwd
        self.spare_log = str(reply["log"])
        info = dict(reply["connection"])
        info["key"] = str(info.get("key", "")).encode()
        self.connection_info = info
        return info

    async def cleanup(self, restart: bool = False) -> None:
        if isinstance(self.process, _Adopted):
            self.process.conn.close()
        await super().cleanup(restart)


def _take_spare(path: str, request: dict) -> tuple[socket.socket, dict, bytes] | None:
    """The server's connection, its reply and what came after the reply, if it handed out
    its spare; else None."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(10)
        conn.connect(path)
        conn.sendall(REQUEST + json.dumps(request).encode() + b"\n")
        data = b""
        while b"\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        line, _, rest = data.partition(b"\n")
        reply = json.loads(line or b"{}")
    except (OSError, ValueError):
        conn.close()
        return None
    if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int):
        conn.close()
        return None
    conn.settimeout(None)
    return conn, reply, rest


class _Adopted:
    """What LocalProvisioner uses of a Popen, for a kernel that is the server's child: the
    server sends its exit code on the connection, and kills it when the connection closes."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket, received: bytes = b"") -> None:
        self.pid, self.conn = pid, conn
        self.returncode: int | None = None
        self._buffer = b""
        if received:
            self._take(received)

    def poll(self) -> int | None:
        if self.returncode is None:
            self.conn.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._read()
        return self.returncode

    def wait(self) -> int:
        self.conn.setblocking(True)
        while self.returncode is None:
            self._read()
        self.conn.close()
        return self.returncode

    def _read(self) -> None:
        try:
            chunk = self.conn.recv(4096)
        except (ConnectionError, OSError) as exc:
            if isinstance(exc, BlockingIOError):
                raise
            chunk = b""
        if not chunk:  # the server went, and its kernels with it
            self.returncode = -signal.SIGKILL if self.returncode is None else self.returncode
            return
        self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.returncode = int(json.loads(line)["exit"])

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # an ended kernel's pid may be another process's by now
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
