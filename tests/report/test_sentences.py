"""Generated sentences of chapter 4 (almreport.sentences).

Expected texts are the report's own words (NIBR-rapport 2007:9, 4.1, 4.4.x, 4.4.10, 4.6.1),
with only the spacing before "%" normalised to the no-break space the book uses.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from almreport import sentences as st
from almreport import survey as sv
from almreport.norsk import NBSP, hedge_holds
from almreport.records import Records, load_all
from almreport.schema.survey import Survey

ROOT = Path(__file__).resolve().parents[2]

AUTHOR_4_6_1 = (
    "Tre delprosjekt får svært god tilbakemelding (TotAl, FoU og Info & samfunn); tre får en mer "
    "blandet vurdering (RISC, kommersialisering og intraprenørskap); og tre får en relativt svak "
    "vurdering (NAA, funding og skandinavisk samarbeid)")
AUTHOR_4_4_10 = (
    "tre delprosjekt som her får svært god tilbakemelding (TotAl, FoU og Info & samfunn); tre "
    "som får en mer blandet vurdering (RISC, kommersialisering og intraprenørskap); og tre som "
    "får en relativt svak vurdering (NAA, funding og skandinavisk samarbeid)")
AUTHOR_SAMMENDRAG = (
    "Tre delprosjekt får i undersøkelsen svært god tilbakemelding (TotAl, FoU og Info & "
    "samfunn); tre får en mer blandet vurdering (RISC, kommersialisering og intraprenørskap); og "
    "tre får en relativt svak vurdering (NAA, funding og skandinavisk samarbeid)")


def plain(markdown: str) -> str:
    """What the reader sees: markdown escapes removed, no-break spaces as spaces."""
    return markdown.replace("\\&", "&").replace(NBSP, " ")


def with_counts(records: Records, changes: dict[str, dict[str, int]]) -> Records:
    """The records with some items' answer counts replaced (the models are frozen)."""
    data = records.survey.model_dump(mode="json")
    for block in data["blocks"]:
        for item in block["items"]:
            if item["id"] in changes:
                item["counts"] = {**item["counts"], **changes[item["id"]]}
    return dataclasses.replace(records, survey=Survey.model_validate(data))


ALL_GOOD = {"svaert-liten": 0, "noen": 0, "ganske-stor": 12, "svaert-stor": 12, "vet-ikke": 0}
MIXED = {"svaert-liten": 0, "noen": 12, "ganske-stor": 6, "svaert-stor": 6, "vet-ikke": 0}
WEAK = {"svaert-liten": 12, "noen": 10, "ganske-stor": 1, "svaert-stor": 1, "vet-ikke": 0}


@pytest.fixture(scope="module")
def records() -> Records:
    return load_all(ROOT)


# --- the three tiers ---------------------------------------------------------------------------


def test_tier_verdict_is_the_authors_sentence(records) -> None:
    assert plain(st.tier_verdict(records.survey, records=records)) == AUTHOR_4_6_1


def test_tier_verdict_forms_of_4_4_10_and_sammendrag(records) -> None:
    survey = records.survey
    relative = st.tier_verdict(survey, records=records, relative=True, before_verb="her")
    assert plain(relative) == AUTHOR_4_4_10
    summary = st.tier_verdict(survey, records=records, after_verb="i undersøkelsen")
    assert plain(summary) == AUTHOR_SAMMENDRAG


def test_tier_verdict_escapes_data_text(records) -> None:
    assert "Info \\& samfunn" in st.tier_verdict(records.survey, records=records)


def test_tier_verdict_leaves_out_an_empty_tier(records) -> None:
    changed = with_counts(records, {"2": ALL_GOOD, "5": ALL_GOOD, "8": ALL_GOOD})
    assert plain(st.tier_verdict(changed.survey, records=changed)) == (
        "Seks delprosjekt får svært god tilbakemelding (TotAl, RISC, FoU, kommersialisering, "
        "Info & samfunn og intraprenørskap); og tre får en relativt svak vurdering (NAA, funding "
        "og skandinavisk samarbeid)")


