"""Generated Norwegian sentences of chapter 4: records in, plain markdown-safe text out.

The author's wording is kept; only what depends on data is computed: counts, shares, the hedge
anchors ("over 60 %", "nærmere 90 %") and the tier verdicts. A hedge anchor is derived from the
share so that it always satisfies the hedge rule of :mod:`almreport.norsk` (:func:`hedge_value`).
Statements that data alone cannot rephrase ("og resten ”i ganske stor grad”") are guarded by
the claims in data/claims.yaml, which `make check` tests before every build.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from almreport import survey as sv
from almreport.markdown import escape
from almreport.norsk import (
    MONTHS,
    NBSP,
    capitalize_first,
    fmt_number,
    hedge_holds,
    hedge_rounds,
    join_list,
    number_word,
    round_half_up,
)
from almreport.records import Records
from almreport.schema.claims import Claims, ShareCheck
from almreport.schema.figure import KeyFigure
from almreport.schema.survey import Survey

# The author's short name of a sub-project in the tier sentence ("Info & samfunn"), picked
# among the record's own names; other sub-projects use short_name (common nouns lower-cased).
TIER_NAME_ALIAS = {"info-samfunn": "Info & samfunn"}

# --- hedges ----------------------------------------------------------------------------------


def hedge_value(hedge: str, share: float) -> int:
    """The anchor X the author prints for a share with this hedge ("over X %").

    exact/hele/kun: the rounded percent; over: the multiple of 5 just below; godt-over: the
    multiple of 10 at least 1.5 (and less than 10) below, else such a multiple of 5;
    naermere/nesten: the multiple of 5 just above; rundt: the nearest multiple of 10 when
    within 3, else of 5; above/below: the rounded percent moved one point the other way.
    The result always satisfies ``hedge_holds(hedge, 100 * share, X)``.
    """
    v = 100 * share
    if hedge in ("exact", "hele", "kun"):
        x = round_half_up(v)
    elif hedge == "over":
        x = 5 * math.ceil(v / 5 - 1e-9) - 5
    elif hedge == "godt-over":  # a multiple of 10 if one fits ("godt over 90"), else of 5
        x = 10 * math.floor((v - 1.5 + 1e-9) / 10)
        if not hedge_holds(hedge, v, x):
            x = 5 * math.floor((v - 1.5 + 1e-9) / 5)
    elif hedge in ("naermere", "nesten"):
        x = 5 * math.floor(v / 5 + 1e-9) + 5
    elif hedge == "rundt":
        x10, x5 = 10 * round_half_up(v / 10), 5 * round_half_up(v / 5)
        x = x10 if abs(v - x10) <= 3 else x5
    elif hedge == "above":
        x = math.ceil(v - 1e-9) - 1
    elif hedge == "below":
        x = math.floor(v + 1e-9) + 1
    else:
        raise ValueError(f"unknown hedge {hedge!r}")
    x = int(x)
    if not hedge_holds(hedge, v, x):  # a guard: the rules above are meant to make this impossible
        raise ValueError(f"no {hedge!r} anchor for {v:.1f} %")
    return x


def percent(x: float) -> str:
    """A whole percent the author's way, with a no-break space: "47 %"."""
    return f"{fmt_number(x)}{NBSP}%"


def share_text(survey: Survey, item_ids: str, categories: Sequence[str], hedge: str = "exact",
               claims: Claims | None = None) -> str:
    """The printed figure of the share of `categories`: "60 %" for hedge "over" at 62,5 %.

    `item_ids` is one item ("12a") or several joined by "+" ("10c+10d"): their mean share is
    phrased. hedge "range": the claim's printed range ("17-18 %", "65-70 %") when every item's
    share still rounds into it, else the rounded shares ("46 %" or "46-52 %").
    """
    its = [sv.item(survey, i) for i in item_ids.split("+")]
    values = [100 * sv.share_of(survey, it, list(categories)) for it in its]
    if hedge == "range":
        check = _range_claim(claims, its[0].id, categories)
        if check is not None and all(
                hedge_rounds(check.hedge, v, check.value, check.upper) for v in values):
            return f"{fmt_number(check.value)}-{fmt_number(check.upper or check.value)}{NBSP}%"
        low, high = (round_half_up(min(values)), round_half_up(max(values)))
        return percent(low) if low == high else f"{fmt_number(low)}-{fmt_number(high)}{NBSP}%"
    return percent(hedge_value(hedge, sum(values) / len(values) / 100))


def _range_claim(claims: Claims | None, item_id: str,
                 categories: Sequence[str]) -> ShareCheck | None:
    for claim in claims.claims if claims else []:
        c = claim.check
        if (isinstance(c, ShareCheck) and c.target == item_id and c.upper is not None
                and sorted(c.categories) == sorted(categories)):
            return c
    return None


# --- the three tiers -------------------------------------------------------------------------


