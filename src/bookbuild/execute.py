"""Execute chapter notebooks in Jupyter kernels and turn them into pandoc markdown."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bookbuild import cache as cachemod
from bookbuild import kernel_startup
from bookbuild.cellopts import parse_cell_options
from bookbuild.errors import BuildError
from bookbuild.inline import InlineExpr, find_inline, substitute
from bookbuild.kernels import KERNEL_NAME, KernelFactory, connect
from bookbuild.nbmarkdown import CellResult, render_chapter, write_if_changed
from bookbuild.pngs import ensure_png_twins
from bookbuild.pngs import prune as prune_pngs
from bookbuild.project import ChapterRef, Project

DEFAULT_TIMEOUT = 600
MAX_JOBS = 4
# Cell options whose project-wide defaults come from `execute:` in _quarto.yml.
CELL_DEFAULTS = {"echo": True, "output": True, "include": True, "warning": True, "eval": True}
# Folders under the project root whose files are never data dependencies.
NOT_DATA = [".venv", "venv", "_build", "_book", "__pycache__", ".git", ".ipynb_checkpoints"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Progress = Callable[[ChapterRef, str], None]


@dataclass
class ExecutedChapter:
    ref: ChapterRef
    markdown: str  # pandoc markdown of the whole chapter
    figures: list[Path]  # absolute paths of the images the markdown refers to
    files_read: list[str]  # project-relative paths of files the kernel opened under root
    cached: bool  # reused from _build/cache without running a kernel
    labelled_figures: list[str] = field(default_factory=list)  # names published to figures/
    files_written: list[str] = field(default_factory=list)  # project-relative, e.g. CSV downloads


@dataclass
class _Cell:
    """A notebook cell prepared for execution."""

    number: int
    cell_type: str
    source: str
    options: dict = field(default_factory=dict)
    inline: list[InlineExpr] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return str(label) if label else None


def execute_book(
    project: Project,
    chapters: list[ChapterRef] | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    then: Callable[[ExecutedChapter], object] | None = None,
    share_server: concurrent.futures.Future | None = None,
) -> list[ExecutedChapter]:
    """Execute (or reuse from cache) every chapter; results in chapter order. By default one
    kernel per core, at most MAX_JOBS (more only share the cores: measured, the longest
    chapter then ends later, and so does the build). `then` runs on each chapter as soon as
    it is ready, in a thread, while the others still execute (e.g. its pandoc parse).
    `share_server` gets the kernels' fork server once it is ready (see KernelFactory)."""
    refs = list(project.chapters if chapters is None else chapters)
    jobs = jobs or min(MAX_JOBS, os.cpu_count() or 2)
    work = _execute_all(project, refs, max(1, jobs), progress or (lambda ref, state: None), then,
                        share_server)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        results = _run_on_main_loop(work)
    else:  # called from inside an event loop (e.g. a preview server): use a fresh loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            results = pool.submit(asyncio.run, work).result()
    if chapters is None:  # the whole book: PNGs of figures no chapter shows are not needed
        prune_pngs([f for chapter in results for f in chapter.figures], project.build_dir / "png")
    return results


def _run_on_main_loop(work: Coroutine[Any, Any, list[ExecutedChapter]]) -> list[ExecutedChapter]:
    """asyncio.run, with SIGTERM cancelling the work as Ctrl-C does: kernels shut down in order
    and KeyboardInterrupt follows. (A handler raising inside the event loop instead makes
    asyncio print "unhandled exception during asyncio.run() shutdown" tracebacks.)"""
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(work)
    terminated: list[int] = []

    async def main() -> list[ExecutedChapter]:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm() -> None:
            if not terminated and task is not None:
                terminated.append(signal.SIGTERM)
                task.cancel()

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            return await work
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if terminated:
            raise KeyboardInterrupt(f"signal {int(signal.SIGTERM)}") from None
        raise


