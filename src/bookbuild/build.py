"""Orchestrate one build: project -> check -> execute -> assemble -> PDF + site -> publish."""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bookbuild import servers, uptodate
from bookbuild.errors import BuildError
from bookbuild.pause import pause_at
from bookbuild.project import ChapterRef, Project, load_project
from bookbuild.publish import staged_output

Log = Callable[[str], None]


@dataclass
class BuildResult:
    output_dir: Path  # the published folder
    pdf: Path | None  # the published PDF, None with only_html
    pages: list[Path]  # the published HTML pages, in chapter order
    executed: int  # chapters that ran in a kernel (the rest came from the cache)
    seconds: float
    written: list[Path] = field(default_factory=list)  # files the chapters wrote (e.g. CSV)


def build(
    root: Path, *, only_html: bool = False, debug: bool = False, log: Log | None = None,
    keep_servers: bool = False,
) -> BuildResult:
    """Build the book at `root` into its output folder; the folder changes only on success.
    With `keep_servers`, the fork server and typst are kept for the next build as the
    project's settings say (bookbuild.servers)."""
    started = time.perf_counter()
    project = load_project(root)
    idle = servers.idle_setting(project.engine) if keep_servers else 0
    with servers.keeping(idle):
        return _build(project, only_html, debug, log or _print, started)


def _build(project: Project, only_html: bool, debug: bool, say: Log, started: float
           ) -> BuildResult:
    stage_timer = _StageTimer(say if debug else None)
    warm_up = _WarmUp(project, enabled=not only_html)
    if _edited_since_last_build(project):
        warm_up.start()  # the PDF will most likely change: typst starts while chapters run
    try:
        from bookbuild.execute import execute_book  # after: the warm-up need not wait for it

        with stage_timer("check + execute"):
            progress = _progress(project, say, on_executing=warm_up.start_behind_kernels)
            executed = _check_and_execute(project, progress, execute_book)
        pdf_name = f"{slugify(project.title) or 'book'}.pdf"
        options = {"only_html": only_html, "pdf": pdf_name}
        fingerprint = uptodate.build_fingerprint(project, executed, options)
        if uptodate.is_up_to_date(project, fingerprint):
            say(f"Uendret: {_display(project, project.output_dir)} er oppdatert")
        else:
            uptodate.forget(project)
            from bookbuild.assemble import assemble_book  # not needed when nothing changed

            warm_up.start()
            with stage_timer("assemble"):
                book = assemble_book(project, executed)
            with staged_output(project.output_dir) as stage:
                pause_at("rendering")
                _write_outputs(book, stage, pdf_name, only_html, project, say, stage_timer,
                               warm_up.wait)
                _copy_labelled_figures(project, executed, stage)
                _copy_resources(project, stage)
            uptodate.remember(project, fingerprint)
    finally:
        warm_up.wait()  # also when the build failed: never leave typst running
    seconds = time.perf_counter() - started
    say(f"Ferdig: {_display(project, project.output_dir)} ({seconds:.1f} s)")
    return BuildResult(
        output_dir=project.output_dir,
        pdf=None if only_html else project.output_dir / pdf_name,
        pages=[project.output_dir / ch.href for ch in project.chapters],
        executed=sum(not ch.cached for ch in executed),
        seconds=seconds,
        written=[project.root / rel for ch in executed for rel in ch.files_written],
    )


def _check_and_execute(project: Project, progress, execute_book) -> list:
    """The project's check runs while the chapters execute (each on its own core). Its
    problems win over a chapter's failure: bad data explains the failure better."""
    def parse(chapter) -> None:  # while the other chapters execute; assembling reuses it
        if chapter.cached:
            return  # its markdown was parsed when it executed (a no-op build needs no pandoc)
        from bookbuild.assemble import ensure_parsed

        ensure_parsed(chapter.markdown, project.build_dir / "ast", what=chapter.ref.path.as_posix())

    from bookbuild.checkrun import stop_isolated
    from bookbuild.kernels import offer

    # The check forks from the kernels' server when it comes: its imports are the check's too.
    kernels_server: Future = Future()
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(run_check, project, raise_on_problems=True, reuse=True,
                               isolated=True, kernels_server=kernels_server)
        try:
            executed = execute_book(project, progress=progress, then=parse,
                                    share_server=kernels_server)
        except BuildError:
            offer(kernels_server, None)
            checking.result()
            raise
        except BaseException:
            offer(kernels_server, BuildError("interrupted"))  # a waiting check does not start
            stop_isolated()  # interrupted: the hook's process must not outlive the build
            raise
        offer(kernels_server, None)
        checking.result()
    return executed


