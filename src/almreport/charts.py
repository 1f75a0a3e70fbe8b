"""The survey charts (Tabell 4.1-4.6): one horizontal 100 % bar per question.

The report printed these charts without numbers; the counts behind them are in
data/survey.yaml with their provenance. A question whose counts are not (fully) printed in the
report gets a mark after its label, explained in a note under the chart and by
`provenance_note` (generated from the provenance data, never typed).
"""

from __future__ import annotations

import textwrap

import pandas as pd
from plotnine import (
    aes,
    coord_flip,
    element_blank,
    element_text,
    geom_col,
    geom_text,
    ggplot,
    guide_legend,
    guides,
    labs,
    position_stack,
    scale_color_manual,
    scale_fill_manual,
    scale_x_discrete,
    scale_y_continuous,
    theme,
)

from almreport import norsk
from almreport import survey as sv
from almreport.schema.survey import Survey
from almreport.theme import FIG_WIDTH, INK, theme_report

# Marks after a question label, by provenance kind ("stated" needs none).
MARKS = {"reconstructed": "*", "estimated": "†"}
MARK_MEANING = {
    "reconstructed": "rekonstruert fra prosentene i rapportens tekst",
    "estimated": "anslått ut fra tekstens ordlyd (rapporten oppgir ingen tall)",
}
WRAP = 45  # characters per label line
# ColorBrewer "Blues" (sequential, colour-blind safe, greyscale-monotone) for the four
# substantive answers, light to dark; neutral grey for "Vet ikke/ikke relevant".
SEQUENTIAL = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
NEUTRAL = "#bdbdbd"
MIN_LABEL_SHARE = 0.08  # segments narrower than this get no percentage inside
LINE_HEIGHT = 0.15  # inches per label line
FRAME_HEIGHT = 1.3  # inches for axis, legend and note


def marked_label(label: str, kind: str) -> str:
    """The label wrapped to WRAP characters, with the provenance mark (if any) appended."""
    mark = MARKS.get(kind, "")
    text = f"{label} {mark}" if mark else label
    return "\n".join(textwrap.wrap(" ".join(text.split()), WRAP))


def category_colours(survey: Survey) -> dict[str, str]:
    """Category label -> fill colour, in scale order."""
    substantive = [c for c in survey.scale if c.substantive]
    if len(substantive) > len(SEQUENTIAL):
        raise ValueError(f"the palette has {len(SEQUENTIAL)} colours, the scale "
                         f"{len(substantive)} substantive categories")
    # Spread the palette over the scale so a shorter scale still runs light to dark.
    step = (len(SEQUENTIAL) - 1) / max(1, len(substantive) - 1)
    colours = {c.label: SEQUENTIAL[round(i * step)] for i, c in enumerate(substantive)}
    colours.update({c.label: NEUTRAL for c in survey.scale if not c.substantive})
    return colours


