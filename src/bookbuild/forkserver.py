"""A fork server for chapter kernels: one process imports ipykernel and the project's heavy
modules once, then forks a fresh kernel for each chapter.

Starting a kernel the usual way costs a new Python and every import again (about a second per
chapter before its first line runs). A forked kernel starts with those imports already done,
yet is still its own process: nothing a chapter does reaches another chapter or the server.

    python -m bookbuild.forkserver SOCKET ROOT EXCLUDED IDLE TOKEN ENTRY SPARE_LOGS MODULE...

It imports the MODULEs (the project's `kernel-preload` list), prints one JSON line
`{"read": [...]}` (files under ROOT read while importing, outside the folders named in the
JSON list EXCLUDED, as a kernel records them: every chapter depends on them), then
serves: a launcher (`bookbuild.fork_kernel`, the kernel command jupyter_client starts) connects
to SOCKET, sends the byte K with its stdin/stdout/stderr, then its request, and gets back
`{"pid": N}`, later `{"exit": code}`. When the launcher's connection closes (jupyter_client
killed it), the kernel is killed. The same way, a connection that sends the byte R with the
stdio of its choice and `{"module": M, "argv": [...], "cwd": ..., "env": {...}}` gets a fork
that runs `M.main(argv)` instead of a kernel (work outside the chapters, such as the project's
check, that needs the same imports). Unless SPARE_LOGS is "-", it also keeps a spare kernel
(logging to that folder), which a connection that sends the byte S takes over
(bookbuild.spare). It stays single-threaded, so forking is safe.

Its life: with IDLE 0 it belongs to one build and ends, with every kernel, when its stdin closes
(the build ended or died). With IDLE > 0 it is kept between builds (bookbuild.servers): it ends
after IDLE seconds without a kernel, when ROOT is gone, when its registry file ENTRY no longer
names it, or when asked: a connection that sends the byte C and `{"op": "hello"}` gets
`{"token": TOKEN}`; `{"op": "stop", "token": TOKEN}` ends it. (ENTRY is "-" with IDLE 0.)
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bookbuild import kernel_startup, spare
from bookbuild.fork_kernel import FOLDER_PREFIX, NICENESS_ENV
from bookbuild.forkclient import RUN
from bookbuild.handoff import prepare_build_modules
from bookbuild.kernel_startup import project_file
from bookbuild.servers import Lifetime

# What a kernel imports while it starts (the debugger alone is a fifth of a second; psutil
# comes with jupyter_client's list of local addresses, found once here: see _preload), and
# what IPython imports on the way (its shell's debugger, inspector, magics; tornado's loop).
KERNEL_MODULES = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
                  "ipykernel.debugger", "jupyter_client.localinterfaces",
                  "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect",
                  "IPython.core.magics.execution", "IPython.core.magics.pylab",
                  "IPython.extensions.storemagic", "tornado.platform.asyncio"]
# A kernel of a build keeps no input history on disk (IPython's sqlite file in the home folder:
# a write per kernel, and nothing a build reads back).
KERNEL_OPTIONS = ["--HistoryManager.enabled=False"]
QUIET = 0.3  # seconds without a fork before a kept server imports a build's modules
_preload_reads: set[str] = set()
_recording: dict = {"root": "", "excluded": (), "on": False}


def main(argv: list[str]) -> None:
    socket_path, root, excluded, idle, token, entry, spare_logs, *modules = argv
    # ipykernel reads these when it is imported: the kernels' parent is this server, and
    # figures go to the inline backend as in a kernel started the usual way.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # as kernel_startup.install() sets it
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the shell puts it back in each kernel
    failed = _preload(root, json.loads(excluded), [*KERNEL_MODULES, *modules])
    _prepare_kernel_startup()
    # What the imports made lives as long as any kernel: out of the collector's sight, a
    # kernel's collections scan only its own objects (and do not write to the shared pages).
    gc.collect()
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(16)
    for problem in failed:
        print(f"kernel-preload: not imported: {problem}", file=sys.stderr, flush=True)
    ready = {"read": sorted(_preload_reads), "failed": failed}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    lifetime = Lifetime(float(idle), root, entry, token) if float(idle) > 0 else None
    if lifetime is not None:  # the build that started it stops reading: nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    spare_kernel = (spare.Spare(os.path.dirname(socket_path), Path(spare_logs))
                    if spare_logs != "-" else None)
    server = _Server(listener, socket_path, lifetime, token, spare_kernel)
    if lifetime is not None:  # a build may be handed to a fork of it (bookbuild.handoff)
        server.to_warm = True
    server.serve()


def _preload(root: str, excluded: list[str], modules: list[str]) -> list[str]:
    """Import `modules`, recording the files under `root` they read. A module that fails to
    import is skipped: the chapter importing it gets the error, with its cell named."""
    _recording.update(root=os.path.realpath(root), excluded=tuple(excluded), on=True)
    sys.addaudithook(_audit)
    sys.path.insert(0, "")  # what a kernel's shell sees: modules in the project root
    failed = []
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 (reported, not fatal)
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):  # else each kernel lists them when it starts
            importlib.import_module("jupyter_client.localinterfaces").local_ips()
    finally:
        _recording["on"] = False  # the hook stays installed (hooks cannot be removed), inert
        sys.path.remove("")
    return failed


def _prepare_kernel_startup() -> None:
    """Do once here what each kernel's start-up code (bookbuild.execute) would do the same way:
    load the engine's kernel-side modules and, when the preload brought matplotlib, ready
    `%matplotlib inline` (its backend module, and matplotlib's backend registry: a scan of
    every installed package's entry points). A step that fails is left to each kernel."""
    import importlib.util

    for name, path in kernel_startup.kernel_side_modules():
        with contextlib.suppress(Exception):
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[name] = module
    if "matplotlib" in sys.modules:
        with contextlib.suppress(Exception):
            importlib.import_module("matplotlib_inline.backend_inline")
            from matplotlib.backends.registry import backend_registry

            backend_registry.resolve_gui_or_backend("inline")


def _audit(event: str, args: tuple) -> None:
    if not _recording["on"] or event != "open":
        return
    path, mode = (tuple(args) + (None, None))[:2]
    if not isinstance(path, (str, bytes)) or (isinstance(mode, str) and "r" not in mode):
        return
    rel = project_file(os.fsdecode(path), _recording["root"], _recording["excluded"],
                       must_exist=True)
    if rel is not None:
        _preload_reads.add(rel)


class _Server:
    def __init__(self, listener: socket.socket, socket_path: str, lifetime: Lifetime | None,
                 token: str, spare_kernel: spare.Spare | None = None) -> None:
        self.listener = listener
        self.socket_path = socket_path
        self.lifetime, self.token = lifetime, token
        self.selector = selectors.DefaultSelector()
        self.kernels: dict[int, socket.socket] = {}  # pid -> its launcher's connection
        self.to_warm = False  # prepare a build's modules once no fork has run for a moment
        self.quiet_since = time.monotonic()
        self.spare = spare_kernel
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        if lifetime is None:
            self.selector.register(sys.stdin, selectors.EVENT_READ, "stdin")

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        while True:
            for key, _ in self.selector.select(timeout=0.05):
                if key.data == "accept":
                    self._accept()
                elif key.data == "stdin":
                    if not os.read(sys.stdin.fileno(), 4096):
                        self.stop()
                elif key.data == "spare":
                    self.selector.unregister(key.fileobj)  # it says one thing: ready, or gone
                    self.spare.read_ready()
                else:  # a launcher's connection: it says nothing more, so this is its end
                    self._launcher_gone(key.data, key.fileobj)
            self._reap()
            if self.lifetime is not None and self.lifetime.over(busy=bool(self.kernels)):
                self.stop()
            self._warm_when_quiet()
            self._spare_when_idle()

    def _warm_when_quiet(self) -> None:
        """Prepare a build's modules once, when no fork has run for QUIET seconds: never
        while a build waits for its kernels (a request meanwhile waits for the imports)."""
        if not self.to_warm or self.kernels or time.monotonic() - self.quiet_since < QUIET:
            return
        self.to_warm = False
        prepare_build_modules()
        gc.collect()
        gc.freeze()  # as after the preload: the forks' collections skip these objects

    def _spare_when_idle(self) -> None:
        """Start the spare kernel once the server has no child: a handed-off build has ended
        (or the preview build's kernels and check have), and the build's modules are prepared
        (the two would take the same core)."""
        if self.spare is None or self.to_warm or not self.spare.wanted(bool(self.kernels)):
            return
        self.spare.start(self._fork_spare)
        self.selector.register(self.spare.channel, selectors.EVENT_READ, "spare")

    def _fork_spare(self, stdio: list[int], work: Callable[[], int]) -> int:
        pid = os.fork()
        if pid == 0:
            _run_in_child(self, stdio, {"cwd": os.getcwd(), "env": dict(os.environ)}, work)
        return pid

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(10)  # a launcher sends its request at once; never hang the server
        fds: list[int] = []
        try:
            kind, fds, _, _ = socket.recv_fds(conn, 1, 3)
            with conn.makefile("rb") as reader:
                request = json.loads(reader.readline())
        except (OSError, ValueError):
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        if kind == b"C":
            self._control(conn, request)
            return
        if kind == spare.REQUEST:
            self._hand_out_spare(conn, request)
            return
        conn.settimeout(None)
        pid = os.fork()
        if pid == 0:
            conn.close()
            become = _become_runner if kind == RUN else _become_kernel
            become(self, fds, request)  # never returns
        for fd in fds:
            os.close(fd)
        self._watch(pid, conn, {"pid": pid})

    def _watch(self, pid: int, conn: socket.socket, reply: dict) -> None:
        """`conn` stands for child `pid` from now on: it is told the exit code, and its
        closing kills the child."""
        self.kernels[pid] = conn
        _send(conn, reply)
        self.selector.register(conn, selectors.EVENT_READ, pid)

    def _hand_out_spare(self, conn: socket.socket, request: dict) -> None:
        """A provisioner asks for the spare kernel: from now on it is the asker's kernel."""
        reply = self.spare.take(request) if self.spare is not None else None
        if reply is None:
            _send(conn, {"pid": None})
            conn.close()
            return
        self._watch(reply["pid"], conn, reply)

    def _control(self, conn: socket.socket, request: dict) -> None:
        """hello: who are you (the token proves it is the registered server); stop."""
        op = request.get("op") if isinstance(request, dict) else None
        if op == "stop" and request.get("token") == self.token:
            _send(conn, {"stopping": True})
            conn.close()
            self.stop()
        _send(conn, {"token": self.token} if op == "hello" else {"error": "unknown request"})
        conn.close()

    def _launcher_gone(self, pid: int, conn) -> None:
        self.selector.unregister(conn)
        if pid in self.kernels:
            _kill(pid)  # reaped (and the connection closed) by _reap

    def _reap(self) -> None:
        while self.kernels or (self.spare is not None and self.spare.pid is not None):
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and pid == self.spare.pid:
                self._forget(self.spare.channel)
                self.spare.died()
                continue
            conn = self.kernels.pop(pid, None)
            self.quiet_since = time.monotonic()
            if conn is not None:
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                self._forget(conn)

    def _forget(self, conn: socket.socket | None) -> None:
        if conn is None:
            return
        # already unregistered when its launcher went first
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)
        conn.close()

    def stop(self) -> None:
        if self.spare is not None:
            self.spare.stop()
        for pid in list(self.kernels):
            _kill(pid)
        for pid in list(self.kernels):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        # The socket and its private folder go too, with the socket files of kernels that
        # were killed here (the build removes them as well, unless it was killed: then this
        # is the only clean-up).
        folder = os.path.dirname(self.socket_path)
        if os.path.basename(folder).startswith(FOLDER_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)
            os.rmdir(folder)
        os._exit(0)

    def close_in_child(self) -> None:
        for conn in self.kernels.values():
            conn.close()
        if self.spare is not None and self.spare.channel is not None:
            self.spare.channel.close()  # the spare must see the server's end go
        self.selector.close()
        self.listener.close()


