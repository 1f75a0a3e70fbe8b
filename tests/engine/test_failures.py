"""Failure cases of the engine, each through the real command line on a copy of the minibook.

Every case: exit code 1 (130 when interrupted), one short message naming the chapter and cell
or the file and line, no traceback, the previous `_book/` byte-identical, no temporary folders,
no kernel left running. The copies carry the fixture's `_build/` cache, so only the chapter a
case changes runs in a kernel.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from buildcheck import (
    assert_clean_failure,
    assert_refused,
    bookbuild,
    bookbuild_cmd,
    cli_env,
    leftovers,
    processes_in,
    tree_digest,
)

from bookbuild import uptodate
from bookbuild.build import build

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"
CHAPTER = "chapters/02-resultater.ipynb"  # markdown only: runs no kernel unless a case adds code


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minibook, built once: `_book/` is the last good build every case must keep."""
    root = tmp_path_factory.mktemp("failures") / "minibook"
    shutil.copytree(FIXTURE, root)
    build(root, log=lambda message: None)
    return root


@pytest.fixture
def book(base: Path, tmp_path: Path) -> tuple[Path, str]:
    """A fresh copy of the built minibook and the digest of its `_book/`."""
    root = tmp_path / "minibook"
    shutil.copytree(base, root)
    return root, tree_digest(root / "_book")


def add_cell(root: Path, chapter: str, source: str, kind: str = "code") -> int:
    """Append a cell to a chapter; returns its 1-based number (as messages count cells)."""
    path = root / chapter
    notebook = nbformat.read(path, as_version=4)
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    notebook.cells.append(make(source))
    nbformat.write(notebook, path)
    return len(notebook.cells)


def set_timeout(root: Path, seconds: int) -> None:
    (root / "pyproject.toml").write_text(f"[tool.bookbuild]\ntimeout = {seconds}\n", "utf-8")


# --- chapters --------------------------------------------------------------------------------


def test_cell_that_raises(book):
    root, before = book
    cell = add_cell(root, CHAPTER, 'raise ValueError("prisen mangler")')
    run = bookbuild(root, "build")
    assert_refused(run, root, before, CHAPTER, f"celle {cell}", "ValueError: prisen mangler")


def test_cell_whose_output_cannot_be_displayed_names_the_display_error(book):
    """IPython catches an error in a display method and shows its traceback; the kernel's
    reply then names no error (ipykernel 7: "NoneType: None"), the error output does."""
    root, before = book
    cell = add_cell(root, CHAPTER, "class Tabell:\n"
                                   "    def _repr_html_(self):\n"
                                   "        raise ValueError('kolonnen mangler')\n"
                                   "Tabell()")
    run = bookbuild(root, "build")
    assert_refused(run, root, before, CHAPTER, f"celle {cell}", "ValueError: kolonnen mangler")
    assert "NoneType" not in run.err


def test_cell_that_raises_shows_traceback_with_debug(book):
    root, before = book
    add_cell(root, CHAPTER, 'raise ValueError("prisen mangler")')
    run = bookbuild(root, "build", "--debug")
    assert run.code == 1
    assert "Traceback" in run.err and "Feil: " in run.err
    assert tree_digest(root / "_book") == before


def test_cell_that_never_ends_hits_the_configured_timeout(book):
    root, before = book
    set_timeout(root, 2)
    cell = add_cell(root, CHAPTER, "import time\ntime.sleep(600)")
    run = bookbuild(root, "build")
    assert_refused(run, root, before, CHAPTER, f"celle {cell}", "2 s", "timeout", "pyproject.toml")


def test_kernel_that_dies(book):
    root, before = book
    cell = add_cell(root, CHAPTER, "import os\nos._exit(1)")
    run = bookbuild(root, "build")
    assert_refused(run, root, before, CHAPTER, f"celle {cell}", "kernel")