def test_tier_verdict_one_four_four(records) -> None:
    changed = with_counts(records, {"4": MIXED, "7": WEAK})
    assert plain(st.tier_verdict(changed.survey, records=changed)) == (
        "Ett delprosjekt får svært god tilbakemelding (TotAl); fire får en mer blandet vurdering "
        "(RISC, FoU, kommersialisering og intraprenørskap); og fire får en relativt svak "
        "vurdering (NAA, funding, Info & samfunn og skandinavisk samarbeid)")


def test_tier_verdict_all_in_one_tier(records) -> None:
    changed = with_counts(records, {str(i): ALL_GOOD for i in range(1, 10)})
    assert plain(st.tier_verdict(changed.survey, records=changed)) == (
        "Alle ni delprosjekt får svært god tilbakemelding (TotAl, RISC, NAA, FoU, "
        "kommersialisering, funding, Info & samfunn, intraprenørskap og skandinavisk samarbeid)")


# --- 4.1 and the sub-project sentences ----------------------------------------------------------


def test_response_sentence_and_interviews(records) -> None:
    assert st.response_sentence(records.survey) == (
        "Av i alt 30 som fikk tilsendt det web-baserte skjema var det i alt 24 som besvarte, dvs "
        "en svarprosent på 80.")
    assert st.interview_phrase(records.survey) == (
        "åtte av de mest sentrale deltagerne i prosjektet, hvorav seks direkte og to via telefon")


@pytest.mark.parametrize(("subproject", "author"), [
    ("total", "I spørreskjemaundersøkelsen ble det svart meget positivt på i hvilken grad "
              "prosjektet har lykkes i å oppnå sitt mål. Over 60 % svarte ”i svært stor grad” og "
              "resten ”i ganske stor grad” (n = 24)."),
    ("risc", "Dette delprosjektet får en noe blandet vurdering i spørreskjemaundersøkelsen. I alt "
             "17-18 % oppgir at de ikke vet om prosjektet har lykkes i å oppnå sitt mål. Få "
             "(7-8 %) oppgir at det ”i svært stor grad” har gjort det, mens over 40 % har svart "
             "”i ganske stor grad”. De resterende 33 % har svart ”i noen grad”."),
    ("naa", "I spørreskjemaundersøkelsen kom det også klart frem at dette delprosjektet ble "
            "vurdert i liten grad å lykkes med å oppnå sine mål. Nesten 80 % svarte at dette hadde "
            "skjedd ”i liten grad” og ”i svært liten grad”, og der hele 54 % mente at dette hadde "
            "skjedd ”i svært liten grad”."),
    ("fou", "I spørreskjemaundersøkelsen får dette prosjektet meget god tilbakemelding. Godt over "
            "90 % (foruten resten som svarer ”vet ikke”) mener at man har lykkes ”i ganske stor "
            "grad” (42 %), og ”i svært stor grad” (50 %)."),
    ("funding", "I spørreskjemaundersøkelsen får prosjektet en relativt svak vurdering. Hele 54 % "
                "mener at prosjektet har lykkes ”i noen grad” og ”i svært liten grad” (4 %). På "
                "den annen side er det over 20 % som ”vet ikke”."),
    ("skandinavisk", "I spørreskjemaundersøkelsen fikk dette prosjektet en relativt svak vurdering "
                     "der godt over 60 % mente at det hadde lykkes ”i noen grad” og ”svært liten "
                     "grad” (kun 4 %)."),
])
def test_survey_sentence_is_the_authors(records, subproject, author) -> None:
    assert plain(st.survey_sentence(records, subproject)) == author


def test_survey_sentence_shows_the_counts_where_the_print_is_no_whole_answer(records) -> None:
    # The report prints "Hele 80%" (I&S) and "45%" (intraprenørskap); 19/24 and 11/24 round to
    # 79 % and 46 % (data/claims.yaml records the discrepancies).
    assert "Hele 79 % mener" in plain(st.survey_sentence(records, "info-samfunn"))
    assert "vurdering med 46 % som" in plain(st.survey_sentence(records, "intraprenorskap"))


