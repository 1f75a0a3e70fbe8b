"""Full-text search for the site: a pagefind index and UI bundle in `<site>/pagefind/`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bookbuild.errors import BuildError

BUNDLE_DIR = "pagefind"


def pagefind_executable() -> str:
    """The pagefind binary shipped by the `pagefind-bin` wheel."""
    try:
        import pagefind_bin

        return str(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise BuildError(f"search: the pagefind binary is missing ({exc})") from None


def index_site(out_dir: Path) -> None:
    """Index the pages' `data-pagefind-body` element; pagefind writes its UI next to the index."""
    cmd = [
        pagefind_executable(),
        "--site",
        str(out_dir),
        "--output-subdir",
        BUNDLE_DIR,
        # Keep ".../index.html" in result links: the site must also work from a plain folder.
        "--keep-index-url",
        "--silent",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BuildError(f"search: pagefind failed indexing {out_dir.name}: {detail}")
    if not (out_dir / BUNDLE_DIR / "pagefind-ui.js").is_file():
        raise BuildError(f"search: pagefind wrote no {BUNDLE_DIR}/pagefind-ui.js")
