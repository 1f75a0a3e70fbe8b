"""Check the report's statements about the survey (data/claims.yaml) against the counts.

    load_claims(root) -> (Claims, LineMap)
    evaluate(claim, counts, scale) -> Outcome       # one claim against any counts
    check_claims(survey, claims, lines, shown) -> list[str]   # all problems, file:line first
    solutions(survey, claims, item_id) -> list[dict[str, int]]  # all counts fitting the claims

Hedge meanings come from almreport.norsk; the tier rule from almreport.survey.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from almreport import norsk
from almreport.loader import LineMap, display_path, load_record_with_lines
from almreport.schema.claims import (
    Claim,
    Claims,
    CompareCheck,
    ExtremeCheck,
    ModeCheck,
    ShareCheck,
    TierCheck,
)
from almreport.schema.survey import Survey
from almreport.survey import block, block_of, items, positive_categories, tier_of_share

CLAIMS_FILE = Path("data") / "claims.yaml"

Counts = Mapping[str, int]
# target ("1", "block:samspill") -> the counts of the items it stands for
CountTable = Mapping[str, Sequence[Counts]]


@dataclass(frozen=True)
class Outcome:
    ok: bool  # holds under the lenient hedge rule
    strict: bool  # printed figures are the rounded shares
    actual: str  # what the data say, for messages


def load_claims(root: Path | str = ".") -> tuple[Claims, LineMap]:
    root = Path(root).resolve()
    return load_record_with_lines(root / CLAIMS_FILE, Claims, root=root)


def count_table(survey: Survey) -> dict[str, list[Counts]]:
    """Every valid target and the counts it stands for."""
    table: dict[str, list[Counts]] = {it.id: [it.counts] for it in items(survey)}
    for b in survey.blocks:
        table[f"block:{b.id}"] = [it.counts for it in b.items]
    return table


def _share(counts_list: Sequence[Counts], categories: Sequence[str]) -> float:
    """Mean over the items of the share of `categories` (a fraction)."""
    return sum(sum(c[k] for k in categories) / sum(c.values()) for c in counts_list) / len(
        counts_list)


def _pct(x: float) -> str:
    return norsk.fmt_number(100 * x, 1) + " %"


def evaluate(claim: Claim, table: CountTable, positive: Sequence[str],
             siblings: Mapping[str, Sequence[str]] | None = None, *, describe: bool = True
             ) -> Outcome:
    """Evaluate one claim. `siblings[item]` lists the item ids of its block (for `extreme`).
    describe=False skips building `actual` (fast path for the solver)."""
    check = claim.check
    if isinstance(check, ShareCheck):
        v = 100 * _share(table[check.target], check.categories)
        ok = norsk.hedge_holds(check.hedge, v, check.value, check.upper)
        strict = norsk.hedge_rounds(check.hedge, v, check.value, check.upper)
        return Outcome(ok, strict, f"{norsk.fmt_number(v, 1)} %" if describe else "")
    if isinstance(check, TierCheck):
        p = _share(table[check.target], positive)
        got = tier_of_share(p)
        return Outcome(got == check.tier, got == check.tier,
                       f"tier {got} ({_pct(p)} positive)" if describe else "")
    if isinstance(check, ModeCheck):
        counts = table[check.target][0]
        top = max(counts.values())
        leaders = [k for k, v in counts.items() if v == top]
        ok = leaders == [check.category]
        return Outcome(ok, ok, f"most frequent: {', '.join(leaders)} ({top})")
    if isinstance(check, ExtremeCheck):
        group = (siblings or {}).get(check.target, [check.target])
        values = {t: _share(table[t], check.categories) for t in group}
        mine = values[check.target]
        others = [v for t, v in values.items() if t != check.target]
        ok = all(mine < v for v in others) if check.which == "lowest" else all(
            mine > v for v in others)
        shown = ", ".join(f"{t}: {_pct(v)}" for t, v in values.items())
        return Outcome(ok, ok, shown)
    if isinstance(check, CompareCheck):
        left = sum(_share(table[t], check.categories) for t in check.left) / len(check.left)
        right = sum(_share(table[t], check.categories) for t in check.right) / len(check.right)
        ok = left < right if check.op == "<" else left > right
        return Outcome(ok, ok, f"{_pct(left)} {check.op} {_pct(right)} is {ok}")
    raise TypeError(f"unknown check {type(check).__name__}")


def _targets(claim: Claim) -> list[str]:
    check = claim.check
    if isinstance(check, CompareCheck):
        return [*check.left, *check.right]
    return [check.target]


def _categories(claim: Claim) -> list[str]:
    check = claim.check
    if isinstance(check, ModeCheck):
        return [check.category]
    return list(getattr(check, "categories", []))


def check_claims(survey: Survey, claims: Claims, lines: LineMap, shown: str) -> list[str]:
    """All problems: unknown targets/categories, claims that do not hold, undocumented or stale
    discrepancies, provenance lists naming unknown claims or claims about another item, and
    'stated' items that the claims do not determine uniquely."""
    problems: list[str] = []
    table = count_table(survey)
    scale = {c.id for c in survey.scale}
    positive = positive_categories(survey)
    siblings = {it.id: [i.id for i in block_of(survey, it.id).items] for it in items(survey)}

    def where(i: int, field: str = "") -> str:
        loc = ("claims", i, "check") if field else ("claims", i)
        line = lines.line_of((*loc, field) if field else loc)
        return f"{shown}:{line}: claims[{i}] ({claims.claims[i].id})"

    for i, claim in enumerate(claims.claims):
        bad_targets = [t for t in _targets(claim) if t not in table]
        bad_cats = [c for c in _categories(claim) if c not in scale]
        if bad_targets or bad_cats:
            what = ", ".join([*(f"unknown target {t!r}" for t in bad_targets),
                              *(f"unknown answer category {c!r}" for c in bad_cats)])
            problems.append(f"{where(i, 'check')}: {what}")
            continue
        out = evaluate(claim, table, positive, siblings)
        if not out.ok:
            problems.append(f"{where(i, 'check')}: does not hold: {_describe(claim)}; the data "
                            f"give {out.actual}")
            continue
        note = getattr(claim.check, "discrepancy", None)
        if not out.strict and not note:
            problems.append(f"{where(i, 'check')}: the printed figure is not the rounded share "
                            f"({out.actual}); explain it in `discrepancy`")
        elif out.strict and note:
            problems.append(f"{where(i, 'check')}: `discrepancy` given but the figure matches "
                            f"({out.actual}); remove it")
    problems += _check_provenance(survey, claims, shown)
    return problems


def _describe(claim: Claim) -> str:
    check = claim.check
    if isinstance(check, ShareCheck):
        return (f"share of {'+'.join(check.categories)} for {check.target} is "
                f"{norsk.phrase_hedge(check.hedge, check.value, check.upper)}")
    if isinstance(check, TierCheck):
        return f"{check.target} is in tier {check.tier}"
    if isinstance(check, ModeCheck):
        return f"{check.category} is the most frequent answer for {check.target}"
    if isinstance(check, ExtremeCheck):
        return f"{check.target} has the {check.which} share of {'+'.join(check.categories)}"
    return f"{check.left} {check.op} {check.right} on {'+'.join(check.categories)}"


def _check_provenance(survey: Survey, claims: Claims, shown: str) -> list[str]:
    by_id = {c.id: c for c in claims.claims}
    problems = []
    survey_file = "data/survey.yaml"
    for it in items(survey):
        for cid in it.provenance.satisfies:
            claim = by_id.get(cid)
            if claim is None:
                problems.append(f"{survey_file}: item {it.id}: provenance names unknown claim "
                                f"{cid!r} (not in {shown})")
            elif it.id not in _targets(claim):
                problems.append(f"{survey_file}: item {it.id}: claim {cid!r} is about "
                                f"{', '.join(_targets(claim))}, not this item")
        if it.provenance.kind == "stated":
            found = solutions(survey, claims, it.id, limit=2)
            if found != [dict(it.counts)]:
                problems.append(f"{survey_file}: item {it.id}: provenance 'stated' but the "
                                f"claims allow {len(found)}+ different counts")
    return problems


def item_claims(claims: Claims, item_id: str) -> list[Claim]:
    """The claims that depend on this one item only (share/tier/mode on the item)."""
    return [c for c in claims.claims
            if isinstance(c.check, ShareCheck | TierCheck | ModeCheck)
            and c.check.target == item_id]


def solutions(survey: Survey, claims: Claims, item_id: str, limit: int | None = None
              ) -> list[dict[str, int]]:
    """Every count vector (summing to n) that satisfies all of the item's own claims, leniently.

    Used to prove that a 'stated' item is determined by the printed numbers alone."""
    cats = [c.id for c in survey.scale]
    positive = positive_categories(survey)
    n = survey.method.answered
    mine = item_claims(claims, item_id)
    known: dict[tuple, bool] = {}  # a claim's verdict by what it reads of the counts

    def holds(claim: Claim, counts: dict[str, int]) -> bool:
        key = (id(claim), _what_it_reads(claim, counts, positive))
        if key not in known:
            known[key] = evaluate(claim, {item_id: [counts]}, positive, describe=False).ok
        return known[key]

    found: list[dict[str, int]] = []
    for cuts in itertools.combinations(range(n + len(cats) - 1), len(cats) - 1):
        bounds = (-1, *cuts, n + len(cats) - 1)
        counts = {cat: bounds[k + 1] - bounds[k] - 1 for k, cat in enumerate(cats)}
        if all(holds(c, counts) for c in mine):
            found.append(counts)
            if limit and len(found) >= limit:
                break
    return found


def _what_it_reads(claim: Claim, counts: dict[str, int], positive: Sequence[str]) -> tuple:
    """All a one-item claim depends on, the total being fixed: a share or tier claim reads
    one sum of counts, a mode claim the whole vector."""
    check = claim.check
    if isinstance(check, ShareCheck):
        return (sum(counts[k] for k in check.categories),)
    if isinstance(check, TierCheck):
        return (sum(counts[k] for k in positive),)
    return tuple(counts.values())


def run_claims(root: Path | str = ".", survey: Survey | None = None) -> list[str]:
    """Load data/claims.yaml (and the survey unless given) and return all problems."""
    from almreport.survey import load_survey

    root = Path(root).resolve()
    survey = survey or load_survey(root)
    claims, lines = load_claims(root)
    return check_claims(survey, claims, lines, display_path(root / CLAIMS_FILE, root))


__all__ = ["Outcome", "block", "check_claims", "count_table", "evaluate", "item_claims",
           "load_claims", "run_claims", "solutions"]