def test_moving_one_answer_changes_the_sentences(records) -> None:
    # One "i svært stor grad" of TotAl becomes "i ganske stor grad": 14/24 = 58,3 %.
    changed = with_counts(records, {"1": {"ganske-stor": 10, "svaert-stor": 14}})
    assert "Over 55 % svarte" in plain(st.survey_sentence(changed, "total"))
    assert "Over 60 % svarte" in plain(st.survey_sentence(records, "total"))


def test_a_tier_change_changes_verdict_and_tier_sentence(records) -> None:
    changed = with_counts(records, {"1": MIXED})
    text = plain(st.survey_sentence(changed, "total"))
    assert text.startswith("I spørreskjemaundersøkelsen ble det svart blandet på")
    verdict = plain(st.tier_verdict(changed.survey, records=changed))
    assert verdict.startswith("To delprosjekt får svært god tilbakemelding (FoU og Info & samfunn)")
    assert "(TotAl, RISC, kommersialisering og intraprenørskap)" in verdict


# --- hedges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hedge", "percent", "anchor"), [
    ("exact", 41.67, 42), ("exact", 45.83, 46), ("hele", 79.17, 79),
    ("over", 62.5, 60), ("over", 60.0, 55), ("over", 60.01, 60), ("over", 66.67, 65),
    ("godt-over", 91.67, 90), ("godt-over", 91.5, 90), ("godt-over", 91.49, 85),
    ("godt-over", 66.67, 60),
    ("naermere", 87.5, 90), ("naermere", 85.0, 90), ("naermere", 90.0, 95),
    ("naermere", 79.17, 80), ("naermere", 37.5, 40),
    ("rundt", 50.0, 50), ("rundt", 47.0, 50), ("rundt", 46.9, 45),
    ("above", 54.0, 53), ("below", 54.0, 55),
])
def test_hedge_value_at_thresholds(hedge, percent, anchor) -> None:
    assert st.hedge_value(hedge, percent / 100) == anchor


@pytest.mark.parametrize("hedge", ["exact", "hele", "kun", "over", "godt-over", "naermere",
                                   "nesten", "rundt", "above", "below"])
def test_hedge_value_always_satisfies_its_rule(hedge) -> None:
    for k in range(1, 1000):
        v = k / 10
        if hedge == "godt-over" and v < 1.5:
            continue  # no multiple of 10 at least 1.5 below
        assert hedge_holds(hedge, v, st.hedge_value(hedge, v / 100)), (hedge, v)


def test_share_text_ranges_follow_the_claims(records) -> None:
    survey = records.survey
    assert plain(st.share_text(survey, "2", ["vet-ikke"], "range", records.claims)) == "17-18 %"
    assert plain(st.share_text(survey, "13a+13b", ["ganske-stor", "svaert-stor"], "range",
                               records.claims)) == "65-70 %"
    # A count that no longer rounds into the printed range gives the rounded share.
    changed = with_counts(records, {"2": {"vet-ikke": 6, "noen": 6}})
    assert plain(st.share_text(changed.survey, "2", ["vet-ikke"], "range",
                               records.claims)) == "25 %"


def test_share_text_of_several_items_uses_their_mean(records) -> None:
    survey = records.survey
    mean = (sv.positive_share(survey, sv.item(survey, "10c"))
            + sv.positive_share(survey, sv.item(survey, "10d"))) / 2
    expected = f"{st.hedge_value('naermere', mean)} %"
    assert plain(st.share_text(survey, "10c+10d", ["ganske-stor", "svaert-stor"], "naermere",
                               records.claims)) == expected


def test_dates_and_halves() -> None:
    assert st.month_year("2004-01") == "januar 2004"
    assert st.day_month_year("2003-06-25") == "25. juni 2003"
    assert plain(st.half(2.5)) == "2 ½"
    assert st.half(0.5) == "ett halvt"
    assert st.half(0.5, words=False) == "½"
