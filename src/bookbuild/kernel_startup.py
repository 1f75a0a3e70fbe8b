"""Code that runs inside every chapter kernel (loaded from its file under a private name, so
the kernel need not import bookbuild). Keeps the user namespace clean: everything lives in the
module `_bookbuild_kernel`.

- matplotlib and plotnine figures are displayed as SVG only (the engine derives the PNG from
  it: drawing twice costs more than the rest of a chart), reproducibly (fixed SVG ids, no dates);
- an audit hook records every file the chapter opens under the project root: the files it reads
  are its data dependencies, the files it writes (e.g. a CSV for download) are outputs the
  cache must be able to restore;
- plotnine displays go through the figure memo (module `_bookbuild_figmemo`, from figmemo.py)
  when the engine sent it: an unchanged chart is not drawn again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

MODULE_NAME = "_bookbuild_kernel"
INLINE_MIME = "application/x-bookbuild-inline"
FILES_MIME = "application/x-bookbuild-files"
MEMO_MODULE = "_bookbuild_figmemo"

_state: dict = {"root": "", "excluded": (), "read": set(), "written": set(), "busy": False,
               "inline": [], "capture": None}


def kernel_side_modules() -> list[tuple[str, str]]:
    """The engine's modules a kernel runs: (name in the kernel, source file), in load order
    (install() looks for the figure memo)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return [(MEMO_MODULE, os.path.join(here, "figmemo.py")),
            (MODULE_NAME, os.path.join(here, "kernel_startup.py"))]


def install(root: str, excluded: list[str], figure_memo: dict | None = None) -> dict:
    """Set up the kernel; returns facts the engine verifies (which Python runs the kernel)."""
    _state["root"] = os.path.realpath(root)
    _state["excluded"] = tuple(excluded)
    # Reproducible figures: matplotlib takes SVG dates from SOURCE_DATE_EPOCH.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    sys.addaudithook(_audit)
    if "matplotlib" in sys.modules:
        _setup_figures()
    else:  # importing matplotlib costs more than starting the kernel: only when a chapter does
        sys.meta_path.insert(0, _AfterImport("matplotlib", _setup_figures))
    if figure_memo and MEMO_MODULE in sys.modules:
        _state["memo"] = figure_memo
        if "plotnine" in sys.modules:
            _setup_memo()
        else:
            sys.meta_path.insert(0, _AfterImport("plotnine", _setup_memo))
    return {"prefix": sys.prefix, "executable": sys.executable}


class _AfterImport:
    """A meta path finder that runs `then` once module `name` has been imported."""

    def __init__(self, name: str, then) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self.then

        class _Loader:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                module.__spec__.loader = module.__loader__ = loader  # as if never wrapped
                loader.exec_module(module)
                then()

        spec.loader = _Loader()
        return spec


def _setup_figures() -> None:
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.rcParams["svg.hashsalt"] = "bookbuild"
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    shell.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg", bbox_inches="tight", metadata={"Date": None})
    _plotnine_as_svg(shell)


def _plotnine_as_svg(shell) -> None:
    """plotnine's own display reads the inline backend's figure format (default: a retina
    PNG); asking for SVG there makes each plot render exactly once."""
    shell.config.InlineBackend["figure_format"] = "svg"


def _setup_memo() -> None:
    memo = _state["memo"]
    sys.modules[MEMO_MODULE].install(memo["folder"], memo["salt"], _state["root"], _Recorder())


class _Recorder:
    """The figure memo's view of the file recording."""

    @contextlib.contextmanager
    def quiet(self):
        busy, _state["busy"] = _state["busy"], True
        try:
            yield
        finally:
            _state["busy"] = busy

    @contextlib.contextmanager
    def capture(self):
        outer, _state["capture"] = _state["capture"], set()
        try:
            yield _state["capture"]
        finally:
            inner, _state["capture"] = _state["capture"], outer
            if outer is not None:
                outer.update(inner)

    def add_reads(self, rels: list[str]) -> None:
        _state["read"].update(rels)


def _audit(event: str, args: tuple) -> None:
    if event != "open" or _state["busy"]:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if isinstance(path, int) or path is None:
        return
    _state["busy"] = True  # realpath below must not re-enter the hook
    try:
        kind = "read" if _reads(mode, flags) else "written"
        _record(os.fsdecode(path), kind)
    except Exception:  # never break the user's code from an audit hook
        pass
    finally:
        _state["busy"] = False


def _reads(mode, flags) -> bool:
    """True for a plain read; "r+" and the like count as reads (the old content matters)."""
    if isinstance(mode, str):
        return "r" in mode
    if isinstance(flags, int):
        return flags & (os.O_WRONLY | os.O_RDWR) != os.O_WRONLY
    return True


def _record(path: str, kind: str) -> None:
    rel = project_file(path, _state["root"], _state["excluded"], must_exist=kind == "read")
    if rel is not None:
        _state[kind].add(rel)
        if kind == "read" and _state["capture"] is not None:
            _state["capture"].add(rel)


def project_file(path: str, root: str, excluded, *, must_exist: bool) -> str | None:
    """`path` relative to the (real) `root`, or None when it is outside it or in an excluded
    folder (the environment, work and output folders: never data)."""
    full = os.path.realpath(path)
    if not full.startswith(root + os.sep) or (must_exist and not os.path.isfile(full)):
        return None
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    if any(part in excluded for part in rel.split("/")[:-1]):
        return None
    return rel


def keep_inline(value) -> None:
    """Keep str(value) of an inline expression for `show_inline_values`."""
    _state["inline"].append(str(value))


def show_inline_values() -> None:
    """Display the values kept so far, as one JSON list under a private MIME type (one message
    for a paragraph's expressions), and forget them."""
    from IPython.display import display

    values, _state["inline"] = _state["inline"], []
    display({INLINE_MIME: json.dumps(values)}, raw=True)


def show_files() -> None:
    """Display the files read and written; a file the chapter wrote itself is not an input."""
    from IPython.display import display

    written = sorted(_state["written"])
    read = sorted(_state["read"] - _state["written"])
    display({FILES_MIME: json.dumps({"read": read, "written": written})}, raw=True)
