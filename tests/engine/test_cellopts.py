"""Cell options: leading `#|` lines read as YAML."""

import pytest

from bookbuild.cellopts import parse_cell_options
from bookbuild.errors import BuildError


def test_simple_options_and_remaining_code():
    source = '#| label: fig-a\n#| fig-cap: "En figur"\n#| echo: true\nx = 1\nprint(x)'
    options, code = parse_cell_options(source)
    assert options == {"label": "fig-a", "fig-cap": "En figur", "echo": True}
    assert code == "x = 1\nprint(x)"


def test_no_options_returns_source_unchanged():
    assert parse_cell_options("x = 1\n#| label: late") == ({}, "x = 1\n#| label: late")


def test_multiline_block_scalar_value():
    source = "#| fig-cap: |\n#|   Første linje\n#|   andre linje\n#| output: asis\ny = 2"
    options, code = parse_cell_options(source)
    assert options["fig-cap"] == "Første linje\nandre linje\n"
    assert options["output"] == "asis"
    assert code == "y = 2"


def test_option_without_space_after_bar_and_blank_line_after_options():
    options, code = parse_cell_options("#|label: tbl-x\n\n\nz = 3")
    assert options == {"label": "tbl-x"}
    assert code == "z = 3"


def test_false_values_are_booleans():
    options, _ = parse_cell_options("#| include: false\n#| output: false\n#| warning: false\npass")
    assert options == {"include": False, "output": False, "warning": False}


def test_only_options_gives_empty_code():
    assert parse_cell_options("#| label: fig-x") == ({"label": "fig-x"}, "")


def test_bad_yaml_names_the_cell():
    with pytest.raises(BuildError, match=r"chapters/x\.ipynb, celle 4: invalid cell option"):
        parse_cell_options('#| fig-cap: "uavsluttet\nx = 1', "chapters/x.ipynb, celle 4")


def test_non_mapping_options_are_rejected():
    with pytest.raises(BuildError, match="celle 2"):
        parse_cell_options("#| - a\n#| - b\npass", "celle 2")