def tier_name(records: Records, subproject_id: str) -> str:
    """How the tier sentence names a sub-project: "TotAl", "kommersialisering", ..."""
    sub = records.subprojects[subproject_id]
    alias = TIER_NAME_ALIAS.get(subproject_id)
    if alias is not None:
        if alias not in sub.aliases:
            raise KeyError(f"{alias!r} is not a name of {subproject_id!r} in the records")
        return escape(alias)
    name = sub.short_name
    common_noun = name[1:] == name[1:].lower()  # "Funding", not "FoU"/"TotAl"/"RISC"
    return escape(name[0].lower() + name[1:] if common_noun else name)


def tier_verdict(survey: Survey, block_id: str = "delmal", *, records: Records | None = None,
                 relative: bool = False, before_verb: str = "", after_verb: str = "") -> str:
    """The three-tier sentence of 4.4.10/4.6.1/Sammendrag, without the final period:

    "Tre delprosjekt får svært god tilbakemelding (TotAl, FoU og Info & samfunn); tre får en
    mer blandet vurdering (…); og tre får en relativt svak vurdering (…)".

    Tiers follow the one tier rule; empty tiers are left out; names in questionnaire order.
    `relative=True` gives the clause after "det er" (lower case, "tre delprosjekt som får"),
    `before_verb`/`after_verb` add words around the first "får" ("her", "i undersøkelsen").
    The tiers come from `survey`; the names from `records` (default: the book's records).
    """
    if records is None:
        from almreport.book import records  # the chapter's records, loaded once per kernel
    groups = [(t, items) for t, items in sv.tier_groups(survey, block_id).items()
              if items]
    total = sum(len(items) for _, items in groups)
    som = " som" if relative else ""
    clauses = []
    for i, (tier, items) in enumerate(groups):
        phrase = _tier_phrase(tier)
        names = join_list([tier_name(records, it.subproject or it.id) for it in items])
        if len(groups) == 1:
            head = f"alle {number_word(total, 'n')} delprosjekt{som}"
        elif i == 0:
            head = f"{number_word(len(items), 'n')} delprosjekt{som}"
        else:
            head = f"{number_word(len(items), 'n')}{som}"
        first = i == 0
        verb = " ".join(w for w in (before_verb if first else "", "får",
                                    after_verb if first else "") if w)
        clauses.append(f"{head} {verb} {phrase} ({names})")
    sentence = clauses[0] if len(clauses) == 1 else (
        "; ".join(clauses[:-1]) + "; og " + clauses[-1])
    return sentence if relative else capitalize_first(sentence)


def _tier_phrase(tier: str) -> str:
    phrase = sv.TIER_PHRASES[tier]
    return phrase if tier == "god" else f"en {phrase}"


# --- 4.1 method --------------------------------------------------------------------------------


def response_sentence(survey: Survey) -> str:
    """ "Av i alt 30 som fikk tilsendt det web-baserte skjema var det i alt 24 som besvarte,
    dvs en svarprosent på 80." """
    m = survey.method
    rate = fmt_number(100 * sv.response_rate(survey))
    return (f"Av i alt {m.invited} som fikk tilsendt det web-baserte skjema var det i alt "
            f"{m.answered} som besvarte, dvs en svarprosent på {rate}.")


def interview_phrase(survey: Survey) -> str:
    """ "åtte av de mest sentrale deltagerne i prosjektet, hvorav seks direkte og to via
    telefon" """
    iv = survey.method.interviews
    return (f"{number_word(iv.total)} av de mest sentrale deltagerne i prosjektet, hvorav "
            f"{number_word(iv.in_person)} direkte og {number_word(iv.by_phone)} via telefon")


# --- 4.4.1-4.4.9: the survey sentences of the sub-projects -----------------------------------

# Verdict phrases by grammatical slot; each sub-project overrides its own tier with the
# author's words, so a changed tier changes the verdict without inventing new wording.
_NOUN = {"god": "meget god tilbakemelding", "blandet": "en blandet vurdering",
         "svak": "en relativt svak vurdering"}
_ADVERB = {"god": "meget positivt", "blandet": "blandet", "svak": "svakt"}
_DEGREE = {"god": "i stor grad", "blandet": "i noen grad", "svak": "i liten grad"}

