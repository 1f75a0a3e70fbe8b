"""Quarto cell options: the leading `#| key: value` lines of a code cell, read as YAML."""

from __future__ import annotations

import re
import textwrap

import yaml

from bookbuild.errors import BuildError

_OPTION_LINE = re.compile(r"^\s*#\|")


def parse_cell_options(source: str, where: str = "cell") -> tuple[dict, str]:
    """Split `source` into (options, code without the option lines).

    Options are the consecutive `#|` lines at the top of the cell; a value may continue over
    several `#|` lines as YAML allows (block scalars, lists). `where` names the cell in errors,
    e.g. "chapters/01.ipynb, celle 3".
    """
    lines = source.splitlines()
    count = 0
    while count < len(lines) and _OPTION_LINE.match(lines[count]):
        count += 1
    if count == 0:
        return {}, source
    body = "\n".join(_OPTION_LINE.sub("", line, count=1) for line in lines[:count])
    options = _load_yaml(textwrap.dedent(body), where)
    rest = "\n".join(lines[count:]).lstrip("\n")
    return options, rest


def _load_yaml(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (option line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BuildError(f"{where}: invalid cell option{line}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BuildError(f"{where}: cell options must be `#| key: value` lines")
    return {str(key): value for key, value in data.items()}
