"""The evaluated project Arena Lettmetall (ALM): pre-project, main project, funding, phases,
the relation to NCE Raufoss, and the evaluation itself."""

from __future__ import annotations

from pydantic import Field, model_validator

from almreport.schema.base import ItemError, Record
from almreport.schema.common import Event, Id, Key, PartialDate, Span, Text, When, date_key
from almreport.schema.figure import KeyFigure, Money, Years
from almreport.schema.subprojects import SubprojectId


class PreSubproject(Record):
    """A sub-project of the pre-project (forprosjekt)."""

    name: Text
    subproject: SubprojectId | None = Field(description="the main-project sub-project it became")
    text: Text


class Forprosjekt(Record):
    period: Span
    application: When = Field(description="when the application was written")
    application_by: list[Id] = Field(min_length=1, description="person ids")
    goal: Text = Field(description="hovedmål, as quoted")
    subprojects: list[PreSubproject] = Field(min_length=1)
    total_note: Text = Field(description="TotAl's place in the pre-project")
    experiences: list[Text] = Field(min_length=1, description="'erfaringer' bullets (3.2.3)")


class Funding(Record):
    """Arena funding of the main project; totals are derived, not stored."""

    per_year: Money
    years: Years
    used_for: Text

    @property
    def total(self) -> KeyFigure:
        """per year x years, in the unit of `per_year` (the report: 'i alt totalt 6 mill. kr')."""
        return KeyFigure(
            value=self.per_year.value * self.years.value,  # type: ignore[operator]
            unit=self.per_year.unit, approx=self.per_year.approx, quote=self.per_year.quote,
        )


class Extension(Record):
    original_duration: Years
    extension: Years
    extended_to: PartialDate
    quote: Text


class Phase(Record):
    year: int = Field(ge=2004, le=2006)
    label: Text | None = Field(default=None, description="e.g. 'overgangsfase'")
    focus: list[Text] = Field(min_length=1)


class NceRequirement(Record):
    requirement: Text
    met_by: Text = Field(description="as printed in brackets, e.g. 'RTIM og SINTEF'")
    organisations: list[Id]


class NceRelation(Record):
    name: Text
    organisation: Id
    focus: Text
    expert_centre_pre_project: When = Field(description="Raufoss chosen for the pre-project")
    awarded: When
    main_project_start: When
    hoped_to_last_until: PartialDate
    application_by: list[Id] = Field(description="person ids who wrote the pre-project application")
    requirements: list[NceRequirement] = Field(min_length=1)
    overlap: Text


class ProgrammeEffect(Record):
    """4.6.2: what ALM did for one of the Arena programme's sub-goals."""

    sub_goal: int = Field(ge=1, description="1-based index into programme.sub_goals")
    heading: Text
    points: list[Text] = Field(min_length=1)


class Evaluation(Record):
    evaluators: list[Id] = Field(min_length=1, description="organisation ids")
    author: Id
    survey_by: Id
    questions: list[Text] = Field(min_length=1, description="the problemstillinger of 4.1")
    sources: list[Text] = Field(min_length=1, description="the four sources of insight")
    # interviews and survey sample: survey.yaml (method)
    followed_years: Years = Field(description="the evaluator followed the project so long")
    survey_presented: Event = Field(description="the survey results shown to the steering group")
    seminar: Event
    foreword: Event


class Project(Record):
    """data/project.yaml"""

    name: Text
    short: Text
    programme: Id
    owner: Id = Field(description="organisation id of the project owner")
    driver: Id = Field(description="organisation id of the driver")
    area: Text
    forprosjekt: Forprosjekt
    period: Span
    started_note: Text
    goal: Text = Field(description="mål, as printed")
    purpose: Text = Field(description="hensikt, as printed")
    base: list[Id] = Field(description="organisations the work starts from (RTIM, GKP, TotAl)")
    philosophy: Text
    funding: Funding
    extension: Extension
    phases: list[Phase] = Field(min_length=1)
    nce: NceRelation
    programme_effects: list[ProgrammeEffect]
    events: list[Event] = Field(default_factory=list)
    figures: dict[Key, KeyFigure] = Field(
        default_factory=dict, description="other numbers about the project"
    )
    evaluation: Evaluation

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        pre, main = self.forprosjekt.period, self.period
        if pre.end and date_key(pre.end) > date_key(main.start):
            raise ItemError(("forprosjekt", "period", "end"), "ends after the main project starts")
        ext = self.extension
        if ext.original_duration.high + ext.extension.high != self.funding.years.high:
            raise ItemError(
                ("extension", "extension"),
                f"{ext.original_duration.high} + {ext.extension.high} years is not the "
                f"{self.funding.years.high} funded years",
            )
        years = [p.year for p in self.phases]
        if years != sorted(set(years)):
            raise ItemError(("phases",), "give each year once, in order")
        return self
