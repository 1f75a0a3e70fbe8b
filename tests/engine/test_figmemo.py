"""The figure memo: a plotnine display whose inputs are unchanged reuses the stored bundle;
any change to what decides the picture draws it again."""

import os
import shutil
import threading

import matplotlib
import pandas as pd
import plotnine
import pytest
from plotnine import aes, geom_point, ggplot, theme_bw, theme_get, theme_set
from plotnine.ggplot import ggplot as ggplot_class
from test_execute import copy_book
from test_forkserver import _chapters, _settings

from bookbuild import figmemo
from bookbuild.execute import execute_book
from bookbuild.project import load_project


@pytest.fixture
def memo(tmp_path, monkeypatch):
    """The memo installed in this process, with a count of real drawings."""
    draws = []
    original = ggplot_class._repr_mimebundle_

    def counted(self, include=None, exclude=None):
        draws.append(1)
        return original(self, include, exclude)

    monkeypatch.setattr(ggplot_class, "_repr_mimebundle_", counted)
    monkeypatch.setattr(plotnine.options, "figure_format", "svg")  # no IPython here
    figmemo.install(str(tmp_path / "memo"), "salt", str(tmp_path))
    yield draws
    figmemo.uninstall()


def _show(plot) -> tuple:
    return plot._repr_mimebundle_()


def _plot(frame: pd.DataFrame, y: str = "y") -> ggplot:
    return ggplot(frame, aes("x", y)) + geom_point()


FRAME = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})


def test_repeated_display_reuses_the_bundle(memo):
    first = _show(_plot(FRAME))
    second = _show(_plot(FRAME.copy()))
    assert len(memo) == 1
    assert second == first
    assert "<svg" in first[0]["image/svg+xml"]


def test_changed_data_draws_again(memo):
    _show(_plot(FRAME))
    _show(_plot(FRAME.assign(y=[3, 1, 3])))
    assert len(memo) == 2


def test_changed_variable_in_an_expression_draws_again(memo):
    scale = 2  # read by the aesthetic expression, in the namespace ggplot() captures
    first = _show(ggplot(FRAME, aes("x", "y * scale")) + geom_point())
    scale = 3  # noqa: F841
    second = _show(ggplot(FRAME, aes("x", "y * scale")) + geom_point())
    assert len(memo) == 2
    assert second != first


def test_changed_default_theme_draws_again(memo):
    previous = theme_get()
    try:
        _show(_plot(FRAME))
        theme_set(theme_bw())
        _show(_plot(FRAME))
    finally:
        theme_set(previous)
    assert len(memo) == 2


def test_changed_rcparam_draws_again(memo):
    _show(_plot(FRAME))
    with matplotlib.rc_context({"svg.hashsalt": "another"}):
        _show(_plot(FRAME))
    assert len(memo) == 2


def test_unpicklable_plot_is_drawn_every_time(memo, tmp_path):
    frame = FRAME.assign(lock=[threading.Lock() for _ in range(3)])
    assert figmemo.figure_key(_plot(frame)) is None
    first, second = _show(_plot(frame)), _show(_plot(frame))
    assert len(memo) == 2
    assert "<svg" in first[0]["image/svg+xml"] and "<svg" in second[0]["image/svg+xml"]
    assert not list((tmp_path / "memo").glob("*.json"))


def test_functions_count_by_their_code():
    def label(v):
        return str(v)

    def other(v):
        return str(v) + "!"

    key = figmemo.content_hash
    assert key([label]) is not None
    assert key([label]) == key([label])
    assert key([label]) != key([other])
    assert key([lambda v: 1]) != key([lambda v: 2])


def test_prune_keeps_the_most_recently_used(tmp_path):
    for number in range(5):
        path = tmp_path / f"{number}.json"
        path.write_text("{}")
        os.utime(path, (number, number))
    figmemo.prune(str(tmp_path), 2)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["3.json", "4.json"]


CHART = ("import pandas as pd\nfrom plotnine import ggplot, aes, geom_col\n"
         "frame = pd.read_csv('data/tall.csv')\n"
         "ggplot(frame, aes('a', 'b')) + geom_col()")


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "started"])
def test_memoized_build_is_identical_and_memo_is_no_data(tmp_path, fork):
    root = copy_book(tmp_path / "book")
    if not fork:
        _settings(root, "kernel-fork = false")
    (root / "data" / "tall.csv").write_text("a,b\nx,1\ny,2\n", encoding="utf-8")
    _chapters(root, {"chart": CHART})
    project = load_project(root)

    def build() -> tuple:
        shutil.rmtree(project.build_dir / "cache", ignore_errors=True)  # execute again
        chapter = execute_book(project)[-1]
        return chapter, {f.name: f.read_bytes() for f in chapter.figures}

    empty, empty_figures = build()
    entries = list((project.build_dir / "figmemo").glob("*.json"))
    assert len(entries) == 1
    os.utime(entries[0], (0, 0))
    memoized, memo_figures = build()
    assert entries[0].stat().st_mtime > 0  # used (touched), not written anew
    assert list((project.build_dir / "figmemo").glob("*.json")) == entries
    assert memoized.markdown == empty.markdown and memo_figures == empty_figures
    assert memoized.files_read == empty.files_read == ["data/tall.csv"]
    # The data changes: the chart is drawn again.
    (root / "data" / "tall.csv").write_text("a,b\nx,1\ny,3\n", encoding="utf-8")
    changed, changed_figures = build()
    assert len(list((project.build_dir / "figmemo").glob("*.json"))) == 2
    assert changed_figures != empty_figures
