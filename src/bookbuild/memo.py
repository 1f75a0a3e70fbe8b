"""Results of the engine's own Python passes over one chapter, kept in the build folder.

Whole-book passes (unique Typst labels, links across pages, the Typst preparation of each
chapter) are split into per-chapter parts whose inputs are spelled out in a text; a part is
computed once per distinct text and the engine's sources, so a rebuild after a prose edit
redoes only the edited chapter's parts and a changed engine never reuses an old result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bookbuild import jsontext
from bookbuild.cache import engine_digest
from bookbuild.convcache import TextCache


class JsonMemo:
    """`get(material, produce)`: produce() once per distinct material, as JSON data (hits and
    misses return the same JSON round trip, so they cannot differ); thread-safe."""

    def __init__(self, store: Path) -> None:
        self._texts = TextCache(store)

    def get(self, material: str, produce: Callable[[], Any]) -> Any:
        text = self._texts.get(f"{engine_digest()}\0{material}", lambda: jsontext.dumps(produce()))
        return jsontext.loads(text)

    def find(self, material: str) -> Any | None:
        """The result kept for `material`, None if there is none."""
        text = self._texts.find(f"{engine_digest()}\0{material}")
        return None if text is None else jsontext.loads(text)

    def keep(self, material: str) -> None:
        """Keep the entry for `material` on pruning, without reading it."""
        self._texts.keep(f"{engine_digest()}\0{material}")

    def put(self, material: str, value: Any) -> None:
        self._texts.put(f"{engine_digest()}\0{material}", jsontext.dumps(value))

    @property
    def misses(self) -> int:
        return self._texts.misses

    def prune(self) -> None:
        """Forget the entries this memo's user did not ask for."""
        self._texts.prune()
