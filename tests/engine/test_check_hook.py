"""The project's check hook as the build runs it: in a child process (a fork of the kernels'
fork server, kept between builds or started by the build's kernels), reused until an input
changes, and a crashing hook named in a clear error (only the last two tests start kernels)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from bookbuild.build import run_check
from bookbuild.errors import BuildError
from bookbuild.project import load_project

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="kernels fork on Linux only")

HOOK = """\
import os
from pathlib import Path

def log_run(root):
    with open(os.environ["HOOK_RUNS"], "a", encoding="utf-8") as runs:
        runs.write(f"{os.getpid()}\\n")

def counting(root):
    log_run(root)
    print("noise on stdout that is not a problem")
    text = (root / "data" / "bedrifter.yaml").read_text(encoding="utf-8")
    return ["data/bedrifter.yaml: tom"] if not text.strip() else []

def crash(root):
    return 1 / 0
"""


@pytest.fixture
def hooked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "minibook"
    shutil.copytree(FIXTURE, root)
    (root / "checkhook.py").write_text(HOOK, encoding="utf-8")
    monkeypatch.setenv("HOOK_RUNS", str(tmp_path / "runs.txt"))
    return root


def _use(root: Path, function: str) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.bookbuild]\ncheck = "checkhook:{function}"\n', encoding="utf-8"
    )


def _runs(root: Path) -> list[int]:
    runs = root.parent / "runs.txt"
    return [int(line) for line in runs.read_text().split()] if runs.exists() else []


def _build_check(root: Path) -> list[str]:
    return run_check(load_project(root), reuse=True, isolated=True)


def test_hook_runs_in_its_own_process_and_is_reused_until_its_input_changes(hooked: Path):
    _use(hooked, "counting")
    assert _build_check(hooked) == []
    assert _build_check(hooked) == []
    runs = _runs(hooked)
    assert len(runs) == 1, "an unchanged project must reuse the last result"
    assert runs[0] != os.getpid()

    (hooked / "data" / "bedrifter.yaml").write_text("\n", encoding="utf-8")
    assert _build_check(hooked) == ["data/bedrifter.yaml: tom"]
    assert len(_runs(hooked)) == 2


def test_crashing_hook_is_named_with_its_error(hooked: Path):
    _use(hooked, "crash")
    with pytest.raises(BuildError) as caught:
        _build_check(hooked)
    message = str(caught.value)
    assert message.startswith("check hook checkhook:crash failed")
    assert "ZeroDivisionError" in message


def test_missing_hook_is_a_clear_error_in_the_child_too(hooked: Path):
    _use(hooked, "absent")
    with pytest.raises(BuildError, match="check hook checkhook:absent not found"):
        _build_check(hooked)


# --- in a fork of the kernels' fork server (servers kept between builds) -------------------

PRELOADED = """\
import os
from pathlib import Path

IMPORTED_IN = os.getpid()
SIZE = len(Path("data/bedrifter.yaml").read_text(encoding="utf-8"))  # read while imported

def where(root):
    with open(os.environ["HOOK_RUNS"], "a", encoding="utf-8") as runs:
        runs.write(f"{os.getpid()}\\n")
    return [f"imported in {IMPORTED_IN}, run in {os.getpid()}"]

def sleepy(root, seconds=60):
    problems = where(root)
    import time
    time.sleep(seconds)
    return problems

def slow(root):
    return sleepy(root, 3)

def pids(root):
    with open(os.environ["HOOK_RUNS"], "a", encoding="utf-8") as runs:
        runs.write(f"{IMPORTED_IN} {os.getpid()}\\n")
    return []
"""


@pytest.fixture
def forking(hooked: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The hooked project with its check module preloaded by a fork server that is kept
    between builds, as the command line keeps it; the server is stopped after the test."""
    from bookbuild import servers

    (hooked / "checkhook.py").write_text(HOOK + PRELOADED, encoding="utf-8")
    monkeypatch.chdir(hooked)  # the module reads a data file by a relative path, as a kernel
    with servers.keeping(60):  # as the command line does
        yield hooked
    for name in servers.registered(hooked / "_build"):
        servers.stop(hooked / "_build", name)


def _use_preloaded(root: Path, function: str) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.bookbuild]\ncheck = "checkhook:{function}"\nkernel-preload = ["checkhook"]\n',
        encoding="utf-8",
    )


def _server_pid(root: Path) -> int:
    from bookbuild import servers

    return servers.registered(root / "_build")["forkserver"]["pid"]


@linux_only
def test_with_a_kept_fork_server_the_hook_runs_in_a_fork_of_it(forking: Path):
    _use_preloaded(forking, "where")
    [problem] = _build_check(forking)
    server = _server_pid(forking)
    assert problem.startswith(f"imported in {server}, run in ")
    assert int(problem.rsplit(" ", 1)[1]) not in (server, os.getpid())


