"""The report's look for every plotnine figure: diagrams of chapter 2 and the survey charts.

    chart + theme_report()           # data charts: light grid, axes, legend below
    diagram + theme_diagram()        # schematic drawings: no axes, no grid

Sized for an A4 page's text width; fonts at least 8 pt once printed at that size; colours from
the Okabe–Ito palette, which stays distinguishable with the common colour-vision deficiencies
and in greyscale print (light and dark members alternate).
"""

from __future__ import annotations

from plotnine import element_blank, element_line, element_rect, element_text, theme, theme_bw

# matplotlib ships DejaVu Sans, so every machine draws the same glyphs.
FONT = "DejaVu Sans"
BASE_SIZE = 9  # pt; axis text and legends
SMALL_SIZE = 8  # pt; the smallest text allowed in a figure
TITLE_SIZE = 10  # pt

FIG_WIDTH = 6.5  # inches: the text width of an A4 page with book margins
FIG_HEIGHT = 3.5
DPI = 200

# Okabe & Ito (2008), "Color Universal Design".
BLUE = "#0072B2"
SKY_BLUE = "#56B4E9"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
PALETTE = (BLUE, ORANGE, SKY_BLUE, VERMILLION, GREEN, PURPLE, YELLOW)

INK = "#222222"  # text and outlines: near-black prints sharper than grey
MUTED = "#6b6b6b"  # secondary text (periods, notes)
PAPER = "#ffffff"
LIGHT = "#f2f2f2"  # background boxes


def theme_report(width: float = FIG_WIDTH, height: float = FIG_HEIGHT) -> theme:
    """Clean theme for data charts: white, light horizontal grid, legend at the bottom."""
    return theme_bw(base_size=BASE_SIZE, base_family=FONT) + theme(
        figure_size=(width, height),
        dpi=DPI,
        text=element_text(family=FONT, color=INK, size=BASE_SIZE),
        axis_text=element_text(size=SMALL_SIZE, color=INK),
        axis_title=element_text(size=BASE_SIZE),
        plot_title=element_text(size=TITLE_SIZE, weight="bold"),
        panel_border=element_blank(),
        panel_grid_major=element_line(color="#dddddd", size=0.4),
        panel_grid_minor=element_blank(),
        axis_line=element_line(color=INK, size=0.5),
        axis_ticks=element_line(color=INK, size=0.5),
        legend_position="bottom",
        legend_title=element_blank(),
        legend_text=element_text(size=SMALL_SIZE),
        legend_key=element_rect(fill=PAPER, color=PAPER),
        strip_background=element_rect(fill=LIGHT, color=LIGHT),
        strip_text=element_text(size=BASE_SIZE),
        plot_background=element_rect(fill=PAPER, color=PAPER),
    )


def theme_diagram(width: float = FIG_WIDTH, height: float = FIG_HEIGHT) -> theme:
    """Theme for schematic diagrams drawn on a blank canvas: no axes, grid or panel border."""
    return theme_report(width, height) + theme(
        axis_line=element_blank(),
        axis_ticks=element_blank(),
        axis_text=element_blank(),
        axis_title=element_blank(),
        panel_grid_major=element_blank(),
        panel_background=element_blank(),
    )
