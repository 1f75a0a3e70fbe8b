"""The built site in headless Chromium: a local HTTP server, the system Chromium driven by
Playwright (never a downloaded browser), and helpers that record what a page did.

Without Chromium or Playwright the browser tests are skipped with a plain message; with `CI`
set they fail instead, so CI can never pass without running them. `BOOK_DIR=_book` runs them
against an existing build instead of the session build (quicker while editing the theme).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium reaches for the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def unavailable(reason: str) -> None:
    """Skip, or fail when CI is set: CI must run the browser tests."""
    message = f"browser tests skipped: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is an error)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_dir(request: pytest.FixtureRequest) -> Path:
    given = os.environ.get("BOOK_DIR")
    if given:
        return Path(given).resolve()
    return request.getfixturevalue("built_book").book


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """The site served from 127.0.0.1 on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")  # closed after each module: no browser outlives its tests
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed (make installs it)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageLog:
    """What went wrong while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


@pytest.fixture
def context(browser, site_url: str) -> Iterator[object]:
    ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    try:
        yield ctx
    finally:
        ctx.close()


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
