"""A command-line rebuild handed to a fork of the kept kernel server (bookbuild.handoff): it
builds what an in-process build builds, reports its errors and exit code as the command line,
stops on Ctrl-C, and is built again in the command line's process when the server goes away
under it."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from buildcheck import bookbuild, bookbuild_cmd, cli_env, processes_in, tree_digest
from nbformat.v4 import new_code_cell, new_markdown_cell
from test_execute import write_chapter
from test_kept_servers import _gone

from bookbuild import servers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="kernels fork on Linux only")
KEEP = {"BOOKBUILD_KEEP_SERVERS": "60"}
MINIBOOK = Path(__file__).parent / "fixtures" / "minibook"
HANDED_OFF = "bygger i kjernetjenerens kopi"


@pytest.fixture
def book(tmp_path: Path):
    """A copy of the minibook; the servers its builds keep are stopped afterwards."""
    root = shutil.copytree(MINIBOOK, tmp_path / "book")
    yield root
    for name in servers.registered(root / "_build"):
        servers.stop(root / "_build", name)


def _first_build(root: Path) -> None:
    """Built once with servers kept. (In the test itself, not in a fixture: pytest names the
    phase it is in, setup or call, in the environment, and a server is kept only for builds
    in the same environment.)"""
    first = bookbuild(root, "build", "--debug", env=KEEP)
    assert first.code == 0, first.text
    assert HANDED_OFF not in first.err  # no server yet: the first build starts one


def _edit_data(root: Path, old: str = "ansatte: 45", new: str = "ansatte: 46") -> None:
    path = root / "data" / "bedrifter.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _server(root: Path) -> psutil.Process:
    return psutil.Process(servers.registered(root / "_build")["forkserver"]["pid"])


def test_a_rebuild_runs_in_a_fork_of_the_server_and_builds_what_a_new_process_builds(
        book: Path, tmp_path: Path):
    _first_build(book)
    here = shutil.copytree(MINIBOOK, tmp_path / "here")
    for root in (book, here):
        _edit_data(root)
    handed = bookbuild(book, "build", "--debug", env=KEEP)
    assert handed.code == 0, handed.text
    assert HANDED_OFF in handed.err, handed.err
    pid = int(handed.err.split(f"{HANDED_OFF} (pid ")[1].split(")")[0])
    assert pid != _server(book).pid and "Ferdig" in handed.out
    built_here = bookbuild(here, "build", "--in-process", env={"BOOKBUILD_KEEP_SERVERS": "0"})
    assert built_here.code == 0, built_here.text
    assert tree_digest(book / "_book") == tree_digest(here / "_book")  # PDF included


def test_a_failing_handed_off_build_names_the_cell_and_exits_1(book: Path):
    _first_build(book)
    write_chapter(book, "chapters/02-resultater.ipynb",
                  [new_markdown_cell("# Feil"), new_code_cell("1 / 0")])
    run = bookbuild(book, "build", "--debug", env=KEEP)
    assert HANDED_OFF in run.err
    assert run.code == 1
    assert "Feil: chapters/02-resultater.ipynb, celle 2" in run.err
    assert "ZeroDivisionError" in run.err


def _start_slow_build(root: Path, seconds: int) -> tuple[subprocess.Popen, Path]:
    """A handed-off build whose chapter runs `seconds`; returns it once the cell runs."""
    marker = root / "started.txt"  # says the kernel's pid
    write_chapter(root, "chapters/02-resultater.ipynb", [new_code_cell(
        f"import os, time\nopen({str(marker)!r} + '.tmp', 'w').write(str(os.getpid()))\n"
        f"os.replace({str(marker)!r} + '.tmp', {str(marker)!r})\ntime.sleep({seconds})")])
    build = subprocess.Popen(bookbuild_cmd(root, "build", "--debug"), cwd=root,
                             env=cli_env(root, KEEP), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), "the chapter never ran"
    return build, marker


def test_ctrl_c_stops_a_handed_off_build_and_its_kernel(book: Path):
    _first_build(book)
    before = tree_digest(book / "_book")
    build, marker = _start_slow_build(book, 120)
    kernel = int(marker.read_text())
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=60)
    assert HANDED_OFF in err
    assert build.returncode == 130, out + err
    assert "Avbrutt." in err
    assert tree_digest(book / "_book") == before  # the last good site stays
    # Neither the build (the server's fork, its pid in --debug) nor its kernel is left; the
    # server may have started a spare kernel for the next build (bookbuild.spare).
    forked = int(re.search(HANDED_OFF + r" \(pid (\d+)\)", err).group(1))
    assert _gone([forked, kernel])


def test_a_build_whose_server_is_stopped_under_it_is_built_again_here(book: Path):
    _first_build(book)
    build, marker = _start_slow_build(book, 3)
    marker.unlink()
    stopped = bookbuild(book, "stop")
    assert stopped.code == 0 and "forkserver" in stopped.out
    out, err = build.communicate(timeout=300)
    assert HANDED_OFF in err and "bygger på nytt" in err
    assert build.returncode == 0, out + err
    assert marker.exists()  # the chapter ran again, in the command line's own build
    assert "Ferdig" in out
    assert bookbuild(book, "stop").code == 0
    assert processes_in(book) == []


def test_a_prepared_server_leaves_a_build_nothing_to_compile_at_its_first_output():
    """What a kept server prepares for the builds handed to it: the build's modules, and
    nbformat's validator, which is otherwise compiled when a kernel sends its first output."""
    code = "\n".join([
        "import sys",
        "from bookbuild.handoff import BUILD_MODULES, prepare_build_modules",
        "from nbformat import validator",
        "from nbformat.v4 import new_output",
        "prepare_build_modules()",
        "compiled = dict(validator.validators)",
        "new_output('display_data', data={'text/plain': 'x'})",
        "print([m for m in BUILD_MODULES if m not in sys.modules], len(compiled),"
        " compiled == validator.validators)",
    ])
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["[]", "1", "True"]
