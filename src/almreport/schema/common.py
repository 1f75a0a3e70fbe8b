"""Small value types shared by the non-survey records: ids, partial dates, quoted text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from almreport.schema.base import Record

# Lower-case ascii slug: "total", "info-samfunn", "kari-broberg".
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]

# Key of a mapping of key figures: "fly_contracts", "export_share_1968".
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

# Non-empty text (after stripping).
Text = Annotated[str, StringConstraints(min_length=1)]

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _to_partial_date(value: object) -> object:
    """Accept YAML dates (2003-06-25 is read as a date) and bare years as well as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        match = _PARTIAL_DATE.match(value)
        if not match:
            raise ValueError("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    return value


# "2004", "2002-09" or "2003-06-25": as precise as the report is, no more.
PartialDate = Annotated[str, BeforeValidator(_to_partial_date)]

Season = Literal["vinter", "vår", "forsommer", "sommer", "høst"]


def date_key(date: str) -> tuple[int, int, int]:
    """Sort key of a PartialDate (missing month/day count as the start of the period)."""
    parts = [int(p) for p in date.split("-")]
    return (parts + [0, 0])[0], (parts + [0, 0])[1], (parts + [0, 0, 0])[2]


class When(Record):
    """A point in time as the report gives it, e.g. date 2006 + season høst = "høsten 2006"."""

    date: PartialDate
    season: Season | None = None

    @model_validator(mode="after")
    def _season_needs_year_only(self) -> When:
        if self.season and "-" in self.date:
            raise ValueError("give either a month/day in `date` or a `season`, not both")
        return self


class Span(Record):
    """A period from `start` to `end` (inclusive, partial dates)."""

    start: PartialDate
    end: PartialDate | None = Field(default=None, description="None: still going")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end is not None and date_key(self.end) < date_key(self.start):
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self


class Event(Record):
    """A dated event the report mentions."""

    when: When
    what: Text
    quote: Text = Field(description="the sentence of the report that states it")
