"""`bookbuild preview`: build, serve the output folder locally, rebuild and reload on change."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bookbuild.errors import BuildError
from bookbuild.project import Project, load_project

VERSION_PATH = "/__bookbuild/version"
# Injected into served pages only (never written to the output): poll the build version and
# reload when it changes; show the last build error in a banner.
RELOAD_SCRIPT = """<script>
(function () {
  var seen = null;
  function banner(text) {
    var box = document.getElementById("bookbuild-error");
    if (!text) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "bookbuild-error";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;max-height:40vh;" +
        "overflow:auto;padding:1rem;background:#7a1010;color:#fff;z-index:1000;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = text;
  }
  function poll() {
    fetch("__VERSION_PATH__", {cache: "no-store"})
    .then(function (r) { return r.json(); })
    .then(function (s) {
      if (seen !== null && s.version !== seen) { location.reload(); return; }
      seen = s.version;
      banner(s.error);
    }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
""".replace("__VERSION_PATH__", VERSION_PATH)


class BuildState:
    """The build version the pages poll, and the last build's error (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.error: str | None = None

    def finished(self, error: str | None) -> None:
        with self._lock:
            self.version += 1
            self.error = error

    def as_json(self) -> bytes:
        with self._lock:
            return json.dumps({"version": self.version, "error": self.error}).encode("utf-8")


class PreviewHandler(SimpleHTTPRequestHandler):
    state: BuildState  # set on the subclass made by make_server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == VERSION_PATH:
            self._send(self.state.as_json(), "application/json")
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            page = path.read_text(encoding="utf-8")
            page = page.replace("</body>", RELOAD_SCRIPT + "</body>", 1)
            self._send(page.encode("utf-8"), "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # keep the terminal for build progress


def make_server(out_dir: Path, port: int, state: BuildState) -> ThreadingHTTPServer:
    handler = type("Handler", (PreviewHandler,), {"state": state})
    # Serve by path, not by chdir: the folder is swapped out by every rebuild.
    factory = functools.partial(handler, directory=str(out_dir))
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), factory)
    except OSError as exc:
        raise BuildError(f"preview: cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None


def watched_paths(project: Project) -> list[Path]:
    """What the book is made of: chapters, data, bibliography, config, the project's code."""
    root = project.root
    candidates = [root / "chapters", root / "data", root / "src", root / "_quarto.yml"]
    candidates += [root / ref.path for ref in project.chapters]
    if project.bibliography:
        candidates.append(project.bibliography)
    unique = dict.fromkeys(p for p in candidates if p.exists())
    return list(unique)


def _interesting(change, path: str) -> bool:
    name = Path(path).name
    return not (
        "__pycache__" in path
        or ".ipynb_checkpoints" in path
        or name.startswith((".", "~"))
        or name.endswith((".pyc", ".swp", "~"))
    )


def preview(root: Path, *, port: int = 4321, build_once: Callable[[], object]) -> None:
    """Serve `root`'s output folder until Ctrl-C, calling `build_once` now and after changes.

    `build_once` raises BuildError for a failed build; the message is shown in the browser.
    It may return a result with `written`: files the build itself wrote in watched folders
    (e.g. a chapter's CSV under data/); their change alone starts no rebuild.
    """
    from watchfiles import watch

    state = BuildState()
    own = _run_build(build_once, state)
    project = load_project(root)
    server = make_server(project.output_dir, port, state)
    thread = threading.Thread(target=server.serve_forever, name="preview-http", daemon=True)
    thread.start()
    print(f"Forhåndsvisning: http://127.0.0.1:{port}/  (Ctrl-C avslutter)", flush=True)
    try:
        for changes in watch(*watched_paths(project), watch_filter=_interesting, debounce=400):
            paths = {Path(p) for _, p in changes}
            edited = sorted(p.name for p in paths if own.get(p) != _digest(p))
            if not edited:
                continue  # only the build's own files, as it left them
            print(f"Endret: {', '.join(edited)}", flush=True)
            own = _run_build(build_once, state)
    finally:
        server.shutdown()
        server.server_close()


def _run_build(build_once: Callable[[], object], state: BuildState) -> dict[Path, str | None]:
    """Build; returns the digests of the files the build wrote, as it left them."""
    try:
        result = build_once()
    except BuildError as exc:
        print(f"Feil: {exc}", flush=True)
        state.finished(str(exc))
        return {}
    state.finished(None)
    return {Path(p): _digest(Path(p)) for p in getattr(result, "written", [])}


def _digest(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