def _become_kernel(server: _Server, fds: list[int], request: dict) -> None:
    """In the forked child: take the launcher's stdio, directory and environment, run ipykernel."""
    def kernel() -> int:
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel ends when this server does
        sys.argv = ["ipykernel_launcher", *request["argv"], *KERNEL_OPTIONS]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        return 0

    _run_in_child(server, fds, request, kernel)


def _become_runner(server: _Server, fds: list[int], request: dict) -> None:
    """In the forked child: run the requested module's `main(argv)` (its return value is the
    exit code) with the client's stdio, directory and environment."""
    def run() -> int:
        module, argv = str(request["module"]), [str(a) for a in request["argv"]]
        sys.argv = [module, *argv]
        return importlib.import_module(module).main(argv) or 0

    _run_in_child(server, fds, request, run)


def _run_in_child(server: _Server, fds: list[int], request: dict,
                  work: Callable[[], int]) -> None:
    """Become the client's process (stdio, directory, environment, priority), do `work`, and
    exit with its code: whatever happens, the child never returns into the server's loop."""
    code = 1
    try:
        server.close_in_child()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in set(fds):  # a spare's stdout and stderr are one file
            if fd > 2:
                os.close(fd)
        for sig in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        env = dict(request["env"])
        niceness = env.pop(NICENESS_ENV, "")
        if niceness.isdigit() and int(niceness) > 0:
            with contextlib.suppress(OSError):
                os.nice(int(niceness))
        os.environ.clear()
        os.environ.update(env)
        result = work()
        code = result if isinstance(result, int) else 1
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 (the child must never return into the server)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _send(conn: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the launcher is gone; its kernel is killed anyway
        conn.sendall(json.dumps(message).encode() + b"\n")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1:])
