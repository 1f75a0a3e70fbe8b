"""The project's check hook as the build runs it: in a child process, reused until an input
changes, and a crashing hook named in a clear error (no kernel starts in these tests)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bookbuild.build import run_check
from bookbuild.errors import BuildError
from bookbuild.project import load_project

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"

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
