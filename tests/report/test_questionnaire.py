"""Vedlegg 1: the questionnaire generated from data/survey.yaml, in the source's order."""

from __future__ import annotations

import re
from pathlib import Path

import pypandoc
import pytest
import yaml

from almreport import survey as sv
from almreport.questionnaire import question_number, questionnaire_markdown
from almreport.schema.survey import Survey

ROOT = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seed/000_ca6d0b9bcd22a1fe.txt")


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def survey() -> Survey:
    return sv.load_survey(ROOT)


@pytest.fixture(scope="module")
def plain(survey) -> str:
    """The questionnaire as the reader sees it (pandoc plain text)."""
    md = questionnaire_markdown(survey)
    return _flat(pypandoc.convert_text(md, "plain", format="markdown", extra_args=["--wrap=none"]))


def test_every_question_in_order(survey, plain) -> None:
    pos = plain.index(_flat(survey.intro_title))
    for block in survey.blocks:
        for it in block.items:
            for text in (it.goal, it.wording):
                if text:
                    found = plain.find(_flat(text), pos)
                    assert found >= 0, f"question {it.id}: {text!r} missing or out of order"
                    pos = found
    assert plain.find(_flat(survey.final_prompt), pos) > pos


def test_sections_scale_and_prompts(survey, plain) -> None:
    md = questionnaire_markdown(survey)
    headings = re.findall(r"^## (\d+) ", md, re.MULTILINE)
    assert headings == [str(n) for n in range(1, 15)]  # 1-9 sub-goals, 10-14 blocks
    assert md.count("| Spørsmål |") == 9 + 5  # one answer grid per section
    for c in survey.scale:
        assert c.label in plain
    assert plain.count("Sterke sider:") == plain.count("Svake sider:") == 5
    assert plain.count("Skriv inn eventuelle egne kommentarer") == 9


@pytest.mark.skipif(not SEED.is_file(), reason="the source text is not on this machine")
def test_wording_is_the_source_text(survey) -> None:
    """Each question's wording occurs in the source's Vedlegg 1 (whitespace aside)."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Spørreskjema")
    source = _flat(" ".join(lines[start:]))
    for it in sv.items(survey):
        assert _flat(it.wording) in source, it.id


def test_data_text_is_escaped() -> None:
    data = yaml.safe_load((ROOT / sv.SURVEY_FILE).read_text(encoding="utf-8"))
    data["intro"] = "Svar *ærlig* <script>x()</script> | @sec-a"
    data["blocks"][1]["items"][0]["wording"] = "Har | prosjektet <b>lykkes</b>?"
    md = questionnaire_markdown(Survey.model_validate(data))
    html = pypandoc.convert_text(md, "html", format="markdown")
    assert "<script>" not in html and "<em>" not in html and "<b>" not in html
    text = _flat(pypandoc.convert_text(md, "plain", format="markdown", extra_args=["--wrap=none"]))
    assert "Svar *ærlig* <script>x()</script> | @sec-a" in text
    assert "Har | prosjektet <b>lykkes</b>?" in text


def test_question_number() -> None:
    assert question_number("10a") == "10"
    assert question_number("7") == "7"
    with pytest.raises(ValueError):
        question_number("a1")
