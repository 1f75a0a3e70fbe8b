"""The one shared setup of the chapters (like r4ds' `_common.R`).

Every chapter with code starts with

    #| include: false
    from almreport.book import records, survey

The build runs chapters with the project root as working directory, so the records are read
from ./data. They are loaded once per kernel.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from almreport.records import Records, load_all
from almreport.schema.survey import Survey


@cache
def _load(root: Path) -> Records:
    return load_all(root)


records: Records = _load(Path.cwd())
survey: Survey = records.survey

__all__ = ["records", "survey"]
