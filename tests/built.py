"""A real build of the report from a copy of the project, shared by the report and browser
tests (the session fixture `built_book` lives in tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class BuiltBook:
    """A built copy of the project."""

    root: Path
    result: object  # bookbuild.build.BuildResult
    log: list[str] = field(default_factory=list)

    @property
    def book(self) -> Path:
        return self.result.output_dir

    def chapter_states(self) -> dict[str, str]:
        """Chapter path -> last progress state of the build ("cached", "done", ...)."""
        return chapter_states(self.log)


def chapter_states(log: list[str]) -> dict[str, str]:
    states = {}
    for line in log:  # "[3/10] chapters/01-arena.ipynb: cached"
        if line.startswith("[") and "] " in line and ": " in line:
            path, _, state = line.split("] ", 1)[1].rpartition(": ")
            states[path] = state
    return states


def project_files(root: Path = ROOT) -> list[str]:
    """Files of the project as git sees them: tracked plus new, not-ignored ones (work in
    progress belongs to the project too), without files deleted from the work tree."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, capture_output=True, check=True,
    ).stdout.decode()
    return sorted({name for name in out.split("\0") if name and (root / name).is_file()})


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    for name in project_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return dest


@contextmanager
def own_sources(root: Path) -> Iterator[None]:
    """Kernels import the copy's `almreport`, not the work tree's (which others may edit)."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), old]))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def run_build(root: Path) -> BuiltBook:
    from bookbuild.build import build

    log: list[str] = []
    with own_sources(root):
        result = build(root, log=log.append)
    return BuiltBook(root, result, log)
