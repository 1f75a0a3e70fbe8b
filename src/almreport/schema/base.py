"""Shared base for every record model.

All record models derive from :class:`Record` (unknown fields are errors, strings are stripped).
A validator that finds a problem *inside* a list or mapping (a duplicate id, counts that do not
add up, ...) raises :class:`ItemError` with the location of the offending entry relative to the
field being validated, so the loader can point at the exact YAML line::

    @field_validator("items")
    @classmethod
    def _unique(cls, items):
        for i, item in enumerate(items):
            if ...:
                raise ItemError((i, "id"), f"duplicate id {item.id!r}")
        return items
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict


class ItemError(ValueError):
    """A validation problem located at `loc` below the field (or model) being validated."""

    def __init__(self, loc: tuple[str | int, ...], problem: str) -> None:
        super().__init__(problem)
        self.loc = tuple(loc)
        self.problem = problem


class Record(BaseModel):
    """Base of all record models: strict about unknown keys, frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def require_unique(
    items: Sequence, what: str, key: str = "id", at: tuple[str | int, ...] = ()
) -> None:
    """Raise ItemError at the first entry whose `key` repeats an earlier entry's."""
    seen: set[object] = set()
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in seen:
            raise ItemError((*at, i, key), f"duplicate {what} {value!r}")
        seen.add(value)
