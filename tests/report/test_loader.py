"""The record loader: every record file loads, and each kind of bad file gives one clear
`file:line: field: problem` line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import field_validator

from almreport import loader
from almreport.loader import RecordError, load_record, load_yaml, ref_error
from almreport.schema.base import ItemError, Record
from almreport.schema.survey import Survey

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


class Entry(Record):
    id: str
    n: int


class Doc(Record):
    title: str
    entries: list[Entry]

    @field_validator("entries")
    @classmethod
    def _unique(cls, entries: list[Entry]) -> list[Entry]:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if entry.id in seen:
                raise ItemError((i, "id"), f"duplicate id {entry.id!r}")
            seen.add(entry.id)
        return entries


GOOD = "title: T\nentries:\n  - id: a\n    n: 1\n  - id: b\n    n: 2\n"


def write(tmp_path: Path, text: str | bytes, name: str = "rec.yaml") -> Path:
    (tmp_path / "pyproject.toml").write_text("")  # marks the project root for messages
    path = tmp_path / "data" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, model: type = Doc) -> RecordError:
    with pytest.raises(RecordError) as info:
        load_record(path, model)
    return info.value


# --- the real records -----------------------------------------------------------------------

def test_every_record_file_is_valid_yaml_with_a_schema_line() -> None:
    files = sorted(DATA.rglob("*.yaml"))
    assert DATA / "survey.yaml" in files and DATA / "claims.yaml" in files
    for path in files:
        data, _ = load_yaml(path)
        assert data, path
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
        assert schema.is_file(), f"{path}: {schema} does not exist"


def test_survey_record_loads() -> None:
    survey = load_record(DATA / "survey.yaml", Survey)
    assert survey.method.answered == 24


def test_exported_schemas_are_up_to_date() -> None:
    from almreport.export_schemas import stale

    assert stale(ROOT) == []


# --- messages for bad records -----------------------------------------------------------------

def test_good_record_loads(tmp_path: Path) -> None:
    doc = load_record(write(tmp_path, GOOD), Doc)
    assert [e.n for e in doc.entries] == [1, 2]


def test_wrong_type_points_at_line_and_field(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("n: 2", "n: two")))
    assert str(err) == "data/rec.yaml:6: entries[1].n: expected a whole number (got 'two')"
    assert (err.path, err.line, err.field) == ("data/rec.yaml", 6, "entries[1].n")
    assert isinstance(err, ValueError)


def test_missing_field(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("    n: 1\n", "")))
    assert err.line == 3 and err.field == "entries[0].n"
    assert "missing" in err.problem


def test_unknown_field(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD + "colour: red\n"))
    assert (err.line, err.field) == (7, "colour")
    assert "unknown field" in err.problem


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("n: 1", "n: x").replace("n: 2", "n: y")))
    assert [p.line for p in err.problems] == [4, 6]
    assert len(str(err).splitlines()) == 2


def test_model_validator_points_at_the_offending_item(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("id: b", "id: a")))
    assert str(err) == "data/rec.yaml:5: entries[1].id: duplicate id 'a'"


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: T\ntitle: U\nentries: []\n"))
    assert (err.line, err.field) == (2, "title")
    assert "duplicate key" in err.problem and "line 1" in err.problem


def test_yaml_syntax_error(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: T\nentries: [\n  {id: a, n: 1\n"))
    assert err.line is not None and err.line >= 2
    assert err.problem.startswith("YAML syntax error")


def test_not_utf8(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: Bl\xe5b\xe6r\n".encode("latin-1")))
    assert err.line == 1 and "UTF-8" in err.problem


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    err = error_of(write(tmp_path, text))
    assert "empty" in err.problem
    assert str(err).startswith("data/rec.yaml: ")


def test_too_large_file_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(loader, "MAX_BYTES", 100)
    err = error_of(write(tmp_path, GOOD + "#" * 200 + "\n"))
    assert "too large" in err.problem


def test_python_tags_are_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: !!python/object/apply:os.getcwd []\nentries: []\n"))
    assert err.line == 1 and "tag not allowed" in err.problem


def test_control_character(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: T\nentries: [\x07]\n"))
    assert err.line == 2 and "control character (U+0007)" in err.problem


def test_aliases_are_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "title: &t T\nentries: []\nother: *t\n"))
    assert "alias" in err.problem


def test_scalar_top_level(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "just text\n"))
    assert "mapping" in err.problem


def test_missing_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.yaml")
    assert "cannot read" in err.problem


def test_ref_error_for_cross_record_checks(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    err = ref_error(path, 3, "entries[0].id", "unknown sub-project 'x'")
    assert str(err) == "data/rec.yaml:3: entries[0].id: unknown sub-project 'x'"
    both = RecordError.merge([err, ref_error("a.yaml", None, "", "bad")])
    assert str(both).splitlines()[1] == "a.yaml: bad"


def test_line_map_falls_back_to_enclosing_entry(tmp_path: Path) -> None:
    _, lines = load_yaml(write(tmp_path, GOOD))
    assert lines.line_of(("entries", 1, "n")) == 6
    assert lines.line_of(("entries", 1, "nonexistent", 3)) == 5


# --- survey-specific validation ---------------------------------------------------------------

def survey_text() -> str:
    return (DATA / "survey.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_survey_counts_must_sum_to_n(tmp_path: Path) -> None:
    text = survey_text()
    old = "counts: {svaert-liten: 0, noen: 8, ganske-stor: 10, svaert-stor: 2, vet-ikke: 4}"
    bad = text.replace(old, old.replace("noen: 8", "noen: 7"))
    err = error_of(write(tmp_path, bad, "survey.yaml"), Survey)
    assert err.line == line_of(text, old)
    assert err.field == "blocks[0].items[1].counts"
    assert "add up to 23" in err.problem and "24" in err.problem


def test_survey_unknown_answer_category(tmp_path: Path) -> None:
    text = survey_text()
    bad = text.replace("vet-ikke: 4}", "vet-ikkje: 4}", 1)
    err = error_of(write(tmp_path, bad, "survey.yaml"), Survey)
    assert "unknown answer category 'vet-ikkje'" in err.problem
    assert err.field.endswith(".counts['vet-ikkje']")


def test_survey_duplicate_item_id(tmp_path: Path) -> None:
    text = survey_text()
    bad = text.replace("- id: 10b", "- id: 10a")
    err = error_of(write(tmp_path, bad, "survey.yaml"), Survey)
    assert err.line == line_of(text, "- id: 10b")
    assert "duplicate item id '10a'" in err.problem


# --- fuzz: nothing but RecordError ------------------------------------------------------------

yaml_ish = st.text(
    alphabet=st.sampled_from(list("abc:- \n\t[]{},&*!|>'\"#%@`?0129.") + ["\u00e6", "\x00"]),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(text=yaml_ish)
def test_random_input_only_raises_record_error(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_record(path, Doc)
    except RecordError as err:
        assert str(err)


@settings(max_examples=100, deadline=None)
@given(data=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=10))
def test_random_structures_only_raise_record_error(tmp_path_factory, data: object) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_record(path, Survey)
    except RecordError as err:
        assert str(err)
