"""Kernels forked from the fork server: isolated from each other, their preloaded modules'
reads tracked as data, and gone when their launcher or the build goes."""

import asyncio
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from nbformat.v4 import new_code_cell
from test_execute import copy_book, write_chapter

from bookbuild import kernel_startup
from bookbuild.execute import execute_book
from bookbuild.kernels import BEHIND_NICENESS, KernelFactory
from bookbuild.project import load_project


def _chapters(root: Path, cells: dict[str, str]) -> None:
    """The fixture's index, then one chapter per entry, each a single code cell."""
    names = [f"chapters/{name}.ipynb" for name in cells]
    for name, source in zip(names, cells.values(), strict=True):
        write_chapter(root, name, [new_code_cell(source)])
    listed = "".join(f"    - {name}\n" for name in names)
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Testbok\n  chapters:\n    - index.ipynb\n"
        f"{listed}lang: nb\nexecute:\n  echo: false\n", encoding="utf-8")


def _settings(root: Path, text: str) -> None:
    (root / "pyproject.toml").write_text(f"[tool.bookbuild]\n{text}\n", encoding="utf-8")


def test_a_chapter_changes_nothing_in_another(tmp_path):
    root = copy_book(tmp_path / "book")
    _settings(root, 'kernel-preload = ["json"]')
    _chapters(root, {
        "a": "import json\njson.leak = 'A'",
        "b": "import json\nprint('lekkasje' if hasattr(json, 'leak') else 'ren')",
    })
    project = load_project(root)
    results = execute_book(project, jobs=1)  # one after the other: b runs after a changed json
    assert "ren" in results[2].markdown
    assert "lekkasje" not in results[2].markdown


def test_reads_of_preloaded_modules_are_dependencies_of_every_chapter(tmp_path):
    root = copy_book(tmp_path / "book")
    (root / "data" / "terskel.txt").write_text("7", encoding="utf-8")
    (root / ".venv").mkdir()
    (root / ".venv" / "pakke.txt").write_text("ikke data", encoding="utf-8")
    (root / "forhand.py").write_text(
        "from pathlib import Path\nTERSKEL = Path('data/terskel.txt').read_text()\n"
        "PAKKE = Path('.venv/pakke.txt').read_text()  # an installed library's own file\n",
        encoding="utf-8")
    _settings(root, 'kernel-preload = ["forhand"]')
    _chapters(root, {"a": "import sys\nprint('lastet', 'forhand' in sys.modules)\n"
                           "import forhand\nprint('terskel', forhand.TERSKEL)"})
    project = load_project(root)
    first = execute_book(project)[1]
    assert "lastet True" in first.markdown  # imported by the server, not by the chapter
    assert "terskel 7" in first.markdown
    assert "data/terskel.txt" in first.files_read
    assert not [f for f in first.files_read if f.startswith(".venv/")]  # never data
    (root / "data" / "terskel.txt").write_text("8", encoding="utf-8")
    again = execute_book(project)[1]
    assert not again.cached
    assert "terskel 8" in again.markdown


def test_kernels_can_start_the_usual_way(tmp_path):
    root = copy_book(tmp_path / "book")
    _settings(root, "kernel-fork = false")
    _chapters(root, {"a": "import sys\nprint(sys.modules.get('ipykernel.debugger') is None)"})
    project = load_project(root)
    assert execute_book(project)[1].markdown
    assert not (project.build_dir / "logs" / "forkserver.log").exists()


