"""The benchmark's edits: each run changes the file, and a list of states never repeats one
before the list is used up (a repeated value would be served by the figure memo). Its
targets: read from the project, checked against the medians and the peak memory."""

from __future__ import annotations

import re

import pytest

from bookbuild.bench import Edit, Run, _table, load_targets


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


# --- targets ---------------------------------------------------------------------------


def _project(tmp_path, targets: str):
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.bookbuild.bench.targets]\n{targets}\n", encoding="utf-8")
    return tmp_path


def test_targets_are_read_per_scenario_and_for_peak_memory(tmp_path):
    root = _project(tmp_path, '"clean build" = 12\n"one data edit, kept" = 3\npeak-mb = 1024')
    assert load_targets(root) == {"clean build": 12, "one data edit, kept": 3, "peak-mb": 1024}


@pytest.mark.parametrize("line, problem", [
    ('"clean biuld" = 12', "unknown ['clean biuld']"),
    ('"no-op rebuild" = 0', "must be positive"),
    ('"no-op rebuild" = "fast"', "must be positive"),
    ('"no-op rebuild" = true', "must be positive"),
])
def test_a_wrong_target_stops_the_bench_before_it_runs(tmp_path, line, problem):
    with pytest.raises(SystemExit, match=re.escape(problem)):
        load_targets(_project(tmp_path, line))


def test_the_table_says_which_targets_are_met_and_which_missed(capsys):
    results = {
        "clean build": [Run(11.0, 400), Run(13.0, 450), Run(11.5, 420)],  # median 11.5
        "one data edit": [Run(5.0, 380)],  # no target: shown without a verdict
        "one data edit, kept": [Run(3.4, 600), Run(2.9, 1100), Run(3.1, 500)],  # median 3.1
    }
    _table(results, {"clean build": 12, "one data edit, kept": 3, "one prose edit, kept": 2,
                     "peak-mb": 1024})
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split("  ")[0]: line for line in lines}
    assert rows["clean build"].endswith("<= 12 s met")
    assert rows["one data edit, kept"].endswith("<= 3 s MISSED")
    assert rows["one data edit"].endswith("chapter(s)")
    assert "peak memory of all runs: 1100 MB, <= 1024 MB MISSED" in lines
    # The prose edit did not run: its target is not counted.
    assert lines[-1] == ("targets: 1 of 3 met; missed: one data edit, kept (3.10 s), "
                         "peak memory (1100 MB)")
