"""The records' facts as the author writes them in running text (dates, counts, amounts).

Chapters use short inline expressions instead of typed numbers, so that a changed record changes
every place it shows::

    #| include: false
    from almreport.book import records, survey
    from almreport.facts import Facts
    fact = Facts(records)

    Forprosjektet startet opp `{python} fact.pre_start` og gikk frem til `{python} fact.pre_end`.

Formatting follows the report: month names in lower case ("september 2002"), seasons in the
definite form ("sommeren 2002"), year ranges and number ranges with a plain hyphen
("2004-2006", "150-200"), small counts as words where the author writes words ("to", "fire").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from almreport.markdown import escape
from almreport.norsk import MONTHS, NBSP, fmt_number, join_list, number_word
from almreport.records import Records
from almreport.schema.common import Event, Span, When
from almreport.schema.figure import KeyFigure
from almreport.schema.subprojects import SubprojectBase
from almreport.survey import item_for_subproject, tier, tier_groups

SEASONS_DEFINITE = {"vinter": "vinteren", "vår": "våren", "forsommer": "forsommeren",
                    "sommer": "sommeren", "høst": "høsten"}


# --- dates -----------------------------------------------------------------------------------


def _parts(date: str | When) -> list[int]:
    text = date.date if isinstance(date, When) else date
    return [int(p) for p in text.split("-")]


def year(date: str | When) -> int:
    """"2002-09" -> 2002."""
    return _parts(date)[0]


def month_year(date: str | When) -> str:
    """"2002-09" -> "september 2002" (the date must have a month)."""
    parts = _parts(date)
    if len(parts) < 2:
        raise ValueError(f"{date!r} has no month")
    return f"{MONTHS[parts[1] - 1]} {parts[0]}"


def day_month(date: str | When) -> str:
    """"2007-02-20" -> "20. februar" (the year left out, as the Forord does)."""
    parts = _parts(date)
    if len(parts) < 3:
        raise ValueError(f"{date!r} has no day")
    return f"{parts[2]}. {MONTHS[parts[1] - 1]}"


def when_text(when: When) -> str:
    """As precise as the record: "2004", "februar 2005", "5. januar 2007", "sommeren 2002"."""
    parts = _parts(when)
    if when.season:
        return f"{SEASONS_DEFINITE[when.season]} {parts[0]}"
    if len(parts) == 3:
        return f"{day_month(when)} {parts[0]}"
    if len(parts) == 2:
        return month_year(when)
    return str(parts[0])


def year_range(span: Span) -> str:
    """Span 2004-01 .. 2006-12 -> "2004-2006" (the author's plain hyphen)."""
    if span.end is None:
        raise ValueError("an open period has no year range")
    return f"{year(span.start)}-{year(span.end)}"


# --- numbers ---------------------------------------------------------------------------------


def plain_number(x: float, decimals: int = 1) -> str:
    """Like norsk.fmt_number, but four-digit numbers stay ungrouped as the report prints them
    ("1000 ansatte", "2600 ansatte"); from 10 000 on digits are grouped ("13 000")."""
    if abs(x) < 10_000:
        return fmt_number(x, decimals).replace(NBSP, "")
    return fmt_number(x, decimals)


def number(figure: KeyFigure, decimals: int = 1) -> str:
    """The bare number or range of a key figure: "21", "150-200", "2,5", "2600", "13 000"."""
    if figure.value is not None:
        return plain_number(figure.value, decimals)
    return f"{plain_number(figure.low, decimals)}-{plain_number(figure.high, decimals)}"


_FRACTIONS = {1 / 2: "½", 1 / 3: "1/3", 2 / 3: "2/3", 1 / 4: "¼", 3 / 4: "¾"}


def fraction(share: float) -> str:
    """A share the way the report writes simple fractions: 0.5 -> "½", 0.6667 -> "2/3"."""
    for value, text in _FRACTIONS.items():
        if abs(share - value) < 0.001:
            return text
    raise ValueError(f"{share} is not a simple fraction")


def count_word(n: int, gender: Literal["m", "f", "n"] = "m") -> str:
    """A count as the author writes small counts: 2 -> "to", 8 -> "åtte"."""
    return number_word(n, gender)


def event(events: Sequence[Event], what: str) -> Event:
    """The one event whose `what` starts with `what` (a record's own words)."""
    found = [e for e in events if e.what.startswith(what)]
    if len(found) != 1:
        raise KeyError(f"expected one event starting {what!r}, found {len(found)}")
    return found[0]


def abbreviation(subproject: SubprojectBase) -> str:
    """The shortest name the report uses for a sub-project ("I&S"); the short name on a tie."""
    names = [subproject.short_name, *subproject.aliases]
    return min(names, key=len)


# --- the survey ------------------------------------------------------------------------------

# The Sammendrag's verdict on each sub-project (I undersøkelsen får dette prosjektet ...), by
# tier, in the author's words: the printed tier keeps its phrase; the other tiers get the plain
# phrase of the same grammatical slot, so a changed survey never needs new wording.
_NOUN = {"god": "meget god tilbakemelding", "blandet": "en blandet vurdering",
         "svak": "en relativt svak vurdering"}
_ADJECTIVE = {"god": "meget positiv", "blandet": "blandet", "svak": "svak"}
_DEGREE = {"god": "i stor grad", "blandet": "i noen grad", "svak": "i liten grad"}
SUMMARY_VERDICTS: dict[str, dict[str, str]] = {
    "total": _ADJECTIVE,  # "var tilbakemelding meget positiv"
    "risc": _NOUN | {"blandet": "en noe blandet vurdering"},
    "naa": _DEGREE,  # "ble vurdert i liten grad å lykkes"
    "fou": _NOUN,
    "kommersialisering": _NOUN | {"blandet": "en relativt blandet vurdering"},
    "funding": _NOUN,
    "info-samfunn": _NOUN | {"god": "en meget positiv vurdering"},
    "intraprenorskap": _NOUN,
    "skandinavisk": _NOUN,
}


# --- the named facts of the chapters ----------------------------------------------------------


class Facts:
    """Every fact the Forord, Sammendrag and chapters 1, 3, 5 print, formatted as printed."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._project = records.project
        self._region = records.region

    # project and evaluation
    @property
    def funded_years(self) -> str:
        """"3" (hovedprosjektet: "over 3 år", "3-års periode")."""
        return number(self._project.funding.years)

    @property
    def main_period(self) -> str:
        """"2004-2006"."""
        return year_range(self._project.period)

    @property
    def main_start(self) -> str:
        """"januar 2004"."""
        return month_year(self._project.period.start)

    @property
    def main_start_year(self) -> int:
        return year(self._project.period.start)

    @property
    def extended_to(self) -> int:
        """2006 ("forlenget ut 2006")."""
        return year(self._project.extension.extended_to)

    @property
    def arena_financed(self) -> str:
        """"2002-2006": the pre-project's start to the main project's end (kapittel 1)."""
        span = Span(start=self._project.forprosjekt.period.start, end=self._project.period.end)
        return year_range(span)

    @property
    def sources_count(self) -> str:
        """"fire" (sentrale kilder til innsikt)."""
        return count_word(len(self._project.evaluation.sources))

    @property
    def survey_period(self) -> str:
        """"desember 2006"."""
        method = self.records.survey.method
        return month_year(f"{method.year}-{method.month:02d}")

    @property
    def survey_presented(self) -> str:
        """"5. januar 2007"."""
        return when_text(self._project.evaluation.survey_presented.when)

    @property
    def interviews_count(self) -> str:
        """"åtte" (intervjuer)."""
        return count_word(self.records.survey.method.interviews.total)

    @property
    def seminar_day(self) -> str:
        """"20. februar"."""
        return day_month(self._project.evaluation.seminar.when)

    @property
    def foreword_date(self) -> str:
        """"mars 2007"."""
        return when_text(self._project.evaluation.foreword.when)

    def phase_year(self, number_: int) -> int:
        """Year of the main project's phase 1, 2, 3 (4.4.10: 2004, 2005, 2006)."""
        return self._project.phases[number_ - 1].year

    # pre-project
    @property
    def pre_start(self) -> str:
        """"september 2002"."""
        return month_year(self._project.forprosjekt.period.start)

    @property
    def pre_end(self) -> str:
        """"juli 2003"."""
        return month_year(self._project.forprosjekt.period.end or "")

    @property
    def pre_start_year(self) -> int:
        return year(self._project.forprosjekt.period.start)

    @property
    def pre_end_year(self) -> int:
        return year(self._project.forprosjekt.period.end or "")

    @property
    def pre_years(self) -> str:
        """"2002-2003"."""
        return year_range(self._project.forprosjekt.period)

    @property
    def pre_application(self) -> str:
        """"sommeren 2002"."""
        return when_text(self._project.forprosjekt.application)

    @property
    def pre_subprojects_count(self) -> str:
        """"to" (delprosjekter i forprosjektet)."""
        return count_word(len(self._project.forprosjekt.subprojects))

    @property
    def vs2010_joined(self) -> str:
        """"vinteren 2002" (VS2010 Innlandet innledet samarbeid)."""
        return when_text(event(self._project.events, "VS2010 Innlandet innledet").when)

    # programme, NCE
    @property
    def programme_started(self) -> int:
        return year(self.records.programme.started)

    @property
    def nce_pre_project_year(self) -> int:
        return year(self._project.nce.expert_centre_pre_project)

    @property
    def nce_main_start(self) -> str:
        """"sommeren 2006"."""
        return when_text(self._project.nce.main_project_start)

    @property
    def nce_main_start_year(self) -> int:
        return year(self._project.nce.main_project_start)

    @property
    def nce_until(self) -> int:
        return year(self._project.nce.hoped_to_last_until)

    # region
    @property
    def crisis_year(self) -> int:
        return year(self._region.crisis.period.start)

    @property
    def crisis_years(self) -> str:
        """"2002-2004"."""
        return year_range(self._region.crisis.period)

    @property
    def cornerstone_years(self) -> str:
        """"100" (RA hjørnestein i 100 år)."""
        return number(self._region.figures["cornerstone_years"])

    @property
    def cornerstone_until(self) -> int:
        """1996: the end of the storindustri phase (Figur 2.1)."""
        end = self._region.phases[1].end
        if end is None:
            raise ValueError("the second industrial phase has no end")
        return end

    @property
    def fragmentation_from(self) -> int:
        """1997: the industrial park stage of Figur 2.2 starts."""
        start = self._region.cluster_stages[1].start
        if start is None:
            raise ValueError("the industrial park stage has no start year")
        return start

    def region_year(self, what: str) -> int:
        """Year of the region event whose `what` starts with `what` ("Plastal" -> 1999)."""
        return year(event(self._region.events, what).when)

    def region_when(self, what: str) -> str:
        """The region event's date as the text gives it ("Raufoss-miljøet tildelt" ->
        "våren 2006")."""
        return when_text(event(self._region.events, what).when)

    def region_fig(self, key: str) -> str:
        """A number of chapter 2 (region.yaml `figures`): region_fig("knives") -> "3-5"."""
        return number(self._region.figures[key])

    def region_fig_year(self, key: str) -> int:
        """The year a chapter-2 number refers to ("export_share_1968" -> 1968)."""
        when = self._region.figures[key].when
        if when is None:
            raise ValueError(f"region figure {key!r} has no date")
        return year(when)

    @property
    def park_year(self) -> int:
        return self._region.park.year

    def park(self, key: str) -> str:
        """Raufoss Industripark counts: park("service_firms") -> "21"."""
        return number(getattr(self._region.park, key))

    def org_employees(self, org_id: str) -> str:
        employees = self.records.org(org_id).employees
        if employees is None:
            raise ValueError(f"{org_id!r} has no employee count")
        return number(employees)

    def org_employees_when(self, org_id: str) -> str:
        """"høsten 2006" (when RTIM had its 53 employees)."""
        employees = self.records.org(org_id).employees
        if employees is None or employees.when is None:
            raise ValueError(f"{org_id!r} has no dated employee count")
        return when_text(employees.when)

    def ownership(self, org_id: str, index: int) -> str:
        """Owner share `index` of an organisation, as a number: ("rtim", 0) -> "50,1"."""
        return number(self.records.org(org_id).ownership[index].share)

    def phase_span(self, number_: int) -> str:
        """Industrial phase 1, 2 (Figur 2.1) as "1740-1896"."""
        phase = self._region.phases[number_ - 1]
        return f"{phase.start}-{phase.end}" if phase.end is not None else f"fra {phase.start}"

    def phase_start(self, number_: int) -> int:
        return self._region.phases[number_ - 1].start

    def cluster_stage(self, number_: int) -> str:
        """Period of stage 1-3 of Figur 2.2 as the text words it ("fra 2003/2004")."""
        return escape(self._region.cluster_stages[number_ - 1].period)

    def school(self, school_id: str, key: str) -> str:
        """A school's number: school("hig", "students") -> "1700"; also `other_figures` keys
        ("share_from_innlandet" -> "2/3"), and "established" -> "1994"."""
        found = next(s for s in self._region.schools if s.id == school_id)
        if key == "established":
            return str(year(found.established))
        figure = getattr(found, key, None) or found.other_figures[key]
        return fraction(figure.value) if figure.unit == "andel" else number(figure)

    def school_count(self, school_id: str, key: str) -> str:
        """A small school count in words: ("hig", "departments") -> "to"."""
        found = next(s for s in self._region.schools if s.id == school_id)
        return count_word(int(found.other_figures[key].high))

    @property
    def history_span(self) -> str:
        """"260" (de siste 260 årene)."""
        return number(self._region.history_span)

    def cluster_end(self, number_: int) -> int:
        """Last year of stage 1-3 of Figur 2.2 (RA: "frem til 1997")."""
        end = self._region.cluster_stages[number_ - 1].end
        if end is None:
            raise ValueError(f"cluster stage {number_} has no end year")
        return end

    def org_year(self, org_id: str) -> int:
        """Founding year of an organisation ("ra" -> 1896)."""
        return year(self.records.org(org_id).established)  # type: ignore[arg-type]

    @property
    def park_firms(self) -> str:
        """"35" (bedrifter i Raufoss Industripark)."""
        return number(self._region.park.firms)

    # organisations and sub-projects
    @property
    def total_founded(self) -> int:
        return year(self.records.org("total").established)  # type: ignore[arg-type]

    @property
    def risc_opened(self) -> str:
        """"juni 2003"."""
        return month_year(self.records.org("risc").established)  # type: ignore[arg-type]

    def _event_year(self, subproject_id: str, what: str) -> int:
        return year(event(self.records.subproject(subproject_id).events, what).when)

    @property
    def total_hooked_on(self) -> int:
        """2005 ("ikke ordentlig hektet på ALM før mot slutten av 2005")."""
        return self._event_year("total", "TotAl ordentlig hektet")

    @property
    def total_strategy(self) -> int:
        """2005 (strategiprosessen i TotAl)."""
        return self._event_year("total", "strategiprosess")

    @property
    def total_main_focus(self) -> int:
        """2006 (TotAl et hovedfokus i ALM)."""
        return self._event_year("total", "TotAl et hovedfokus")

    @property
    def naa_ended(self) -> int:
        return year(self.records.subproject("naa").ended)  # type: ignore[arg-type]

    @property
    def funding_transferred(self) -> str:
        """"høsten 2006" (Funding overført NCE)."""
        funding = self.records.subproject("funding")
        return when_text(event(funding.events, "prosjektet overført").when)

    @property
    def skandinavisk_started(self) -> str:
        """"februar 2005"."""
        return when_text(self.records.subproject("skandinavisk").started)  # type: ignore[arg-type]

    def fig(self, subproject_id: str, key: str) -> str:
        """A sub-project's key figure as a bare number or range: fig("risc", "projects") -> "21"."""
        figures = self.records.subproject(subproject_id).figures
        return number(getattr(figures, key))

    # survey
    def verdict(self, subproject_id: str) -> str:
        """The Sammendrag's verdict on a sub-project: verdict("risc") -> "en noe blandet
        vurdering" (the tier rule of almreport.survey on its survey item)."""
        survey = self.records.survey
        return SUMMARY_VERDICTS[subproject_id][tier(survey, item_for_subproject(survey,
                                                                             subproject_id))]

    @property
    def good_tier_count(self) -> str:
        """"tre": sub-projects with "svært god tilbakemelding"."""
        return count_word(len(tier_groups(self.records.survey)["god"]))

    @property
    def good_tier_names(self) -> str:
        """"TotAl, FoU og I&S" (markdown-escaped): the well-rated sub-projects, shortest names."""
        items = tier_groups(self.records.survey)["god"]
        names = [escape(abbreviation(self.records.subproject(it.subproject))) for it in items
                 if it.subproject]
        return join_list(names)
