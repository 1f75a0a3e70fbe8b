"""Fixtures shared by all test folders: ONE real build of the report per session.

`built_book` copies the project (its git-visible files) to a temporary folder and runs the real
`bookbuild.build.build()` once per session; the report and browser tests reuse it. The helper
modules `built` and `buildcheck` live in tests/ (on pytest's `pythonpath`, see pyproject.toml).
"""

from __future__ import annotations

import os

import pytest
from built import BuiltBook, copy_project, run_build

# Builds run by the tests keep no servers after they end (bookbuild.servers), unless a test
# asks for them: hundreds of builds would otherwise leave hundreds of idle processes.
os.environ["BOOKBUILD_KEEP_SERVERS"] = "0"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> BuiltBook:
    """The real report, built once per session from a copy of the project."""
    root = copy_project(tmp_path_factory.mktemp("report") / "project")
    return run_build(root)
