"""The survey charts: drawn from the counts, provenance visibly marked."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import yaml

from almreport import charts
from almreport import survey as sv
from almreport.schema.survey import Survey

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ["delmal", "mal-hensikt", "organisering", "samspill", "kompetanse", "kommunikasjon"]


@pytest.fixture(scope="module")
def survey() -> Survey:
    return sv.load_survey(ROOT)


def _survey_with(change: dict[str, int], item_id: str) -> Survey:
    data = yaml.safe_load((ROOT / sv.SURVEY_FILE).read_text(encoding="utf-8"))
    for block in data["blocks"]:
        for item in block["items"]:
            if str(item["id"]) == item_id:
                item["counts"].update(change)
    return Survey.model_validate(data)


@pytest.mark.parametrize("block_id", BLOCKS)
def test_every_block_draws(survey, block_id) -> None:
    figure = charts.survey_chart(survey, block_id).draw()
    try:
        assert figure.get_figwidth() <= 7  # fits the text width of an A4 page
    finally:
        plt.close(figure)


def test_one_bar_per_question_in_questionnaire_order(survey) -> None:
    frame = charts.chart_frame(survey, "organisering")
    items = sv.block(survey, "organisering").items
    # The axis runs bottom to top after coord_flip: the first question is the last level.
    top_down = list(reversed(frame["bar"].cat.categories))
    assert len(top_down) == len(items)
    for bar, it in zip(top_down, items, strict=True):
        assert " ".join(bar.split()).startswith(" ".join(it.label.split())[:30])
    assert all(len(line) <= charts.WRAP + 2 for bar in top_down for line in bar.split("\n"))


def test_plotted_shares_follow_the_counts(survey) -> None:
    before = charts.survey_chart(survey, "delmal").data
    changed = _survey_with({"svaert-stor": 14, "ganske-stor": 10}, "1")
    after = charts.survey_chart(changed, "delmal").data

    def share(frame, category):
        row = frame[(frame["item"] == "1") & (frame["category"] == category)]
        return float(row["share"].iloc[0])

    assert share(before, "svaert-stor") == pytest.approx(15 / 24)
    assert share(after, "svaert-stor") == pytest.approx(14 / 24)
    assert share(after, "ganske-stor") == pytest.approx(10 / 24)


def test_estimated_and_reconstructed_items_are_marked(survey) -> None:
    for block_id in BLOCKS:
        frame = charts.chart_frame(survey, block_id)
        for it in sv.block(survey, block_id).items:
            bar = str(frame.loc[frame["item"] == it.id, "bar"].iloc[0])
            mark = charts.MARKS.get(it.provenance.kind)
            if mark:
                assert bar.endswith(mark), (it.id, bar)
            else:
                assert not bar.endswith(tuple(charts.MARKS.values())), (it.id, bar)


def test_provenance_note_is_generated_from_the_data(survey) -> None:
    note = charts.provenance_note(survey, "organisering")
    assert "† Spørsmål 11b, 11c, 11d, 11e og 11f: anslått" in note
    assert "* Spørsmål 11a: rekonstruert" in note
    delmal = charts.provenance_note(survey, "delmal")
    assert "spørsmål 2 og 4" in delmal and "†" not in delmal
    # change an item's provenance and the note follows
    data = yaml.safe_load((ROOT / sv.SURVEY_FILE).read_text(encoding="utf-8"))
    data["blocks"][2]["items"][0]["provenance"] = {"kind": "estimated", "note": "test"}
    note = charts.provenance_note(Survey.model_validate(data), "organisering")
    assert "11a, 11b" in note and "rekonstruert" not in note.split("Der")[0]


def test_palette_is_sequential_with_grey_for_dont_know(survey) -> None:
    colours = charts.category_colours(survey)
    assert list(colours) == [c.label for c in survey.scale]
    assert colours["Vet ikke/ikke relevant"] == charts.NEUTRAL
    substantive = [colours[c.label] for c in survey.scale if c.substantive]
    lightness = [sum(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in substantive]
    assert lightness == sorted(lightness, reverse=True)  # light to dark along the scale


def test_alt_text_describes_every_question(survey) -> None:
    alt = charts.chart_alt(survey, "samspill")
    for it in sv.block(survey, "samspill").items:
        assert f"Spørsmål {it.id}:" in alt
