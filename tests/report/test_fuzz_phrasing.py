"""Property-based fuzzing of the phrasing functions (almreport.norsk, .sentences, .facts).

Whatever a record may hold either fails validation cleanly (pydantic ValidationError, which the
loader turns into `file:line: field: problem`) or is phrased: a string, never an unhandled
exception. Plain-number helpers refuse nonsense with ValueError only.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from almreport import facts, norsk, sentences
from almreport.records import load_all
from almreport.schema.common import Span, When
from almreport.schema.survey import Survey

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12)
date_text = st.one_of(
    st.text(alphabet="0123456789-", max_size=11),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13),
              st.integers(0, 32)),
    st.text(max_size=8),
)


def plain_or_value_error(function, *args, **kwargs) -> None:
    try:
        result = function(*args, **kwargs)
    except ValueError:
        return
    assert isinstance(result, str)


@FUZZ
@given(x=numbers, decimals=st.integers(0, 3))
def test_number_formatting(x, decimals):
    plain_or_value_error(norsk.fmt_number, x, decimals)
    plain_or_value_error(norsk.fmt_percent, x, decimals)
    plain_or_value_error(facts.plain_number, x, decimals)
    plain_or_value_error(sentences.half, x)


@FUZZ
@given(share=numbers)
def test_hedged_share(share):
    plain_or_value_error(norsk.hedged_share, share)


@FUZZ
@given(hedge=st.sampled_from(sorted(norsk.HEDGE_WORDS)), share=st.floats(0, 1))
def test_every_hedge_phrases_every_share(hedge, share):
    value = sentences.hedge_value(hedge, share)
    assert norsk.hedge_holds(hedge, 100 * share, value)
    assert isinstance(norsk.phrase_hedge(hedge, value), str)


@FUZZ
@given(n=st.integers(-10**9, 10**9), gender=st.sampled_from(["m", "f", "n"]))
def test_number_words(n, gender):
    assert norsk.number_word(n, gender)
    assert facts.count_word(n, gender)


@FUZZ
@given(items=st.lists(st.text(max_size=12), max_size=6), text=st.text(max_size=20))
def test_lists_and_capitals(items, text):
    assert isinstance(norsk.join_list(items), str)
    assert norsk.capitalize_first(text).endswith(text[1:])


@FUZZ
@given(date=date_text, season=st.sampled_from([None, *facts.SEASONS_DEFINITE]))
def test_dates_validate_or_phrase(date, season):
    try:
        when = When(date=date, season=season)
    except ValidationError:
        return
    assert isinstance(facts.when_text(when), str)
    assert isinstance(facts.year(when), int)
    if date.count("-") >= 1:
        assert isinstance(facts.month_year(when), str)
        assert isinstance(sentences.month_year(date), str)


@FUZZ
@given(start=date_text, end=st.none() | date_text)
def test_periods_validate_or_phrase(start, end):
    try:
        span = Span(start=start, end=end)
    except ValidationError:
        return
    if end is not None:
        assert isinstance(facts.year_range(span), str)


# --- the survey sentences, on random answers ---------------------------------------------------


@pytest.fixture(scope="module")
def records(project_root):
    return load_all(project_root)


def split(total: int, parts: int):
    """Every way to split `total` answers into `parts` categories."""
    cuts = st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1).map(sorted)
    return cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, total], strict=True)])


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_survey_sentences_on_any_valid_answers(records, data):
    """Any counts the survey schema accepts are phrased: the tier verdicts and the response
    sentence. (The sub-project paragraphs quote the claims' printed ranges, so they need data
    that pass `check`; the claims check refuses the rest first.)"""
    raw = records.survey.model_dump(mode="json", by_alias=True, exclude_none=True)
    n = raw["method"]["answered"]
    scale = [c["id"] for c in raw["scale"]]
    for block in raw["blocks"]:
        for item in block["items"]:
            if "counts" in item:
                item["counts"] = dict(zip(scale, data.draw(split(n, len(scale))), strict=True))
    try:
        survey = Survey.model_validate(raw)
    except ValidationError:
        assume(False)
    assert isinstance(sentences.tier_verdict(survey), str)
    assert isinstance(sentences.tier_verdict(survey, relative=True, before_verb="her"), str)
    assert isinstance(sentences.response_sentence(survey), str)
    assert isinstance(facts.Facts(dataclasses.replace(records, survey=survey)).good_tier_count,
                      str)
