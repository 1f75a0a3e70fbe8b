"""A memo of plotnine figure displays, used inside chapter kernels (loaded from its file like
kernel_startup, so it imports nothing from bookbuild).

Drawing a plotnine chart (layout, text, SVG) costs most of a chart chapter's time, and a data
edit usually changes one chart of several. When a ggplot is displayed, a key is computed from
everything that decides the picture: the plot object (data, layers, scales, theme; not its
captured caller namespace), the values of the names its aesthetic expressions use, the default
theme, plotnine's options, matplotlib's rcParams and fonts, the inline backend's settings, the
library versions and the engine's `salt` (its and the project's code digest). A known key gives
back the stored MIME bundle (the same bytes); otherwise the plot is drawn and stored. A plot
that cannot be pickled is simply drawn. Functions inside a plot (e.g. label formatters) count
by their code, defaults, closures and the globals they use; modules outside the Python
installation by their file's content.

Files under the project that a drawing reads are kept with the entry: a reuse counts them as
read (they are the chapter's data) and is only valid while they are unchanged.
"""

from __future__ import annotations

import ast
import contextlib
import copyreg
import hashlib
import io
import json
import os
import pickle
import sys
import types
from collections.abc import Iterator

FORMAT = 1
MAX_ENTRIES = 400  # least recently used entries beyond this are removed
ENTRY_SUFFIX = ".json"

_config: dict = {"folder": "", "salt": "", "root": "", "recorder": None, "original": None}


