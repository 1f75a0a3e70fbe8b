"""Shared by every test folder: `buildcheck` (the failure tests' helpers) is importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
