"""The non-survey records: every file loads, references are checked across files, and the
consistency rules of the models fire with `file:line: field: problem` messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from almreport.loader import RecordError
from almreport.records import load_all
from almreport.schema.figure import KeyFigure, Unit
from almreport.schema.subprojects import SUBPROJECT_IDS
from almreport.schema.survey import SubprojectId

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of data/ to break on purpose."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\n", encoding="utf-8")
    return tmp_path


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` (once) in a data file; returns the 1-based line where it was."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {rel}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problems(root: Path) -> list[str]:
    with pytest.raises(RecordError) as info:
        load_all(root)
    return str(info.value).splitlines()


# --- the real data ---------------------------------------------------------------------------


def test_every_record_file_loads() -> None:
    records = load_all(ROOT)
    assert list(records.subprojects) == list(SUBPROJECT_IDS)
    assert [s.section for s in records.subprojects.values()] == [f"4.4.{i}" for i in range(1, 10)]
    assert records.project.short == "ALM"
    assert len(records.programme.sub_goals) == 4
    assert len(records.programme.means) == 5


def test_subproject_ids_agree_with_the_survey_schema() -> None:
    assert set(SUBPROJECT_IDS) == set(SubprojectId.__args__)


def test_every_yaml_file_names_its_schema() -> None:
    for path in (ROOT / "data").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        depth = len(path.relative_to(ROOT).parts) - 1
        assert first.startswith(f"# yaml-language-server: $schema={'../' * depth}schemas/"), path


def test_key_figures_as_the_report_states_them() -> None:
    records = load_all(ROOT)
    risc = records.subproject("risc").figures
    assert (risc.projects.value, risc.on_ice.value, risc.moved_out_as_companies.value) == (21, 2, 6)
    assert risc.still_inside == 13 and risc.still_projects == 6 and risc.companies == 13
    funding = records.project.funding
    assert funding.total.value == 6 and funding.total.unit is Unit.MILL_KR and funding.total.approx
    fund = records.subproject("funding").figures.fund_need
    assert (fund.min, fund.max, fund.unit) == (150, 200, Unit.MILL_KR)
    park = records.region.park
    assert park.production_firms.value + park.service_firms.value == park.firms.value == 35


def test_leaders_are_people_of_the_project_group() -> None:
    records = load_all(ROOT)
    assert records.leader("risc").name == "Lars Rognås"
    assert records.leader("naa") is None
    assert records.subproject("naa").replaced_by == "skandinavisk"
    assert not records.subproject("skandinavisk").from_start


# --- cross-file references ------------------------------------------------------------------


def test_unknown_leader_points_at_the_line(tree: Path) -> None:
    line = edit(tree, "data/subprojects/risc.yaml", "leader: lars-rognas", "leader: nobody")
    assert f"data/subprojects/risc.yaml:{line}: leader: unknown person 'nobody'" in problems(tree)


def test_leader_outside_the_project_group(tree: Path) -> None:
    line = edit(tree, "data/subprojects/fou.yaml", "leader: jon-sandvik", "leader: olaf-foss")
    msgs = problems(tree)
    assert any(m.startswith(f"data/subprojects/fou.yaml:{line}: leader: ") and "project group" in m
               for m in msgs)


def test_unknown_organisation_in_continued_by(tree: Path) -> None:
    edit(tree, "data/subprojects/funding.yaml", "continued_by: [nce]", "continued_by: [nse]")
    assert any("funding.yaml" in m and "continued_by[0]: unknown organisation 'nse'" in m
               for m in problems(tree))


def test_survey_item_with_unknown_subproject(tree: Path) -> None:
    line = edit(tree, "data/survey.yaml", "subproject: risc", "subproject: risk")
    msgs = problems(tree)
    assert any(m.startswith(f"data/survey.yaml:{line}:") and "subproject" in m for m in msgs)


def test_subproject_without_a_file(tree: Path) -> None:
    (tree / "data/subprojects/naa.yaml").unlink()
    assert "data/subprojects/naa.yaml: sub-project file is missing" in problems(tree)


def test_file_name_must_match_id(tree: Path) -> None:
    shutil.move(tree / "data/subprojects/naa.yaml", tree / "data/subprojects/nordic.yaml")
    assert any("nordic.yaml" in m and "unknown sub-project file" in m for m in problems(tree))


def test_all_problems_are_reported_together(tree: Path) -> None:
    edit(tree, "data/subprojects/risc.yaml", "leader: lars-rognas", "leader: nobody")
    edit(tree, "data/project.yaml", "author: tom-johnstad", "author: tom")
    msgs = problems(tree)
    assert any("risc.yaml" in m for m in msgs) and any("evaluation.author" in m for m in msgs)


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_person_id(tree: Path) -> None:
    line = edit(tree, "data/organisation.yaml", "{id: jon-nisja,", "{id: jon-sandvik,")
    assert (f"data/organisation.yaml:{line}: persons[14].id: duplicate person id 'jon-sandvik'"
            in problems(tree))


def test_duplicate_section(tree: Path) -> None:
    edit(tree, "data/subprojects/naa.yaml", 'section: "4.4.3"', 'section: "4.4.2"')
    assert any("duplicate section '4.4.2'" in m for m in problems(tree))


def test_duplicate_key_in_a_file(tree: Path) -> None:
    old = "short_name: RISC\n"
    edit(tree, "data/subprojects/risc.yaml", old, old + "short_name: X\n")
    assert any("risc.yaml" in m and "duplicate key" in m for m in problems(tree))


# --- types ----------------------------------------------------------------------------------


def test_wrong_type_points_at_the_value(tree: Path) -> None:
    path = "data/subprojects/risc.yaml"
    line = edit(tree, path, "value: 21\n", "value: mange\n")
    msgs = problems(tree)
    assert any(m.startswith(f"{path}:{line}: figures.projects.value") for m in msgs)


def test_unit_is_part_of_the_field_type(tree: Path) -> None:
    text = (tree / "data/subprojects/total.yaml").read_text(encoding="utf-8")
    start = text.index("  fly_contracts:")
    line = text[:start].count("\n") + 1
    edit(tree, "data/subprojects/total.yaml", "    value: 16\n    unit: mill. kr",
         "    value: 16\n    unit: bedrifter")
    assert any(m.startswith(f"data/subprojects/total.yaml:{line}: figures.fly_contracts")
               and "unit must be" in m for m in problems(tree))


def test_unknown_field_is_an_error(tree: Path) -> None:
    edit(tree, "data/programme.yaml", "name: Arena-programmet", "name: Arena-programmet\nnavn: x")
    assert any("programme.yaml" in m and "navn: unknown field" in m for m in problems(tree))


def test_impossible_date(tree: Path) -> None:
    edit(tree, "data/project.yaml", "start: 2002-09,", "start: 2002-13,")
    assert any("project.yaml" in m and "not a real date" in m for m in problems(tree))


# --- consistency validators ------------------------------------------------------------------


def test_park_firms_must_add_up(tree: Path) -> None:
    edit(tree, "data/region.yaml", "    value: 14\n", "    value: 15\n")
    assert any("region.yaml" in m and "park.firms" in m and "not 35" in m for m in problems(tree))


def test_risc_counts_must_fit(tree: Path) -> None:
    edit(tree, "data/subprojects/risc.yaml", "    value: 7\n", "    value: 14\n")
    assert any("risc.yaml" in m and "companies_still_inside" in m for m in problems(tree))


def test_profiling_budget_must_add_up(tree: Path) -> None:
    edit(tree, "data/subprojects/info-samfunn.yaml", "value: 950000", "value: 1950000")
    assert any("info-samfunn.yaml" in m and "figures.total" in m for m in problems(tree))


def test_extension_must_match_funded_years(tree: Path) -> None:
    edit(tree, "data/project.yaml", "    value: 0.5\n", "    value: 1\n")
    assert any("project.yaml" in m and "extension.extension" in m for m in problems(tree))


def test_industrial_phases_must_follow_each_other(tree: Path) -> None:
    edit(tree, "data/region.yaml", "    start: 1996\n", "    start: 1997\n")
    assert any("region.yaml" in m and "phases[2].start" in m for m in problems(tree))


def test_report_year_cannot_precede_the_last_phase(tree: Path) -> None:
    edit(tree, "data/region.yaml", "report_year: 2007\n", "report_year: 1990\n")
    assert any("region.yaml" in m and "report_year" in m for m in problems(tree))


def test_ownership_shares_make_a_whole(tree: Path) -> None:
    edit(tree, "data/organisation.yaml", "          value: 50.1\n", "          value: 60.1\n")
    assert any("organisation.yaml" in m and "ownership" in m and "100 %" in m
               for m in problems(tree))


def test_replaced_subproject_cannot_be_replaced_by_an_original_one(tree: Path) -> None:
    edit(tree, "data/subprojects/naa.yaml", "replaced_by: skandinavisk", "replaced_by: fou")
    assert any("naa.yaml" in m and "replaced_by" in m for m in problems(tree))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"min": 5, "max": 3}, "larger than max"),
        ({"value": 1, "min": 1, "max": 2}, "not both"),
        ({"min": 1}, "needs both"),
        ({}, "give either"),
    ],
)
def test_key_figure_value_or_range(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyFigure(unit="år", quote="x", **fields)


def test_money_in_kroner() -> None:
    assert KeyFigure(value=2.5, unit="mill. kr", quote="x").in_kroner() == 2_500_000
    assert KeyFigure(min=150, max=200, unit="mill. kr", quote="x").in_kroner() == 175_000_000
    with pytest.raises(ValueError):
        KeyFigure(value=3, unit="år", quote="x").in_kroner()
