"""Servers kept between command-line builds (bookbuild.servers): the next build uses them and
gets the same output; they end when idle, when the project or its build folder is gone, on
`bookbuild stop`, and when the environment they were started in changes; a killed build leaves
no kernel behind."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from buildcheck import bookbuild, bookbuild_cmd, cli_env, processes_in, tree_digest
from nbformat.v4 import new_code_cell
from test_execute import write_chapter

from bookbuild import servers
from bookbuild.errors import BuildError
from bookbuild.typstserver import compile_on, kept_server

KEEP = {"BOOKBUILD_KEEP_SERVERS": "60"}
MINIBOOK = Path(__file__).parent / "fixtures" / "minibook"


@pytest.fixture
def copy_book():
    """Copies of the minibook; servers still kept in them are stopped after the test."""
    roots: list[Path] = []

    def copy(dest: Path) -> Path:
        roots.append(shutil.copytree(MINIBOOK, dest))
        return dest

    yield copy
    for root in roots:
        for name in servers.registered(root / "_build"):
            servers.stop(root / "_build", name)


def _pids(root: Path) -> dict[str, int]:
    return {name: entry["pid"] for name, entry in servers.registered(root / "_build").items()}


def _gone(pids, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                   for pid in pids):
            return True
        time.sleep(0.2)
    return False


def _build(root: Path, env: dict[str, str]) -> None:
    run = bookbuild(root, "build", env=env)
    assert run.code == 0, run.text


def _edit_data(root: Path) -> None:
    path = root / "data" / "bedrifter.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("ansatte: 45", "ansatte: 46"),
                    encoding="utf-8")


def test_the_next_build_uses_the_kept_servers_and_gets_the_same_output(tmp_path, copy_book):
    kept, fresh = copy_book(tmp_path / "kept"), copy_book(tmp_path / "fresh")
    _build(kept, KEEP)
    first = _pids(kept)
    assert set(first) == {"forkserver", "typst"}
    assert all(psutil.pid_exists(pid) for pid in first.values())
    _edit_data(kept)
    _build(kept, KEEP)
    assert _pids(kept) == first  # the same processes served the second build
    _edit_data(fresh)
    _build(fresh, {"BOOKBUILD_KEEP_SERVERS": "0"})
    assert _pids(fresh) == {}
    assert processes_in(fresh) == []
    assert tree_digest(kept / "_book") == tree_digest(fresh / "_book")  # PDF included

    stopped = bookbuild(kept, "stop")
    assert stopped.code == 0 and "forkserver" in stopped.out and "typst" in stopped.out
    assert _gone(first.values())
    assert _pids(kept) == {}
    assert processes_in(kept) == []


def test_kept_servers_end_when_idle(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, {"BOOKBUILD_KEEP_SERVERS": "2"})
    pids = _pids(root)
    assert len(pids) == 2
    assert _gone(pids.values())


def test_kept_servers_end_when_their_project_is_removed(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)
    pids = _pids(root)
    shutil.rmtree(root)
    assert _gone(pids.values())


def test_kept_servers_end_when_the_build_folder_is_removed(tmp_path, copy_book):
    # `rm -rf _build` instead of `make clean`: no build could find them again.
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)
    pids = _pids(root)
    shutil.rmtree(root / "_build")
    assert _gone(pids.values())
    _build(root, KEEP)  # the next build starts and registers servers of its own
    assert set(_pids(root)) == {"forkserver", "typst"}
    assert not set(_pids(root).values()) & set(pids.values())


def test_clean_stops_the_kept_servers(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)
    pids = _pids(root)
    assert bookbuild(root, "clean").code == 0
    assert _gone(pids.values())


def test_another_environment_gets_new_servers(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)
    before = _pids(root)
    _edit_data(root)  # so that the build needs a kernel and typst
    _build(root, {**KEEP, "BOOKBUILD_SOME_SETTING": "annen"})
    after = _pids(root)
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    assert _gone(before.values())
    assert bookbuild(root, "stop").code == 0


def test_no_servers_are_kept_on_ci_unless_asked(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, {"BOOKBUILD_KEEP_SERVERS": "", "CI": "1"})
    assert _pids(root) == {}
    assert processes_in(root) == []


def test_a_killed_build_leaves_no_kernel_on_a_kept_server(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)  # the server is now kept
    server = psutil.Process(_pids(root)["forkserver"])
    # The chapter's kernel says that it runs (the server's children include its spare).
    running, partial = tmp_path / "kernel.pid", str(tmp_path / "kernel.tmp")
    code = (f"import os, time\nopen({partial!r}, 'w').write(str(os.getpid()))\n"
            f"os.replace({partial!r}, {str(running)!r})\n")
    write_chapter(root, "chapters/02-resultater.ipynb",
                  [new_code_cell(code + "time.sleep(120)")])
    build = subprocess.Popen(bookbuild_cmd(root, "build"), cwd=root, env=cli_env(root, KEEP),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not running.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running.is_file(), "no kernel was started on the kept server"
        kernel = int(running.read_text())
        assert psutil.Process(kernel).ppid() == server.pid
    finally:
        build.send_signal(signal.SIGKILL)  # no chance to stop its kernels
        build.wait()
    assert _gone([kernel])
    assert server.is_running()  # the server itself stays for the next build
    assert bookbuild(root, "stop").code == 0
    assert _gone([server.pid])


def test_a_typst_error_on_the_kept_server_is_a_build_error(tmp_path):
    (tmp_path / "main.typ").write_text("#let x = (\n", encoding="utf-8")
    build_dir = tmp_path / "_build"
    with servers.keeping(60):
        server = kept_server(build_dir, tmp_path, 0, None)
        try:
            with pytest.raises(BuildError, match="typst failed"):
                compile_on(server, tmp_path / "main.typ", tmp_path, 0, [], tmp_path / "o.pdf")
            (tmp_path / "main.typ").write_text("Hei", encoding="utf-8")
            pdf = compile_on(server, tmp_path / "main.typ", tmp_path, 0, [], tmp_path / "o.pdf")
            assert pdf is not None and pdf.startswith(b"%PDF")
        finally:
            assert servers.stop(build_dir, "typst")
    assert _gone([server["pid"]])


@pytest.mark.parametrize(("env", "config", "ci", "expected"), [
    ("30", 5, None, 30),  # the environment wins
    ("", 5, "1", 5),  # then the project's setting, CI or not
    ("", None, None, servers.DEFAULT_IDLE),
    ("", None, "1", 0),  # CI keeps none by default
    ("mange", None, None, 0),  # nonsense keeps none
    ("-4", None, None, 0),
])
def test_how_long_servers_are_kept(monkeypatch, env, config, ci, expected):
    monkeypatch.setenv(servers.ENV, env)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    engine = {} if config is None else {"keep-servers": config}
    assert servers.idle_setting(engine) == expected



def test_installing_a_package_gives_new_servers(tmp_path, monkeypatch):
    """A kept server keeps the library versions it imported: a change in the package folder
    (pip install, upgrade, uninstall) must change its key."""
    import sysconfig

    packages = tmp_path / "site-packages"
    packages.mkdir()
    monkeypatch.setattr(sysconfig, "get_paths",
                        lambda *a, **k: {"purelib": str(packages), "platlib": str(packages)})
    before = servers.environment_digest()
    assert servers.environment_digest() == before
    (packages / "nypakke-1.0.dist-info").mkdir()
    assert servers.environment_digest() != before


def test_a_copied_project_leaves_the_original_its_servers(tmp_path, copy_book):
    root = copy_book(tmp_path / "book")
    _build(root, KEEP)
    pids = _pids(root)
    copy = tmp_path / "kopi"
    shutil.copytree(root, copy)  # _build/ with the registry included
    assert bookbuild(copy, "stop").out.strip() == "Ingen tjenere kjører"
    _edit_data(copy)
    _build(copy, KEEP)
    assert not set(_pids(copy).values()) & set(pids.values())  # servers of its own
    assert all(psutil.pid_exists(pid) for pid in pids.values())  # the original's still run
    assert _pids(root) == pids
    assert bookbuild(copy, "stop").code == 0


@pytest.mark.parametrize("after", ["removed", "another server"])
def test_a_server_ends_only_once_its_entry_named_it_and_no_longer_does(tmp_path, after):
    entry = tmp_path / "forkserver.json"
    life = servers.Lifetime(600, str(tmp_path), str(entry), "mine")
    life.CHECK_EVERY = 0
    assert not life.over()  # not registered yet: the build writes the entry after the start
    entry.write_text('{"token": "an old one"}', encoding="utf-8")
    assert not life.over()  # a stale entry, before this server's own
    entry.write_text('{"token": "mine"}', encoding="utf-8")
    assert not life.over()
    if after == "removed":
        entry.unlink()
    else:
        entry.write_text('{"token": "a new one"}', encoding="utf-8")
    assert life.over()


def test_a_server_sees_an_entry_that_lived_less_than_its_check_interval(tmp_path, monkeypatch):
    """A short build registers the server, ends, and `rm -rf _build` follows at once: until
    its entry has named it, a server looks far more often than every CHECK_EVERY seconds."""
    entry = tmp_path / "forkserver.json"
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    life = servers.Lifetime(600, str(tmp_path), str(entry), "mine")
    entry.write_text('{"token": "mine"}', encoding="utf-8")
    clock[0] = 0.5  # the build ran half a second
    assert not life.over()
    entry.unlink()
    clock[0] = 0.6
    assert not life.over()  # registered now, so back to the usual interval
    clock[0] = 0.5 + life.CHECK_EVERY
    assert life.over()