def chart_frame(survey: Survey, block_id: str) -> pd.DataFrame:
    """block_frame plus the display columns: `bar` (marked, wrapped label, ordered so the
    first question is on top), `text` (the share in the segment, or "")."""
    frame = sv.block_frame(survey, block_id)
    items = sv.block(survey, block_id).items
    bars = [marked_label(it.label, it.provenance.kind) for it in items]
    by_item = dict(zip([it.id for it in items], bars, strict=True))
    frame["bar"] = pd.Categorical(frame["item"].astype(str).map(by_item), list(reversed(bars)),
                                  ordered=True)
    frame["text"] = [norsk.fmt_percent(s, 0) if s >= MIN_LABEL_SHARE else ""
                     for s in frame["share"]]
    substantive = [c.label for c in survey.scale if c.substantive]
    dark = set(substantive[len(substantive) // 2:])  # the darker half gets white text
    frame["ink"] = ["light" if str(c) in dark else "dark" for c in frame["category_label"]]
    return frame


def survey_chart(survey: Survey, block_id: str) -> ggplot:
    """Stacked 100 % horizontal bars of one block, questionnaire order top to bottom."""
    frame = chart_frame(survey, block_id)
    colours = category_colours(survey)
    lines = sum(str(b).count("\n") + 1 for b in frame["bar"].cat.categories)
    height = FRAME_HEIGHT + LINE_HEIGHT * lines + 0.12 * len(frame["bar"].cat.categories)
    stack = position_stack(reverse=True)
    # One list, not a chain of `+`: plotnine copies the whole plot at every `+`.
    return ggplot(frame, aes(x="bar", y="share", fill="category_label")) + [
        geom_col(position=stack, width=0.72, color="white", size=0.3),
        geom_text(aes(label="text", color="ink", group="category_label"),
                  position=position_stack(vjust=0.5, reverse=True), size=7,
                  show_legend=False),
        coord_flip(),
        scale_fill_manual(values=colours, breaks=list(colours), drop=False),
        scale_color_manual(values={"light": "white", "dark": INK}, guide=None),
        scale_y_continuous(limits=(0, 1.0001), breaks=[i / 5 for i in range(6)],
                           labels=lambda vs: [norsk.fmt_percent(v, 0) for v in vs],
                           expand=(0, 0)),
        scale_x_discrete(),
        guides(fill=guide_legend(nrow=2, byrow=True)),
        labs(x="", y="", caption=_chart_note(survey, block_id)),
        theme_report(FIG_WIDTH, height)
        + theme(
            axis_text_y=element_text(ha="right", ma="right", size=8, linespacing=1.0),
            panel_grid_major_y=element_blank(),
            axis_line_y=element_blank(),
            axis_ticks_major_y=element_blank(),
            plot_caption=element_text(size=7.5, ha="left", color=INK),
        ),
    ]


def _kinds(survey: Survey, block_id: str) -> dict[str, list[str]]:
    """Provenance kind -> item ids of the block, in questionnaire order."""
    kinds: dict[str, list[str]] = {}
    for it in sv.block(survey, block_id).items:
        kinds.setdefault(it.provenance.kind, []).append(it.id)
    return kinds


def _chart_note(survey: Survey, block_id: str) -> str:
    """The short legend of the marks printed under the chart."""
    kinds = _kinds(survey, block_id)
    parts = [f"{MARKS[k]} {MARK_MEANING[k].split(' (')[0]}" for k in MARKS if k in kinds]
    return "\n".join(parts)


def provenance_note(survey: Survey, block_id: str) -> str:
    """Norwegian note on where the block's numbers come from, one sentence per kind."""
    kinds = _kinds(survey, block_id)
    n = sum(sv.block(survey, block_id).items[0].counts.values())
    sentences = [
        f"Rapporten gjengir figuren uten tall; fordelingene av de {n} svarene er gjenskapt fra "
        "omtalen i teksten."
    ]
    if "stated" in kinds:
        sentences.append(f"For {_questions(kinds['stated'])} følger alle tallene entydig av "
                         "prosentene i teksten.")
    for kind in MARKS:
        if kind in kinds:
            sentences.append(f"{MARKS[kind]} {norsk.capitalize_first(_questions(kinds[kind]))}: "
                             f"{MARK_MEANING[kind]}.")
    if "reconstructed" in kinds:
        sentences.append("Der teksten ikke fastlegger alle tallene, er resten anslått ut fra "
                         "ordlyden.")
    return " ".join(sentences)


def _questions(ids: list[str]) -> str:
    word = "spørsmål"
    return f"{word} {norsk.join_list(ids)}"


def chart_alt(survey: Survey, block_id: str) -> str:
    """A generated text alternative: what the chart shows, question by question."""
    b = sv.block(survey, block_id)
    n = sum(b.items[0].counts.values())
    parts = []
    for it in b.items:
        shares = sv.shares(survey, it)
        cats = ", ".join(f"{c.label.lower()} {norsk.fmt_percent(shares[c.id], 0)}"
                         for c in survey.scale)
        parts.append(f"Spørsmål {it.id}: {cats}.")
    return (f"Liggende stolpediagram med {len(b.items)} spørsmål og fordelingen av de {n} "
            f"svarene over svarskalaen. " + " ".join(parts))
