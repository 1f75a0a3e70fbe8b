"""Survey statistics: shares, the tier rule (3/3/3 split of 4.4.10), chart frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from almreport import survey as sv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def survey():
    return sv.load_survey(ROOT)


def test_method_facts(survey) -> None:
    m = survey.method
    assert (m.invited, m.answered, m.year, m.month) == (30, 24, 2006, 12)
    assert (m.interviews.total, m.interviews.in_person, m.interviews.by_phone) == (8, 6, 2)
    assert sv.response_rate(survey) == pytest.approx(0.8)


def test_scale_order_and_positive_categories(survey) -> None:
    assert [c.label for c in survey.scale] == [
        "I svært liten grad", "I noen grad", "I ganske stor grad", "I svært stor grad",
        "Vet ikke/ikke relevant"]
    assert sv.positive_categories(survey) == ["ganske-stor", "svaert-stor"]


def test_every_question_is_there_in_its_table(survey) -> None:
    expected = {
        "4.1": [str(i) for i in range(1, 10)],
        "4.2": ["10a", "10b", "10c", "10d"],
        "4.3": [f"11{c}" for c in "abcdef"],
        "4.4": [f"12{c}" for c in "abcde"],
        "4.5": ["13a", "13b", "13c"],
        "4.6": [f"14{c}" for c in "abcd"],
    }
    assert {b.table: [i.id for i in b.items] for b in survey.blocks} == expected


def test_subproject_items(survey) -> None:
    ids = [i.subproject for i in survey.blocks[0].items]
    assert ids == ["total", "risc", "naa", "fou", "kommersialisering", "funding",
                   "info-samfunn", "intraprenorskap", "skandinavisk"]
    assert sv.item_for_subproject(survey, "fou").id == "4"


def test_shares_sum_to_one_and_follow_counts(survey) -> None:
    for it in sv.items(survey):
        s = sv.shares(survey, it)
        assert sum(s.values()) == pytest.approx(1.0)
        assert list(s) == [c.id for c in survey.scale]
    fou = sv.item(survey, "4")
    assert sv.positive_share(survey, fou) == pytest.approx(22 / 24)


def test_tier_rule_thresholds() -> None:
    assert sv.tier_of_share(1.0) == "god"
    assert sv.tier_of_share(0.75) == "god"
    assert sv.tier_of_share(0.7499) == "blandet"
    assert sv.tier_of_share(0.40) == "blandet"
    assert sv.tier_of_share(0.3999) == "svak"
    assert sv.tier_of_share(0.0) == "svak"


def test_tier_rule_gives_the_reports_three_by_three_split(survey) -> None:
    tiers = {it.subproject: sv.tier(survey, it) for it in survey.blocks[0].items}
    assert tiers == {
        "total": "god", "fou": "god", "info-samfunn": "god",
        "risc": "blandet", "kommersialisering": "blandet", "intraprenorskap": "blandet",
        "naa": "svak", "funding": "svak", "skandinavisk": "svak",
    }


def test_block_tiers_match_sections_4_5_and_4_6_1(survey) -> None:
    got = {b.id: sv.block_tier(survey, b) for b in survey.blocks[1:]}
    assert got == {"mal-hensikt": "god", "organisering": "god", "samspill": "god",
                   "kompetanse": "blandet", "kommunikasjon": "blandet"}


def test_block_frame_long_format(survey) -> None:
    frame = sv.block_frame(survey, "mal-hensikt")
    assert len(frame) == 4 * 5
    assert list(frame.columns) == ["item", "label", "category", "category_label", "count",
                                   "share", "provenance"]
    assert frame.groupby("item", observed=True)["count"].sum().tolist() == [24] * 4
    row = frame[(frame["item"] == "10a") & (frame["category"] == "svaert-stor")].iloc[0]
    assert row["count"] == 11 and row["share"] == pytest.approx(11 / 24)
    assert list(frame["category_label"].cat.categories)[0] == "I svært liten grad"


def test_unknown_ids_raise(survey) -> None:
    with pytest.raises(KeyError):
        sv.item(survey, "99")
    with pytest.raises(KeyError):
        sv.block(survey, "nope")
    with pytest.raises(KeyError):
        sv.share_of(survey, sv.item(survey, "1"), ["stor"])


def test_every_item_has_honest_provenance(survey) -> None:
    for it in sv.items(survey):
        p = it.provenance
        assert p.note
        if p.kind == "estimated":
            # nothing printed about the item's numbers: it may still satisfy verbal claims
            assert all(not c.startswith("4.4.") or c.endswith("tier") for c in p.satisfies)
        else:
            assert p.satisfies


def test_tier_groups(survey) -> None:
    groups = sv.tier_groups(survey)
    assert {t: [i.id for i in its] for t, its in groups.items()} == {
        "god": ["1", "4", "7"], "blandet": ["2", "5", "8"], "svak": ["3", "6", "9"]}
