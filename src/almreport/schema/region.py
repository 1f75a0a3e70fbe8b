"""The regional background (chapter 2): industrial phases, the industrial park, the schools,
the challenges of the cluster and dated events."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from almreport.schema.base import ItemError, Record, require_unique
from almreport.schema.common import Event, Id, Key, Span, Text, When
from almreport.schema.figure import Employees, Firms, KeyFigure, Years


class IndustrialPhase(Record):
    """One phase of Figur 2.1."""

    number: int = Field(ge=1)
    start: int
    end: int | None = Field(description="None: the phase is still going")
    name: Text
    name_source: Text = Field(description="where the name comes from")
    description: Text

    @model_validator(mode="after")
    def _ordered(self) -> IndustrialPhase:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"the phase ends ({self.end}) before it starts ({self.start})")
        return self


class IndustrialPark(Record):
    """Raufoss Industripark (RI) and the firms around it (2.1.2, Figur 2.2)."""

    year: int
    firms: Firms
    production_firms: Firms
    service_firms: Firms
    firms_outside: Firms
    fragmented_environment: Firms = Field(description="'et fragmentert miljø av 40-50 bedrifter'")

    @model_validator(mode="after")
    def _parts_make_whole(self) -> IndustrialPark:
        parts = self.production_firms.high + self.service_firms.high
        if parts != self.firms.high:
            raise ItemError(
                ("firms",),
                f"{self.production_firms.high} production + {self.service_firms.high} service "
                f"firms is {parts}, not {self.firms.high}",
            )
        return self


class School(Record):
    id: Id
    name: Text
    acronym: Text | None = None
    established: When
    students: KeyFigure | None = None
    employees: Employees | None = None
    other_figures: dict[Key, KeyFigure] = Field(default_factory=dict)
    facts: list[Text] = Field(default_factory=list)


class ClusterStage(Record):
    """One stage of Figur 2.2 ("Fra RA via industripark til en dynamisk klynge?")."""

    name: Text = Field(description="as printed in the figure: 'RA', 'Industripark', ...")
    period: Text = Field(description="as the text dates it: 'frem til 1997', 'fra 1997'")
    description: Text
    possible: bool = Field(default=False, description="an open question, not yet reached")
    start: int | None = Field(default=None, description="first year, as in `period` ('fra 1997')")
    end: int | None = Field(default=None, description="last year, as in `period` ('frem til 1997')")
    quote: Text = Field(description="the sentence of 2.3 the stage is taken from")

    @model_validator(mode="after")
    def _years_in_period(self) -> ClusterStage:
        # The years are the numbers of `period`; keep the two from drifting apart.
        for field in ("start", "end"):
            year = getattr(self, field)
            if year is not None and str(year) not in self.period:
                raise ItemError((field,), f"{year} does not occur in period {self.period!r}")
        return self


class Crisis(Record):
    """The crisis in the Raufoss environment (Raufoss ASA and RTIM) that preceded ALM."""

    period: Span
    quotes: list[Text] = Field(min_length=1, description="the sentences that date it")


class Challenge(Record):
    """One of the four challenges of 2.3 (Figur 2.3)."""

    label: Text = Field(description="short heading for the figure, in the text's words")
    text: Text


class Region(Record):
    """data/region.yaml"""

    name: Text
    history_span: Years = Field(description="'de siste 260 årene'")
    phases: list[IndustrialPhase] = Field(min_length=1)
    park: IndustrialPark
    report_year: int = Field(
        description="the report's own year (NIBR-rapport 2007:9): an ongoing phase is drawn to it"
    )
    cluster_stages: list[ClusterStage] = Field(
        min_length=3, max_length=3,
        description="Figur 2.2: one integrated company -> the industrial park -> a cluster",
    )
    crisis: Crisis
    challenges: list[Challenge] = Field(min_length=1, description="2.3 / Figur 2.3")
    challenges_lead_to: Text
    schools: list[School]
    figures: dict[Key, KeyFigure] = Field(description="other numbers of chapter 2")
    events: list[Event]

    @field_validator("phases")
    @classmethod
    def _phases_follow(cls, phases: list[IndustrialPhase]) -> list[IndustrialPhase]:
        for i, (a, b) in enumerate(zip(phases, phases[1:], strict=False), start=1):
            if b.number != a.number + 1:
                raise ItemError((i, "number"), f"expected phase {a.number + 1}")
            if a.end != b.start:
                raise ItemError((i, "start"), f"should start when phase {a.number} ends ({a.end})")
        return phases

    @model_validator(mode="after")
    def _report_after_phases(self) -> Region:
        last = self.phases[-1]
        if self.report_year < (last.end if last.end is not None else last.start):
            raise ItemError(("report_year",), f"before the last phase ({last.start})")
        return self

    @field_validator("schools")
    @classmethod
    def _unique_schools(cls, schools: list[School]) -> list[School]:
        require_unique(schools, "school id")
        return schools


