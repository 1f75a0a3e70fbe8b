"""Helpers of the browser tests (their fixtures are in tests/browser/conftest.py): the
viewports, where pictures go, a record of what a page did, the site's pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # the project's artifacts/
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@dataclass
class PageLog:
    """What went wrong while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


def watch(page, site_url: str) -> PageLog:
    """Record console errors, uncaught exceptions, failed and non-local requests of `page`."""
    log = PageLog()
    page.on("console", lambda m: m.type == "error" and log.console_errors.append(m.text))
    page.on("pageerror", lambda e: log.console_errors.append(str(e)))
    page.on("requestfailed", lambda r: log.failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and log.failed.append(f"{r.url}: {r.status}"))
    page.on("request", lambda r: r.url.startswith(("data:", "blob:", site_url))
            or log.foreign.append(r.url))
    return log


def html_pages(site_dir: Path) -> list[str]:
    """Site-relative paths of the book's pages (not pagefind's or other assets)."""
    pages = ["index.html"] + sorted(p.relative_to(site_dir).as_posix()
                                    for p in (site_dir / "chapters").glob("*.html"))
    return [p for p in pages if (site_dir / p).is_file()]