async def _execute_all(
    project: Project,
    refs: list[ChapterRef],
    jobs: int,
    progress: Progress,
    then: Callable[[ExecutedChapter], object] | None,
    share_server: concurrent.futures.Future | None = None,
) -> list[ExecutedChapter]:
    limit = asyncio.Semaphore(jobs)
    store = cachemod.ChapterCache(project)
    code = cachemod.code_digest(project)
    kernels = KernelFactory(project, code, not_data(project), share_server)

    async def one(ref: ChapterRef) -> ExecutedChapter:
        async with limit:
            result = await _chapter(project, ref, store, code, progress, kernels)
        # After the chapter's turn, side by side: the next chapter need not wait for them.
        jobs = [asyncio.to_thread(_publish_figures, project, result)]
        if then is not None:
            jobs.append(asyncio.to_thread(then, result))
        await asyncio.gather(*jobs)
        return result

    # Longest first (the semaphore lets waiters in in order): the longest chapter would
    # otherwise start last and run alone at the end. So the first kernel started is the
    # longest executing chapter's, the one the build waits for (see KernelFactory).
    started = {ref: asyncio.ensure_future(one(ref))
               for ref in sorted(refs, key=lambda r: -_expected_cost(project, store, r))}
    tasks = [started[ref] for ref in refs]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # let kernels shut down
        raise
    finally:
        await kernels.close()
    return list(results)


async def _chapter(
    project: Project,
    ref: ChapterRef,
    store: cachemod.ChapterCache,
    code: str,
    progress: Progress,
    kernels: KernelFactory,
) -> ExecutedChapter:
    """Execute the chapter's code, or replay its outputs from the cache when the code and the
    data it read are unchanged; then render the chapter's current markdown around them (so a
    prose edit re-renders without re-executing)."""
    cells = _prepare(project, ref, _raw_cells(project, ref))
    key = cachemod.source_key(_code_sequence(cells), project.execute, code)
    entry = store.load(ref, key)
    if entry is not None:
        progress(ref, "cached")
        results = _replay(cells, entry)
        files = {"read": entry["files_read"], "written": entry.get("files_written", [])}
    else:
        progress(ref, "executing" if needs_kernel(project, cells) else "rendering")
        started = time.perf_counter()
        results, files, values = await _run(project, ref, cells, kernels)
        fresh = _to_entry(cells, results, values, files)
        fresh["seconds"] = round(time.perf_counter() - started, 2)
        store.store(ref, key, fresh)
    rendered = render_chapter(results, ref.path.stem, _figures_dir(project), project.root)
    result = ExecutedChapter(
        ref,
        rendered.markdown,
        rendered.figures,
        files["read"],
        entry is not None,
        rendered.labelled,
        files["written"],
    )
    if entry is None:
        progress(ref, "done")
    return result


def _expected_cost(project: Project, store: cachemod.ChapterCache, ref: ChapterRef) -> float:
    """Seconds of the chapter's last execution; before any, the amount of code it runs (code
    cells and inline expressions, about 10 ms each) as a stand-in. Ties keep book order."""
    seconds = store.last_seconds(ref)
    if seconds is not None:
        return seconds
    try:
        cells = _raw_cells(project, ref)
    except BuildError:
        return 0.0  # reported when the chapter itself is read
    code = sum(c.cell_type == "code" for c in cells)
    return 0.01 * (code + sum(len(find_inline(c.source)) for c in cells
                              if c.cell_type == "markdown"))


def _code_sequence(cells: list[_Cell]) -> list:
    """What execution depends on: the code that runs and the inline expressions, in order
    (an inline expression sees the cells before it). Prose is not part of it."""
    sequence: list = []
    for cell in cells:
        if cell.cell_type == "code" and _runs(cell):
            sequence.append(["code", cell.source, cell.options])
        elif cell.cell_type == "markdown" and cell.inline:
            sequence.append(["inline", [expr.code for expr in cell.inline]])
    return sequence