def _write_outputs(
    book, stage: Path, pdf_name: str, only_html: bool, project: Project, say: Log, timer,
    warmed: Callable[[], dict | None] | None = None,
) -> None:
    """PDF and site at the same time: typst and pandoc/pagefind work outside the GIL."""
    link = pdf_name if not only_html and _wants_pdf_download(project) else None
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = []
        if not only_html:
            say(f"PDF: {pdf_name}")
            jobs.append(pool.submit(_timed, timer, "pdf", _write_pdf, book, stage / pdf_name,
                                    warmed))
        say("HTML")
        jobs.append(pool.submit(_timed, timer, "html+search", _write_site, book, stage, link,
                                project))
        for job in jobs:
            job.result()


def _timed(timer, name: str, func, *args) -> None:
    with timer(name):
        func(*args)


def _write_pdf(book, out_pdf: Path, warmed: Callable[[], dict | None] | None = None) -> None:
    from bookbuild.typst import write_pdf

    write_pdf(book, out_pdf, warmed)


WARM_UP_NICENESS = 10


class _WarmUp:
    """typst compiles the last build's source while this build prepares its own (see
    bookbuild.typst.warm_up): started at most once, and always waited for."""

    def __init__(self, project: Project, *, enabled: bool) -> None:
        self.project, self.enabled = project, enabled
        self._wait: Callable[[], dict | None] | None = None

    def start(self, niceness: int = 0) -> None:
        if self.enabled and self._wait is None:
            from bookbuild.typst import warm_up

            self._wait = warm_up(self.project, niceness)

    def start_behind_kernels(self) -> None:
        """Start while chapters execute: the kernels are what the build waits for, so they go
        first (without kernels running, a lower priority only slows the warm-up)."""
        self.start(niceness=WARM_UP_NICENESS)

    def wait(self) -> dict | None:
        """Wait for the warm-up; the kept typst server to compile on, if any."""
        return self._wait() if self._wait is not None else None


def _edited_since_last_build(project: Project) -> bool:
    """A chapter or the configuration is newer than the last good build's record (no record:
    False, the warm-up then waits until the outputs are known to change)."""
    try:
        last = (project.build_dir / uptodate.STATE_NAME).stat().st_mtime_ns
    except OSError:
        return False
    sources = [project.config_path, *(project.root / ref.path for ref in project.chapters)]
    for path in sources:
        try:
            if path.stat().st_mtime_ns > last:
                return True
        except OSError:
            continue
    return False


def _write_site(book, stage: Path, pdf_name: str | None, project: Project) -> None:
    from bookbuild.html import write_site
    from bookbuild.search import index_site

    write_site(book, stage, pdf_name)
    if (project.raw.get("book") or {}).get("search", True) is not False:
        index_site(stage)


# --- the project's check hook ----------------------------------------------------------


