"""Load one YAML record file into a pydantic model, with `file:line: field: problem` errors.

Public API (used by every record module and by ``records.load_all``)::

    load_record(path, Model, root=None) -> Model
    load_record_with_lines(path, Model, root=None) -> (Model, LineMap)
    load_yaml(path, root=None) -> (data, LineMap)
    ref_error(path, line, field, problem, root=None) -> RecordError   # for cross-record checks
    RecordError  (ValueError) with .path .line .field .problem, .problems (all of them)

Guarantees:
- YAML is read with PyYAML's *safe* loader only; tags that would construct Python objects,
  anchors/aliases (``&``/``*``, also ``<<`` merges) and duplicate mapping keys are errors.
- The file must be UTF-8, non-empty, at most ``MAX_BYTES`` and have a mapping or list at the top.
- Every error raised is a :class:`RecordError`; ``str(err)`` is one line per problem, e.g.
  ``data/survey.yaml:42: blocks[2].items[3].counts: the counts add up to 23, expected n = 24``.
  Paths are shown relative to the project root (the nearest folder above the file holding
  ``_quarto.yml`` or ``pyproject.toml``, unless ``root`` is given).
- Model validators point at the offending entry by raising ``schema.base.ItemError(loc, msg)``.

A :class:`LineMap` maps a location tuple such as ``("blocks", 2, "items", 3, "counts")`` to the
1-based line of that mapping key / sequence item; ``LineMap.line_of(loc)`` falls back to the
nearest enclosing entry that has a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from almreport.schema.base import ItemError

MAX_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 20  # shown per file; more are summarised in one line

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One located problem in a record file."""

    path: str  # as shown: relative to the project root, POSIX separators
    line: int | None
    field: str  # "blocks[2].items[3].counts", "" for the whole file
    problem: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return ": ".join(part for part in (where, self.field, self.problem) if part)


class RecordError(ValueError):
    """One or more problems in record files; str() is one line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("RecordError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def path(self) -> str:
        return self.problems[0].path

    @property
    def line(self) -> int | None:
        return self.problems[0].line

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def problem(self) -> str:
        return self.problems[0].problem

    @classmethod
    def merge(cls, errors: list[RecordError]) -> RecordError:
        """Several errors (e.g. from several files) as one."""
        return cls([p for e in errors for p in e.problems])


class LineMap:
    """Location tuple -> 1-based line of that key / item in the YAML file."""

    def __init__(self, lines: dict[Loc, int] | None = None) -> None:
        self.lines: dict[Loc, int] = dict(lines or {})

    def line_of(self, loc: Loc) -> int | None:
        loc = tuple(loc)
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


def format_loc(loc: Loc) -> str:
    """("blocks", 2, "items", 3, "counts") -> "blocks[2].items[3].counts"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def display_path(path: Path, root: Path | None = None) -> str:
    """The path as shown in messages: relative to the project root when possible."""
    path = Path(path).absolute()
    base = root.absolute() if root else _project_root(path)
    if base is not None:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _project_root(path: Path) -> Path | None:
    for parent in path.parents:
        if (parent / "_quarto.yml").is_file() or (parent / "pyproject.toml").is_file():
            return parent
    return None


def ref_error(
    path: Path | str, line: int | None, field: str, problem: str, root: Path | None = None
) -> RecordError:
    """A RecordError for a cross-record check (e.g. an unknown sub-project id)."""
    shown = display_path(Path(path), root) if isinstance(path, Path) else path
    return RecordError([Problem(shown, line, field, problem)])


# --- reading YAML --------------------------------------------------------------------------


# libyaml's parser when PyYAML has it (its pure-Python parser is 7x slower); same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NO_ANCHORS = "anchors and aliases (&, *, <<) are not allowed in records"


