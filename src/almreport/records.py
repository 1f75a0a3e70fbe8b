"""Load every record file in data/ and check the references between them.

    records = load_all(root)          # raises loader.RecordError listing every problem
    records.subprojects["risc"].figures.projects.value   # -> 21

Each file is validated by its own model (``file:line: field: problem``); then the cross-file
checks run: people, organisations and sub-projects referred to must exist, a sub-project file
must be named after its id, sections are unique, every sub-project has one survey item, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from almreport.loader import (
    LineMap,
    Problem,
    RecordError,
    display_path,
    format_loc,
    load_record,
    load_record_with_lines,
)
from almreport.schema.claims import Claims
from almreport.schema.edits import Edits
from almreport.schema.organisation import Organisation, OrganisationRecord, Person
from almreport.schema.programme import Programme
from almreport.schema.project import Project
from almreport.schema.region import Region
from almreport.schema.subprojects import SUBPROJECT_MODELS, Subproject, SubprojectBase
from almreport.schema.survey import Survey

DATA = Path("data")
FILES: dict[str, tuple[Path, type[BaseModel]]] = {
    "project": (DATA / "project.yaml", Project),
    "programme": (DATA / "programme.yaml", Programme),
    "organisation": (DATA / "organisation.yaml", OrganisationRecord),
    "region": (DATA / "region.yaml", Region),
    "survey": (DATA / "survey.yaml", Survey),
    "claims": (DATA / "claims.yaml", Claims),
    "edits": (DATA / "edits.yaml", Edits),
}
SUBPROJECT_DIR = DATA / "subprojects"

# Schema name (schemas/<name>.schema.json) -> model, for the JSON-schema export.
SCHEMA_MODELS: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
    "project": Project,
    "programme": Programme,
    "organisation": OrganisationRecord,
    "region": Region,
    "subproject": TypeAdapter(Subproject),
}


class _Lookups:
    """Look-ups shared by `Records` and `LazyRecords`."""

    organisation: OrganisationRecord

    def subproject(self, subproject_id: str) -> SubprojectBase:
        return self.subprojects[subproject_id]  # type: ignore[attr-defined]

    def person(self, person_id: str) -> Person:
        return self.organisation.person(person_id)

    def org(self, org_id: str) -> Organisation:
        return self.organisation.organisation(org_id)

    def leader(self, subproject_id: str) -> Person | None:
        leader = self.subproject(subproject_id).leader
        return self.person(leader) if leader else None


@dataclass(frozen=True)
class Records(_Lookups):
    """Every record of the report, validated and cross-checked."""

    root: Path
    project: Project
    programme: Programme
    organisation: OrganisationRecord
    region: Region
    subprojects: dict[str, SubprojectBase]  # id -> record, in section order (4.4.1 ... 4.4.9)
    survey: Survey
    claims: Claims
    edits: Edits


class LazyRecords(_Lookups):
    """The same records, each file read on first use. For chapters: a chapter then reads only
    the files it uses, so the build re-executes it only when one of those changes. The checks
    across files are `load_all`'s, which the build runs (as its check hook) before executing."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._files: dict[str, Any] = {}

    def _file(self, name: str) -> Any:
        if name not in self._files:
            rel, model = FILES[name]
            self._files[name] = load_record(self.root / rel, model, root=self.root)
        return self._files[name]

    project = property(lambda self: self._file("project"))
    programme = property(lambda self: self._file("programme"))
    organisation = property(lambda self: self._file("organisation"))  # type: ignore[assignment]
    region = property(lambda self: self._file("region"))
    survey = property(lambda self: self._file("survey"))
    claims = property(lambda self: self._file("claims"))
    edits = property(lambda self: self._file("edits"))

    def subproject(self, subproject_id: str) -> SubprojectBase:
        key = f"subproject:{subproject_id}"
        if key not in self._files:
            model = SUBPROJECT_MODELS[subproject_id]
            path = self.root / SUBPROJECT_DIR / f"{subproject_id}.yaml"
            self._files[key] = load_record(path, model, root=self.root)
        return self._files[key]

    @property
    def subprojects(self) -> dict[str, SubprojectBase]:
        """Every sub-project, in section order (4.4.1 ... 4.4.9)."""
        subs = [self.subproject(sub_id) for sub_id in SUBPROJECT_MODELS]
        subs.sort(key=lambda sub: int(sub.section.rsplit(".", 1)[1]))
        return {sub.id: sub for sub in subs}


