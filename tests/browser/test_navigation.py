"""The site in a real browser: pages load clean and offline, navigation and search work."""

from __future__ import annotations

import time
from urllib.parse import urljoin

import pytest
from browsing import html_pages, watch

pytestmark = pytest.mark.browser

# Search term -> the chapter page a reader must be led to (where the term is discussed).
SEARCHES = {
    "RISC": "chapters/04-hovedprosjekt.html",
    "Studietrappa": "chapters/02-lettmetallmiljoet.html",
    "spørreskjemaundersøkelsen": "chapters/04-hovedprosjekt.html",
}


def _path(url: str, site_url: str) -> str:
    return url.removeprefix(site_url).split("#")[0]


def test_every_page_loads_without_errors_and_offline(context, site_url, site_dir) -> None:
    page = context.new_page()
    log = watch(page, site_url)
    for path in html_pages(site_dir):
        response = page.goto(site_url + path, wait_until="networkidle")
        assert response is not None and response.ok, path
    assert log.console_errors == []
    assert log.failed == []
    assert log.foreign == []  # every font, style sheet and script is served by the site


def _sidebar(page, site_url: str) -> list[tuple[str, str]]:
    links = page.locator("#sidebar .chapter-list a")
    return [(_path(urljoin(page.url, a.get_attribute("href")), site_url),
             a.locator(".chapter-title").inner_text()) for a in links.all()]


def test_sidebar_reaches_every_chapter(context, site_url, site_dir) -> None:
    page = context.new_page()
    page.goto(site_url + "index.html")
    entries = _sidebar(page, site_url)
    assert sorted(p for p, _ in entries) == sorted(html_pages(site_dir))
    for i, (path, title) in enumerate(entries):
        page.locator("#sidebar .chapter-list a").nth(i).click()
        page.wait_for_load_state()
        assert _path(page.url, site_url) == path
        assert title in page.locator("main h1").first.inner_text()
        current = page.locator('#sidebar a[aria-current="page"]')
        assert current.count() == 1 and title in current.inner_text()


def test_next_and_previous_links_walk_the_book_in_order(context, site_url) -> None:
    page = context.new_page()
    page.goto(site_url + "index.html")
    order = [p for p, _ in _sidebar(page, site_url)]
    seen = [_path(page.url, site_url)]
    while page.locator("a.page-next").count():
        page.locator("a.page-next").click()
        page.wait_for_load_state()
        seen.append(_path(page.url, site_url))
    assert seen == order
    back = [seen[-1]]
    while page.locator("a.page-prev").count():
        page.locator("a.page-prev").click()
        page.wait_for_load_state()
        back.append(_path(page.url, site_url))
    assert back == order[::-1]


def test_page_toc_links_jump_to_their_sections(context, site_url) -> None:
    page = context.new_page()
    page.goto(site_url + "chapters/04-hovedprosjekt.html")
    links = page.locator(".page-toc a")
    assert links.count() >= 10
    for i in (0, links.count() // 2, links.count() - 1):
        link = links.nth(i)
        target = link.get_attribute("href")
        assert target.startswith("#")
        link.click()
        page.wait_for_function("h => location.hash === h", arg=target)
        heading = page.locator(f"[id='{target[1:]}']")
        assert heading.count() == 1
        top = heading.evaluate("e => e.getBoundingClientRect().top")
        assert -2 <= top < 200, f"{target} is not scrolled into view (top {top})"


@pytest.mark.parametrize("term", SEARCHES)
def test_search_finds_the_term_and_leads_to_its_chapter(context, site_url, term) -> None:
    page = context.new_page()
    log = watch(page, site_url)
    page.goto(site_url + "index.html")
    page.locator("#search input").fill(term)
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(timeout=10_000)
    # Pagefind shows results as each one's fragment loads: wait for the expected one (bounded).
    deadline = time.monotonic() + 10
    while True:
        hrefs = [_path(urljoin(page.url, a.get_attribute("href")), site_url)
                 for a in results.all()]
        if SEARCHES[term] in hrefs or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert SEARCHES[term] in hrefs
    results.nth(hrefs.index(SEARCHES[term])).click()
    page.wait_for_load_state()
    assert _path(page.url, site_url) == SEARCHES[term]
    assert term.lower() in page.locator("main").inner_text().lower()
    assert log.console_errors == [] and log.failed == []
