"""Norwegian (bokmål, nb_NO) number formatting and phrasing. Pure functions, no I/O.

Spaces: numbers and units are joined with a NO-BREAK SPACE (U+00A0), as babel does for digit
groups ("1 740"), so that "62,5 %" or "600 000 kr" never breaks across lines in HTML or PDF.
The constant ``NBSP`` is exported for tests and templates.

Hedges: the author writes shares as "over 60 %", "nærmere 90 %", "godt over 90 %", "rundt 50 %",
"hele 80 %", "17-18 %". Their meaning is defined ONCE here (:data:`HEDGE_RULES`,
:func:`hedge_holds`) and used both to check the report's claims (almreport.claims) and to phrase
new sentences (:func:`hedged_share`). All values are percentage points of the whole sample:

    exact / kun / hele  X      |v - X| <= 1.5   (the printed number, allowing the author's
                                                 rounding slips; strictly it should round to X)
    range X-Y (exact/hele)     X - 1.5 <= v <= Y + 1.5
    over X                     X < v < X + 7.5
    godt-over X                X + 1.5 <= v < X + 10
    naermere / nesten X        X - 5 <= v < X
    rundt X                    |v - X| <= 3
    above X / below X          v > X / v < X     (verbal claims: "fortsatt positivt" = above 50)

"Strict" agreement (:func:`hedge_rounds`) additionally requires an exact/hele/range figure to be
the share rounded half-up to a whole percent; a claim that holds only leniently must document
its discrepancy (see data/claims.yaml).

:func:`hedged_share` picks one phrase that always satisfies the rule it names:
below 9 % or exactly 100 % -> the rounded figure ("4 %"); within 1 point of a multiple of 5 ->
"rundt X"; else at most 5 below the next multiple of 10 -> "nærmere X"; else "godt over X" when
at least 3 above the multiple of 10 below, or "over X".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from babel.dates import get_month_names
from babel.numbers import format_decimal

LOCALE = "nb_NO"
NBSP = "\u00a0"
# Month names as Bokmål writes them in running text ("januar" … "desember").
MONTHS: tuple[str, ...] = tuple(get_month_names("wide", locale=LOCALE)[m] for m in range(1, 13))

Hedge = Literal[
    "exact", "hele", "kun", "over", "godt-over", "naermere", "nesten", "rundt", "above", "below"
]

# (lower, upper) offsets from X in percentage points with inclusive/exclusive flags, documented
# in the module docstring. Ranges "X-Y" widen the exact rule to [X - 1.5, Y + 1.5].
EXACT_TOLERANCE = 1.5
HEDGE_RULES: dict[str, str] = {
    "exact": "|v - X| <= 1.5",
    "hele": "|v - X| <= 1.5 (emphasis)",
    "kun": "|v - X| <= 1.5 (emphasis)",
    "over": "X < v < X + 7.5",
    "godt-over": "X + 1.5 <= v < X + 10",
    "naermere": "X - 5 <= v < X",
    "nesten": "X - 5 <= v < X",
    "rundt": "|v - X| <= 3",
    "above": "v > X",
    "below": "v < X",
}
HEDGE_WORDS: dict[str, str] = {
    "exact": "", "hele": "hele", "kun": "kun", "over": "over", "godt-over": "godt over",
    "naermere": "nærmere", "nesten": "nesten", "rundt": "rundt", "above": "over",
    "below": "under",
}
_EPS = 1e-9


def hedge_holds(hedge: str, percent: float, value: float, upper: float | None = None) -> bool:
    """Does a share of `percent` % agree with "<hedge> <value>[-<upper>] %"?"""
    v, x = percent, value
    if hedge in ("exact", "hele", "kun"):
        top = x if upper is None else upper
        return x - EXACT_TOLERANCE - _EPS <= v <= top + EXACT_TOLERANCE + _EPS
    if upper is not None:
        raise ValueError(f"a range is only allowed with exact/hele/kun, not {hedge!r}")
    if hedge == "over":
        return x < v - _EPS and v < x + 7.5
    if hedge == "godt-over":
        return x + 1.5 - _EPS <= v < x + 10
    if hedge in ("naermere", "nesten"):
        return x - 5 - _EPS <= v < x - _EPS
    if hedge == "rundt":
        return abs(v - x) <= 3 + _EPS
    if hedge == "above":
        return v > x + _EPS
    if hedge == "below":
        return v < x - _EPS
    raise ValueError(f"unknown hedge {hedge!r}")


def hedge_rounds(hedge: str, percent: float, value: float, upper: float | None = None) -> bool:
    """Strict agreement: an exact/hele/kun figure (or range) is the share rounded half-up."""
    if hedge not in ("exact", "hele", "kun"):
        return hedge_holds(hedge, percent, value, upper)
    rounded = round_half_up(percent)
    return value <= rounded <= (value if upper is None else upper)


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round as people do (2.5 -> 3), not banker's rounding."""
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x}")
    exact = Decimal(repr(x))
    with localcontext() as ctx:  # enough digits for any float (the default 28 overflow)
        ctx.prec = max(ctx.prec, exact.adjusted() + decimals + 2)
        return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


