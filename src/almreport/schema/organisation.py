"""People, organisations, acronyms and the project's groups (steering group, project group)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from almreport.schema.base import ItemError, Record, require_unique
from almreport.schema.common import Id, Text, When
from almreport.schema.figure import Employees, Percent

ExpansionSource = Literal["text", "general"]

OrgKind = Literal[
    "bedrift", "bedriftsnettverk", "forskning", "utdanning", "offentlig", "virkemiddelapparat",
    "innovasjonsselskap", "inkubator", "næringsråd", "prosjekt", "program", "bransjeorganisasjon",
    "finans", "arbeidslivsorganisasjon",
]


class Person(Record):
    id: Id
    given_name: Text | None = Field(default=None, description="None when the report omits it")
    family_name: Text
    title: Text | None = Field(default=None, description="e.g. 'forskningssjef'")
    note: Text | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}" if self.given_name else self.family_name


class _Expandable(Record):
    """An acronym and what it stands for, with where the expansion comes from."""

    acronym: Text | None = None
    expansion: Text | None = None
    expansion_source: ExpansionSource | None = Field(
        default=None, description="text: the report expands it; general: well-known expansion"
    )

    @model_validator(mode="after")
    def _source_iff_expansion(self) -> _Expandable:
        if (self.expansion is None) != (self.expansion_source is None):
            raise ValueError("give `expansion` and `expansion_source` together")
        if self.expansion is not None and self.acronym is None:
            raise ValueError("an `expansion` needs an `acronym`")
        return self


class Ownership(Record):
    owners: list[Id] = Field(min_length=1, description="organisation ids sharing this part")
    share: Percent


class Organisation(_Expandable):
    id: Id
    name: Text
    aliases: list[Text] = Field(default_factory=list, description="other spellings in the text")
    kind: OrgKind
    established: When | None = None
    employees: Employees | None = None
    ownership: list[Ownership] = Field(default_factory=list)
    note: Text | None = None

    @field_validator("ownership")
    @classmethod
    def _shares_make_whole(cls, parts: list[Ownership]) -> list[Ownership]:
        if not parts:
            return parts
        total = sum(p.share.mid for p in parts)
        slack = 2.0 if any(p.share.approx for p in parts) else 0.0
        if abs(total - 100) > slack:
            raise ItemError((), f"the ownership shares add up to {total:g} %, not 100 %")
        return parts


class Term(_Expandable):
    """An acronym or abbreviation that is not an organisation (IPR, SMB, TAF, ...)."""

    acronym: Text
    note: Text | None = None


class Member(Record):
    person: Id
    affiliation: Text | None = Field(description="as printed in the report, e.g. 'NIBR/VS2010'")
    organisations: list[Id] = Field(description="ids of the affiliation ([] for 'selvstendig')")
    role: Text | None = Field(default=None, description="as printed, e.g. 'leder'")


class Group(Record):
    id: Id
    name: Text
    project: Literal["forprosjekt", "hovedprosjekt"]
    as_of: When | None = None
    members: list[Member] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _each_person_once(cls, members: list[Member]) -> list[Member]:
        seen: set[str] = set()
        for i, member in enumerate(members):
            if member.person in seen:
                raise ItemError((i, "person"), f"{member.person!r} is listed twice")
            seen.add(member.person)
        return members


class OrganisationRecord(Record):
    """data/organisation.yaml"""

    persons: list[Person]
    organisations: list[Organisation]
    terms: list[Term]
    groups: list[Group]

    @field_validator("persons", "organisations", "groups")
    @classmethod
    def _unique(cls, items: list, info) -> list:  # type: ignore[no-untyped-def]
        require_unique(items, f"{info.field_name.rstrip('s')} id")
        return items

    @field_validator("terms")
    @classmethod
    def _unique_terms(cls, terms: list[Term]) -> list[Term]:
        require_unique(terms, "acronym", key="acronym")
        return terms

    @model_validator(mode="after")
    def _acronyms_once(self) -> OrganisationRecord:
        orgs = {o.acronym: i for i, o in enumerate(self.organisations) if o.acronym}
        for i, term in enumerate(self.terms):
            if term.acronym in orgs:
                raise ItemError(
                    ("terms", i, "acronym"), f"{term.acronym!r} is already an organisation"
                )
        return self

    @model_validator(mode="after")
    def _members_known(self) -> OrganisationRecord:
        persons = {p.id for p in self.persons}
        orgs = {o.id for o in self.organisations}
        for g, group in enumerate(self.groups):
            for m, member in enumerate(group.members):
                where = ("groups", g, "members", m)
                if member.person not in persons:
                    raise ItemError((*where, "person"), f"unknown person {member.person!r}")
                for k, org in enumerate(member.organisations):
                    if org not in orgs:
                        where = (*where, "organisations", k)
                        raise ItemError(where, f"unknown organisation {org!r}")
        for o, org in enumerate(self.organisations):
            for p, part in enumerate(org.ownership):
                for k, owner in enumerate(part.owners):
                    if owner not in orgs:
                        where = ("organisations", o, "ownership", p, "owners", k)
                        raise ItemError(where, f"unknown organisation {owner!r}")
        return self

    def person(self, person_id: str) -> Person:
        return next(p for p in self.persons if p.id == person_id)

    def organisation(self, org_id: str) -> Organisation:
        return next(o for o in self.organisations if o.id == org_id)

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)
