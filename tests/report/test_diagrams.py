"""The figures of chapter 2 (almreport.diagrams): drawn from data/region.yaml, legible, stable."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from plotnine import ggplot

from almreport import diagrams
from almreport.records import load_all
from almreport.schema.region import Region
from almreport.theme import SMALL_SIZE

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
FIGURES: list[Callable[[Region], ggplot]] = [
    diagrams.industrial_phases, diagrams.ra_to_cluster, diagrams.dynamic_cluster,
]


@pytest.fixture(scope="module")
def region() -> Region:
    return load_all(ROOT).region


def _texts(plot: ggplot) -> list[Text]:
    """Every visible, non-empty text of the drawn figure."""
    figure = plot.draw()
    FigureCanvasAgg(figure).draw()  # lay out and render, so extents and pixels are final
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _drawn(plot: ggplot) -> str:
    """All text drawn in the figure, one string per text element, joined by newlines."""
    return "\n".join(t.get_text() for t in _texts(plot))


def _with_park(region: Region, production: int, service: int, low: int, high: int) -> Region:
    park = region.park
    update = {
        "production_firms": park.production_firms.model_copy(update={"value": production}),
        "service_firms": park.service_firms.model_copy(update={"value": service}),
        "firms": park.firms.model_copy(update={"value": production + service}),
        "firms_outside": park.firms_outside.model_copy(update={"min": low, "max": high}),
    }
    return region.model_copy(update={"park": park.model_copy(update=update)})


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_each_figure_draws_to_svg(make: Callable[[Region], ggplot], region: Region,
                                  tmp_path: Path) -> None:
    plot = make(region)
    assert isinstance(plot, ggplot)
    out = tmp_path / f"{make.__name__}.svg"
    plot.save(out, verbose=False)
    assert out.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_figure_fits_a_page_and_its_text_is_legible(make: Callable[[Region], ggplot],
                                                    region: Region) -> None:
    plot = make(region)
    width, height = plot.theme.getp("figure_size")
    assert width == pytest.approx(6.5) and 1.5 <= height <= 5
    texts = _texts(plot)
    figure = texts[0].figure
    assert all(t.get_fontsize() >= SMALL_SIZE for t in texts)
    # nothing is cut off: the outermost pixels of the rendered figure are all background
    pixels = np.asarray(figure.canvas.buffer_rgba())[:, :, :3]
    border = np.concatenate([pixels[:2].reshape(-1, 3), pixels[-2:].reshape(-1, 3),
                             pixels[:, :2].reshape(-1, 3), pixels[:, -2:].reshape(-1, 3)])
    assert (border == 255).all()
    # the diagram's own labels do not overlap each other
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts if t.axes is not None]
    assert boxes
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.shrunk(0.98, 0.9).overlaps(box_b.shrunk(0.98, 0.9)), (a, b)


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_figures_are_deterministic(make: Callable[[Region], ggplot], region: Region) -> None:
    first, second = make(region), make(region)
    assert first.data.equals(second.data)
    assert _drawn(first) == _drawn(second)


def test_phases_come_from_the_record(region: Region) -> None:
    drawn = _drawn(diagrams.industrial_phases(region))
    for phase in region.phases:
        assert f"{phase.number}. {phase.name}" in drawn
    assert "1740–1896" in drawn and "fra 1996" in drawn
    # the ongoing phase runs to the report's year, which ends the axis
    assert str(region.report_year) in drawn.split("\n")
    renamed = region.model_copy(update={"phases": [
        region.phases[0].model_copy(update={"name": "Klokkemakeri"}), *region.phases[1:]
    ]})
    assert "1. Klokkemakeri" in _drawn(diagrams.industrial_phases(renamed))
    later = region.model_copy(update={"report_year": 2010})
    frame = diagrams.phases_frame(later)
    assert frame["end"].tolist()[-1] == 2010
    assert "2010" in _drawn(diagrams.industrial_phases(later)).split("\n")


def test_firm_squares_follow_the_counts(region: Region) -> None:
    plot = diagrams.ra_to_cluster(region)
    park, outside = region.park, region.park.firms_outside
    counts = plot.data["group"].value_counts()
    groups = diagrams.firm_groups(region)
    assert [counts[g.label] for g in groups] == [
        park.production_firms.value, park.service_firms.value, outside.min,
        outside.max - outside.min,
    ]
    other = _with_park(region, production=20, service=10, low=12, high=12)
    plot = diagrams.ra_to_cluster(other)
    counts = plot.data["group"].value_counts()
    assert len(plot.data) == 20 + 10 + 12
    drawn = _drawn(plot)
    assert "20 produksjonsbedrifter i parken" in drawn and "10 servicebedrifter i parken" in drawn
    # an exact count outside the park has no uncertain squares
    assert "12 bedrifter utenfor parken" in drawn and "usikkert" not in drawn
    assert "I parken (2004): 30" in drawn


def test_the_range_outside_the_park_is_shown_as_a_range(region: Region) -> None:
    drawn = _drawn(diagrams.ra_to_cluster(region))
    low, high = int(region.park.firms_outside.min), int(region.park.firms_outside.max)
    assert f"{low}–{high} bedrifter utenfor parken" in drawn
    assert f"opptil {high}" in drawn


def test_stages_and_challenges_are_labelled_from_the_record(region: Region) -> None:
    drawn = _drawn(diagrams.ra_to_cluster(region)).split("\n")
    for stage in region.cluster_stages:
        assert (f"{stage.name}?" if stage.possible else stage.name) in drawn
    drawn = _drawn(diagrams.dynamic_cluster(region))
    for challenge in region.challenges:
        assert challenge.label in drawn
    assert "Selvforsterkende" in drawn
    fewer = region.model_copy(update={"challenges": region.challenges[:2]})
    assert len(diagrams.dynamic_cluster(fewer).data) == 2
    assert region.challenges[3].label not in _drawn(diagrams.dynamic_cluster(fewer))
