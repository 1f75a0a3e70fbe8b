"""Key figures: every number the report states, with its unit, precision and source sentence."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from almreport.schema.base import Record
from almreport.schema.common import Text, When

Number = int | float


class Unit(StrEnum):
    """Units the report uses (Norwegian, as they are printed)."""

    KR = "kr"
    MILL_KR = "mill. kr"
    PROSENT = "prosent"
    AAR = "år"
    BEDRIFTER = "bedrifter"
    PROSJEKTER = "prosjekter"
    PRESENTASJONER = "presentasjoner"
    MOETER = "møter"
    ANSATTE = "ansatte"
    PERSONER = "personer"
    ELEVER = "elever"
    STUDENTER = "studenter"
    STUDENTPLASSER = "studentplasser"
    INNBYGGERE = "innbyggere"
    SKOLER = "skoler"
    AVDELINGER = "avdelinger"
    INSTITUTT = "institutt"
    DAGER = "dager"
    SAMLINGER = "samlinger"
    KLYNGER = "klynger"
    MILL_KNIVER = "mill. kniver"
    ANDEL = "andel"  # a fraction such as 2/3, given as a decimal


MONEY_FACTOR = {Unit.KR: 1, Unit.MILL_KR: 1_000_000}


class KeyFigure(Record):
    """One number (or range) as the report states it.

    `approx` is true when the text hedges the number ("ca.", "om lag", "rundt", "nærmere",
    "vel", "knapt"); `bound` says which side the true value lies on when the text says so
    ("over", "mer enn", "vel" -> over; "nærmere", "knapt" -> under).
    """

    value: Number | None = None
    min: Number | None = None
    max: Number | None = None
    unit: Unit
    per: Literal["år", "uke"] | None = Field(default=None, description="a rate: kr per år")
    approx: bool = False
    bound: Literal["over", "under"] | None = None
    when: When | None = None
    quote: Text = Field(description="the sentence of the report that states the number")

    @model_validator(mode="after")
    def _value_or_range(self) -> KeyFigure:
        has_range = self.min is not None or self.max is not None
        if self.value is None and not has_range:
            raise ValueError("give either `value` or `min` and `max`")
        if self.value is not None and has_range:
            raise ValueError("give either `value` or `min`/`max`, not both")
        if has_range and (self.min is None or self.max is None):
            raise ValueError("a range needs both `min` and `max`")
        if has_range and self.min > self.max:  # type: ignore[operator]
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self

    @property
    def low(self) -> Number:
        return self.value if self.value is not None else self.min  # type: ignore[return-value]

    @property
    def high(self) -> Number:
        return self.value if self.value is not None else self.max  # type: ignore[return-value]

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    def in_kroner(self) -> float:
        """The (middle) amount in kroner; only for money."""
        if self.unit not in MONEY_FACTOR:
            raise ValueError(f"{self.unit} is not an amount of money")
        return self.mid * MONEY_FACTOR[self.unit]


def unit_is(*units: Unit) -> Callable[[KeyFigure], KeyFigure]:
    """AfterValidator: the figure must be in one of `units` (typed key-figure fields)."""

    def check(figure: KeyFigure) -> KeyFigure:
        if figure.unit not in units:
            allowed = " or ".join(repr(u.value) for u in units)
            raise ValueError(f"unit must be {allowed} (got {figure.unit.value!r})")
        return figure

    return check


# Typed key-figure fields: the unit is part of the field's type.
Money = Annotated[KeyFigure, AfterValidator(unit_is(Unit.KR, Unit.MILL_KR))]
Firms = Annotated[KeyFigure, AfterValidator(unit_is(Unit.BEDRIFTER))]
Projects = Annotated[KeyFigure, AfterValidator(unit_is(Unit.PROSJEKTER))]
Employees = Annotated[KeyFigure, AfterValidator(unit_is(Unit.ANSATTE))]
Percent = Annotated[KeyFigure, AfterValidator(unit_is(Unit.PROSENT))]
Years = Annotated[KeyFigure, AfterValidator(unit_is(Unit.AAR))]
