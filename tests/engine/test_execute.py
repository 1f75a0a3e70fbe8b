"""Executing a tiny fixture book in real kernels (shared across tests: kernel starts are slow)."""

import asyncio
import shutil
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bookbuild import execute as execmod
from bookbuild.errors import BuildError
from bookbuild.execute import execute_book
from bookbuild.kernels import KernelFactory
from bookbuild.project import load_project

FIXTURE = Path(__file__).parent / "fixtures" / "exec"


def running_children() -> list[psutil.Process]:
    """This process's children still running (a stopped kernel may linger a moment as a
    zombie: exited, not yet reaped)."""
    return [c for c in psutil.Process().children(recursive=True)
            if c.status() != psutil.STATUS_ZOMBIE]


def copy_book(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = copy_book(tmp_path_factory.mktemp("exec") / "book")
    project = load_project(root)
    events = []
    results = execute_book(project, jobs=2, progress=lambda ref, state: events.append((ref, state)))
    return project, {r.ref.path.as_posix(): r for r in results}, events


def test_results_in_chapter_order_with_progress(book):
    project, results, events = book
    assert list(results) == ["index.ipynb", "chapters/figs.ipynb", "chapters/data.ipynb"]
    assert not any(r.cached for r in results.values())
    states = {ref.path.as_posix(): [s for r, s in events if r == ref] for ref in project.chapters}
    # The index has no code: it is rendered without a kernel, and says so.
    assert states["index.ipynb"] == ["rendering", "done"]
    assert states["chapters/figs.ipynb"] == ["executing", "done"]
    assert states["chapters/data.ipynb"] == ["executing", "done"]


def test_labelled_figure_is_crossref_div_with_svg_and_png(book):
    project, results, _ = book
    chapter = results["chapters/figs.ipynb"]
    expected = (
        "::: {#fig-line}\n"
        '![](_build/figures/fig-line.svg){fig-alt="Stigende linje"}\n\nEn linje\n:::'
    )
    assert expected in chapter.markdown
    assert chapter.figures == [project.build_dir / "figures" / "fig-line.svg"]
    for folder in (project.build_dir / "figures", project.root / "figures"):
        assert b"<svg" in (folder / "fig-line.svg").read_bytes()
        assert (folder / "fig-line.png").read_bytes().startswith(b"\x89PNG")


def test_svg_has_no_date_and_salted_ids(book):
    project, _, _ = book
    svg = (project.root / "figures" / "fig-line.svg").read_text()
    assert "<dc:date>" not in svg
    assert 'clipPath id="p' in svg  # ids from the fixed svg.hashsalt, not random uuids


def test_table_cell_with_markdown_output_becomes_crossref_div(book):
    markdown = book[1]["chapters/figs.ipynb"].markdown
    assert "::: {#tbl-tall}\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNoen tall\n:::" in markdown


def test_output_options(book):
    markdown = book[1]["chapters/figs.ipynb"].markdown
    assert "\n**fet tekst**\n" in markdown  # asis: raw markdown, not a code block
    assert '```python\nprint("hei")\n```\n\n```{.cell-output}\nhei\n```' in markdown  # echo
    assert "plt.subplots" not in markdown  # echo false from execute: defaults
    assert "skjult" not in markdown  # include: false
    assert "advarsel-skjult" not in markdown  # warning: false drops stderr
    assert "synlig" in markdown
    assert "advarsel-vist" in markdown  # warnings shown by default


def test_inline_expressions_evaluated_after_preceding_cells(book):
    markdown = book[1]["chapters/figs.ipynb"].markdown
    assert "Svaret er 42 og ``{python} ikke`` står." in markdown
    assert "```\n`{python} answer`\n```" in markdown


def test_files_read_are_discovered(book):
    results = book[1]
    assert results["chapters/data.ipynb"].files_read == ["data/tall.csv"]
    assert results["chapters/data.ipynb"].files_written == ["out/kopi.csv"]
    assert "\nx,1\n" in results["chapters/data.ipynb"].markdown
    assert results["chapters/figs.ipynb"].files_read == []


def test_cache_hit_then_miss_when_data_changes(book):
    project, first, _ = book
    (project.root / "figures" / "fig-line.svg").unlink()
    again = execute_book(project, jobs=2)
    assert [r.cached for r in again] == [True, True, True]
    assert [r.markdown for r in again] == [r.markdown for r in first.values()]
    assert (project.root / "figures" / "fig-line.svg").is_file()  # restored from _build

    # A file the chapter wrote comes back from the cache too, without running the chapter.
    (project.root / "out" / "kopi.csv").unlink()
    fourth = execute_book(project, jobs=2)
    assert all(r.cached for r in fourth)
    assert (project.root / "out" / "kopi.csv").read_text(encoding="utf-8") == "navn,verdi\n"

    (project.root / "data" / "tall.csv").write_text("navn,verdi\ny,2\n", encoding="utf-8")
    third = {r.ref.path.as_posix(): r for r in execute_book(project, jobs=2)}
    assert third["chapters/data.ipynb"].cached is False
    assert "\ny,2\n" in third["chapters/data.ipynb"].markdown
    assert third["chapters/figs.ipynb"].cached is True


def test_chapter_without_code_starts_no_kernel(tmp_path, monkeypatch):
    project = load_project(copy_book(tmp_path / "book"))

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(execmod._KernelSession, "__init__", no_kernel)
    (result,) = execute_book(project, project.chapters[:1])
    assert result.markdown.startswith("# Forord {.unnumbered}\n")
    assert result.files_read == []


def _slow_shutdowns(monkeypatch, events: list, seconds: float, fail: bool = False) -> None:
    """Kernels take `seconds` longer to shut down (and then fail, if asked); `events` gets
    ("started", chapter) and ("ended", chapter)."""
    start, shutdown = execmod._KernelSession.start, execmod._KernelSession._shutdown

    async def recorded_start(self):
        events.append(("started", self.ref.path.as_posix()))
        await start(self)

    async def slow_shutdown(self):
        await asyncio.sleep(seconds)
        await shutdown(self)
        events.append(("ended", self.ref.path.as_posix()))
        if fail:
            raise RuntimeError("the kernel did not go")

    monkeypatch.setattr(execmod._KernelSession, "start", recorded_start)
    monkeypatch.setattr(execmod._KernelSession, "_shutdown", slow_shutdown)


def test_a_chapter_goes_on_while_its_kernel_shuts_down(tmp_path, monkeypatch):
    """The chapter is handed on (`then`) and the next one starts in its place without waiting
    for its kernel to end; execute_book returns once every kernel has ended."""
    project = load_project(copy_book(tmp_path / "book"))
    events: list = []
    _slow_shutdowns(monkeypatch, events, seconds=2)
    execute_book(project, jobs=1, then=lambda r: events.append(("then", r.ref.path.as_posix())))
    first, second = [chapter for kind, chapter in events if kind == "started"]
    assert events.index(("then", first)) < events.index(("ended", first))
    assert events.index(("started", second)) < events.index(("ended", first))
    assert {("ended", first), ("ended", second)} <= set(events)
    assert not running_children()


def test_a_kernel_that_fails_to_shut_down_fails_the_execution(tmp_path, monkeypatch):
    project = load_project(copy_book(tmp_path / "book"))
    _slow_shutdowns(monkeypatch, [], seconds=0, fail=True)
    with pytest.raises(RuntimeError, match="the kernel did not go"):
        execute_book(project, jobs=2)
    assert not running_children()


def write_chapter(root: Path, name: str, cells: list) -> None:
    nbformat.write(new_notebook(cells=cells), root / name)


def test_raising_cell_names_chapter_and_cell_and_stops_kernels(tmp_path):
    root = copy_book(tmp_path / "book")
    write_chapter(
        root,
        "chapters/figs.ipynb",
        [
            new_markdown_cell("# Feil"),
            new_code_cell(
                '#| label: fig-bad\ndef f():\n    raise ValueError("dårlig verdi")\n\nf()'
            ),
        ],
    )
    with pytest.raises(BuildError) as info:
        execute_book(load_project(root), jobs=2)
    message = str(info.value)
    first_line = message.splitlines()[0]
    assert first_line == "chapters/figs.ipynb, celle 2 (label: fig-bad): ValueError: dårlig verdi"
    assert "raise ValueError" in message
    assert "Traceback" not in message
    assert not running_children()


def test_failing_inline_expression_is_reported(tmp_path):
    root = copy_book(tmp_path / "book")
    write_chapter(root, "chapters/data.ipynb", [new_markdown_cell("Verdi: `{python} ukjent`")])
    project = load_project(root)
    with pytest.raises(BuildError, match=r"^chapters/data\.ipynb, celle 1 .*NameError"):
        execute_book(project, project.chapters[2:])


@pytest.mark.parametrize(("bad", "error"), [("1 / 0", "ZeroDivisionError"),
                                            ("1 +* 2", "SyntaxError")])
def test_failure_among_a_paragraphs_expressions_names_that_expression(tmp_path, bad, error):
    """A paragraph's expressions are evaluated in one request; the message still names the
    one that failed, not its neighbours."""
    root = copy_book(tmp_path / "book")
    text = f"Først `{{python}} 1 + 1`, så `{{python}} {bad}`, til slutt `{{python}} 'tre'`."
    write_chapter(root, "chapters/data.ipynb", [new_markdown_cell(text)])
    project = load_project(root)
    with pytest.raises(BuildError) as caught:
        execute_book(project, project.chapters[2:])
    first_line = str(caught.value).splitlines()[0]
    assert f"(`{{python}} {bad}`)" in first_line
    assert error in first_line


def test_a_paragraphs_values_keep_their_order_and_text(tmp_path):
    root = copy_book(tmp_path / "book")
    text = "A `{python} 1 + 1`, B `{python} 'x' * 3`, C `{python} [1, 2]` og `{python} None`."
    write_chapter(root, "chapters/data.ipynb", [new_markdown_cell(text)])
    project = load_project(root)
    markdown = execute_book(project, project.chapters[2:])[0].markdown
    assert "A 2, B xxx, C [1, 2] og None." in markdown


@pytest.mark.parametrize(("bad", "error"), [("1 / 0", "ZeroDivisionError"),
                                            ("1 +* 2", "SyntaxError")])
def test_paragraphs_between_two_code_cells_share_a_request_but_not_the_blame(
        tmp_path, bad, error):
    """The expressions of consecutive markdown cells go to the kernel together, in order (a
    later cell sees what an earlier one changed); a failure names its own cell."""
    root = copy_book(tmp_path / "book")
    write_chapter(root, "chapters/data.ipynb", [
        new_code_cell("seen = []"),
        new_markdown_cell("Først `{python} seen.append(1) or len(seen)`."),
        new_markdown_cell("Uten uttrykk."),
        new_markdown_cell("Så `{python} seen.append(2) or len(seen)` og `{python} seen`."),
        new_code_cell("seen.append(3)"),
        new_markdown_cell("Til slutt `{python} seen`."),
    ])
    project = load_project(root)
    markdown = execute_book(project, project.chapters[2:])[0].markdown
    assert "Først 1." in markdown and "Uten uttrykk." in markdown
    assert "Så 2 og [1, 2]." in markdown and "Til slutt [1, 2, 3]." in markdown
    write_chapter(root, "chapters/data.ipynb", [
        new_markdown_cell("Først `{python} 1`."),
        new_markdown_cell(f"Så `{{python}} 2` og `{{python}} {bad}`."),
        new_markdown_cell("Til slutt `{python} 3`."),
    ])
    with pytest.raises(BuildError) as caught:
        execute_book(project, project.chapters[2:])
    first_line = str(caught.value).splitlines()[0]
    assert f"celle 2 (`{{python}} {bad}`)" in first_line
    assert error in first_line


def test_kernel_from_another_python_is_rejected(tmp_path):
    project = load_project(copy_book(tmp_path / "book"))
    session = execmod._KernelSession(project, project.chapters[1], KernelFactory(project))
    facts = '{"prefix": "/somewhere/else", "executable": "/somewhere/else/bin/python"}\n'
    with pytest.raises(BuildError, match="somewhere/else"):
        session._verify_python([{"output_type": "stream", "name": "stdout", "text": facts}])


def test_render_joins_stream_chunks_and_names_unlabelled_figures(tmp_path):
    import base64

    from bookbuild.nbmarkdown import CellResult, render_chapter

    png = base64.b64encode(b"\x89PNG fake").decode()
    table = CellResult(
        2,
        "code",
        "print(table)",
        {"output": "asis"},
        [
            {"output_type": "stream", "name": "stdout", "text": "| a |\n"},
            {"output_type": "stream", "name": "stderr", "text": "støy\n"},
            {"output_type": "stream", "name": "stdout", "text": "|---|\n| 1 |\n"},
        ],
    )
    table.options["warning"] = False
    image = CellResult(
        3,
        "code",
        "plot()",
        {"fig-cap": "Uten etikett"},
        [{"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}}],
    )
    ticks = CellResult(
        4, "code", "", {}, [{"output_type": "stream", "name": "stdout", "text": "```"}]
    )
    out = render_chapter([table, image, ticks], "kap", tmp_path / "_build" / "figures", tmp_path)
    assert "| a |\n|---|\n| 1 |" in out.markdown
    assert "støy" not in out.markdown
    assert "![Uten etikett](_build/figures/kap-cell3-1.png)" in out.markdown
    assert (tmp_path / "_build" / "figures" / "kap-cell3-1.png").read_bytes() == b"\x89PNG fake"
    assert out.labelled == []
    assert "````{.cell-output}\n```\n````" in out.markdown


def test_figure_inside_crossref_div_spanning_cells_is_named_by_the_div(tmp_path):
    import base64

    from bookbuild.nbmarkdown import CellResult, render_chapter

    png = base64.b64encode(b"\x89PNG fake").decode()
    shown = [{"output_type": "display_data", "data": {"image/png": png}}]
    cells = [
        CellResult(1, "markdown", "::: {#fig-faser}"),
        CellResult(2, "code", "plot()", {"fig-alt": "Tre faser"}, list(shown)),
        CellResult(3, "markdown", "Faser i utviklingen.\n:::"),
        CellResult(4, "code", "plot()", {}, list(shown)),
    ]
    out = render_chapter(cells, "kap", tmp_path / "_build" / "figures", tmp_path)
    assert '![](_build/figures/fig-faser.png){fig-alt="Tre faser"}' in out.markdown
    assert out.labelled == ["fig-faser"]
    # After the div closes, figures are anonymous again.
    assert "_build/figures/kap-cell4-1.png" in out.markdown