def _refuse_anchors(text: str) -> None:
    """Records have no anchors or aliases (no shared or exponentially large structures)."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(None, None, _NO_ANCHORS, event.start_mark)


# What PyYAML's reader rejects (it would raise before parsing starts, without a line).
_FORBIDDEN_CHAR = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
)


def _read_text(path: Path, shown: str) -> str:
    def fail(line: int | None, msg: str) -> RecordError:
        return RecordError([Problem(shown, line, "", msg)])

    try:
        size = path.stat().st_size
    except OSError as err:
        raise fail(None, f"cannot read the file ({err.strerror or err})") from None
    if size > MAX_BYTES:
        raise fail(None, f"file is too large ({size} bytes; the limit is {MAX_BYTES})")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise fail(None, f"cannot read the file ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise fail(line, "the file is not valid UTF-8 text (save it as UTF-8)") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _parse(text: str, shown: str) -> tuple[Any, LineMap]:
    def fail(line: int | None, msg: str) -> RecordError:
        return RecordError([Problem(shown, line, "", msg)])

    bad = _FORBIDDEN_CHAR.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise fail(line, f"the file contains a control character (U+{ord(bad.group()):04X}) "
                   "that YAML does not allow")
    loader = _Loader(text)
    try:
        _refuse_anchors(text)
        node = loader.get_single_node()
        if node is None:
            raise fail(None, "the file is empty (no YAML content)")
        lines = LineMap()
        _walk(node, (), lines, shown)
        data = loader.construct_document(node)
    except RecordError:
        raise
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(s for s in (err.context, err.problem) if s) or "invalid YAML"
        if isinstance(err, yaml.constructor.ConstructorError):
            raise fail(line, f"YAML tag not allowed in records: {msg}") from None
        raise fail(line, f"YAML syntax error: {msg}") from None
    except yaml.YAMLError as err:
        raise fail(None, f"YAML error: {err}") from None
    except RecursionError:
        raise fail(None, "the YAML is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as err:
        # e.g. an impossible date such as 2006-13-45 (PyYAML raises ValueError)
        raise fail(None, f"a value cannot be read: {err}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict | list):
        raise fail(1, "the file must contain a mapping (key: value) or a list at the top level")
    return data, lines


def _walk(node: yaml.Node, loc: Loc, lines: LineMap, shown: str) -> None:
    """Record the line of every key / item and reject duplicate or non-text keys."""
    lines.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise RecordError(
                    [Problem(shown, line, format_loc(loc), "a key must be plain text")]
                )
            key = key_node.value
            if key in seen:
                raise RecordError([Problem(
                    shown, line, format_loc((*loc, key)),
                    f"duplicate key (already given on line {seen[key]})",
                )])
            seen[key] = line
            lines.lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, shown)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines, shown)


def load_yaml(path: Path, root: Path | None = None) -> tuple[Any, LineMap]:
    """Read a record file safely: (data, LineMap). Raises RecordError on any problem."""
    path = Path(path)
    shown = display_path(path, root)
    return _parse(_read_text(path, shown), shown)


# --- validation ----------------------------------------------------------------------------


def load_record(path: Path, model: type[M], root: Path | None = None) -> M:
    """Read and validate one record file as `model`. Raises RecordError."""
    return load_record_with_lines(path, model, root)[0]


def load_record_with_lines(
    path: Path, model: type[M], root: Path | None = None
) -> tuple[M, LineMap]:
    """Like load_record, but also returns the LineMap (for cross-record checks)."""
    path = Path(path)
    shown = display_path(path, root)
    data, lines = _parse(_read_text(path, shown), shown)
    try:
        return model.model_validate(data), lines
    except ValidationError as err:
        raise validation_error(err, shown, lines) from None


def validation_error(err: ValidationError, shown: str, lines: LineMap) -> RecordError:
    """Translate a pydantic ValidationError into located, plain-words problems."""
    problems: list[Problem] = []
    for e in err.errors():
        loc: Loc = tuple(part for part in e["loc"] if part != "[key]")
        error = (e.get("ctx") or {}).get("error")
        if isinstance(error, ItemError):
            loc = (*loc, *error.loc)
            message = error.problem
        else:
            message = plain_message(e)
        problems.append(Problem(shown, lines.line_of(loc), format_loc(loc), message))
    if len(problems) > MAX_ERRORS:
        rest = len(problems) - MAX_ERRORS
        problems = problems[:MAX_ERRORS] + [Problem(shown, None, "", f"... and {rest} more")]
    return RecordError(problems)


_PLAIN = {
    "missing": "this required field is missing",
    "extra_forbidden": "unknown field (check the spelling; it is not allowed here)",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number, not a decimal number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list (items starting with '- ')",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "string_too_short": "must not be empty",
    "too_short": "has too few entries",
}


def plain_message(e: dict[str, Any]) -> str:
    """A pydantic error dict in plain words, showing the offending value when short."""
    kind = e.get("type", "")
    if kind == "value_error":
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
    elif kind == "literal_error":
        msg = f"must be one of {e.get('ctx', {}).get('expected', '')}"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = str(e.get("msg", "")).lower()
    else:
        msg = _PLAIN.get(kind) or str(e.get("msg", "invalid value")).lower()
    value = e.get("input")
    if kind not in ("missing",) and isinstance(value, str | int | float | bool) and value != "":
        text = repr(value)
        if len(text) <= 60:
            msg += f" (got {text})"
    return msg
