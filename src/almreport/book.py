"""The one shared setup of the chapters (like r4ds' `_common.R`).

Every chapter with code starts with

    #| include: false
    from almreport.book import records, survey

The build runs chapters with the project root as working directory, so the records are read
from ./data, each file when a chapter first uses it: the build then knows exactly which data
files a chapter depends on (and re-executes it only when one of those changes).
"""

from __future__ import annotations

from pathlib import Path

from almreport.records import LazyRecords

records = LazyRecords(Path.cwd())


def __getattr__(name: str) -> object:
    # `survey` is looked up on import (`from almreport.book import survey`), not before.
    if name == "survey":
        return records.survey
    raise AttributeError(name)

