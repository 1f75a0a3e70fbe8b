"""The built site in headless Chromium: a local HTTP server, the system Chromium driven by
Playwright (never a downloaded browser). The helpers the tests import are in tests/browsing.py
(a test module importing from `conftest` gets whichever conftest pytest loaded last).

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
from pathlib import Path

import pytest
from browsing import DESKTOP

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium reaches for the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


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


@pytest.fixture
def context(browser, site_url: str) -> Iterator[object]:
    ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    try:
        yield ctx
    finally:
        ctx.close()
