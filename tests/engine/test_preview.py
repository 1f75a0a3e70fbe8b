"""`bookbuild preview` in a subprocess on the minibook: a data edit rebuilds the chapter that
reads it, the version the pages poll changes, and the terminal shows per-chapter progress."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bookbuild.preview import VERSION_PATH

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"
DEADLINE = 240  # seconds for a build in the preview; generous for a loaded CI machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except OSError:
        return None


def wait_for(predicate, what: str, proc: subprocess.Popen):
    ends = time.monotonic() + DEADLINE
    while time.monotonic() < ends:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"preview exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def preview(tmp_path):
    yield from _preview(tmp_path)


@pytest.fixture
def preview_writing_data(tmp_path):
    """The minibook with a chapter that writes a file under the watched data/ folder."""
    def prepare(root: Path) -> None:
        import nbformat

        path = root / "chapters" / "01-innledning.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(
            "#| output: false\nfrom pathlib import Path\n"
            "Path('data/avledet.csv').write_text('a,b\\n1,2\\n')"))
        nbformat.write(nb, path)

    yield from _preview(tmp_path, prepare)


def _preview(tmp_path, prepare=None):
    root = tmp_path / "minibook"
    shutil.copytree(FIXTURE, root)
    if prepare:
        prepare(root)
    port = free_port()
    log = (tmp_path / "preview.log").open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookbuild", "preview", "--root", str(root), "--port", str(port),
         "--html-only"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield root, f"http://127.0.0.1:{port}", proc, tmp_path / "preview.log"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def state(base: str) -> dict | None:
    body = get(base + VERSION_PATH)
    return json.loads(body) if body else None


def test_data_edit_rebuilds_and_the_page_reloads(preview):
    root, base, proc, log = preview
    first = wait_for(lambda: (s := state(base)) and s["version"] >= 1 and s, "first build", proc)
    assert first["error"] is None
    page = get(base + "/chapters/01-innledning.html").decode("utf-8")
    assert VERSION_PATH in page  # the reload script is served with the page

    data = root / "data" / "bedrifter.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("ansatte: 120", "ansatte: 1120"),
                    encoding="utf-8")
    later = wait_for(lambda: (s := state(base)) and s["version"] > first["version"] and s,
                     "rebuild after the data edit", proc)
    assert later["error"] is None
    page = get(base + "/chapters/01-innledning.html").decode("utf-8")
    assert "1120" in page or "1 120" in page or "1\u00a0120" in page

    output = log.read_text(encoding="utf-8")
    rebuild = output.split("Endret:", 1)[1]
    assert "chapters/01-innledning.ipynb: executing" in rebuild
    assert "chapters/02-resultater.ipynb: cached" in rebuild


def test_files_the_build_writes_start_no_rebuild(preview_writing_data):
    """A chapter writing under data/ (a watched folder) must not make the preview rebuild
    after each build: the file is the build's own, as the build left it."""
    root, base, proc, log = preview_writing_data
    first = wait_for(lambda: (s := state(base)) and s["version"] >= 1 and s, "first build", proc)
    assert first["error"] is None
    assert (root / "data" / "avledet.csv").is_file()
    time.sleep(3)  # the watcher reports changes within about a second
    assert state(base)["version"] == first["version"]
    data = root / "data" / "bedrifter.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("ansatte: 120", "ansatte: 1120"),
                    encoding="utf-8")
    later = wait_for(lambda: (s := state(base)) and s["version"] > first["version"] and s,
                     "rebuild after the data edit", proc)
    time.sleep(3)
    assert state(base)["version"] == later["version"]
    assert log.read_text(encoding="utf-8").count("Endret:") == 1
