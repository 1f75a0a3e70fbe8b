"""A typst compiler kept between builds (see bookbuild.servers).

typst remembers what it computed within a process, so compiling a source that is mostly the
same as the last one redoes only what changed: about 0.2 s for this engine's books instead
of about 1 s from cold. A build that may keep servers sends its compile here.

    python -m bookbuild.typstserver SOCKET ROOT IDLE TOKEN ENTRY NICENESS [WARM]

It prints one line when it listens. When WARM (a compile request as JSON, for the previous
build's source) is given, it compiles that first, its PDF thrown away, in a thread at
NICENESS. Then it serves one connection at a time, each one JSON line:

    {"op": "compile", "main": M, "root": R, "timestamp": T, "standards": [...], "out": PDF}
        -> writes the PDF to PDF, answers {"ok": true}, or {"error": MESSAGE}
    {"op": "hello"} -> {"token": TOKEN}
    {"op": "stop", "token": TOKEN} -> ends

It ends after IDLE seconds without a request, when ROOT is gone, or when its registry file
ENTRY no longer names it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bookbuild import servers
from bookbuild.errors import BuildError
from bookbuild.servers import Lifetime

SERVER_NAME = "typst"  # its entry among the kept servers


def compile_pdf(main: Path | str, root: Path | str, timestamp: int | None,
                standards: list[str] | None = None) -> bytes:
    """typst's PDF of `main`, or a BuildError with typst's message and hints."""
    import typst

    try:
        return typst.compile(str(main), root=str(root), timestamp=timestamp,
                             ignore_system_fonts=True, pdf_standards=standards or [])
    except typst.TypstError as exc:
        detail = "\n".join(filter(None, [getattr(exc, "diagnostic", ""), *exc.hints]))
        raise BuildError(f"{main}: typst failed: {exc.message}\n{detail}".rstrip()) from None


# --- the build's side ----------------------------------------------------------------------


def kept_server(build_dir: Path, root: Path, niceness: int, warm: dict | None) -> dict:
    """The project's kept server: the registered one if it is right for this engine and
    environment, else a new one (warming up on `warm`). Blocks until it listens."""
    key = _key()
    with servers.locked(build_dir):
        entry = servers.lookup(build_dir, SERVER_NAME, key)
        if entry is None:
            entry = _start(build_dir, root, niceness, warm)
            servers.register(build_dir, SERVER_NAME, {**entry, "key": key})
    return entry


def compile_on(server: dict, main: Path, root: Path, timestamp: int | None,
               standards: list[str], out: Path) -> bytes | None:
    """The PDF compiled by the kept `server`; None when it does not answer (ended since)."""
    request = {"op": "compile", "main": str(main), "root": str(root), "timestamp": timestamp,
               "standards": standards, "out": str(out)}
    reply = servers.ask(server, request, timeout=COMPILE_TIMEOUT)
    if reply is None:
        return None
    if "error" in reply:
        raise BuildError(str(reply["error"]))
    return out.read_bytes()


COMPILE_TIMEOUT = 600  # seconds: a book of thousands of pages still fits


def _key() -> str:
    from importlib.metadata import version

    from bookbuild.cache import engine_digest

    return "\0".join([servers.environment_digest(), engine_digest(), version("typst")])


def _start(build_dir: Path, root: Path, niceness: int, warm: dict | None) -> dict:
    folder = tempfile.mkdtemp(prefix="bookbuild-")  # short: socket paths are limited
    socket_path = os.path.join(folder, "typst.sock")
    token = servers.new_token()
    logs = build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "bookbuild.typstserver", socket_path, str(root),
            str(servers.kept_idle()), token, str(servers.entry_path(build_dir, SERVER_NAME)),
            str(niceness), *([json.dumps(warm)] if warm else [])]
    with (logs / "typstserver.log").open("wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=log, cwd=str(root), start_new_session=True)
    assert process.stdout is not None
    with process.stdout:
        ready = process.stdout.readline()
    if not ready:
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
        raise BuildError(f"the typst server did not start (its log: {logs / 'typstserver.log'})")
    return {"socket": socket_path, "token": token, "pid": process.pid}


# --- the server ----------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    socket_path, root, idle, token, entry, niceness, *warm = argv
    import typst  # noqa: F401 (before saying ready: the first request should not wait for it)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(8)
    listener.settimeout(1.0)
    print("ready", flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nobody reads any more
    if warm:
        request = json.loads(warm[0])
        warm_up_thread(request["main"], request["root"], request.get("timestamp"),
                       request.get("standards"), int(niceness)).join()
    lifetime = Lifetime(float(idle), root, entry, token)
    try:
        while not lifetime.over():
            with contextlib.suppress(TimeoutError):
                conn, _ = listener.accept()
                with conn:
                    if not _serve(conn, token):
                        return
                lifetime.touch()
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(socket_path)
            os.rmdir(os.path.dirname(socket_path))


def warm_up_thread(main: Path | str, root: Path | str, timestamp: int | None,
                   standards: list[str] | None, niceness: int = 0) -> threading.Thread:
    """A started thread compiling `main` only for what typst then remembers (its PDF and any
    error are dropped: an old source may no longer compile with today's files). A positive
    `niceness` lowers that thread's priority (Linux: typst's worker threads inherit it)."""
    def run() -> None:
        if niceness > 0:
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        with contextlib.suppress(Exception):
            compile_pdf(main, root, timestamp, standards)

    thread = threading.Thread(target=run, name="typst-warm-up", daemon=True)
    thread.start()
    return thread


def _serve(conn: socket.socket, token: str) -> bool:
    """Answer one request; False when asked to stop."""
    conn.settimeout(10)  # the request comes at once; the answer may take a while
    with conn.makefile("rb") as reader:
        try:
            request = json.loads(reader.readline())
        except (OSError, ValueError):
            return True
    op = request.get("op") if isinstance(request, dict) else None
    if op == "stop" and request.get("token") == token:
        _reply(conn, {"stopping": True})
        return False
    if op == "hello":
        _reply(conn, {"token": token})
    elif op == "compile":
        _reply(conn, _compile(request))
    else:
        _reply(conn, {"error": "unknown request"})
    return True


def _compile(request: dict) -> dict:
    try:
        pdf = compile_pdf(request["main"], request["root"], request.get("timestamp"),
                          request.get("standards"))
    except BuildError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 (the client shows it; the server goes on)
        return {"error": f"{request.get('main')}: typst failed: {type(exc).__name__}: {exc}"}
    out = Path(request["out"])
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pdf)
    os.replace(tmp, out)
    return {"ok": True}


def _reply(conn: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the build is gone: nobody to tell
        conn.sendall(json.dumps(message).encode() + b"\n")


if __name__ == "__main__":
    main(sys.argv[1:])
