"""Model of data/survey.yaml: the questionnaire survey of December 2006 (chapter 4, Vedlegg 1).

Counts are per answer category and must add up to the number of respondents. How each item's
counts were obtained from the report's prose is recorded in `provenance` (the charts of
Tabell 4.1-4.6 lost their numbers; see /work/notes/survey-decisions.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from almreport.schema.base import ItemError, Record, require_unique

Text = Annotated[str, StringConstraints(min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ClaimId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+([-.][a-z0-9]+)*$")]
ItemId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,2}[a-z]?$")]
SubprojectId = Literal[
    "total", "risc", "naa", "fou", "kommersialisering", "funding", "info-samfunn",
    "intraprenorskap", "skandinavisk",
]


class Interviews(Record):
    total: int = Field(ge=0)
    in_person: int = Field(ge=0)
    by_phone: int = Field(ge=0)
    quote: Text

    @model_validator(mode="after")
    def _adds_up(self) -> Interviews:
        if self.in_person + self.by_phone != self.total:
            raise ItemError(("total",), f"{self.in_person} in person + {self.by_phone} by "
                            f"phone is not {self.total}")
        return self


class Method(Record):
    """How the survey was done (4.1 and Forord)."""

    conducted_by: Text
    period: Text = Field(description="as the report says it, e.g. 'desember 2006'")
    year: int
    month: int = Field(ge=1, le=12)
    mode: Text
    invited: int = Field(gt=0)
    answered: int = Field(gt=0)
    response_rate_printed: int = Field(description="the response rate in percent as printed")
    respondents: Text = Field(description="who was asked, as the report describes them")
    presented: Text
    quote: Text
    interviews: Interviews

    @model_validator(mode="after")
    def _rate(self) -> Method:
        if self.answered > self.invited:
            raise ItemError(("answered",), f"{self.answered} answered but only "
                            f"{self.invited} were invited")
        if round(100 * self.answered / self.invited) != self.response_rate_printed:
            raise ItemError(("response_rate_printed",), "does not match answered / invited")
        return self


class Category(Record):
    """One answer category of the five-point scale."""

    id: Slug
    label: Text
    positive: bool = Field(description="counts as a positive answer (the tier rule)")
    substantive: bool = Field(default=True, description="False for 'Vet ikke/ikke relevant'")


class Provenance(Record):
    """Where an item's counts come from.

    stated: every count follows uniquely from numbers printed in the text;
    reconstructed: the printed numbers (claims in `satisfies`) constrain the counts, the rest
      was chosen to fit the text's words; estimated: no number in the text, chosen to agree
      with its qualitative words.
    """

    kind: Literal["stated", "reconstructed", "estimated"]
    satisfies: list[ClaimId] = Field(default_factory=list, description="claim ids")
    note: Text

    @model_validator(mode="after")
    def _claims_needed(self) -> Provenance:
        if self.kind in ("stated", "reconstructed") and not self.satisfies:
            raise ItemError(("satisfies",), f"a {self.kind} item must list the claims it "
                            "satisfies")
        return self


class Item(Record):
    """One question (one bar in the chart)."""

    id: ItemId
    subproject: SubprojectId | None = None
    heading: Text | None = Field(default=None, description="questionnaire section heading")
    goal: Text | None = Field(default=None, description="the quoted sub-goal (items 1-9)")
    wording: Text = Field(description="the question as worded in Vedlegg 1")
    label: Text = Field(description="the bar label as printed in the table/chart")
    remark: Text | None = Field(default=None, description="an oddity of the source text")
    counts: dict[Slug, int]
    provenance: Provenance

    @field_validator("counts")
    @classmethod
    def _non_negative(cls, counts: dict[str, int]) -> dict[str, int]:
        for key, value in counts.items():
            if value < 0:
                raise ItemError((key,), f"a count cannot be negative (got {value})")
        return counts


class Block(Record):
    """A group of items shown as one table/chart (Tabell 4.1-4.6)."""

    id: Slug
    table: Text = Field(description="table number in the report, e.g. '4.1'")
    caption: Text = Field(description="the table caption as printed")
    section: Text
    heading: Text | None = None
    preamble: Text | None = None
    question: Text | None = Field(default=None, description="shared question of all items")
    comment_prompts: list[Text] = Field(default_factory=list, description="free-text fields")
    items: list[Item] = Field(min_length=1)


class Survey(Record):
    """The whole survey record."""

    method: Method
    scale: list[Category] = Field(min_length=2)
    intro_title: Text
    intro: Text
    respondent_fields: list[Text] = Field(default_factory=list)
    outro: Text
    final_prompt: Text
    blocks: list[Block] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        require_unique(self.scale, "id", at=("scale",))
        require_unique(self.blocks, "id", at=("blocks",))
        known = [c.id for c in self.scale]
        seen: dict[str, tuple[int, int]] = {}
        for b, block in enumerate(self.blocks):
            for i, item in enumerate(block.items):
                where = ("blocks", b, "items", i)
                if item.id in seen:
                    pb, pi = seen[item.id]
                    raise ItemError((*where, "id"), f"duplicate item id {item.id!r} (also "
                                    f"blocks[{pb}].items[{pi}])")
                seen[item.id] = (b, i)
                _check_counts(item, known, self.method.answered, (*where, "counts"))
        return self


def _check_counts(item: Item, known: list[str], n: int, loc: tuple[str | int, ...]) -> None:
    for key in item.counts:
        if key not in known:
            raise ItemError((*loc, key), f"unknown answer category {key!r} (the scale has: "
                            f"{', '.join(known)})")
    missing = [k for k in known if k not in item.counts]
    if missing:
        raise ItemError(loc, f"no count for {', '.join(missing)} (give 0 if nobody chose it)")
    total = sum(item.counts.values())
    if total != n:
        raise ItemError(loc, f"the counts add up to {total}, expected n = {n} "
                        "(method.answered)")