def test_a_killed_launcher_takes_its_kernel_along(tmp_path):
    project = load_project(copy_book(tmp_path / "book"))

    async def scenario() -> tuple[bool, list[int]]:
        from bookbuild.execute import _KernelSession

        factory = KernelFactory(project)
        session = _KernelSession(project, project.chapters[1], factory)
        try:
            await session.start()
            outputs = await session._execute("import os; print(os.getpid())", "test")
            kernel = int(outputs[0]["text"].strip())
            os.kill(session.client.km.provisioner.process.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _running(kernel) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            still = _running(kernel)
        finally:
            await session.shutdown()
            server = factory._server.result().process.pid if factory._server else None
            await factory.close()
        return still, [server] if server else []

    still, servers = asyncio.run(scenario())
    assert not still
    assert servers and not any(_running(pid) for pid in servers)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_kept_server_is_reused_until_a_preloaded_file_changes(tmp_path):
    from bookbuild.kernels import keep_servers

    root = copy_book(tmp_path / "book")
    (root / "data" / "terskel.txt").write_text("7", encoding="utf-8")
    (root / "forhand.py").write_text(
        "import os\nfrom pathlib import Path\nTERSKEL = Path('data/terskel.txt').read_text()\n"
        "SERVER = os.getpid()\n", encoding="utf-8")
    _settings(root, 'kernel-preload = ["forhand"]')
    _chapters(root, {"a": "import forhand, os\nprint('server', forhand.SERVER, os.getppid())"})
    project = load_project(root)

    def server_of_fresh_run() -> str:
        (root / "chapters" / "a.ipynb").touch()
        for entry in (project.build_dir / "cache").glob("*.json"):
            entry.unlink()  # run the chapter again, not from the cache
        text = execute_book(project)[1].markdown
        return text.split("server ", 1)[1].split()[0]

    with keep_servers():
        first, second = server_of_fresh_run(), server_of_fresh_run()
        assert first == second  # the same server forked both kernels
        (root / "data" / "terskel.txt").write_text("8", encoding="utf-8")
        third = server_of_fresh_run()
        assert third != first
        assert psutil.pid_exists(int(third))
    assert not psutil.pid_exists(int(third)) or not _running(int(third))
    first_alone = server_of_fresh_run()
    assert not _running(int(first_alone))  # outside keep_servers a build stops its server


def test_server_stops_and_cleans_up_when_its_build_goes(tmp_path):
    """The build holds the server's stdin; when the build dies, the pipe closes: the server
    exits and removes its socket folder, with no help from the (dead) build."""
    from bookbuild.forkclient import ForkServer

    project = load_project(copy_book(tmp_path / "book"))
    server = ForkServer(project, [], ("x",), [])
    server.wait_ready()
    folder = Path(server.socket_path).parent
    assert folder.is_dir()
    server.process.stdin.close()  # what the build's death does to the pipe
    server.process.wait(10)
    assert not folder.exists()
    server.log.close()


def test_forked_kernels_talk_over_unix_sockets_of_their_own(tmp_path):
    """Two kernels started at once each get their own socket files in the server's private
    folder (no TCP ports to hand out twice); the files go with the kernel."""
    project = load_project(copy_book(tmp_path / "book"))

    async def scenario() -> tuple[list[dict], list[bool], list[str]]:
        from bookbuild.execute import _KernelSession

        factory = KernelFactory(project)
        sessions = [_KernelSession(project, ref, factory) for ref in project.chapters[:2]]
        try:
            await asyncio.gather(*(session.start() for session in sessions))
            infos = [s.client.km.get_connection_info() for s in sessions]
            answers = [await s._execute("print(6 * 7)", "test") for s in sessions]
            folder = factory._server.result().folder
        finally:
            for session in sessions:
                await session.shutdown()
            left = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
            await factory.close()
        return infos, ["42" in a[0]["text"] for a in answers], left

    infos, answered, left = asyncio.run(scenario())
    assert answered == [True, True]
    assert [info["transport"] for info in infos] == ["ipc", "ipc"]
    assert infos[0]["ip"] != infos[1]["ip"]
    assert all(Path(info["ip"]).parent.name.startswith("bookbuild-") for info in infos)
    assert left == ["kernels.sock"]  # the kernels' socket files were removed with them


@pytest.mark.parametrize("fork", [True, False])
def test_a_kernel_runs_the_engines_own_kernel_code(tmp_path, fork):
    """Forked (the server loaded it) or started the usual way (the start-up loads it from its
    file), a kernel runs bookbuild's kernel_startup, installed for this project."""
    root = copy_book(tmp_path / "book")
    _settings(root, "" if fork else "kernel-fork = false")
    _chapters(root, {"a": "import sys\nk = sys.modules['_bookbuild_kernel']\n"
                           "print('fil', k.__file__)\nprint('rot', k._state['root'])"})
    project = load_project(root)
    text = execute_book(project)[1].markdown
    engine = Path(kernel_startup.__file__).resolve()
    assert f"fil {engine}" in text
    assert f"rot {root.resolve()}" in text


def test_kernels_give_way_to_the_longest_chapter(tmp_path):
    """The longest chapter starts first and keeps the build's priority; the kernels started
    after it run at a lower one (they only need to end before it does)."""
    root = copy_book(tmp_path / "book")
    show = "import os\nprint('nice', os.nice(0), 'NICENESS' in ' '.join(os.environ))"
    write_chapter(root, "chapters/lang.ipynb",
                  [new_code_cell(f"x = {i}") for i in range(6)] + [new_code_cell(show)])
    write_chapter(root, "chapters/kort.ipynb", [new_code_cell(show)])
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Testbok\n  chapters:\n    - index.ipynb\n"
        "    - chapters/kort.ipynb\n    - chapters/lang.ipynb\nlang: nb\n", encoding="utf-8")
    results = execute_book(load_project(root))
    own = os.nice(0)
    assert f"nice {own} False" in results[2].markdown  # the longest: started first
    assert f"nice {own + BEHIND_NICENESS} False" in results[1].markdown


def test_a_server_whose_build_died_removes_its_kernels_socket_files(tmp_path):
    """The build dies while a kernel runs: nobody shuts the kernel down the usual way, so
    the server kills it and removes its folder, the kernel's socket files included."""
    project = load_project(copy_book(tmp_path / "book"))

    async def scenario() -> tuple[Path, list[str], bool]:
        from bookbuild.execute import _KernelSession

        factory = KernelFactory(project)
        session = _KernelSession(project, project.chapters[1], factory)
        await session.start()
        server = factory._server.result()
        files = sorted(p.name for p in server.folder.iterdir())
        server.process.stdin.close()  # what the build's death does to the pipe
        server.process.wait(10)
        gone = not server.folder.exists()
        session.client.kc.stop_channels()
        server.log.close()
        return server.folder, files, gone

    folder, files, gone = asyncio.run(scenario())
    assert len(files) > 1  # the server's socket and the running kernel's
    assert gone, sorted(p.name for p in folder.iterdir())
