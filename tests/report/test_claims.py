"""The report's statements about the survey hold on the committed data, and break when a
count changes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from almreport import check
from almreport.claims import (
    check_claims,
    count_table,
    evaluate,
    item_claims,
    load_claims,
    run_claims,
    solutions,
)
from almreport.schema.survey import Survey
from almreport.survey import items, load_survey, positive_categories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey(ROOT)


@pytest.fixture(scope="module")
def claims():
    return load_claims(ROOT)


def with_counts(survey: Survey, item_id: str, **changes: int) -> Survey:
    """A copy of the survey with some counts of one item changed (n kept by the caller)."""
    data = survey.model_dump()
    for block in data["blocks"]:
        for it in block["items"]:
            if it["id"] == item_id:
                it["counts"].update({k.replace("_", "-"): v for k, v in changes.items()})
    return Survey.model_validate(data)


def test_all_claims_hold_on_committed_data() -> None:
    assert run_claims(ROOT) == []


def test_check_hook_reports_nothing_on_committed_data() -> None:
    assert check.run(ROOT) == []


def test_every_claim_is_about_existing_items(survey, claims) -> None:
    table = count_table(survey)
    for claim in claims[0].claims:
        check_ = claim.check
        targets = check_.left + check_.right if check_.kind == "compare" else [check_.target]
        assert all(t in table for t in targets), claim.id


def test_every_numeric_percentage_in_chapter_4_has_a_claim(claims) -> None:
    quotes = " ".join(c.quote for c in claims[0].claims)
    for printed in ["Over 60 %", "17-18 %", "7-8%", "over 40%", "33%", "Nesten 80%", "54%",
                    "Godt over 90%", "42%", "50%", "rundt 50 %", "17-18%", "(4%)", "over 20%",
                    "Hele 80%", "45%", "godt over 60%", "kun 4%", "Hele 47%", "nærmere 90%",
                    "Nærmere 90%", "nærmere 40%", "godt over 50%", "over 65%", "Hele 70%",
                    "Over 60%", "Nærmere 60%", "Hele 65-70%", "over 50%"]:
        assert printed in quotes, printed


@pytest.mark.parametrize(
    ("item_id", "changes", "broken"),
    [
        # TotAl: 14 "svært stor" is 58,3 %, no longer "over 60 %"
        ("1", {"svaert_stor": 14, "ganske_stor": 10}, "4.4.1.a"),
        # FoU: one "vet ikke" moved to "noen" breaks "resten svarer vet ikke"
        ("4", {"vet_ikke": 1, "noen": 1}, "4.4.4.d"),
        # NAA: 12 in the lowest category is 50 %, not "hele 54 %"
        ("3", {"svaert_liten": 12, "vet_ikke": 4}, "4.4.3.b"),
        # Funding: 4 "vet ikke" is 16,7 %, not "over 20 %"
        ("6", {"vet_ikke": 4, "ganske_stor": 6}, "4.4.6.c"),
        # 14c no longer the weakest item of Tabell 4.6
        ("14c", {"ganske_stor": 12, "noen": 4}, "4.5.4.d"),
        # 11d: "svært stor" no longer the most frequent answer
        ("11d", {"svaert_stor": 10, "ganske_stor": 12}, "4.5.1.d"),
    ],
)
def test_a_changed_count_breaks_its_claim(survey, claims, item_id, changes, broken) -> None:
    changed = with_counts(survey, item_id, **changes)
    problems = check_claims(changed, claims[0], claims[1], "data/claims.yaml")
    assert any(f"({broken})" in p and "does not hold" in p for p in problems), problems
    assert all(p.startswith(("data/claims.yaml:", "data/survey.yaml:")) for p in problems)


def test_changing_a_tier_breaks_the_4_4_10_split(survey, claims) -> None:
    # Kommersialisering with 2 more positive answers (14/24 = 58 %) stays "blandet",
    # with 7 more (19/24 = 79 %) it would be "god"
    changed = with_counts(survey, "5", noen=1, ganske_stor=15)
    problems = check_claims(changed, claims[0], claims[1], "data/claims.yaml")
    assert any("(4.4.10.kommersialisering)" in p for p in problems)


def test_undocumented_rounding_discrepancy_is_a_problem(survey, claims) -> None:
    data = claims[0].model_dump()
    for claim in data["claims"]:
        if claim["id"] == "4.5.b":
            claim["check"]["discrepancy"] = None
    from almreport.schema.claims import Claims

    problems = check_claims(survey, Claims.model_validate(data), claims[1], "data/claims.yaml")
    assert len(problems) == 1 and "(4.5.b)" in problems[0] and "discrepancy" in problems[0]


def test_stated_items_are_determined_by_the_printed_numbers(survey, claims) -> None:
    for it in items(survey):
        if it.provenance.kind == "stated":
            assert solutions(survey, claims[0], it.id, limit=2) == [dict(it.counts)], it.id


def test_reconstructed_items_are_not_determined_by_the_text(survey, claims) -> None:
    # otherwise they should be marked "stated"
    for it in items(survey):
        if it.provenance.kind == "reconstructed":
            assert len(solutions(survey, claims[0], it.id, limit=2)) == 2, it.id


def test_evaluate_reports_actual_values(survey, claims) -> None:
    claim = next(c for c in claims[0].claims if c.id == "4.4.4.b")
    out = evaluate(claim, count_table(survey), positive_categories(survey))
    assert out.ok and out.strict and out.actual == "41,7 %"


def test_check_reports_a_broken_record_file_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "data").mkdir()
    text = (ROOT / "data" / "survey.yaml").read_text(encoding="utf-8")
    (tmp_path / "data" / "survey.yaml").write_text(text.replace("answered: 24", "answered: x"))
    (tmp_path / "data" / "claims.yaml").write_text(
        (ROOT / "data" / "claims.yaml").read_text(encoding="utf-8"))
    problems = check.run(tmp_path)
    line = text[: text.index("answered: 24")].count("\n") + 1
    assert f"data/survey.yaml:{line}: method.answered: expected a whole number (got 'x')" in (
        problems)


def _every_fitting_vector(survey: Survey, claims, item_id: str) -> list[dict[str, int]]:
    """The plain definition of solutions(): try each vector, in stars-and-bars order."""
    cats, n = [c.id for c in survey.scale], survey.method.answered
    mine, positive = item_claims(claims, item_id), positive_categories(survey)
    found = []
    for bars in itertools.combinations(range(n + len(cats) - 1), len(cats) - 1):
        edges = (-1, *bars, n + len(cats) - 1)
        counts = {cat: edges[k + 1] - edges[k] - 1 for k, cat in enumerate(cats)}
        if all(evaluate(c, {item_id: [counts]}, positive, describe=False).ok for c in mine):
            found.append(counts)
    return found


def test_solutions_are_exactly_the_vectors_the_claims_allow(survey, claims) -> None:
    for it in items(survey):
        assert solutions(survey, claims[0], it.id) == \
            _every_fitting_vector(survey, claims[0], it.id), it.id