def run_check(
    project: Project, *, raise_on_problems: bool = False, reuse: bool = False,
    isolated: bool = False, kernels_server: Future | None = None,
) -> list[str]:
    """Run `[tool.bookbuild] check = "module:function"`; returns its list of problems.

    With `reuse`, the last result is reused while no file the hook looked at has changed;
    with `isolated`, the hook runs in a child process (see `bookbuild.checkrun`): a fork of
    the fork server kept between builds, else of the one this build's kernels start (when
    `kernels_server` is given, it gets that server, or None when there will be none)."""
    from bookbuild.checkrun import call_hook, run_isolated

    spec = project.engine.get("check")
    if not spec:
        return []
    spec = str(spec)
    if reuse:
        from bookbuild.cache import code_digest
        from bookbuild.checkcache import cached_check, run_recorded

        code = code_digest(project)

        def run() -> tuple[list[str], dict]:
            if isolated:
                server = _server_for_check(project, code, kernels_server)
                return run_isolated(project.root, spec, server)
            return run_recorded(project.root, lambda: call_hook(project.root, spec))

        store = project.build_dir / "check.json"
        problems = cached_check(project.root, store, f"{spec}\n{code}", run)
    else:
        problems = call_hook(project.root, spec)
    if problems and raise_on_problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise BuildError(
            f"check found {len(problems)} problem(s); correct them and build again:\n{listing}"
        )
    return problems


def _server_for_check(project: Project, code: str, kernels_server: Future | None = None):
    """The kernels' fork server, if the check can run in a fork of it (its imports are then
    done: the check takes a third of the CPU time); else None. Without a kept server, the
    one this build's kernels start is waited for: the check would spend longer on the same
    imports in a new Python, and it only has to end before the last chapter does."""
    from bookbuild.execute import not_data
    from bookbuild.kernels import KernelFactory

    try:
        kept = KernelFactory(project, code, not_data(project)).server_for_other_work()
    except BuildError:
        return None  # the kernels, which need it more, report why it did not start
    if kept is not None or kernels_server is None:
        return kept
    return kernels_server.result()  # raises when the build was interrupted meanwhile


# --- small helpers -----------------------------------------------------------------------


class _StageTimer:
    """`with timer("name"):` prints how long the stage took (only when given a printer)."""

    def __init__(self, say: Log | None) -> None:
        self.say = say

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if self.say:
            self.say(f"  {name}: {time.perf_counter() - started:.2f} s")


def _print(message: str) -> None:
    print(message, flush=True)


def _progress(
    project: Project, say: Log, on_executing: Callable[[], None] = lambda: None
) -> Callable[[ChapterRef, str], None]:
    """Prints each chapter's state; the first chapter to execute (its data or code changed,
    so the outputs most likely do) also calls `on_executing`."""
    total = len(project.chapters)
    position = {ref: i for i, ref in enumerate(project.chapters, 1)}

    def report(ref: ChapterRef, state: str) -> None:
        if state == "executing":
            on_executing()
        say(f"[{position.get(ref, '?')}/{total}] {ref.path.as_posix()}: {state}")

    return report


def _wants_pdf_download(project: Project) -> bool:
    downloads = (project.raw.get("book") or {}).get("downloads") or []
    if isinstance(downloads, str):
        downloads = [downloads]
    return "pdf" in downloads


def _copy_labelled_figures(project: Project, executed: list, stage: Path) -> None:
    """Every labelled figure as figures/<label>.svg|png in the site, as in the project."""
    target = stage / "figures"
    for chapter in executed:
        for name in getattr(chapter, "labelled_figures", []):
            for suffix in (".svg", ".png"):
                source = project.root / "figures" / f"{name}{suffix}"
                dest = target / source.name
                if source.is_file() and not dest.exists():
                    target.mkdir(exist_ok=True)
                    shutil.copyfile(source, dest)


def _copy_resources(project: Project, stage: Path) -> None:
    """Quarto's `project.resources`: matching files copied to the same relative path in the
    output (files the chapters wrote while executing, e.g. downloadable tables, included)."""
    skip = (project.output_dir.resolve(), project.build_dir.resolve())
    for pattern in project.resources:
        for source in sorted(project.root.glob(pattern)):
            real = source.resolve()
            if not source.is_file() or any(real.is_relative_to(s) for s in skip):
                continue
            if not real.is_relative_to(project.root):
                continue  # a symlink out of the project is not published
            dest = stage / source.relative_to(project.root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)


_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slugify(text: str) -> str:
    """ "Arena Lettmetall – En evaluering" -> "arena-lettmetall-en-evaluering"."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _display(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
