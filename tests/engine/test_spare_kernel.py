"""The spare kernel of a fork server that serves several builds (bookbuild.spare): the next
build's first chapter runs on it, in that build's directory and environment, from the command
line and in the preview; a spare that died is replaced and the build starts its kernel as
usual; `bookbuild stop` (or the preview's end) ends it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
from buildcheck import bookbuild, processes_in
from nbformat.v4 import new_code_cell, new_markdown_cell
from test_execute import write_chapter
from test_kept_servers import KEEP, _gone, _pids, copy_book  # noqa: F401 (fixture)
from test_preview import _preview, state, wait_for

# A chapter that says which process ran it, where, with which environment and priority.
PROBE = """import json, os, psutil
me = psutil.Process()
with open({out!r}, "w") as f:
    json.dump({{"pid": me.pid, "started": me.create_time(), "cwd": os.getcwd(),
               "mark": os.environ.get("OLDPWD"), "nice": os.nice(0),
               "version": {version}}}, f)
print("probe", {version})"""


def _write_probe(root: Path, out: Path, version: int) -> None:
    write_chapter(root, "chapters/02-resultater.ipynb", [
        new_markdown_cell("# Resultater {#sec-resultater}\n\nSe @sec-innledning."),
        new_code_cell(PROBE.format(out=str(out), version=version)),
    ])


def _spare_of(server: psutil.Process, within: float = 15.0) -> psutil.Process:
    """The server's only child once no build runs: its spare kernel."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:  # a child may end between the listing and the look at it (the build's own)
            children = [c for c in server.children() if c.status() != psutil.STATUS_ZOMBIE]
        except psutil.NoSuchProcess:
            children = []
        if len(children) == 1:
            return children[0]
        time.sleep(0.1)
    raise AssertionError(f"no single spare kernel: {server.children()}")


def _build(root: Path, env: dict[str, str]) -> None:
    run = bookbuild(root, "build", env=env)
    assert run.code == 0, run.text


def _spare_logs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "_build" / "logs").glob("kernel-spare-*.log"))


def _kept_with_spare(tmp_path: Path, copy) -> tuple[Path, Path, psutil.Process, psutil.Process]:
    """A minibook (`copy`: the copy_book fixture) built once with its servers kept, its probe
    chapter at version 1: the root, the probe's output file, the fork server, its spare."""
    root = copy(tmp_path / "book")
    out = tmp_path / "probe.json"
    _write_probe(root, out, 1)
    _build(root, KEEP)
    server = psutil.Process(_pids(root)["forkserver"])
    return root, out, server, _spare_of(server)


def test_the_next_builds_first_chapter_runs_on_the_spare_in_that_builds_environment(
        tmp_path, copy_book):  # noqa: F811 (the fixture)
    root, out, server, spare = _kept_with_spare(tmp_path, copy_book)

    _write_probe(root, out, 2)
    before = time.time()
    # A variable that does not make the build want another server (bookbuild.servers).
    _build(root, {**KEEP, "OLDPWD": "/zwei"})
    probe = json.loads(out.read_text())
    assert probe["version"] == 2
    assert probe["pid"] == spare.pid
    assert probe["started"] < before  # started ahead, before this build
    assert probe["mark"] == "/zwei"  # the adopting build's environment, not the server's
    assert Path(probe["cwd"]).resolve() == root.resolve()
    assert probe["nice"] == 0  # the build waits for its first chapter: full priority
    # The spare's log became the chapter's; the only spare log left is the next spare's.
    assert (root / "_build" / "logs" / "chapters__02-resultater.ipynb.log").is_file()
    page = (root / "_book" / "chapters" / "02-resultater.html").read_text(encoding="utf-8")
    assert "probe 2" in page
    next_spare = _spare_of(server)
    assert next_spare.pid != spare.pid
    assert len(_spare_logs(root)) == 1

    assert bookbuild(root, "stop").code == 0
    assert _gone([server.pid, next_spare.pid])
    assert _spare_logs(root) == []
    assert processes_in(root) == []


def test_a_spare_that_died_is_replaced_and_the_build_starts_its_kernel_as_usual(
        tmp_path, copy_book):  # noqa: F811 (the fixture)
    root, out, server, spare = _kept_with_spare(tmp_path, copy_book)
    spare.kill()
    assert _gone([spare.pid])

    _write_probe(root, out, 2)
    _build(root, KEEP)
    probe = json.loads(out.read_text())
    assert probe["version"] == 2
    assert probe["pid"] != spare.pid
    replacement = _spare_of(server)
    assert replacement.pid not in (spare.pid, probe["pid"])
    assert bookbuild(root, "stop").code == 0
    assert _gone([server.pid, replacement.pid])


def test_the_preview_runs_a_rebuilds_first_chapter_on_its_servers_spare(tmp_path):
    previewing = _preview(tmp_path, lambda root: _write_probe(root, tmp_path / "probe.json", 1))
    root, base, proc, _log = next(previewing)
    try:
        first = wait_for(lambda: (s := state(base)) and s["version"] >= 1 and s, "build", proc)
        servers = wait_for(lambda: [c for c in psutil.Process(proc.pid).children()
                                    if "bookbuild.forkserver" in " ".join(c.cmdline())],
                           "the preview's fork server", proc)
        spare = _spare_of(servers[0])
        _write_probe(root, tmp_path / "probe.json", 2)
        wait_for(lambda: (s := state(base)) and s["version"] > first["version"], "rebuild", proc)
        probe = json.loads((tmp_path / "probe.json").read_text())
        assert (probe["version"], probe["pid"]) == (2, spare.pid)
    finally:
        previewing.close()  # ends the preview, its server and the spare
    assert _gone([spare.pid])


def test_a_cell_of_the_spare_that_times_out_is_interrupted_and_the_kernel_ends(
        tmp_path, copy_book):  # noqa: F811 (the fixture)
    root, _, server, spare = _kept_with_spare(tmp_path, copy_book)
    (root / "pyproject.toml").write_text("[tool.bookbuild]\ntimeout = 2\n", encoding="utf-8")
    write_chapter(root, "chapters/02-resultater.ipynb",
                  [new_markdown_cell("# Resultater"), new_code_cell("import time\ntime.sleep(60)")])
    run = bookbuild(root, "build", env=KEEP)
    assert run.code == 1, run.text
    assert "02-resultater" in run.text and "timeout" in run.text
    assert _gone([spare.pid])  # the chapter's kernel: interrupted, then shut down
    assert server.is_running()
    assert _spare_of(server).pid != spare.pid
    assert bookbuild(root, "stop").code == 0
    assert processes_in(root) == []
