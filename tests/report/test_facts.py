"""almreport.facts: the records' facts print as the report prints them, and a changed record
changes the text of the chapters that show it.

Expected strings are the report's own words (NIBR-rapport 2007:9), not program output.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import nbformat
import pytest

from almreport.facts import (
    Facts,
    abbreviation,
    day_month,
    fraction,
    month_year,
    number,
    plain_number,
    when_text,
    year_range,
)
from almreport.norsk import capitalize_first
from almreport.records import Records, load_all
from almreport.schema.common import Span, When
from almreport.schema.figure import KeyFigure
from bookbuild.inline import find_inline, substitute

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["index.ipynb", "chapters/sammendrag.ipynb", "chapters/01-arena.ipynb",
             "chapters/02-lettmetallmiljoet.ipynb", "chapters/03-forprosjekt.ipynb",
             "chapters/05-krise-og-laering.ipynb"]


@pytest.fixture(scope="module")
def fact() -> Facts:
    return Facts(load_all(ROOT))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of data/ to change."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def rendered(records: Records, notebook: str) -> str:
    """The notebook's markdown with its inline expressions evaluated against `records`, in the
    names its setup cell defines (no kernel: the expressions are plain Python)."""
    from almreport.sentences import tier_verdict

    names = {"fact": Facts(records), "records": records, "survey": records.survey,
             "capitalize_first": capitalize_first,
             "tier_verdict": functools.partial(tier_verdict, records=records)}
    nb = nbformat.read(ROOT / notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            exprs = find_inline(cell.source)
            values = [str(eval(e.code, {}, names)) for e in exprs]  # noqa: S307 (our notebooks)
            parts.append(substitute(cell.source, exprs, values))
    return "\n\n".join(parts)


# --- formatting --------------------------------------------------------------------------------


def test_dates_print_as_the_report_writes_them() -> None:
    assert month_year("2002-09") == "september 2002"       # "startet opp september 2002"
    assert month_year(When(date="2003-06-25")) == "juni 2003"  # "åpnet i juni 2003"
    assert day_month("2007-02-20") == "20. februar"         # "Raufoss 20. februar."
    assert when_text(When(date="2007-01-05")) == "5. januar 2007"
    assert when_text(When(date="2002", season="sommer")) == "sommeren 2002"
    assert when_text(When(date="2002", season="vinter")) == "vinteren 2002"
    assert when_text(When(date="2006", season="høst")) == "høsten 2006"
    assert when_text(When(date="2005-02")) == "februar 2005"
    assert when_text(When(date="1998")) == "1998"
    assert year_range(Span(start="2004-01", end="2006-12")) == "2004-2006"


def test_a_date_without_month_or_day_is_refused() -> None:
    with pytest.raises(ValueError):
        month_year("2004")
    with pytest.raises(ValueError):
        day_month("2007-02")
    with pytest.raises(ValueError):
        year_range(Span(start="2004"))


def test_numbers_and_ranges() -> None:
    def figure(**kw: object) -> KeyFigure:
        return KeyFigure(unit="mill. kr", quote="q", **kw)

    assert number(figure(min=150, max=200)) == "150-200"  # "MNOK 150-200"
    assert number(figure(value=100)) == "100"              # "100 mill.kr"
    assert number(figure(value=2.5)) == "2,5"              # "2,5 mill. kr"


def test_four_digit_numbers_stay_ungrouped_larger_ones_are_grouped() -> None:
    assert plain_number(1000) == "1000"             # "rundt 1000 ansatte hver"
    assert plain_number(2600) == "2600"             # "med 2600 ansatte"
    assert plain_number(13000) == "13\u00a0000"  # printed "13.000"; bokmål groups with a space
    assert plain_number(50.1) == "50,1"             # "med 50,1%"


def test_fractions_as_printed() -> None:
    assert fraction(0.6667) == "2/3"                # "kommer 2/3 fra Innlandet"
    assert fraction(0.5) == "½"                     # "og ½ fra Gjøvik-regionen"
    with pytest.raises(ValueError):
        fraction(0.42)


def test_chapter_2_facts(fact: Facts) -> None:
    assert fact.phase_span(1) == "1740-1896"        # "Den første fasen fra 1740-1896"
    assert fact.phase_span(2) == "1896-1996"
    assert fact.history_span == "260"
    assert fact.region_fig("knives") == "3-5"        # "mellom 3-5 millioner kniver"
    assert fact.park("firms_outside") == "30-40"
    assert fact.park("fragmented_environment") == "40-50"
    assert fact.region_year("Plastal") == 1999
    assert fact.region_when("Raufoss-miljøet tildelt") == "våren 2006"
    assert fact.school("hig", "students") == "1700"
    assert fact.school("raufoss-vgs", "established") == "1980"
    assert fact.school_count("fagskolen-gjovik", "technical_colleges_in_norway") == "fire"
    assert [fact.ownership("rtim", i) for i in range(3)] == ["50,1", "20", "30"]
    assert (fact.org_employees("rtim"), fact.org_employees_when("rtim")) == ("53", "høsten 2006")
    assert fact.cluster_stage(3) == "fra 2003/2004"
    assert (fact.cluster_end(1), fact.org_year("ra")) == (1997, 1896)


# --- the facts of the chapters, from the real records -------------------------------------------


def test_facts_match_the_report(fact: Facts) -> None:
    # Forord: "over en 3-års periode fra 2004-2006"
    assert (fact.funded_years, fact.main_period) == ("3", "2004-2006")
    assert (fact.pre_start, fact.pre_end) == ("september 2002", "juli 2003")
    assert fact.pre_application == "sommeren 2002"
    assert fact.pre_years == "2002-2003"
    assert fact.pre_subprojects_count == "to"      # "to delprosjekter"
    assert fact.risc_opened == "juni 2003"
    assert fact.main_start == "januar 2004"
    assert fact.arena_financed == "2002-2006"      # kapittel 1 "i perioden 2002-2006"
    assert fact.sources_count == "fire"            # "fire sentrale kilder til innsikt"
    assert fact.interviews_count == "åtte"
    assert fact.survey_period == "desember 2006"
    assert fact.survey_presented == "5. januar 2007"
    assert fact.seminar_day == "20. februar"
    assert fact.foreword_date == "mars 2007"
    assert fact.vs2010_joined == "vinteren 2002"
    assert fact.funding_transferred == "høsten 2006"
    assert fact.skandinavisk_started == "februar 2005"
    assert fact.nce_main_start == "sommeren 2006"
    assert (fact.crisis_year, fact.crisis_years) == (2002, "2002-2004")
    assert (fact.cornerstone_years, fact.cornerstone_until) == ("100", 1996)
    assert (fact.fragmentation_from, fact.park_firms) == (1997, "35")
    assert [fact.phase_year(n) for n in (1, 2, 3)] == [2004, 2005, 2006]
    assert (fact.pre_end_year, fact.main_start_year, fact.extended_to) == (2003, 2004, 2006)
    assert (fact.nce_main_start_year, fact.nce_until) == (2006, 2016)  # "på plass 2006 ... 2016"
    assert (fact.total_founded, fact.total_hooked_on, fact.total_main_focus) == (1998, 2005, 2006)


def test_subproject_figures(fact: Facts) -> None:
    assert fact.fig("risc", "projects") == "21"            # "i inngrep med 21 prosjekter"
    assert fact.fig("risc", "target_new_firms") == "15"    # "bidra til 15 nyetableringer"
    assert fact.fig("fou", "target_network_projects") == "6"
    assert fact.fig("funding", "fund_need") == "150-200"


def test_survey_verdicts_in_the_summary_words(fact: Facts) -> None:
    assert fact.verdict("total") == "meget positiv"  # "var tilbakemelding meget positiv"
    assert fact.verdict("risc") == "en noe blandet vurdering"
    assert fact.verdict("naa") == "i liten grad"     # "ble vurdert i liten grad å lykkes"
    assert fact.verdict("fou") == "meget god tilbakemelding"
    assert fact.verdict("funding") == "en relativt svak vurdering"
    assert fact.good_tier_count == "tre"
    assert fact.good_tier_names == r"TotAl, FoU og I\&S"  # "TotAl, FoU og I&S", escaped


def test_abbreviation_is_the_shortest_name(fact: Facts) -> None:
    assert abbreviation(fact.records.subproject("info-samfunn")) == "I&S"
    assert abbreviation(fact.records.subproject("total")) == "TotAl"  # not "TotAL" (a tie)


# --- a changed record changes the chapters --------------------------------------------------------


def test_every_inline_expression_evaluates() -> None:
    records = load_all(ROOT)
    for notebook in NOTEBOOKS:
        assert "{python}" not in rendered(records, notebook), notebook


def test_changed_pre_project_dates_change_every_chapter_that_shows_them(tree: Path) -> None:
    edit(tree, "data/project.yaml", "period: {start: 2002-09, end: 2003-07}",
         "period: {start: 2002-10, end: 2003-06}")
    records = load_all(tree)
    for notebook in ("chapters/sammendrag.ipynb", "chapters/03-forprosjekt.ipynb"):
        text = rendered(records, notebook)
        assert "startet opp oktober 2002 og gikk frem til juni 2003" in text
        assert "september 2002" not in text


def test_changed_park_and_survey_change_the_summary(tree: Path) -> None:
    edit(tree, "data/region.yaml", "    value: 35\n", "    value: 36\n")
    edit(tree, "data/region.yaml", "    value: 14\n", "    value: 15\n")
    records = load_all(tree)
    text = rendered(records, "chapters/sammendrag.ipynb")
    assert "splittet opp i 36 mindre og større" in text
    chapter2 = rendered(records, "chapters/02-lettmetallmiljoet.ipynb")
    assert "i 2004 i alt 36 bedrifter" in chapter2
    assert "Det gjelder 15 produksjonsbedrifter" in chapter2
    assert "består av 36 bedrifter i parken" in chapter2
    assert "i undersøkelsen svært god tilbakemelding (TotAl, FoU og Info" in text


def test_changed_funding_years_change_forord_and_chapter_5(tree: Path) -> None:
    # 3 funded years = 2 ½ + ½; four years need a longer extension too.
    edit(tree, "data/project.yaml", "  years:\n    value: 3\n", "  years:\n    value: 4\n")
    edit(tree, "data/project.yaml", "    value: 0.5\n", "    value: 1.5\n")
    records = load_all(tree)
    assert "over en 4-års periode" in rendered(records, "index.ipynb")
    chapter5 = rendered(records, "chapters/05-krise-og-laering.ipynb")
    assert "innenfor rammen av 4 år" in chapter5
    assert "prosjekter på 4 år" in chapter5
