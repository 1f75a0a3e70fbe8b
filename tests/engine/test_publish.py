"""publish.staged_output: the output folder changes only when the whole block succeeds."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from buildcheck import tree_digest

from bookbuild.publish import remove_leftovers, staged_output


@pytest.fixture
def published(tmp_path: Path) -> Path:
    out = tmp_path / "_book"
    (out / "chapters").mkdir(parents=True)
    (out / "index.html").write_text("gammel", encoding="utf-8")
    (out / "chapters/a.html").write_text("gammel a", encoding="utf-8")
    return out


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_success_replaces_the_folder(published: Path):
    with staged_output(published) as stage:
        assert stage.parent == published.parent and stage != published
        (stage / "index.html").write_text("ny", encoding="utf-8")
    assert (published / "index.html").read_text(encoding="utf-8") == "ny"
    assert not (published / "chapters").exists()
    assert siblings(published) == ["_book"]


def test_first_build_creates_the_folder(tmp_path: Path):
    out = tmp_path / "site" / "_book"
    with staged_output(out) as stage:
        (stage / "index.html").write_text("ny", encoding="utf-8")
    assert (out / "index.html").is_file()


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_leaves_previous_output_untouched(published: Path, error: BaseException):
    before = tree_digest(published)
    with pytest.raises(type(error)), staged_output(published) as stage:
        (stage / "index.html").write_text("halvferdig", encoding="utf-8")
        raise error
    assert tree_digest(published) == before
    assert siblings(published) == ["_book"]


def test_sigterm_unwinds_and_cleans_up(published: Path):
    before = tree_digest(published)
    with pytest.raises(KeyboardInterrupt), staged_output(published) as stage:
        (stage / "index.html").write_text("halvferdig", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGTERM)
    assert tree_digest(published) == before
    assert siblings(published) == ["_book"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_leftovers_of_a_killed_build_are_removed(published: Path):
    dead_pid = 999_999_999  # beyond any real pid
    (published.parent / f"_book.tmp-{dead_pid}").mkdir()
    remove_leftovers(published)
    assert siblings(published) == ["_book"]


def test_killed_between_renames_restores_previous_output(published: Path):
    before = tree_digest(published)
    retired = published.parent / "_book.old-999999999"
    published.rename(retired)
    remove_leftovers(published)
    assert tree_digest(published) == before
    assert siblings(published) == ["_book"]