@dataclass
class _Loaded:
    model: Any
    path: Path
    lines: LineMap


def load_all(root: Path) -> Records:
    """Load and cross-check all record files under `root`. Raises RecordError."""
    root = Path(root).resolve()
    errors: list[RecordError] = []
    loaded: dict[str, _Loaded] = {}
    for name, (rel, model) in FILES.items():
        _try(errors, loaded, name, root / rel, model, root)
    subs = _load_subprojects(root, errors)
    if errors:
        raise RecordError.merge(errors)
    problems = _Checker(root, loaded, subs).run()
    if problems:
        raise RecordError(problems)
    ordered = sorted(subs.values(), key=lambda s: int(s.model.section.rsplit(".", 1)[1]))
    return Records(
        root=root,
        project=loaded["project"].model,
        programme=loaded["programme"].model,
        organisation=loaded["organisation"].model,
        region=loaded["region"].model,
        subprojects={s.model.id: s.model for s in ordered},
        survey=loaded["survey"].model,
        claims=loaded["claims"].model,
        edits=loaded["edits"].model,
    )


def _try(errors: list[RecordError], out: dict[str, _Loaded], name: str, path: Path,
         model: type[BaseModel], root: Path) -> None:
    try:
        record, lines = load_record_with_lines(path, model, root=root)
    except RecordError as err:
        errors.append(err)
    else:
        out[name] = _Loaded(record, path, lines)


def _load_subprojects(root: Path, errors: list[RecordError]) -> dict[str, _Loaded]:
    folder = root / SUBPROJECT_DIR
    subs: dict[str, _Loaded] = {}
    found = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    for path in found:
        model = SUBPROJECT_MODELS.get(path.stem)
        if model is None:
            known = ", ".join(SUBPROJECT_MODELS)
            errors.append(RecordError([Problem(
                display_path(path, root), None, "",
                f"unknown sub-project file: the name must be one of {known} (+ .yaml)",
            )]))
            continue
        _try(errors, subs, path.stem, path, model, root)
    for missing in sorted(set(SUBPROJECT_MODELS) - {p.stem for p in found}):
        errors.append(RecordError([Problem(
            display_path(folder / f"{missing}.yaml", root), None, "", "sub-project file is missing",
        )]))
    return subs


