"""Shared fixtures of the report tests: the project and the seed text. The ONE real build
(`built_book`) is in tests/conftest.py; its helpers in tests/built.py."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "000_ca6d0b9bcd22a1fe.txt"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed text not available ({SEED}); the project builds without it")
    return SEED.read_text(encoding="utf-8")