class Recorder:
    """How the memo talks to the kernel's file recording (the default records nothing)."""

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Files opened inside are not recorded (the memo's own reads and writes)."""
        yield

    @contextlib.contextmanager
    def capture(self) -> Iterator[set[str]]:
        """Project files read inside are collected in the yielded set (and recorded)."""
        yield set()

    def add_reads(self, rels: list[str]) -> None:
        """Record project files as read, as if the chapter had opened them."""


def install(folder: str, salt: str, root: str, recorder: Recorder | None = None) -> None:
    """Memoize ggplot displays from now on (plotnine must be importable)."""
    from plotnine.ggplot import ggplot

    _config.update(folder=folder, salt=salt, root=os.path.realpath(root),
                   recorder=recorder or Recorder())
    if _config["original"] is None:
        _config["original"] = ggplot._repr_mimebundle_
    ggplot._repr_mimebundle_ = _memoized_repr


def uninstall() -> None:
    from plotnine.ggplot import ggplot

    if _config["original"] is not None:
        ggplot._repr_mimebundle_ = _config["original"]
        _config["original"] = None


def _memoized_repr(self, include=None, exclude=None):
    draw = _config["original"]
    recorder: Recorder = _config["recorder"]
    with recorder.quiet():
        key = figure_key(self, _config["salt"])
        entry = _load(key) if key else None
    if entry is not None:
        recorder.add_reads(sorted(entry["reads"]))
        data, metadata = entry["bundle"]
        return data, metadata
    with recorder.capture() as reads:
        bundle = draw(self, include, exclude)
    if key:
        with recorder.quiet():
            _store(key, bundle, sorted(reads))
    return bundle


# --- the key ---------------------------------------------------------------------------


def figure_key(plot, salt: str = "") -> str | None:
    """Hash of everything that decides how `plot` looks; None when something in it cannot be
    pickled (the plot is then drawn every time)."""
    try:
        parts = [FORMAT, salt, plot, _expression_values(plot), *_settings()]
    except Exception:  # something plotnine would report when drawing
        return None
    return content_hash(parts)


def content_hash(value) -> str | None:
    """Hash of `value` as the key pickler sees it; None when it cannot be pickled."""
    buffer = io.BytesIO()
    try:
        _KeyPickler(buffer).dump(value)
    except Exception:  # unpicklable, or too deep: no memo, never a failed display
        return None
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _settings() -> list:
    import matplotlib
    import plotnine
    from matplotlib import font_manager
    from plotnine import options
    from plotnine.themes.theme import theme_get

    option_values = sorted((k, v) for k, v in vars(options).items()
                           if not k.startswith("_") and not callable(v)
                           and not isinstance(v, types.ModuleType))
    # The backend is resolved on first use and does not change what savefig writes.
    params = sorted((k, v) for k, v in dict.items(matplotlib.rcParams) if k != "backend")
    fonts = sorted((f.fname, f.name, f.style, f.weight) for f in font_manager.fontManager.ttflist)
    return [
        sys.version, plotnine.__version__, matplotlib.__version__,
        theme_get(), option_values, params, fonts,
        _inline_backend(), os.environ.get("SOURCE_DATE_EPOCH"),
    ]


def _inline_backend() -> list:
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    return sorted((k, repr(v)) for k, v in shell.config.get("InlineBackend", {}).items())


def _expression_values(plot) -> list:
    """(name, value) of every name an aesthetic expression uses that is not a data column,
    looked up where plotnine evaluates it (the namespace captured with the plot)."""
    columns = _columns(plot.data)
    names: set[str] = set()
    for mapping, data in [(plot.mapping, plot.data),
                          *((layer.mapping, getattr(layer, "_data", None))
                             for layer in plot.layers)]:
        layer_columns = columns | _columns(data)
        for expr in _expressions(mapping):
            names |= _names(expr) - layer_columns
    namespace = plot.environment.namespace
    values = []
    for name in sorted(names):
        try:
            values.append((name, namespace[name]))
        except Exception:  # not defined there (a builtin, or an error plotnine will report)
            values.append((name, "<undefined>"))
    return values


def _columns(data) -> set[str]:
    columns = getattr(data, "columns", None)
    return {str(c) for c in columns} if columns is not None else set()


def _expressions(mapping) -> Iterator[str]:
    for value in (mapping or {}).values():
        for part in (value, *(getattr(value, a, None)
                              for a in ("start", "after_stat", "after_scale"))):
            if isinstance(part, str):
                yield part


def _names(expr: str) -> set[str]:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:  # not Python: plotnine reads it as a column name
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


class _KeyPickler(pickle.Pickler):
    """Pickles for hashing: stable across processes (sets sorted), without the namespace a
    plot captures, functions by their code rather than by name (a name says nothing about
    what a lambda or an edited function does), modules by name and source."""

    def __init__(self, file) -> None:
        super().__init__(file, protocol=4)
        self._active: set[int] = set()

    def reducer_override(self, obj):
        kind = type(obj)
        if kind.__name__ == "Environment" and kind.__module__.startswith("plotnine."):
            return str, ("<environment>",)
        if isinstance(obj, set | frozenset):
            return kind, (sorted(obj, key=repr),)
        if isinstance(obj, types.ModuleType):
            return str, (f"<module {obj.__name__} {_module_digest(obj)}>",)
        if kind.__module__.startswith(_PARAMETERISED) and hasattr(obj, "__dict__"):
            return copyreg.__newobj__, (kind,), _sorted_params(vars(obj))
        if isinstance(obj, types.FunctionType) and not _installed(obj):
            return self._function(obj)
        if isinstance(obj, types.CodeType):
            return tuple, (_code_state(obj),)
        return NotImplemented

    def _function(self, fn: types.FunctionType):
        if id(fn) in self._active:  # recursion: the function is being described already
            return str, (f"<recursive {fn.__module__}.{fn.__qualname__}>",)
        self._active.add(id(fn))
        try:
            state = (fn.__module__, fn.__qualname__, fn.__code__, fn.__defaults__,
                     fn.__kwdefaults__, _closure(fn), _used_globals(fn))
            buffer = io.BytesIO()
            nested = _KeyPickler(buffer)
            nested._active = self._active
            nested.dump(state)
        finally:
            self._active.discard(id(fn))
        return str, (hashlib.sha256(buffer.getvalue()).hexdigest(),)


# Classes whose dict attributes are keyword parameters (plotnine fills some from sets, so
# their order differs between processes and says nothing).
_PARAMETERISED = ("plotnine.geoms.", "plotnine.stats.")


def _sorted_params(state: dict) -> list:
    return [(k, sorted(v.items(), key=lambda kv: repr(kv[0])) if type(v) is dict else v)
            for k, v in sorted(state.items())]


def _installed(fn: types.FunctionType) -> bool:
    """A library function reachable by name: its version is part of the key already."""
    module = sys.modules.get(fn.__module__ or "")
    target = module
    for part in fn.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is fn and _in_installation(getattr(module, "__file__", None))


def _in_installation(path: str | None) -> bool:
    if not path:
        return True  # built in
    real = os.path.realpath(path)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(real.startswith(p + os.sep) for p in prefixes)


_module_digests: dict[str, str] = {}


def _module_digest(module: types.ModuleType) -> str:
    path = getattr(module, "__file__", None)
    if _in_installation(path):
        return ""
    if path not in _module_digests:
        try:
            with open(path, "rb") as handle:
                _module_digests[path] = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            _module_digests[path] = "<unreadable>"
    return _module_digests[path]


def _code_state(code: types.CodeType) -> tuple:
    consts = tuple(_code_state(c) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars, code.co_argcount, code.co_kwonlyargcount, code.co_flags)


def _closure(fn: types.FunctionType) -> tuple:
    values = []
    for cell in fn.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            values.append("<empty>")
    return tuple(values)


def _used_globals(fn: types.FunctionType) -> list:
    names: set[str] = set()
    stack = [fn.__code__]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return [(n, fn.__globals__[n]) for n in sorted(names) if n in fn.__globals__]


# --- the store -------------------------------------------------------------------------


def _entry_path(key: str) -> str:
    return os.path.join(_config["folder"], key + ENTRY_SUFFIX)


def _load(key: str) -> dict | None:
    """The entry for `key`, touched (it is recently used), when valid."""
    path = _entry_path(key)
    try:
        with open(path, encoding="utf-8") as handle:
            entry = json.load(handle)
        if any(_digest(rel) != digest for rel, digest in entry["reads"].items()):
            return None
        os.utime(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return entry


def _store(key: str, bundle, reads: list[str]) -> None:
    try:
        data, metadata = bundle
        entry = {"bundle": [data, metadata], "reads": {rel: _digest(rel) for rel in reads}}
        text = json.dumps(entry, ensure_ascii=False)
        os.makedirs(_config["folder"], exist_ok=True)
        path = _entry_path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)  # atomic: kernels of other chapters read the folder meanwhile
        prune(_config["folder"], MAX_ENTRIES)
    except (OSError, TypeError, ValueError):  # a full disk or an odd bundle: just no memo
        pass


def _digest(rel: str) -> str | None:
    try:
        with open(os.path.join(_config["root"], rel), "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def prune(folder: str, keep: int) -> None:
    """Remove all but the `keep` most recently used entries."""
    entries = []
    with os.scandir(folder) as found:
        for item in found:
            if item.name.endswith(ENTRY_SUFFIX):
                with contextlib.suppress(OSError):
                    entries.append((item.stat().st_mtime, item.path))
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        with contextlib.suppress(OSError):
            os.remove(path)
