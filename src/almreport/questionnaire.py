"""Vedlegg 1: the questionnaire as markdown, generated from data/survey.yaml.

Order as in the source: welcome text, respondent fields, one numbered section per question
(1-9: one sub-goal each; 10-14: a block of sub-questions), each with the answer scale and its
comment prompts, then the closing text and the last free-text prompt. Every data string is
escaped, so it prints literally.
"""

from __future__ import annotations

import re

from almreport.markdown import escape, escape_block, pipe_table
from almreport.schema.survey import Block, Item, Survey

ANSWER_MARK = "○"  # an empty answer box, as in the web form
GOAL_INTRO = "Ett delmål i prosjektet var å"
FIELD_MARK = "\\_" * 20  # a line to write on


def questionnaire_markdown(survey: Survey) -> str:
    """The whole questionnaire (without the chapter title) as pandoc markdown."""
    parts = [f"## {escape(survey.intro_title)} {{.unnumbered}}", escape_block(survey.intro)]
    parts += [_field(f) for f in survey.respondent_fields]
    for block in survey.blocks:
        if block.heading is None:  # one section per item (the sub-goals 1-9)
            parts += [_goal_section(survey, block, it) for it in block.items]
        else:
            parts.append(_block_section(survey, block))
    parts += [escape_block(survey.outro), _field(survey.final_prompt)]
    return "\n\n".join(parts) + "\n"


def question_number(item_id: str) -> str:
    """"10a" -> "10" (the section number the questionnaire prints)."""
    match = re.match(r"\d+", item_id)
    if not match:
        raise ValueError(f"item id {item_id!r} does not start with a number")
    return match.group()


def _heading(number: str, title: str) -> str:
    return f"## {escape(number)} {escape(title)} {{.unnumbered}}"


def _goal_section(survey: Survey, block: Block, it: Item) -> str:
    title = it.heading or ""
    goal = f"{GOAL_INTRO} {escape(chr(34) + it.goal + chr(34))}" if it.goal else ""
    parts = [_heading(question_number(it.id), title), goal, _scale_table(survey, [it])]
    parts += [_field(p) for p in block.comment_prompts]
    return "\n\n".join(p for p in parts if p)


def _block_section(survey: Survey, block: Block) -> str:
    number = question_number(block.items[0].id)
    parts = [_heading(number, block.heading or "")]
    if block.preamble:
        parts.append(escape_block(block.preamble))
    parts.append(_scale_table(survey, block.items))
    parts += [_field(p) for p in block.comment_prompts]
    return "\n\n".join(parts)


def _scale_table(survey: Survey, items: list[Item]) -> str:
    """One row per question, one answer box per category of the scale."""
    header = ["Spørsmål", *(escape(c.label) for c in survey.scale)]
    rows = [[escape(it.wording), *([ANSWER_MARK] * len(survey.scale))] for it in items]
    align = ["l", *("c" * len(survey.scale))]
    return pipe_table(header, rows, align, [30, *([8] * len(survey.scale))])


def _field(prompt: str) -> str:
    return f"{escape(prompt)} {FIELD_MARK}"
