"""Typed access to the survey and its statistics: shares, the ONE tier rule, chart frames.

Shares are fractions of all respondents of an item (n = 24, "vet ikke" included), which is the
base the report's own percentages use (e.g. 4.4.4: 42 % + 50 % + the rest "vet ikke").

Tier rule (4.4.10 / 4.6.1 "svært god tilbakemelding" / "mer blandet vurdering" / "relativt svak
vurdering"), applied to the positive share p = ("I ganske stor grad" + "I svært stor grad") / n:

    god      p >= 0.75
    blandet  0.40 <= p < 0.75
    svak     p < 0.40

For a block, p is the mean positive share of its items.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from almreport.loader import load_record
from almreport.schema.survey import Block, Item, Survey

if TYPE_CHECKING:  # pandas is imported where frames are made: most chapters need no frames
    import pandas as pd

SURVEY_FILE = Path("data") / "survey.yaml"
TIER_GOOD = 0.75
TIER_MIXED = 0.40
TIERS = ("god", "blandet", "svak")
TIER_PHRASES = {
    "god": "svært god tilbakemelding",
    "blandet": "mer blandet vurdering",
    "svak": "relativt svak vurdering",
}


def load_survey(root: Path | str = ".") -> Survey:
    """Load data/survey.yaml under `root` (raises loader.RecordError). Not cached: the file
    may change while a preview server runs, and loading takes milliseconds."""
    root = Path(root).resolve()
    return load_record(root / SURVEY_FILE, Survey, root=root)


def items(survey: Survey) -> list[Item]:
    return [item for block in survey.blocks for item in block.items]


def item(survey: Survey, item_id: str) -> Item:
    for candidate in items(survey):
        if candidate.id == item_id:
            return candidate
    raise KeyError(f"no survey item {item_id!r}")


def block(survey: Survey, block_id: str) -> Block:
    for candidate in survey.blocks:
        if candidate.id == block_id:
            return candidate
    raise KeyError(f"no survey block {block_id!r}")


def block_of(survey: Survey, item_id: str) -> Block:
    for candidate in survey.blocks:
        if any(i.id == item_id for i in candidate.items):
            return candidate
    raise KeyError(f"no survey item {item_id!r}")


def item_for_subproject(survey: Survey, subproject_id: str) -> Item:
    for candidate in items(survey):
        if candidate.subproject == subproject_id:
            return candidate
    raise KeyError(f"no survey item for sub-project {subproject_id!r}")


def positive_categories(survey: Survey) -> list[str]:
    return [c.id for c in survey.scale if c.positive]


def shares(survey: Survey, it: Item) -> dict[str, float]:
    """Category id -> share of all respondents (in scale order)."""
    n = sum(it.counts.values())
    return {c.id: it.counts[c.id] / n for c in survey.scale}


def share_of(survey: Survey, it: Item, categories: list[str]) -> float:
    """Share of respondents who chose any of `categories`."""
    s = shares(survey, it)
    unknown = [c for c in categories if c not in s]
    if unknown:
        raise KeyError(f"unknown answer categories {unknown}")
    return sum(s[c] for c in categories)


def positive_share(survey: Survey, it: Item) -> float:
    return share_of(survey, it, positive_categories(survey))


def block_share(survey: Survey, b: Block, categories: list[str]) -> float:
    """Mean over the block's items of the share of `categories`."""
    return sum(share_of(survey, i, categories) for i in b.items) / len(b.items)


def tier_of_share(p: float) -> str:
    """The ONE tier rule (module docstring)."""
    if p >= TIER_GOOD:
        return "god"
    if p >= TIER_MIXED:
        return "blandet"
    return "svak"


def tier(survey: Survey, it: Item) -> str:
    return tier_of_share(positive_share(survey, it))


def block_tier(survey: Survey, b: Block) -> str:
    return tier_of_share(block_share(survey, b, positive_categories(survey)))


def response_rate(survey: Survey) -> float:
    return survey.method.answered / survey.method.invited


def block_frame(survey: Survey, block_id: str) -> pd.DataFrame:
    """Long format for charts/tables: one row per item and category, in questionnaire and
    scale order. Columns: item, label, category, category_label, count, share, provenance."""
    import pandas as pd

    b = block(survey, block_id)
    rows = [
        {
            "item": it.id,
            "label": it.label,
            "category": cat.id,
            "category_label": cat.label,
            "count": it.counts[cat.id],
            "share": it.counts[cat.id] / sum(it.counts.values()),
            "provenance": it.provenance.kind,
        }
        for it in b.items
        for cat in survey.scale
    ]
    frame = pd.DataFrame(rows)
    frame["item"] = pd.Categorical(frame["item"], [it.id for it in b.items], ordered=True)
    frame["category_label"] = pd.Categorical(
        frame["category_label"], [c.label for c in survey.scale], ordered=True)
    return frame


def tier_table(survey: Survey, block_id: str = "delmal") -> pd.DataFrame:
    """Per item of a block: positive share and tier (the 4.4.10 summary)."""
    import pandas as pd

    b = block(survey, block_id)
    return pd.DataFrame(
        [{"item": it.id, "subproject": it.subproject, "positive": positive_share(survey, it),
          "tier": tier(survey, it)} for it in b.items])


def tier_groups(survey: Survey, block_id: str = "delmal") -> dict[str, list[Item]]:
    """Tier -> the block's items in that tier, in questionnaire order (all tiers present)."""
    groups: dict[str, list[Item]] = {t: [] for t in TIERS}
    for it in block(survey, block_id).items:
        groups[tier(survey, it)].append(it)
    return groups