def test_chapter_listed_but_missing(book):
    root, before = book
    config = root / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(f"    - {CHAPTER}\n", f"    - {CHAPTER}\n    - chapters/finnes-ikke.ipynb\n"),
        encoding="utf-8",
    )
    line = text.splitlines().index(f"    - {CHAPTER}") + 2
    run = bookbuild(root, "build")
    assert_refused(run, root, before, f"_quarto.yml:{line}", "chapters/finnes-ikke.ipynb")


def test_config_with_bad_yaml(book):
    root, before = book
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8") + "book: [uavsluttet\n", "utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines())
    run = bookbuild(root, "build")
    message = assert_refused(run, root, before, "_quarto.yml:")
    assert int(message.split("_quarto.yml:")[1].split(":")[0]) >= line - 1


# --- assembly --------------------------------------------------------------------------------


def test_cross_reference_to_missing_label(book):
    root, before = book
    add_cell(root, CHAPTER, "Se @fig-finnes-ikke.", kind="markdown")
    run = bookbuild(root, "build")
    assert_refused(run, root, before, CHAPTER, "@fig-finnes-ikke")


def test_citation_key_missing_from_bibliography(book):
    root, before = book
    add_cell(root, CHAPTER, "Som kjent [@olsen1999].", kind="markdown")
    run = bookbuild(root, "build")
    assert_refused(run, root, before, "olsen1999", "references.bib")


# --- interrupted builds ----------------------------------------------------------------------


def wait_for(path: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the build ended before pausing:\n{proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the build never reached {path.name}")
        time.sleep(0.05)


def interrupted(root: Path, flag: Path, sig: signal.Signals, *, stage: str | None = None,
                release: bool = False):
    """Start a build, wait until it pauses (the flag file appears), send `sig`; optionally
    release the pause; return the finished Run."""
    from buildcheck import Run

    env = cli_env(root, {"BOOKBUILD_TEST_PAUSE": f"{stage}:{flag}"} if stage else None)
    proc = subprocess.Popen(bookbuild_cmd(root, "build"), cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(flag, proc)
        proc.send_signal(sig)
        if release:
            flag.unlink()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return Run(proc.returncode, out, err)


SIGNALS = [signal.SIGINT, signal.SIGTERM]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_interrupted_while_a_cell_runs(book, tmp_path: Path, sig: signal.Signals):
    root, before = book
    flag = tmp_path / "cell-running"
    add_cell(root, CHAPTER, f"import pathlib, time\npathlib.Path({str(flag)!r}).touch()\n"
                            "time.sleep(300)")
    run = interrupted(root, flag, sig)
    assert_clean_failure(run, root, before, code=130)
    assert run.err.strip() == "Avbrutt."


def force_writing(root: Path) -> None:
    """The book is up to date, so a build would not write at all: forget the last output's
    fingerprint so that the writers run (on the same sources, giving the same bytes)."""
    (root / "_build" / uptodate.STATE_NAME).unlink()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_interrupted_while_rendering(book, tmp_path: Path, sig: signal.Signals):
    root, before = book
    force_writing(root)
    run = interrupted(root, tmp_path / "paused", sig, stage="rendering")
    assert_clean_failure(run, root, before, code=130)
    assert run.err.strip() == "Avbrutt."


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_interrupted_during_the_swap(book, tmp_path: Path, sig: signal.Signals):
    """Between the two renames the signal is held back: the swap completes (the same sources,
    so the same bytes), then the build stops; nothing half-published, nothing left over."""
    root, before = book
    force_writing(root)
    run = interrupted(root, tmp_path / "paused", sig, stage="swap", release=True)
    assert_clean_failure(run, root, before, code=130)
    assert run.err.strip() == "Avbrutt."


def test_pause_hook_is_inert_without_the_variable(book):
    root, before = book
    run = bookbuild(root, "build", "--html-only")
    assert run.code == 0, run.text
    assert leftovers(root) == [] and processes_in(root) == []
