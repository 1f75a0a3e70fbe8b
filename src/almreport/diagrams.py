"""The three figures of chapter 2, drawn from the regional records (data/region.yaml).

    industrial_phases(region) -> ggplot   # Figur 2.1: the industrial phases on a year axis
    ra_to_cluster(region) -> ggplot       # Figur 2.2: RA -> the industrial park -> a cluster?
    dynamic_cluster(region) -> ggplot     # Figur 2.3: four challenges -> self-reinforcing growth

The original figures were lost from the source PDF; these redraw what the text says they show.
Every label and count comes from the record; layouts are computed, never random, so the same
record always gives the same figure. Schematic figures use a fixed-aspect canvas so that grid
squares stay square and text boxes keep their size on the page.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import pandas as pd
from plotnine import (
    aes,
    annotate,
    arrow,
    coord_fixed,
    element_text,
    geom_rect,
    geom_segment,
    geom_text,
    geom_tile,
    ggplot,
    guide_legend,
    guides,
    scale_color_manual,
    scale_fill_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
)

from almreport.norsk import capitalize_first, fmt_number
from almreport.schema.figure import KeyFigure
from almreport.schema.region import ClusterStage, IndustrialPhase, Region
from almreport.theme import (
    BASE_SIZE,
    BLUE,
    FIG_WIDTH,
    FONT,
    GREEN,
    INK,
    LIGHT,
    MUTED,
    ORANGE,
    PAPER,
    SKY_BLUE,
    SMALL_SIZE,
    TITLE_SIZE,
    VERMILLION,
    theme_diagram,
)

EN_DASH = "–"
PHASE_COLOURS = (SKY_BLUE, ORANGE, GREEN, VERMILLION, BLUE)

# Diagrams are drawn on a canvas CANVAS_WIDTH units wide that fills the figure's width, so a
# unit has a known size on the page and text can be wrapped and stacked by arithmetic.
CANVAS_WIDTH = 100.0
UNIT_PT = FIG_WIDTH * 72 / CANVAS_WIDTH  # points per canvas unit
CHAR_UNITS = 0.58 * SMALL_SIZE / UNIT_PT  # mean width of a character of small text
LINE_UNITS = 1.3 * SMALL_SIZE / UNIT_PT  # line height of small text
HEAD_UNITS = 1.3 * BASE_SIZE / UNIT_PT  # line height of a heading


def _wrap(text: str, units: float, size: float = SMALL_SIZE) -> str:
    """Wrap `text` to fit `units` of width at `size` pt, breaking only between words."""
    chars = int(units / (CHAR_UNITS * size / SMALL_SIZE))
    return textwrap.fill(text, width=max(8, chars), break_long_words=False,
                         break_on_hyphens=False)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _range(figure: KeyFigure) -> str:
    """'35' or '30–40', as the report states the number."""
    if figure.value is not None:
        return fmt_number(figure.value)
    return f"{fmt_number(figure.low)}{EN_DASH}{fmt_number(figure.high)}"


def _text(x: float, y: float, label: str, *, size: float = SMALL_SIZE, bold: bool = False,
          ha: str = "center", va: str = "center", color: str = INK) -> annotate:
    return annotate("text", x=x, y=y, label=label, size=size, ha=ha, va=va, color=color,
                    family=FONT, fontweight="bold" if bold else "normal")


def _arrow(x: float, y: float, xend: float, yend: float) -> annotate:
    return annotate("segment", x=x, y=y, xend=xend, yend=yend, color=INK, size=0.7,
                    arrow=arrow(length=0.08, type="closed", angle=25))


def _canvas(bottom: float, top: float, legend_in: float = 0.0) -> list:
    """A blank canvas [0, CANVAS_WIDTH] x [bottom, top] at true aspect, filling the page width.

    The figure is as tall as the canvas needs (plus `legend_in` inches for a legend), so one
    unit is UNIT_PT points both ways and squares stay square.
    """
    height = FIG_WIDTH * (top - bottom) / CANVAS_WIDTH + legend_in
    return [
        coord_fixed(ratio=1, xlim=(0, CANVAS_WIDTH), ylim=(bottom, top), expand=False),
        scale_x_continuous(breaks=[]),
        scale_y_continuous(breaks=[]),
        theme_diagram(FIG_WIDTH, height),
        theme(plot_margin=0),
    ]


# --- Figur 2.1 ---------------------------------------------------------------------------


def phase_period(phase: IndustrialPhase) -> str:
    """'1740–1896', or 'fra 1996' for the phase still going."""
    if phase.end is None:
        return f"fra {phase.start}"
    return f"{phase.start}{EN_DASH}{phase.end}"


def phases_frame(region: Region) -> pd.DataFrame:
    """One row per phase: number, name, period, description, start and end year (an ongoing
    phase ends in the report's year), colour."""
    rows = []
    for i, phase in enumerate(region.phases):
        rows.append({
            "number": str(phase.number),
            "name": phase.name,
            "period": phase_period(phase),
            "description": capitalize_first(phase.description),
            "start": phase.start,
            "end": phase.end if phase.end is not None else region.report_year,
            "colour": PHASE_COLOURS[i % len(PHASE_COLOURS)],
        })
    return pd.DataFrame(rows)


def industrial_phases(region: Region) -> ggplot:
    """Figur 2.1: the phases as coloured bands on a true year axis, described in columns below.

    The bands are to scale (the last phase is short); the columns are of equal width so every
    phase gets room for its name, period and description, tied to its band by a dotted line.
    """
    df = phases_frame(region)
    first, last = int(df["start"].min()), int(df["end"].max())
    margin = 2.0  # room for the outer year labels

    def to_x(year: float) -> float:
        return margin + (year - first) / (last - first) * (CANVAS_WIDTH - 2 * margin)

    df["x0"], df["x1"] = df["start"].map(to_x), df["end"].map(to_x)
    df["xm"] = (df["x0"] + df["x1"]) / 2
    gap = 4.0
    col_w = (CANVAS_WIDTH - 2 * margin - gap * (len(df) - 1)) / len(df)
    df["cx"] = [margin + i * (col_w + gap) for i in range(len(df))]
    df["cm"], df["cx1"] = df["cx"] + col_w / 2, df["cx"] + col_w
    df["description"] = [_wrap(d, col_w) for d in df["description"]]
    df["heading"] = [_wrap(f"{no}. {name}", col_w, BASE_SIZE)
                     for no, name in zip(df["number"], df["name"], strict=True)]

    band_top, band_bottom = 0.0, -6.0
    tick_y = band_bottom - 1.0
    col_top = tick_y - 9.0
    df["period_y"] = col_top - 1.5 - df["heading"].map(_lines) * HEAD_UNITS
    df["desc_y"] = df["period_y"] - LINE_UNITS * 1.3
    bottom = float((df["desc_y"] - df["description"].map(_lines) * LINE_UNITS).min()) - 1.0
    ticks = _year_ticks(first, last)
    ticks["x"] = ticks["year"].map(to_x)

    return (
        ggplot(df)
        + geom_rect(aes(xmin="x0", xmax="x1", ymin=band_bottom, ymax=band_top, fill="colour"),
                    color=PAPER, size=0.5)
        + geom_text(aes(x="xm", y=(band_top + band_bottom) / 2, label="number"),
                    size=BASE_SIZE, fontweight="bold", family=FONT, color=INK)
        + geom_segment(ticks, aes(x="x", xend="x", y=band_bottom, yend=tick_y),
                       color=INK, size=0.4)
        + geom_text(ticks, aes(x="x", y=tick_y - 0.4, label="label", ha="ha"), size=SMALL_SIZE,
                    family=FONT, color=MUTED, va="top")
        + geom_segment(aes(x="xm", xend="cm", y=tick_y - 3.2, yend=col_top + 0.3), color=MUTED,
                       size=0.5, linetype="dotted")
        + geom_rect(aes(xmin="cx", xmax="cx1", ymin=col_top - 0.7, ymax=col_top, fill="colour"))
        + geom_text(aes(x="cx", y=col_top - 1.5, label="heading"), size=BASE_SIZE,
                    fontweight="bold", family=FONT, ha="left", va="top", color=INK)
        + geom_text(aes(x="cx", y="period_y", label="period"),
                    size=SMALL_SIZE, family=FONT, ha="left", va="top", color=MUTED)
        + geom_text(aes(x="cx", y="desc_y", label="description"),
                    size=SMALL_SIZE, family=FONT, ha="left", va="top", color=INK)
        + scale_fill_manual(values={c: c for c in df["colour"]}, guide=None)
        + _canvas(bottom, band_top + 1.0)
    )


def _year_ticks(first: int, last: int, step: int = 50) -> pd.DataFrame:
    """Both ends and the round years between them that keep clear of the ends."""
    inner = range(math.ceil(first / step) * step, last + 1, step)
    years = [first, *(y for y in inner if min(y - first, last - y) > step / 3), last]
    align = ["left", *(["center"] * (len(years) - 2)), "right"]
    return pd.DataFrame({"year": years, "label": [str(y) for y in years], "ha": align})


# --- Figur 2.2 ---------------------------------------------------------------------------

ROWS = 5  # firms are drawn as squares in grids of five rows
STEP = 2.7  # grid spacing in canvas units
TILE = 2.1  # side of a firm's square in canvas units
PARK_X = 29.0  # x of the park's first column of squares
GRID_TOP = 0.0  # y of the first row


@dataclass(frozen=True)
class FirmGroup:
    """One kind of square in Figur 2.2."""

    label: str  # legend text, with the count as the report states it
    count: int  # squares drawn
    fill: str
    edge: str


def firm_groups(region: Region) -> list[FirmGroup]:
    """The kinds of squares of Figur 2.2: the park's production and service firms, and the
    firms outside the park, whose uncertain part of the range (30–40) is drawn open."""
    park = region.park
    outside = park.firms_outside
    groups = [
        FirmGroup(f"{_range(park.production_firms)} produksjonsbedrifter i parken",
                  int(park.production_firms.high), BLUE, BLUE),
        FirmGroup(f"{_range(park.service_firms)} servicebedrifter i parken",
                  int(park.service_firms.high), SKY_BLUE, SKY_BLUE),
        FirmGroup(f"{_range(outside)} bedrifter utenfor parken", int(outside.low), ORANGE, ORANGE),
    ]
    if outside.high > outside.low:
        groups.append(FirmGroup(f"usikkert antall (opptil {fmt_number(outside.high)})",
                                int(outside.high - outside.low), PAPER, ORANGE))
    return groups


def _grid(group: FirmGroup, x0: float, y_top: float, start: int = 0) -> pd.DataFrame:
    """Squares start .. start+count-1 of a column-major grid of ROWS rows from (x0, y_top)."""
    cells = range(start, start + group.count)
    return pd.DataFrame({
        "x": [x0 + (i // ROWS) * STEP for i in cells],
        "y": [y_top - (i % ROWS) * STEP for i in cells],
        "group": group.label,
    })


def _grid_width(count: int) -> float:
    return (math.ceil(count / ROWS) - 1) * STEP


def _stage_title(stage: ClusterStage) -> str:
    return f"{stage.name}?" if stage.possible else stage.name


def firm_squares(region: Region) -> tuple[pd.DataFrame, list[FirmGroup], float]:
    """The squares of Figur 2.2 (x, y, group) and the x where the outside grid ends."""
    groups = firm_groups(region)
    in_park = groups[:2]
    outside = groups[2:]
    park_n = sum(g.count for g in in_park)
    out_x = PARK_X + _grid_width(park_n) + 2 * STEP + 4.0
    frames, start = [], 0
    for group in in_park:
        frames.append(_grid(group, PARK_X, GRID_TOP, start))
        start += group.count
    start = 0
    for group in outside:
        frames.append(_grid(group, out_x, GRID_TOP, start))
        start += group.count
    squares = pd.concat(frames, ignore_index=True)
    squares["group"] = pd.Categorical(squares["group"], categories=[g.label for g in groups])
    return squares, groups, out_x


def ra_to_cluster(region: Region) -> ggplot:
    """Figur 2.2: one integrated company -> the park's firms and those outside -> a cluster?"""
    first, middle, last = region.cluster_stages
    squares, groups, out_x = firm_squares(region)
    park_n = int(region.park.firms.high)
    park_right = PARK_X + _grid_width(park_n)
    out_right = float(squares["x"].max())
    mid = GRID_TOP - (ROWS - 1) * STEP / 2
    ra_x, cl_x = 10.0, CANVAS_WIDTH - 12.0
    pad = 2.2
    label_y = GRID_TOP + pad + 1.8
    title_y = label_y + 7.0
    desc_y = GRID_TOP - (ROWS - 1) * STEP - pad - 2.5
    # each stage with the x of its centre and the width its description may take
    placed = [(first, ra_x, 18.0), (last, cl_x, 18.0),
              (middle, (PARK_X + out_right) / 2, out_right - PARK_X + 2 * pad)]
    descriptions = [_wrap(capitalize_first(stage.description), span) for stage, _, span in placed]

    layers = [
        # the industrial park as a light box around its firms
        annotate("rect", xmin=PARK_X - pad, xmax=park_right + pad,
                 ymin=GRID_TOP - (ROWS - 1) * STEP - pad, ymax=label_y + 2.0,
                 fill=LIGHT, color=MUTED, size=0.4),
        _text(PARK_X - pad + 1.0, label_y, f"I parken ({region.park.year}): "
              f"{_range(region.park.firms)}", ha="left"),
        _text(out_x - 1.0, label_y, f"Utenfor: {_range(region.park.firms_outside)}", ha="left"),
        # the integrated company: one large square
        annotate("rect", xmin=ra_x - 7.0, xmax=ra_x + 7.0, ymin=mid - 7.0, ymax=mid + 7.0,
                 fill=INK, color=INK),
        _text(ra_x, mid, first.name, size=TITLE_SIZE, bold=True, color=PAPER),
        # the possible cluster: an open, dashed square with a question mark
        annotate("rect", xmin=cl_x - 7.0, xmax=cl_x + 7.0, ymin=mid - 7.0, ymax=mid + 7.0,
                 fill=PAPER, color=INK, linetype="dashed", size=0.6),
        _text(cl_x, mid, "?", size=20, bold=True),
        _arrow(ra_x + 8.0, mid, PARK_X - pad - 1.5, mid),
        _arrow(out_right + 2.5, mid, cl_x - 8.5, mid),
    ]
    for (stage, x, _), description in zip(placed, descriptions, strict=True):
        layers += [
            _text(x, title_y, _stage_title(stage), size=BASE_SIZE, bold=True, va="bottom"),
            _text(x, title_y - 0.8, capitalize_first(stage.period), color=MUTED, va="top"),
            _text(x, desc_y, description, va="top"),
        ]
    desc_lines = max(_lines(d) for d in descriptions)

    return (
        ggplot(squares, aes("x", "y", fill="group", color="group"))
        + layers
        + geom_tile(width=TILE, height=TILE, size=0.6)
        + scale_fill_manual(values={g.label: g.fill for g in groups}, drop=False)
        + scale_color_manual(values={g.label: g.edge for g in groups}, drop=False)
        + guides(fill=guide_legend(nrow=2), color=guide_legend(nrow=2))
        + _canvas(desc_y - desc_lines * LINE_UNITS - 1.0, title_y + HEAD_UNITS + 1.0,
                  legend_in=0.6)
        + theme(legend_position="bottom", legend_key_size=11,
                legend_text=element_text(size=SMALL_SIZE, margin={"l": 4, "r": 14, "units": "pt"}))
    )


# --- Figur 2.3 ---------------------------------------------------------------------------


def dynamic_cluster(region: Region) -> ggplot:
    """Figur 2.3: the challenges of 2.3 as boxes, arrows converging on what they may lead to."""
    box_w, gap, pad = 58.0, 2.5, 1.5
    rows = []
    for challenge in region.challenges:
        body = _wrap(capitalize_first(challenge.text), box_w - 2 * pad)
        rows.append({"label": challenge.label, "body": body,
                     "h": HEAD_UNITS + _lines(body) * LINE_UNITS + 2 * pad + 0.6})
    df = pd.DataFrame(rows)
    height = float(df["h"].sum() + gap * (len(df) - 1))
    df["top"] = height - (df["h"] + gap).cumsum() + df["h"] + gap
    df["bottom"] = df["top"] - df["h"]
    df["mid"] = (df["top"] + df["bottom"]) / 2
    df["label_y"] = df["top"] - pad
    df["body_y"] = df["label_y"] - HEAD_UNITS - 0.6

    goal_x0, goal_x1 = box_w + 14.0, CANVAS_WIDTH - 0.5
    goal = _wrap(capitalize_first(region.challenges_lead_to), goal_x1 - goal_x0 - 4.0,
                 BASE_SIZE + 1)
    goal_h = _lines(goal) * HEAD_UNITS * 1.2 + 4 * pad
    goal_mid = height / 2
    # arrows meet the goal box spread over its middle, not in one point
    df["end_y"] = goal_mid + (df["mid"] - goal_mid) * goal_h * 0.5 / height

    return (
        ggplot(df)
        + geom_rect(aes(xmin=0.5, xmax=box_w, ymin="bottom", ymax="top"), fill=LIGHT,
                    color=BLUE, size=0.6)
        + geom_text(aes(x=0.5 + pad, y="label_y", label="label"), size=BASE_SIZE,
                    fontweight="bold", family=FONT, ha="left", va="top", color=INK)
        + geom_text(aes(x=0.5 + pad, y="body_y", label="body"),
                    size=SMALL_SIZE, family=FONT, ha="left", va="top", color=INK)
        + geom_segment(aes(x=box_w + 0.8, y="mid", xend=goal_x0 - 1.0, yend="end_y"),
                       color=INK, size=0.6, arrow=arrow(length=0.08, type="closed", angle=25))
        + annotate("rect", xmin=goal_x0, xmax=goal_x1, ymin=goal_mid - goal_h / 2,
                   ymax=goal_mid + goal_h / 2, fill=BLUE, color=BLUE)
        + _text((goal_x0 + goal_x1) / 2, goal_mid, goal, size=BASE_SIZE + 1, bold=True,
                color=PAPER)
        + _canvas(-0.5, height + 0.5)
    )
