"""Accessibility and layout of the site: language, alt text, data tables for charts, heading
order, WCAG 2 AA by axe-core (contrast included), phones at 375 px; screenshots as artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import ARTIFACTS, DESKTOP, PHONE, html_pages

pytestmark = pytest.mark.browser

SCREENSHOT_PAGES = {
    "forord": "index.html",
    "lettmetallmiljoet": "chapters/02-lettmetallmiljoet.html",
    "hovedprosjekt": "chapters/04-hovedprosjekt.html",
}


def _axe_script() -> Path:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-core not available (pip package axe-playwright-python)")
    return Path(axe_playwright_python.__file__).with_name("axe.min.js")


def test_every_page_declares_norwegian(context, site_url, site_dir) -> None:
    page = context.new_page()
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        assert page.evaluate("document.documentElement.lang") == "nb", path


def test_every_image_has_meaningful_alt_text(context, site_url, site_dir) -> None:
    page = context.new_page()
    seen = 0
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        for img in page.locator("img").all():
            alt = (img.get_attribute("alt") or "").strip()
            src = img.get_attribute("src") or ""
            seen += 1
            assert len(alt.split()) >= 4, f"{path}: {src}: alt text {alt!r}"
            assert Path(src).stem not in alt and not alt.lower().startswith(("image", "figur "))
    assert seen >= 9  # the three diagrams and the six charts at least


def test_every_chart_has_its_numbers_as_a_table(context, site_url, site_dir) -> None:
    page = context.new_page()
    charts = 0
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        found = page.evaluate("""() => [...document.querySelectorAll('main figure[id^="tbl-"]')]
          .map(fig => {
            let el = fig.nextElementSibling;
            while (el && el.tagName !== 'FIGURE' && el.tagName !== 'TABLE')
              el = el.nextElementSibling;
            return el && el.tagName === 'TABLE' ? el.querySelectorAll('tbody td').length : 0;
          })""")
        charts += len(found)
        assert all(cells > 0 for cells in found), path
    assert charts == 6


def test_headings_never_skip_a_level(context, site_url, site_dir) -> None:
    page = context.new_page()
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        levels = page.evaluate(
            "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
        assert levels and levels[0] == 1, f"{path}: first heading is h{levels[:1]}"
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, f"{path}: h{before} followed by h{after}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_aa_violations(browser, site_url, site_dir, viewport) -> None:
    script = _axe_script()
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    problems = []
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        page.add_script_tag(path=str(script))
        result = page.evaluate("""() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
        problems += [f"{path}: {v['id']} ({v['impact']}): {v['help']}: "
                     f"{[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]
        assert result["passes"], "axe ran no checks"
    context.close()
    assert problems == []


def test_readable_on_a_phone(browser, site_url, site_dir) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    for path in html_pages(site_dir):
        page.goto(site_url + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path}: page is {width}px wide"
        assert not page.locator("#sidebar").is_visible(), f"{path}: sidebar not collapsed"
    toggle = page.locator(".nav-toggle")
    toggle.click()
    assert page.locator("#sidebar").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots(browser, site_url, viewport, request) -> None:
    """Three pages at desktop and phone width, kept under artifacts/screenshots/."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    name = request.node.callspec.id
    for label, path in SCREENSHOT_PAGES.items():
        page.goto(site_url + path, wait_until="networkidle")
        target = folder / f"{label}-{name}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
    context.close()