class _Checker:
    """The references between files; collects every problem instead of stopping at the first."""

    def __init__(self, root: Path, loaded: dict[str, _Loaded], subs: dict[str, _Loaded]) -> None:
        self.root = root
        self.loaded = loaded
        self.subs = subs
        self.problems: list[Problem] = []
        org: OrganisationRecord = loaded["organisation"].model
        self.persons = {p.id for p in org.persons}
        self.orgs = {o.id for o in org.organisations}

    def run(self) -> list[Problem]:
        self._subprojects()
        self._project()
        self._programme()
        self._survey()
        return self.problems

    def fail(self, rec: _Loaded, loc: tuple[str | int, ...], problem: str) -> None:
        field = format_loc(loc)
        shown = display_path(rec.path, self.root)
        self.problems.append(Problem(shown, rec.lines.line_of(loc), field, problem))

    def refs(self, rec: _Loaded, loc: tuple[str | int, ...], ids: list[str] | str | None,
             known: set[str], what: str) -> None:
        """Every id at `loc` (one id or a list) must be in `known`."""
        if ids is None:
            return
        many = isinstance(ids, list)
        for i, ref in enumerate(ids if many else [ids]):
            if ref not in known:
                self.fail(rec, (*loc, i) if many else loc, f"unknown {what} {ref!r}")

    # --- per file --------------------------------------------------------------------------

    def _subprojects(self) -> None:
        sections: dict[str, str] = {}
        names: dict[str, str] = {}
        group = self._project_group()
        for stem, rec in self.subs.items():
            sub: SubprojectBase = rec.model
            if sub.id != stem:
                self.fail(rec, ("id",), f"the id must match the file name ({stem!r})")
            for key, seen, value in (("section", sections, sub.section),
                                     ("short_name", names, sub.short_name)):
                if value in seen:
                    self.fail(rec, (key,), f"duplicate {key} {value!r} (also in {seen[value]})")
                seen[value] = f"{stem}.yaml"
            self.refs(rec, ("leader",), sub.leader, self.persons, "person")
            if sub.leader in self.persons and group is not None and sub.leader not in group:
                self.fail(rec, ("leader",), f"{sub.leader!r} is not in the project group")
            self.refs(rec, ("continued_by",), sub.continued_by, self.orgs, "organisation")
            if sub.replaced_by:
                self._replacement(rec, sub.replaced_by)

    def _project_group(self) -> set[str] | None:
        org: OrganisationRecord = self.loaded["organisation"].model
        groups = [g for g in org.groups if g.id == "prosjektgruppe"]
        return {m.person for m in groups[0].members} if groups else None

    def _replacement(self, rec: _Loaded, target: str) -> None:
        other = self.subs.get(target)
        if other is None:
            self.fail(rec, ("replaced_by",), f"unknown sub-project {target!r}")
        elif other.model.from_start:
            self.fail(rec, ("replaced_by",),
                      f"{target!r} replaces it, so it cannot have been there from the start")

    def _project(self) -> None:
        rec = self.loaded["project"]
        p: Project = rec.model
        programme: Programme = self.loaded["programme"].model
        if p.programme != programme.id:
            self.fail(rec, ("programme",), f"unknown programme {p.programme!r}")
        orgs: list[tuple[tuple[str | int, ...], Any]] = [
            (("owner",), p.owner), (("driver",), p.driver), (("base",), p.base),
            (("nce", "organisation"), p.nce.organisation),
            (("evaluation", "evaluators"), p.evaluation.evaluators),
        ]
        orgs += [(("nce", "requirements", i, "organisations"), r.organisations)
                 for i, r in enumerate(p.nce.requirements)]
        for loc, ids in orgs:
            self.refs(rec, loc, ids, self.orgs, "organisation")
        people = [
            (("forprosjekt", "application_by"), p.forprosjekt.application_by),
            (("nce", "application_by"), p.nce.application_by),
            (("evaluation", "author"), p.evaluation.author),
            (("evaluation", "survey_by"), p.evaluation.survey_by),
        ]
        for loc, ids in people:
            self.refs(rec, loc, ids, self.persons, "person")
        for i, pre in enumerate(p.forprosjekt.subprojects):
            loc = ("forprosjekt", "subprojects", i, "subproject")
            self.refs(rec, loc, pre.subproject, set(self.subs), "sub-project")
        for i, effect in enumerate(p.programme_effects):
            if effect.sub_goal > len(programme.sub_goals):
                self.fail(rec, ("programme_effects", i, "sub_goal"),
                          f"the programme has only {len(programme.sub_goals)} sub-goals")

    def _programme(self) -> None:
        rec = self.loaded["programme"]
        prog: Programme = rec.model
        self.refs(rec, ("partners",), prog.partners, self.orgs, "organisation")
        self.refs(rec, ("administered_by",), prog.administered_by, self.orgs, "organisation")

    def _survey(self) -> None:
        rec = self.loaded["survey"]
        survey: Survey = rec.model
        used: dict[str, int] = {}
        for b, block in enumerate(survey.blocks):
            for i, item in enumerate(block.items):
                if item.subproject is None:
                    continue
                loc = ("blocks", b, "items", i, "subproject")
                if item.subproject not in self.subs:
                    self.fail(rec, loc, f"unknown sub-project {item.subproject!r}")
                elif item.subproject in used:
                    self.fail(rec, loc, f"sub-project {item.subproject!r} has two survey items")
                used[item.subproject] = 1
        for stem in sorted(set(self.subs) - set(used)):
            self.fail(self.subs[stem], ("id",), "no survey item asks about this sub-project")