# sub-project id -> (slot phrases, template). Fields: {v} verdict; {p[cat,…|hedge]} a share.
_TEMPLATES: dict[str, tuple[dict[str, str], str]] = {
    "total": (_ADVERB | {"god": "meget positivt"},
              "I spørreskjemaundersøkelsen ble det svart {v} på i hvilken grad prosjektet har "
              "lykkes i å oppnå sitt mål. Over {svaert-stor|over} svarte ”i svært stor grad” og "
              "resten ”i ganske stor grad” (n = {n})."),
    "risc": (_NOUN | {"blandet": "en noe blandet vurdering"},
             "Dette delprosjektet får {v} i spørreskjemaundersøkelsen. I alt {vet-ikke|range} "
             "oppgir at de ikke vet om prosjektet har lykkes i å oppnå sitt mål. Få "
             "({svaert-stor|range}) oppgir at det ”i svært stor grad” har gjort det, mens over "
             "{ganske-stor|over} har svart ”i ganske stor grad”. De resterende {noen|exact} har "
             "svart ”i noen grad”."),
    "naa": (_DEGREE,
            "I spørreskjemaundersøkelsen kom det også klart frem at dette delprosjektet ble "
            "vurdert {v} å lykkes med å oppnå sine mål. Nesten {svaert-liten,noen|nesten} svarte "
            "at dette hadde skjedd ”i liten grad” og ”i svært liten grad”, og der hele "
            "{svaert-liten|hele} mente at dette hadde skjedd ”i svært liten grad”."),
    "fou": (_NOUN,
            "I spørreskjemaundersøkelsen får dette prosjektet {v}. Godt over "
            "{ganske-stor,svaert-stor|godt-over} (foruten resten som svarer ”vet ikke”) mener at "
            "man har lykkes ”i ganske stor grad” ({ganske-stor|exact}), og ”i svært stor grad” "
            "({svaert-stor|exact})."),
    "kommersialisering": (
        _NOUN | {"blandet": "en relativt blandet vurdering"},
        "I spørreskjemaundersøkelsen får dette prosjektet {v}. I alt er det rundt "
        "{ganske-stor,svaert-stor|rundt} som vurderer at prosjektet har lykkes ”i stor grad” og "
        "”i svært stor grad”. Det er imidlertid {vet-ikke|range} som ”ikke vet” hva de skal "
        "svare"),
    "funding": (_NOUN,
                "I spørreskjemaundersøkelsen får prosjektet {v}. Hele "
                "{svaert-liten,noen|hele} mener at prosjektet har lykkes ”i noen grad” og ”i "
                "svært liten grad” ({svaert-liten|exact}). På den annen side er det over "
                "{vet-ikke|over} som ”vet ikke”."),
    "info-samfunn": (_NOUN | {"god": "en meget positiv vurdering"},
                     "I spørreskjemaundersøkelsen får dette prosjektet {v}. Hele "
                     "{svaert-stor|hele} mener at dette har lykkes ”i svært stor grad”."),
    "intraprenorskap": (
        _NOUN,
        "I spørreskjemaundersøkelsen har dette prosjektet fått {v} med "
        "{ganske-stor,svaert-stor|exact} som mener at det har lykkes ”i ganske stor grad” og ”i "
        "svært stor grad”, men over {vet-ikke|over} mener ”vet ikke”."),
    "skandinavisk": (_NOUN,
                     "I spørreskjemaundersøkelsen fikk dette prosjektet {v} der godt over "
                     "{svaert-liten,noen|godt-over} mente at det hadde lykkes ”i noen grad” og "
                     "”svært liten grad” (kun {svaert-liten|kun})."),
}
_FIELD = re.compile(r"\{([a-z,-]+)\|([a-z-]+)\}")


def survey_sentence(records: Records, subproject_id: str) -> str:
    """The survey paragraph of sub-project section 4.4.x in the author's words, with every
    figure and the verdict computed from data/survey.yaml (and printed ranges from the claims).
    """
    verdicts, template = _TEMPLATES[subproject_id]
    survey = records.survey
    it = sv.item_for_subproject(survey, subproject_id)

    def figure(match: re.Match[str]) -> str:
        cats, hedge = match.group(1).split(","), match.group(2)
        return share_text(survey, it.id, cats, hedge, records.claims)

    text = _FIELD.sub(figure, template)
    return text.replace("{v}", verdicts[sv.tier(survey, it)]).replace(
        "{n}", str(sum(it.counts.values())))


# --- dates and amounts -------------------------------------------------------------------------


def month_year(date: str) -> str:
    """ "2004-01" -> "januar 2004"."""
    year, month = date.split("-")[:2]
    return f"{MONTHS[int(month) - 1]} {year}"


def day_month_year(date: str) -> str:
    """ "2003-06-25" -> "25. juni 2003"."""
    year, month, day = date.split("-")
    return f"{int(day)}. {MONTHS[int(month) - 1]} {year}"


def half(x: float, *, words: bool = True) -> str:
    """Halves the author's way: 2.5 -> "2 ½", 0.5 -> "ett halvt" ("½" with words=False)."""
    if x == 0.5:
        return "ett halvt" if words else "½"
    whole, frac = divmod(x, 1)
    if frac == 0.5:
        return f"{int(whole)}{NBSP}½"
    return fmt_number(x, 1)


def figure_number(figure: KeyFigure, decimals: int = 1) -> str:
    """A key figure's number as printed: "600 000", "2,5", or a range "8-10"."""
    if figure.value is not None:
        return fmt_number(figure.value, decimals)
    return f"{fmt_number(figure.min, decimals)}-{fmt_number(figure.max, decimals)}"
