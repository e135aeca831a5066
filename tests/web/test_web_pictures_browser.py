"""Journeys through the pictures in real headless Chromium against the real pipeline (seeded tracker):
follow a link from the network to an alliance and a company; replay by clicking a year on the timeline.
Screenshots of both pictures, light and dark, desktop and phone, go to test-artifacts/screenshots/."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import EgressGuard, LiveServer, screenshot
from tests.web.test_web_browser import DESKTOP, PHONE, _page, _serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> Iterator[LiveServer]:
    for srv, _tracker in _serve(tmp_path_factory.mktemp("pictures"), seed_template):
        yield srv


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    yield from _page(browser, site.url)


def _status_ids(pg: Any) -> set[str]:
    hrefs = pg.eval_on_selector_all("a.alliance-link", "els => els.map(e => e.getAttribute('href'))")
    return {re.sub(r"^/alliances/|\?.*$", "", h) for h in hrefs}


def test_follow_a_line_of_the_network_to_its_alliance(page: Any) -> None:
    page.goto("/network?as_of=2025-12-31")
    page.locator('svg.network-svg a.edge-link[href^="/alliances/bytedance--mercedes-benz"] line.edge').click()
    page.wait_for_url("**/alliances/bytedance--mercedes-benz?as_of=2025-12-31")
    assert page.locator("h1").inner_text() == "ByteDance + Mercedes-Benz"
    assert page.locator(".past-banner").is_visible()  # the date travelled with the link


def test_follow_a_company_of_the_network_to_its_page(page: Any) -> None:
    page.goto("/network")
    page.locator('svg.network-svg a.node[href="/companies/momenta"] text').click()
    page.wait_for_url("**/companies/momenta")
    assert "Momenta" in page.locator("h1").inner_text()


def test_follow_the_hub_of_a_six_party_alliance(page: Any) -> None:
    page.goto("/network")
    hub = page.locator('svg.network-svg a.hub[href="/alliances/huawei-hima"]')
    assert hub.locator("line.spoke").count() == 6  # one hub joined to six parties, not 15 lines
    hub.locator("polygon").click()
    page.wait_for_url("**/alliances/huawei-hima")
    assert "Huawei" in page.locator("h1").inner_text()


def test_step_through_the_network_year_by_year(page: Any) -> None:
    page.goto("/network")
    page.click("nav.year-steps a[rel=prev]")
    page.wait_for_url(re.compile(r"as_of=\d{4}-12-31"))
    before = page.locator("svg.network-svg a.edge-link").count()
    page.click("nav.year-steps a[rel=prev]")
    page.wait_for_url(re.compile(r"as_of=\d{4}-12-31"))
    assert page.locator("svg.network-svg a.edge-link").count() <= before


def test_replay_by_clicking_a_year_on_the_timeline(page: Any) -> None:
    page.goto("/timeline")
    assert page.locator("svg.timeline-svg a.bar-link").count() == 22
    page.locator('svg.timeline-svg a.year-link[href="/?as_of=2024-12-31"] rect').click()
    page.wait_for_url("**/?as_of=2024-12-31")
    assert "past state" in page.locator(".past-banner").inner_text()
    ids = _status_ids(page)
    assert "audi--saic-motor" in ids and "bytedance--mercedes-benz" not in ids  # reported in September 2025
    page.goto("/timeline")
    page.fill("#t-q", "momenta")
    page.click("form.timeline-filters button[type=submit]")
    page.wait_for_url(re.compile(r"/timeline\?q=momenta"))
    labels = page.locator("svg.timeline-svg a.bar-link .row-label").all_text_contents()
    assert len(labels) == 7 and all("Momenta" in t for t in labels)  # the seed has seven with Momenta
    page.locator('svg.timeline-svg a.year-link[href^="/?q=momenta&as_of=2022-12-31"] rect').click()
    page.wait_for_url("**/?q=momenta&as_of=2022-12-31")
    ids = _status_ids(page)
    assert ids and all("momenta" in i for i in ids)  # the filter came along


def _context(browser: Any, base: str, viewport: dict[str, int], scheme: str) -> Iterator[Any]:
    ctx = browser.new_context(base_url=base, viewport=viewport, color_scheme=scheme, locale="en-GB")
    guard = EgressGuard(base)
    ctx.route("**/*", guard)
    yield ctx.new_page()
    ctx.close()
    assert not guard.blocked


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,path", [("network", "/network"), ("timeline", "/timeline")])
def test_pictures_at_desktop_width(browser: Any, site: LiveServer, name: str, path: str, scheme: str) -> None:
    for pg in _context(browser, site.url, DESKTOP, scheme):
        pg.goto(path)
        svg = pg.locator(f"svg.{name}-svg")
        assert svg.is_visible() and svg.bounding_box()["width"] > 900
        if scheme == "dark":
            assert pg.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
        screenshot(pg, name if scheme == "light" else f"{name}-dark")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,path", [("network", "/network"), ("timeline", "/timeline")])
def test_pictures_give_way_to_their_tables_on_a_phone(browser: Any, site: LiveServer, name: str, path: str,
                                                      scheme: str) -> None:
    for pg in _context(browser, site.url, PHONE, scheme):
        pg.goto(path)
        assert not pg.locator(f"svg.{name}-svg").is_visible()
        assert pg.locator(".picture-phone-note").is_visible()
        assert pg.locator("a.alliance-link").first.is_visible()
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(pg, f"{name}-phone" if scheme == "light" else f"{name}-phone-dark")
