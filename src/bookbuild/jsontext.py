"""JSON text for the engine's bulk data: pandoc ASTs, memo entries and the keys made of them.

A build turns each chapter's AST into JSON several times (cache keys, memo entries, pandoc's
input); orjson writes it about eight times faster than the standard library. Small files that
people read (registries, caches' metadata) keep using `json`.
"""

from __future__ import annotations

from typing import Any

import orjson

# As json.dumps does: keys that are not strings (e.g. numbers) are written as strings.
_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON text of `value` (UTF-8 characters as they are, keys in insertion order)."""
    return orjson.dumps(value, option=_OPTIONS).decode("utf-8")


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
