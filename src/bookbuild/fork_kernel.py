"""The kernel command jupyter_client starts when chapters run on the fork server.

    python -m bookbuild.fork_kernel -f CONNECTION_FILE

It asks the server (socket in $BOOKBUILD_FORKSERVER) for a kernel with its own stdin, stdout,
stderr, working directory and environment, then stands in for it: signals it receives
(jupyter_client's interrupt, a terminate) go to the kernel, and it exits with the kernel's exit
code. When it is killed, the server sees its connection close and kills the kernel. It imports
only the standard library, so it starts in a few milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

SOCKET_ENV = "BOOKBUILD_FORKSERVER"
NICENESS_ENV = "BOOKBUILD_KERNEL_NICENESS"  # the server lowers the kernel's priority by this
FOLDER_PREFIX = "bookbuild-"  # of the private folder the build makes for the server's sockets
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def main(argv: list[str]) -> int:
    path = os.environ.pop(SOCKET_ENV, "")
    if not path:
        print(f"bookbuild.fork_kernel: ${SOCKET_ENV} is not set", file=sys.stderr)
        return 2
    _end_with_parent()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    socket.send_fds(conn, [b"K"], [0, 1, 2])
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    conn.sendall(json.dumps(request).encode() + b"\n")
    replies = conn.makefile("rb")
    pid = json.loads(replies.readline())["pid"]
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, lambda signum, _frame: _forward(pid, signum))
    line = replies.readline()
    return int(json.loads(line)["exit"]) if line else 1


def _end_with_parent() -> None:
    """A build killed outright cannot stop its kernels; a server kept between builds would
    keep them. Linux sends this launcher SIGTERM when the build goes (passed on to the
    kernel); had it gone already, the launcher ends at once."""
    with contextlib.suppress(Exception):  # not Linux: the server's lifetime still bounds it
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:
        sys.exit(1)


def _forward(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
