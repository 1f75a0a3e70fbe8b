"""The benchmark's edits: each run changes the file, and a list of states never repeats one
before the list is used up (a repeated value would be served by the figure memo)."""

from __future__ import annotations

import pytest

from bookbuild.bench import Edit


def _states(tmp_path, edit: Edit, runs: int) -> list[str]:
    seen = []
    for _ in range(runs):
        edit.toggle(tmp_path)
        seen.append((tmp_path / edit.file).read_text(encoding="utf-8"))
    return seen


def test_a_single_replacement_toggles(tmp_path):
    (tmp_path / "a.txt").write_text("n: 3\n", encoding="utf-8")
    edit = Edit("a.txt", "n: 3", "n: 4")
    assert _states(tmp_path, edit, 3) == ["n: 4\n", "n: 3\n", "n: 4\n"]


def test_a_list_of_replacements_gives_a_new_state_each_run(tmp_path):
    (tmp_path / "a.txt").write_text("x n: 3 y\n", encoding="utf-8")
    edit = Edit("a.txt", "n: 3", ["n: 4", "n: 5", "n: 6"])
    states = _states(tmp_path, edit, 4)
    assert states == ["x n: 4 y\n", "x n: 5 y\n", "x n: 6 y\n", "x n: 3 y\n"]


def test_a_file_in_none_of_the_states_stops_the_bench(tmp_path):
    (tmp_path / "a.txt").write_text("n: 9\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="none of"):
        Edit("a.txt", "n: 3", ["n: 4"]).toggle(tmp_path)
