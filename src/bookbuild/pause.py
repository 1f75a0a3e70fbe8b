"""Test hook: stop the build at a named stage so a test can interrupt it deterministically.

    BOOKBUILD_TEST_PAUSE=rendering:/tmp/flag bookbuild build

When the build reaches `pause_at("rendering")` it creates /tmp/flag and waits until the file is
removed (signals still interrupt the wait). Stages: "rendering" (output being written into the
temporary folder) and "swap" (between the two renames that publish it; SIGINT/SIGTERM are held
back there, so they take effect once the swap is complete). Unset, the hook does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "BOOKBUILD_TEST_PAUSE"


def pause_at(stage: str) -> None:
    name, _, flag = os.environ.get(ENV, "").partition(":")
    if name != stage or not flag:
        return
    path = Path(flag)
    path.write_text(str(os.getpid()), encoding="utf-8")
    while path.exists():
        time.sleep(0.02)
