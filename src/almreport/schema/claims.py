"""Model of data/claims.yaml: every statement the report makes about survey results, as a
condition that can be checked against the counts in data/survey.yaml (see almreport.claims).

A `target` is either one item ("1", "10a") or a block ("block:organisering"), which stands for
the mean over its items. Shares are in percent of all respondents (n).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from almreport.schema.base import ItemError, Record, require_unique

Text = Annotated[str, StringConstraints(min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+([-.][a-z0-9]+)*$")]
Target = Annotated[str, StringConstraints(pattern=r"^([0-9]{1,2}[a-z]?|block:[a-z0-9-]+)$")]
Hedge = Literal[
    "exact", "hele", "kun", "over", "godt-over", "naermere", "nesten", "rundt", "above", "below"
]
Tier = Literal["god", "blandet", "svak"]


class ShareCheck(Record):
    """The share of `categories` for `target` is `value` % in the sense of `hedge`."""

    kind: Literal["share"]
    target: Target
    categories: list[Slug] = Field(min_length=1)
    hedge: Hedge
    value: float = Field(ge=0, le=100)
    upper: float | None = Field(default=None, le=100, description="printed range 'value-upper'")
    discrepancy: Text | None = Field(
        default=None, description="why the printed number is not the rounded share")

    @model_validator(mode="after")
    def _range(self) -> ShareCheck:
        if self.upper is not None and self.upper <= self.value:
            raise ItemError(("upper",), "must be larger than value")
        return self


class TierCheck(Record):
    """`target` falls in `tier` under the tier rule (almreport.survey.tier)."""

    kind: Literal["tier"]
    target: Target
    tier: Tier


class ExtremeCheck(Record):
    """`target` has the strictly lowest/highest share of `categories` among its block."""

    kind: Literal["extreme"]
    target: Target
    categories: list[Slug] = Field(min_length=1)
    which: Literal["lowest", "highest"]


class ModeCheck(Record):
    """`category` is the strictly most frequent answer for `target`."""

    kind: Literal["mode"]
    target: Target
    category: Slug


class CompareCheck(Record):
    """Mean share of `categories` over `left` targets `op` the mean over `right` targets."""

    kind: Literal["compare"]
    left: list[Target] = Field(min_length=1)
    op: Literal["<", ">"]
    right: list[Target] = Field(min_length=1)
    categories: list[Slug] = Field(min_length=1)


Check = Annotated[
    ShareCheck | TierCheck | ExtremeCheck | ModeCheck | CompareCheck,
    Field(discriminator="kind"),
]


class Claim(Record):
    """One statement of the report about the survey."""

    id: Slug
    section: Text = Field(description="where: '4.5.2', 'Sammendrag', ...")
    quote: Text = Field(description="the report's words, verbatim")
    also: list[Text] = Field(default_factory=list, description="sections repeating it")
    check: Check


class Claims(Record):
    claims: list[Claim] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Claims:
        require_unique(self.claims, "claim id", at=("claims",))
        return self