def _replay(cells: list[_Cell], entry: dict) -> list[CellResult]:
    """Cell results from the cached outputs and inline values, around the current prose."""
    outputs = iter(entry["outputs"])
    values = iter(entry["inline"])
    results = []
    for cell in cells:
        if cell.cell_type == "markdown" and cell.inline:
            found = [next(values) for _ in cell.inline]
            results.append(CellResult(
                cell.number, "markdown", substitute(cell.source, cell.inline, found)))
        elif cell.cell_type == "code" and _runs(cell):
            outs = [dict(o) for o in next(outputs)]
            results.append(CellResult(cell.number, "code", cell.source, cell.options, outs))
        else:
            results.append(_unexecuted(cell))
    return results


def _figures_dir(project: Project) -> Path:
    return project.build_dir / "figures"


@dataclass
class _RawCell:
    cell_type: str
    source: str


def _raw_cells(project: Project, ref: ChapterRef) -> list[_RawCell]:
    """The cells of a notebook. Plain JSON for nbformat 4 (importing nbformat and its schema
    validator costs more than a build that has nothing to do); nbformat for older files."""
    path = project.root / ref.path
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if nb.get("nbformat") == 4 and isinstance(nb.get("cells"), list):
            return [_RawCell(str(c["cell_type"]), _joined_source(c.get("source", "")))
                    for c in nb["cells"]]
        import nbformat

        return [_RawCell(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]
    except Exception as exc:
        raise BuildError(f"{ref.path.as_posix()}: not a readable notebook: {exc}") from None


def _joined_source(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _prepare(project: Project, ref: ChapterRef, raw: list[_RawCell]) -> list[_Cell]:
    defaults = {**CELL_DEFAULTS, **project.execute}
    cells: list[_Cell] = []
    for number, cell in enumerate(raw, 1):
        if cell.cell_type == "code":
            where = f"{ref.path.as_posix()}, celle {number}"
            options, source = parse_cell_options(cell.source, where)
            cells.append(_Cell(number, "code", source, {**defaults, **options}))
        elif cell.cell_type == "markdown":
            cells.append(_Cell(number, "markdown", cell.source, inline=find_inline(cell.source)))
        else:
            cells.append(_Cell(number, cell.cell_type, cell.source))
    return cells


def needs_kernel(project: Project, cells: list[_Cell]) -> bool:
    if project.execute.get("enabled") is False:
        return False
    return any(c.inline or (c.cell_type == "code" and _runs(c)) for c in cells)


def _runs(cell: _Cell) -> bool:
    return cell.options.get("eval") is not False and bool(cell.source.strip())


async def _run(
    project: Project, ref: ChapterRef, cells: list[_Cell], kernels: KernelFactory
) -> tuple[list[CellResult], dict[str, list[str]], list[str]]:
    """Run the cells; also return the files the kernel read and wrote under the root and the
    inline values in document order."""
    if not needs_kernel(project, cells):
        return [_unexecuted(c) for c in cells], {"read": [], "written": []}, []
    session = _KernelSession(project, ref, kernels)
    try:
        await session.start()
        results = await session.run_cells(cells)
        files = await session.files_touched()
    except BaseException:
        await session.shutdown()
        raise
    kernels.retire(session.shutdown)  # the kernel has done its work: it ends meanwhile
    # What the fork server's preloaded modules read, this chapter did not have to read again.
    read = sorted(rel for rel in {*files["read"], *kernels.preload_reads} - set(files["written"])
                  if not cachemod.in_code_digest(rel))
    return results, {**files, "read": read}, session.inline_values


def _unexecuted(cell: _Cell) -> CellResult:
    return CellResult(cell.number, cell.cell_type, cell.source, cell.options, [])


class _KernelSession:
    """One kernel driven cell by cell through nbclient."""

    def __init__(self, project: Project, ref: ChapterRef, kernels: KernelFactory) -> None:
        from nbclient import NotebookClient  # imported when needed: a cached build runs none

        self.project = project
        self.ref = ref
        self.kernels = kernels
        self.nb = _node({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
        timeout = int(project.engine.get("timeout", DEFAULT_TIMEOUT))
        self.client = NotebookClient(
            self.nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(project.root)}},
            allow_errors=False,
            record_timing=False,
        )
        self.started = False
        self.inline_values: list[str] = []
        self.log_file: IO[bytes] | None = None
        self.log_path: Path | None = None

    async def start(self) -> None:
        from jupyter_client.kernelspec import NoSuchKernel

        self.client.km = await self.kernels.manager()
        try:
            await self.client.async_start_new_kernel(
                cwd=str(self.project.root), stderr=self._open_log(),
                **self.kernels.next_start_options(),
            )
            self.started = True
            self._take_spare_log()
            self.client.kc = await connect(self.client.km, self.client.startup_timeout)
        except RuntimeError as exc:  # it died or hung while starting
            raise BuildError(f"{self._name()}: the kernel did not start: {exc} (its log: "
                             f"{self._log_display()})") from None
        except NoSuchKernel:
            raise BuildError(
                f"{self._name()}: no Jupyter kernel `{KERNEL_NAME}` installed "
                f"(run `python -m ipykernel install --sys-prefix`)"
            ) from None
        # The user's per-cell limit is for the chapter's cells, not for the engine's own setup.
        limit, self.client.timeout = self.client.timeout, max(self.client.timeout, DEFAULT_TIMEOUT)
        try:
            code = _startup_code(self.project, self.kernels.code)
            outputs = await self._execute(code, "oppstart", history=False)
        finally:
            self.client.timeout = limit
        self._verify_python(outputs)

    def _open_log(self) -> IO[bytes]:
        """The kernel process's own stderr goes to a log file, not to the user's terminal."""
        logs = self.project.build_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / (self._name().replace("/", "__") + ".log")
        self.log_file = self.log_path.open("wb")
        return self.log_file

    def _take_spare_log(self) -> None:
        """A kernel started ahead as a kept server's spare (bookbuild.spare) has written its
        own log so far: that file becomes the chapter's log (the kernel goes on writing it)."""
        spare_log = getattr(self.client.km.provisioner, "spare_log", None)
        if spare_log and self.log_path is not None:
            with contextlib.suppress(OSError):
                os.replace(spare_log, self.log_path)

    def _verify_python(self, outputs: list[dict]) -> None:
        text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
        facts = json.loads(text.strip().splitlines()[-1])
        if Path(facts["prefix"]).resolve() != Path(sys.prefix).resolve():
            raise BuildError(
                f"{self._name()}: kernel `{KERNEL_NAME}` runs {facts['executable']}, not the "
                f"Python of this environment ({sys.executable})"
            )

    async def run_cells(self, cells: list[_Cell]) -> list[CellResult]:
        """Every cell, in order. The inline expressions of markdown cells with no code cell
        between them go to the kernel in one request (a round trip per cell adds up)."""
        results: list[CellResult] = []
        pending: list[_Cell] = []  # cells since the last code cell that ran
        for cell in cells:
            if cell.cell_type != "code" or not _runs(cell):
                pending.append(cell)
                continue
            results += await self._cells_running_no_code(pending)
            pending = []
            where = f"celle {cell.number}" + (f" (label: {cell.label})" if cell.label else "")
            outputs = await self._execute(cell.source, where)
            results.append(CellResult(cell.number, "code", cell.source, cell.options, outputs))
        return results + await self._cells_running_no_code(pending)

    async def _cells_running_no_code(self, cells: list[_Cell]) -> list[CellResult]:
        """Markdown, raw and not-run code cells: only the markdown's inline values need the
        kernel, all of them in one request."""
        with_inline = [c for c in cells if c.cell_type == "markdown" and c.inline]
        values = iter(await self._inline(with_inline)) if with_inline else iter([])
        return [CellResult(c.number, "markdown", substitute(c.source, c.inline,
                                                            [next(values) for _ in c.inline]))
                if c.cell_type == "markdown" and c.inline else _unexecuted(c) for c in cells]

    async def _inline(self, cells: list[_Cell]) -> list[str]:
        """The cells' inline expressions, in one request and one reply; a failure is the
        expression after the last value shown."""
        kernel = f"__import__({kernel_startup.MODULE_NAME!r})"
        exprs = [(cell, expr) for cell in cells for expr in cell.inline]
        # The values computed before a failing expression are shown all the same (finally).
        code = "\n".join(["try:", *(f"    {kernel}.keep_inline((\n{expr.code}\n))"
                                    for _, expr in exprs),
                           f"finally:\n    {kernel}.show_inline_values()"])

        def where(outputs: list[dict]) -> str:
            # A syntax error stops the whole request before any value: find it by compiling.
            invalid = _first_invalid([expr for _, expr in exprs])
            shown = len(_inline_values(outputs))
            cell, expr = exprs[min(invalid if invalid < len(exprs) else shown, len(exprs) - 1)]
            return f"celle {cell.number} (`{{python}} {expr.code}`)"

        values = _inline_values(await self._execute(code, where, history=False))
        if len(values) != len(exprs):  # cannot happen short of a kernel-side bug: say so
            raise BuildError(f"{self._name()}: {len(exprs)} inline values expected, "
                             f"{len(values)} came back")
        self.inline_values.extend(values)
        return values

    async def files_touched(self) -> dict[str, list[str]]:
        code = f"__import__({kernel_startup.MODULE_NAME!r}).show_files()"
        outputs = await self._execute(code, "slutt", history=False)
        found = _private_output(outputs, kernel_startup.FILES_MIME)
        return json.loads(found) if found else {"read": [], "written": []}

    async def _execute(
        self, source: str, where: str | Callable[[list[dict]], str], history: bool = True
    ) -> list[dict]:
        """Run `source`; a failure names `where` (or what `where` says of the outputs so far)."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        cell = _node({"cell_type": "code", "id": f"c{len(self.nb.cells)}", "metadata": {},
                      "execution_count": None, "source": source, "outputs": []})
        self.nb.cells.append(cell)
        try:
            await self.client.async_execute_cell(
                cell, len(self.nb.cells) - 1, store_history=history
            )
        except CellExecutionError as exc:
            place = where(list(cell.outputs)) if callable(where) else where
            raise BuildError(_error_message(f"{self._name()}, {place}", exc,
                                            list(cell.outputs))) from None
        except CellTimeoutError:
            place = where(list(cell.outputs)) if callable(where) else where
            raise BuildError(
                f"{self._name()}, {place}: timed out after {self.client.timeout} s (make the "
                "cell faster, or raise `timeout` under [tool.bookbuild] in pyproject.toml)"
            ) from None
        except DeadKernelError:
            if _being_cancelled():  # nbclient reports Ctrl-C / cancellation as a dead kernel
                raise asyncio.CancelledError from None
            place = where(list(cell.outputs)) if callable(where) else where
            raise BuildError(
                f"{self._name()}, {place}: the kernel died (the cell ended or crashed Python, "
                f"e.g. os._exit() or out of memory; its log: {self._log_display()})"
            ) from None
        return [dict(output) for output in cell.outputs]

    async def shutdown(self) -> None:
        """Stop the kernel and reap its process, even when this task is being cancelled
        (a shutdown cut short by cancellation leaves a killed, unreaped process behind)."""
        job = asyncio.ensure_future(self._shutdown())
        cancelled = False
        while not job.done():
            try:
                await asyncio.shield(job)
            except asyncio.CancelledError:
                cancelled = True
        job.result()
        if cancelled:
            raise asyncio.CancelledError

    async def _shutdown(self) -> None:
        km, kc = self.client.km, self.client.kc
        try:
            if kc is not None:
                kc.stop_channels()
            if km is not None and self.started:
                await km.shutdown_kernel(now=True)
        finally:
            if km is not None:
                await km.cleanup_resources()
            # kc stays: a poll task nbclient left running asserts it exists (and then finds
            # the kernel gone, which it takes quietly)
            self.client.km = None
            if self.log_file is not None:
                self.log_file.close()

    def _log_display(self) -> str:
        return str(self.log_path.relative_to(self.project.root)) if self.log_path else "-"

    def _name(self) -> str:
        return self.ref.path.as_posix()


def _node(data: dict):
    """An nbformat notebook or cell as nbclient wants it, built without nbformat's schema
    check: our own well-formed cells need none, and compiling the schema costs a tenth of a
    second per build, in the thread that serves the kernels."""
    from nbformat import from_dict

    return from_dict(data)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def not_data(project: Project) -> list[str]:
    """Folders whose files a kernel may read but that are never data dependencies."""
    return [*NOT_DATA, project.output_dir.name]


def _startup_code(project: Project, code: str = "") -> str:
    """Loads the kernel_startup and figmemo modules from their files (a forked kernel has them
    from the fork server; the kernel need not import bookbuild) and installs them; the figure
    memo is keyed by the code digest. Short on purpose: ipykernel hashes each cell's code."""
    excluded = not_data(project)
    memo = {"folder": str(project.build_dir / "figmemo"), "salt": code}
    modules = kernel_startup.kernel_side_modules()
    return "\n".join([
        "def _bb_start():",
        "    import importlib.util, json, sys",
        f"    for name, path in {modules!r}:",
        "        if name not in sys.modules:",
        "            spec = importlib.util.spec_from_file_location(name, path)",
        "            sys.modules[name] = importlib.util.module_from_spec(spec)",
        "            spec.loader.exec_module(sys.modules[name])",
        f"    facts = sys.modules[{kernel_startup.MODULE_NAME!r}].install(",
        f"        {str(project.root)!r}, {excluded!r}, {memo!r})",
        "    print(json.dumps(facts))",
        "_bb_start()",
        "del _bb_start",
    ])


def _first_invalid(inline: list[InlineExpr]) -> int:
    """Index of the first expression that is not valid Python (len(inline) when all are)."""
    for index, expr in enumerate(inline):
        try:
            compile(f"(\n{expr.code}\n)", "<inline>", "eval")
        except SyntaxError:
            return index
    return len(inline)


def _inline_values(outputs: list[dict]) -> list[str]:
    found = _private_output(outputs, kernel_startup.INLINE_MIME)
    return [str(v) for v in json.loads(found)] if found else []


def _private_output(outputs: list[dict], mime: str) -> str | None:
    for output in outputs:
        data = output.get("data", {})
        if mime in data:
            value = data[mime]
            return "".join(value) if isinstance(value, list) else str(value)
    return None


def _error_message(where: str, exc: Exception, outputs: list[dict] | None = None) -> str:
    ename, evalue = exc.ename, exc.evalue
    if ename in (None, "NoneType"):  # e.g. a display that failed: the reply names no error,
        shown = [o for o in outputs or [] if o.get("output_type") == "error"]
        if shown:  # the error output the kernel showed does
            ename, evalue = shown[-1].get("ename"), shown[-1].get("evalue")
    message = f"{where}: {ename}: {evalue}".strip()
    line = _failing_line(exc.traceback or "")
    return f"{message}\n  {line}" if line else message


def _failing_line(traceback: str) -> str | None:
    """The deepest `---->` line inside the chapter's own code (frames `Cell In[n]`)."""
    found = None
    in_cell = False
    for line in _ANSI.sub("", traceback).splitlines():
        if line.startswith(("Cell In[", "File ")):
            in_cell = line.startswith("Cell In[")
        elif in_cell and line.lstrip().startswith("---->"):
            found = line.strip()
    return found


def _to_entry(
    cells: list[_Cell], results: list[CellResult], values: list[str], files: dict
) -> dict:
    """What `_replay` needs: the outputs of the cells that ran and the inline values."""
    return {
        "outputs": [r.outputs for c, r in zip(cells, results, strict=True)
                    if c.cell_type == "code" and _runs(c)],
        "inline": values,
        "files_read": files["read"],
        "files_written": files["written"],
    }


def _publish_figures(project: Project, result: ExecutedChapter) -> None:
    """A PNG twin of each SVG figure; SVG and PNG of every labelled figure copied to
    <root>/figures/<label>.svg|.png."""
    ensure_png_twins(result.figures, project.build_dir / "png")
    source_dir = _figures_dir(project)
    for name in result.labelled_figures:
        for suffix in (".svg", ".png"):
            source = source_dir / f"{name}{suffix}"
            if source.is_file():
                write_if_changed(project.root / "figures" / source.name, source.read_bytes())