@linux_only
def test_a_file_the_preloaded_modules_read_is_an_input_of_the_forked_check(forking: Path):
    _use_preloaded(forking, "where")
    _build_check(forking)
    _build_check(forking)
    assert len(_runs(forking)) == 1
    _edit(forking / "data" / "bedrifter.yaml")
    [problem] = _build_check(forking)
    assert len(_runs(forking)) == 2, "a file read while preloading changed: the check runs"
    assert problem.startswith(f"imported in {_server_pid(forking)}")  # a new server


@linux_only
def test_a_crash_in_the_forked_hook_is_named_with_its_error(forking: Path):
    (forking / "pyproject.toml").write_text(
        '[tool.bookbuild]\ncheck = "checkhook:crash"\nkernel-preload = ["checkhook"]\n',
        encoding="utf-8",
    )
    with pytest.raises(BuildError) as caught:
        _build_check(forking)
    assert str(caught.value).startswith("check hook checkhook:crash failed")
    assert "ZeroDivisionError" in str(caught.value)


@linux_only
def test_an_interrupted_build_kills_the_forked_hook(forking: Path):
    import psutil

    from bookbuild.checkrun import stop_isolated

    _use_preloaded(forking, "sleepy")
    with _hook_running(forking) as checking:
        [pid] = _runs(forking)
        started = time.monotonic()
        stop_isolated()
        with pytest.raises(BuildError, match="check hook checkhook:sleepy failed"):
            checking.result(timeout=30)
    assert time.monotonic() - started < 10
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


@linux_only
def test_a_check_whose_server_ends_under_it_runs_again_alone(forking: Path):
    from bookbuild import servers

    _use_preloaded(forking, "slow")
    with _hook_running(forking) as checking:
        server = _server_pid(forking)
        assert servers.stop(forking / "_build", "forkserver")  # e.g. `bookbuild stop` meanwhile
        [problem] = checking.result(timeout=60)
    forked, alone = _runs(forking)
    assert problem == f"imported in {alone}, run in {alone}"  # a new Python, no server
    assert forked != alone and server not in (forked, alone)


# --- a build that keeps nothing: the check beside the chapters ------------------------------

# A chapter that ends only once the check has run: the build can only succeed when the check
# runs while the chapters execute, not after them.
WAITS_FOR_THE_CHECK = """\
import os, time
from pathlib import Path
runs = Path(os.environ["HOOK_RUNS"])
deadline = time.monotonic() + 60
while not runs.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
assert runs.exists(), "the check did not run while this chapter executed"
"""


def _waiting_for_the_check(root: Path, settings: str) -> None:
    (root / "checkhook.py").write_text(HOOK + PRELOADED, encoding="utf-8")
    (root / "pyproject.toml").write_text(f'[tool.bookbuild]\ncheck = "checkhook:pids"\n{settings}',
                                         encoding="utf-8")
    path = root / "chapters" / "02-resultater.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(WAITS_FOR_THE_CHECK))
    nbformat.write(notebook, path)


@linux_only
def test_a_build_that_keeps_nothing_forks_the_check_from_its_kernels_server(
    hooked: Path, monkeypatch: pytest.MonkeyPatch,
):
    from buildcheck import processes_in

    from bookbuild import servers
    from bookbuild.build import build

    monkeypatch.chdir(hooked)  # the module reads a data file by a relative path, as a kernel
    _waiting_for_the_check(hooked, 'kernel-preload = ["checkhook"]\n')
    result = build(hooked)  # as a library: keeps no server
    assert result.executed >= 1
    imported, ran = _runs(hooked)
    assert imported not in (ran, os.getpid()), "imported by a fork server, run in a fork of it"
    assert servers.registered(hooked / "_build") == {}
    assert processes_in(hooked) == []  # the build's server ended with its kernels


def test_without_forked_kernels_the_check_runs_beside_them_in_a_new_python(
    hooked: Path, monkeypatch: pytest.MonkeyPatch,
):
    from bookbuild.build import build

    monkeypatch.chdir(hooked)
    _waiting_for_the_check(hooked, "kernel-fork = false\n")
    build(hooked)
    imported, ran = _runs(hooked)
    assert imported == ran != os.getpid()


@contextlib.contextmanager
def _hook_running(root: Path) -> Iterator[Future]:
    """The build's check, started in a thread; yields once the hook has logged its run."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(_build_check, root)
        deadline = time.monotonic() + 60
        while not _runs(root) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _runs(root), "the hook never started"
        yield checking


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n# endret\n", encoding="utf-8")