# --- numbers ---------------------------------------------------------------------------------


def fmt_number(x: float, decimals: int = 0, *, fixed: bool = False) -> str:
    """1740 -> "1 740" (NBSP groups), 2.5 -> "2,5". At most `decimals` decimals, trailing
    zeros dropped unless `fixed`."""
    value = Decimal(repr(round_half_up(float(x), decimals)))
    frac = ("0" if fixed else "#") * decimals
    pattern = "#,##0" + (f".{frac}" if decimals else "")
    with localcontext() as ctx:  # babel quantizes too: room for every digit of a huge number
        ctx.prec = max(ctx.prec, value.adjusted() + decimals + 2)
        return format_decimal(value, format=pattern, locale=LOCALE)


def fmt_percent(share: float, decimals: int = 1, *, fixed: bool = False) -> str:
    """0.625 -> "62,5 %", 0.5 -> "50 %" (fixed=True: "50,0 %"). `share` is a fraction."""
    return f"{fmt_number(100 * share, decimals, fixed=fixed)}{NBSP}%"


def fmt_kr(amount: float) -> str:
    """600_000 -> "600 000 kr"."""
    return f"{fmt_number(amount)}{NBSP}kr"


def fmt_money_mill(amount: float, decimals: int = 2) -> str:
    """2_500_000 -> "2,5 mill. kr" (the report's style, e.g. "rundt 2 mill. kr. per år")."""
    return f"{fmt_number(amount / 1_000_000, decimals)}{NBSP}mill.{NBSP}kr"


# --- phrasing --------------------------------------------------------------------------------


def hedged_share(share: float) -> str:
    """A share phrased the way the author writes it: "over 60 %", "nærmere 90 %", ...

    The phrase always satisfies :func:`hedge_holds` for the hedge it uses (see module doc).
    """
    if not 0 <= share <= 1:
        raise ValueError(f"a share must be between 0 and 1, got {share}")
    v = 100 * share
    if v < 10 - 1 or v >= 100 - _EPS:  # small shares are given as they are: "4 %"
        return f"{round_half_up(v):.0f}{NBSP}%"
    near5 = 5 * math.floor(v / 5 + 0.5)
    if abs(v - near5) <= 1 + _EPS:
        return f"rundt {near5}{NBSP}%"
    ceil10 = 10 * math.ceil(v / 10)
    if ceil10 - v <= 5:
        return f"nærmere {ceil10}{NBSP}%"
    floor10 = 10 * math.floor(v / 10)
    word = "godt over" if v - floor10 >= 3 else "over"
    return f"{word} {floor10}{NBSP}%"


def phrase_hedge(hedge: str, value: float, upper: float | None = None) -> str:
    """("naermere", 90) -> "nærmere 90 %"; ("hele", 65, 70) -> "hele 65-70 %"."""
    number = fmt_number(value, 1) + ("" if upper is None else "-" + fmt_number(upper, 1))
    word = HEDGE_WORDS[hedge]
    return f"{word} {number}{NBSP}%" if word else f"{number}{NBSP}%"


def join_list(items: Sequence[str], conjunction: str = "og") -> str:
    """["TotAl", "FoU", "Info & samfunn"] -> "TotAl, FoU og Info & samfunn" (no Oxford comma)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


_WORDS = ["null", "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve",
          "tolv"]


def number_word(n: int, gender: Literal["m", "f", "n"] = "m") -> str:
    """3 -> "tre"; 1 -> "en" (m/f) or "ett" (neuter: "ett år"); 0-12 as words, else digits.

    Bokmål: "sju" is used for 7 (the report itself never writes 7 in words).
    """
    if 0 <= n <= 12:
        if n == 1 and gender == "n":
            return "ett"
        return _WORDS[n]
    return fmt_number(n)


def capitalize_first(text: str) -> str:
    """Upper-case the first letter only: "nærmere 90 %" -> "Nærmere 90 %"."""
    return text[:1].upper() + text[1:]
