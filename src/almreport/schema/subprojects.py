"""The nine sub-projects (delprosjekter) of the main project, one record file each.

Every sub-project shares :class:`SubprojectBase`; the key figures differ, so each id has its own
model with typed figure fields (the unit is part of the type) and consistency checks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from almreport.schema.base import ItemError, Record
from almreport.schema.common import Event, Id, Text, When
from almreport.schema.figure import (
    Employees,
    Firms,
    KeyFigure,
    Money,
    Percent,
    Projects,
    Unit,
    Years,
    unit_is,
)

SubprojectId = Literal[
    "total", "risc", "naa", "fou", "kommersialisering", "funding", "info-samfunn",
    "intraprenorskap", "skandinavisk",
]
SUBPROJECT_IDS: tuple[str, ...] = SubprojectId.__args__  # type: ignore[attr-defined]

Meetings = Annotated[KeyFigure, AfterValidator(unit_is(Unit.MOETER))]
Presentations = Annotated[KeyFigure, AfterValidator(unit_is(Unit.PRESENTASJONER))]
Persons = Annotated[KeyFigure, AfterValidator(unit_is(Unit.PERSONER))]


class Activity(Record):
    """One activity of a sub-project; `name` when the report names it (e.g. "TotAl-Fly")."""

    name: Text | None = None
    text: Text


class SubprojectBase(Record):
    """What the report says about every sub-project (section 4.4.x)."""

    id: SubprojectId
    short_name: Text = Field(description="as the report mostly writes it, e.g. 'RISC'")
    long_name: Text
    aliases: list[Text] = Field(default_factory=list, description="other names in the text")
    section: Annotated[str, StringConstraints(pattern=r"^4\.4\.[1-9]$")]
    in_forprosjekt: bool = Field(description="worked on already in the pre-project 2002-2003")
    from_start: bool = Field(description="part of the main project from January 2004")
    start_note: Text | None = Field(default=None, description="e.g. 'ikke med fra starten'")
    started: When | None = None
    ended: When | None = None
    replaced_by: SubprojectId | None = None
    goal: Text = Field(description="the goal (mål) in the report's words")
    goal_quoted: bool = Field(description="the report quotes the goal (”…”)")
    targets: list[Text] = Field(default_factory=list, description="concrete målsettinger")
    activities: list[Activity] = Field(default_factory=list)
    contributions: list[Text] = Field(description="'ALM har bidratt til' bullets")
    continuation: Text = Field(description="how it goes on after ALM ('videreføres ...')")
    continued_by: list[Id] = Field(description="organisation ids that carry it on")
    leader: Id | None = Field(description="person id of the sub-project leader (prosjektgruppa)")
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _start_consistent(self) -> SubprojectBase:
        if not self.from_start and self.start_note is None:
            raise ValueError("a sub-project not there from the start needs a `start_note`")
        if self.replaced_by == self.id:
            raise ItemError(("replaced_by",), "a sub-project cannot replace itself")
        if self.replaced_by and self.ended is None:
            raise ItemError(("ended",), "a replaced sub-project needs `ended`")
        return self


class NoFigures(Record):
    """Sub-projects for which the report states no numbers of their own."""


# --- TotAl ---------------------------------------------------------------------------------


class TotalFigures(Record):
    get_to_know_meetings: Meetings = Field(description="'bli kjent'-møter per år")
    get_to_know_years: Years = Field(description="over the last 3-4 years")
    iso_certified: Firms
    fly_pre_project_firms: Firms
    fly_main_project_firms: Firms
    fly_presentations: Presentations
    fly_contracts: Money
    fly_initial_support: Money
    manager_sponsor_firms: Firms = Field(description="firms that part-financed the manager")
    manager_position: Percent = Field(description="the part-time manager's position share")

    @model_validator(mode="after")
    def _fly_grew(self) -> TotalFigures:
        if self.fly_main_project_firms.low < self.fly_pre_project_firms.high:
            raise ItemError(
                ("fly_main_project_firms",),
                "TotAl-Fly was widened: the main project cannot have fewer firms than the "
                f"pre-project ({self.fly_pre_project_firms.high})",
            )
        if self.fly_contracts.in_kroner() <= self.fly_initial_support.in_kroner():
            raise ItemError(("fly_contracts",), "contracts should exceed the initial support")
        return self


class TotalSubproject(SubprojectBase):
    id: Literal["total"]
    figures: TotalFigures


# --- RISC ----------------------------------------------------------------------------------


class RiscFigures(Record):
    projects: Projects = Field(description="projects RISC has worked with in the period")
    on_ice: Projects
    moved_out_as_companies: Projects
    companies_still_inside: Projects = Field(description="of those still in the incubator")
    target_new_firms: Firms
    siva_base_funding: Money
    siva_funding_years: Years
    rent_support: Money
    in_grant_2005: Money
    too_early_years: Years = Field(description="'kom RISC 2-3 år for tidlig'")

    @model_validator(mode="after")
    def _counts_add_up(self) -> RiscFigures:
        out = self.on_ice.high + self.moved_out_as_companies.high
        if out > self.projects.low:
            raise ItemError(
                ("moved_out_as_companies",),
                f"on ice + moved out ({out}) is more than all projects ({self.projects.low})",
            )
        if self.companies_still_inside.high > self.projects.low - out:
            raise ItemError(
                ("companies_still_inside",),
                f"more companies inside ({self.companies_still_inside.high}) than projects "
                f"still in the incubator ({self.projects.low - out})",
            )
        return self

    @property
    def still_inside(self) -> int:
        """Projects still in the incubator (the report says 'de øvrige')."""
        return int(self.projects.value - self.on_ice.value - self.moved_out_as_companies.value)

    @property
    def still_projects(self) -> int:
        """Of those inside, the ones that have not formed a company ('resten')."""
        return self.still_inside - int(self.companies_still_inside.value)

    @property
    def companies(self) -> int:
        """New companies: moved out as companies + companies still inside."""
        return int(self.moved_out_as_companies.value + self.companies_still_inside.value)


class RiscSubproject(SubprojectBase):
    id: Literal["risc"]
    figures: RiscFigures


# --- NAA, Kommersialisering, Intraprenørskap, Skandinavisk ---------------------------------


class NaaSubproject(SubprojectBase):
    id: Literal["naa"]
    figures: NoFigures = Field(default_factory=NoFigures)


class KommersialiseringFigures(Record):
    internationalisation_firms: Firms = Field(description="firms that went on with the plans")


class KommersialiseringSubproject(SubprojectBase):
    id: Literal["kommersialisering"]
    figures: KommersialiseringFigures


class IntraprenorskapSubproject(SubprojectBase):
    id: Literal["intraprenorskap"]
    figures: NoFigures = Field(default_factory=NoFigures)


class SkandinaviskSubproject(SubprojectBase):
    id: Literal["skandinavisk"]
    figures: NoFigures = Field(default_factory=NoFigures)


# --- FoU -----------------------------------------------------------------------------------


class FouFigures(Record):
    target_network_projects: Projects
    rtim_network_projects: Projects = Field(description="'mer en 10 nettverksinitierte'")
    rtim_project_value: Money
    rtim_project_horizon: Years
    idesok_rtim_mentors: Employees
    idesok_sintef_mentors: Persons
    idesok_duration: Years
    komsam_grant: Money


class FouSubproject(SubprojectBase):
    id: Literal["fou"]
    figures: FouFigures


# --- Funding -------------------------------------------------------------------------------


class FundingFigures(Record):
    fund_need: Money = Field(description="estimated need for a fund (a range)")
    fund_target: Money
    county_grant: Money

    @model_validator(mode="after")
    def _grant_within_fund(self) -> FundingFigures:
        if self.county_grant.in_kroner() > self.fund_target.in_kroner():
            raise ItemError(("county_grant",), "the county grant is larger than the whole fund")
        return self


class FundingSubproject(SubprojectBase):
    id: Literal["funding"]
    figures: FundingFigures


# --- Informasjon og samfunnskontakt --------------------------------------------------------


class InfoSamfunnFigures(Record):
    """The profiling project 'Industrimiljøet i Gjøvik-regionen'."""

    county_grant: Money
    companies_match_county: bool = Field(description="'tilsvarende beløp fra bedrifter'")
    park_owners: Money
    total: Money

    @property
    def parts_in_kroner(self) -> float:
        county = self.county_grant.in_kroner()
        firms = county if self.companies_match_county else 0.0
        return county + firms + self.park_owners.in_kroner()

    @model_validator(mode="after")
    def _parts_make_total(self) -> InfoSamfunnFigures:
        total = self.total.in_kroner()
        tolerance = 0.1 if self.total.approx else 0.0
        if abs(self.parts_in_kroner - total) > tolerance * total:
            raise ItemError(
                ("total",),
                f"the parts add up to {self.parts_in_kroner:,.0f} kr, not about {total:,.0f} kr",
            )
        return self


class InfoSamfunnSubproject(SubprojectBase):
    id: Literal["info-samfunn"]
    figures: InfoSamfunnFigures


SUBPROJECT_MODELS: dict[str, type[SubprojectBase]] = {
    "total": TotalSubproject,
    "risc": RiscSubproject,
    "naa": NaaSubproject,
    "fou": FouSubproject,
    "kommersialisering": KommersialiseringSubproject,
    "funding": FundingSubproject,
    "info-samfunn": InfoSamfunnSubproject,
    "intraprenorskap": IntraprenorskapSubproject,
    "skandinavisk": SkandinaviskSubproject,
}

Subproject = Annotated[
    TotalSubproject | RiscSubproject | NaaSubproject | FouSubproject
    | KommersialiseringSubproject | FundingSubproject | InfoSamfunnSubproject
    | IntraprenorskapSubproject | SkandinaviskSubproject,
    Field(discriminator="id"),
]
