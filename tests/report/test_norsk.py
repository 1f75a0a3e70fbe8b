"""Norwegian formatting and the author's way of hedging shares."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from almreport.norsk import (
    NBSP,
    capitalize_first,
    fmt_kr,
    fmt_money_mill,
    fmt_number,
    fmt_percent,
    hedge_holds,
    hedge_rounds,
    hedged_share,
    join_list,
    number_word,
    phrase_hedge,
    round_half_up,
)


def s(text: str) -> str:
    """Expectations are written with ordinary spaces; the functions join digit groups and
    number + unit with a NO-BREAK SPACE."""
    return re.sub(r"(?<=[\d.]) (?=[\d%km])", NBSP, text)


def test_fmt_number() -> None:
    assert fmt_number(1740) == s("1 740")
    assert fmt_number(0) == "0"
    assert fmt_number(999) == "999"
    assert fmt_number(2_500_000) == s("2 500 000")
    assert fmt_number(2.5, 1) == "2,5"
    assert fmt_number(2.0, 1) == "2"
    assert fmt_number(2.0, 1, fixed=True) == "2,0"
    assert fmt_number(2.25, 1) == "2,3"  # half-up, not banker's rounding


def test_fmt_percent() -> None:
    assert fmt_percent(0.625) == s("62,5 %")
    assert fmt_percent(0.5) == s("50 %")
    assert fmt_percent(0.5, fixed=True) == s("50,0 %")
    assert fmt_percent(11 / 24) == s("45,8 %")
    assert fmt_percent(11 / 24, 0) == s("46 %")
    assert fmt_percent(0.0) == s("0 %")
    assert fmt_percent(1.0) == s("100 %")


def test_money() -> None:
    assert fmt_money_mill(2_500_000) == s("2,5 mill. kr")
    assert fmt_money_mill(6_000_000) == s("6 mill. kr")
    assert fmt_money_mill(800_000_000) == s("800 mill. kr")
    assert fmt_kr(600_000) == s("600 000 kr")
    assert fmt_kr(0) == s("0 kr")


@pytest.mark.parametrize(
    ("share", "phrase"),
    [
        (15 / 24, "over 60 %"),       # 62,5
        (21 / 24, "nærmere 90 %"),    # 87,5
        (0.5, "rundt 50 %"),
        (0.933, "godt over 90 %"),
        (9 / 24, "nærmere 40 %"),     # 37,5
        (19 / 24, "rundt 80 %"),      # 79,2
        (1 / 24, "4 %"),              # small shares as they are
        (0.0, "0 %"),
        (1.0, "100 %"),
        (0.85, "rundt 85 %"),         # exactly on a multiple of 5
        (0.86, "rundt 85 %"),         # exactly 1 point away
        (0.84, "rundt 85 %"),
        (0.83, "godt over 80 %"),     # 3 above 80, 2 from 85
        (0.82, "over 80 %"),
    ],
)
def test_hedged_share(share: float, phrase: str) -> None:
    assert hedged_share(share) == s(phrase)


def test_hedged_share_rejects_non_shares() -> None:
    with pytest.raises(ValueError):
        hedged_share(1.2)


@given(st.floats(min_value=0, max_value=1))
def test_hedged_share_satisfies_its_own_rule(share: float) -> None:
    phrase = hedged_share(share).replace(NBSP, " ")
    words = phrase.removesuffix(" %").rsplit(" ", 1)
    hedge = {"over": "over", "godt over": "godt-over", "nærmere": "naermere",
             "rundt": "rundt"}.get(words[0], "exact") if len(words) == 2 else "exact"
    assert hedge_holds(hedge, 100 * share, float(words[-1]))


def test_hedge_rules_at_their_edges() -> None:
    assert hedge_holds("over", 60.01, 60) and not hedge_holds("over", 60, 60)
    assert not hedge_holds("over", 67.5, 60) and hedge_holds("over", 67.4, 60)
    assert hedge_holds("godt-over", 91.5, 90) and not hedge_holds("godt-over", 91.4, 90)
    assert hedge_holds("naermere", 85, 90) and not hedge_holds("naermere", 84.9, 90)
    assert not hedge_holds("naermere", 90, 90)
    assert hedge_holds("rundt", 53, 50) and not hedge_holds("rundt", 53.1, 50)
    assert hedge_holds("hele", 45.8, 47) and not hedge_holds("hele", 45.4, 47)
    assert hedge_holds("exact", 16.67, 17, 18) and hedge_holds("exact", 19.5, 17, 18)
    assert not hedge_holds("exact", 19.6, 17, 18)
    assert hedge_holds("above", 50.1, 50) and not hedge_holds("above", 50, 50)
    with pytest.raises(ValueError):
        hedge_holds("over", 50, 40, 60)
    with pytest.raises(ValueError):
        hedge_holds("circa", 50, 50)


def test_strict_rounding() -> None:
    assert hedge_rounds("exact", 41.67, 42)
    assert not hedge_rounds("hele", 45.83, 47)
    assert hedge_rounds("exact", 16.67, 17, 18) and hedge_rounds("exact", 8.33, 7, 8)
    assert round_half_up(2.5) == 3 and round_half_up(0.125, 2) == 0.13


def test_phrase_hedge() -> None:
    assert phrase_hedge("naermere", 90) == s("nærmere 90 %")
    assert phrase_hedge("hele", 65, 70) == s("hele 65-70 %")
    assert phrase_hedge("exact", 42) == s("42 %")


def test_join_list() -> None:
    assert join_list(["TotAl", "FoU", "Info & samfunn"]) == "TotAl, FoU og Info & samfunn"
    assert join_list(["RISC", "NAA"]) == "RISC og NAA"
    assert join_list(["RISC"]) == "RISC"
    assert join_list([]) == ""
    assert join_list(["a", "b", "c"], "eller") == "a, b eller c"


def test_number_word() -> None:
    assert number_word(3) == "tre"
    assert number_word(1) == "en" and number_word(1, "n") == "ett"
    assert number_word(0) == "null" and number_word(7) == "sju"
    assert number_word(12) == "tolv" and number_word(13) == "13"
    assert number_word(1740) == s("1 740")


def test_capitalize_first() -> None:
    assert capitalize_first("nærmere 90 %") == "Nærmere 90 %"
    assert capitalize_first("") == ""
    assert capitalize_first("øst") == "Øst"
