"""How the engine runs pandoc: GHC runtime options only where the binary takes them."""

import os
import stat
from pathlib import Path

import pytest

from bookbuild import pandoc


def _fake_pandoc(folder: Path, takes_rts: bool) -> Path:
    """A stand-in pandoc that prints the arguments it got; without -rtsopts, as GHC does,
    it refuses +RTS."""
    script = folder / "pandoc"
    refuse = 'case " $* " in *" +RTS "*) echo "rtsopts disabled" >&2; exit 1;; esac\n'
    script.write_text("#!/bin/sh\n" + ("" if takes_rts else refuse) + 'echo "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def fake(monkeypatch, tmp_path):
    def use(takes_rts: bool) -> None:
        path = str(_fake_pandoc(tmp_path, takes_rts))
        monkeypatch.setattr(pandoc, "pandoc_path", lambda: path)
        pandoc._rts_options.cache_clear()

    yield use
    pandoc._rts_options.cache_clear()


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for pandoc")
def test_runtime_options_go_first_when_the_binary_takes_them(fake):
    fake(takes_rts=True)
    assert pandoc.run(["-t", "html5"], "").stdout.split() == [*pandoc.RTS_OPTIONS, "-t", "html5"]


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for pandoc")
def test_a_binary_without_rtsopts_runs_without_them(fake):
    fake(takes_rts=False)
    assert pandoc.run(["-t", "html5"], "").stdout.split() == ["-t", "html5"]


def test_the_shipped_pandoc_takes_them():
    pandoc._rts_options.cache_clear()
    assert pandoc._rts_options() == pandoc.RTS_OPTIONS
    assert pandoc.markdown_to_ast("*x*")["blocks"][0]["t"] == "Para"
