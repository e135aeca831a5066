"""Browser journeys of the analyst's view, in real headless Chromium against the real services under waitress:
a returning visitor sees what changed since the last visit, in words; the filtered status exports as CSV."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from events.envelope import NewEvent
from events.types import StageChanged
from events.values import Citation, FuzzyDate
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_web_browser import PHONE, _login, _page, _serve

pytestmark = pytest.mark.browser
CITE = Citation("Local Auto Wire", "Leapmotor International starts production in Spain",
                url="https://news.example/leapmotor-spain", published="2026-06-02")


@pytest.fixture
def served(tmp_path: Path, seed_template: Path) -> Iterator[tuple[LiveServer, Any]]:
    yield from _serve(tmp_path, seed_template)


def _ids(pg: Any, selector: str = "a.alliance-link") -> list[str]:
    hrefs = pg.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [re.sub(r"^/alliances/|\?.*$", "", h) for h in hrefs]


def test_a_returning_visitor_sees_what_changed_since_the_last_visit(browser: Any, served: Any) -> None:
    srv, tracker = served
    for first in _page(browser, srv.url):
        first.goto("/")
        assert "Changes will be marked on your next visit" in first.locator("p.lead").inner_text()
        kept = [c for c in first.context.cookies() if c["expires"] > 0]  # what outlives the browser session
        assert {c["name"] for c in kept} == {"alliances_seen"}
    tracker.store.append([NewEvent(StageChanged("leapmotor--stellantis", "production", CITE),
                                   FuzzyDate.parse("2026-06"))])
    for page in _page(browser, srv.url):
        page.context.add_cookies(kept)
        page.goto("/")
        assert "1 changed since your last visit" in page.locator("p.lead").inner_text()
        row = page.locator("tr.is-new")
        assert row.count() == 1 and "Leapmotor" in row.inner_text()
        assert "stage change" in row.locator(".badge-new").inner_text()
        screenshot(page, "status-changed-since-visit")
        page.click("text=show only these")
        page.wait_for_url(re.compile(r"changed=1"))
        assert _ids(page) == ["leapmotor--stellantis"]
        page.click("text=what is new, latest first")
        page.wait_for_url(re.compile(r"/latest\?since=visit"))
        items = page.locator("ol.latest > li")
        assert items.count() == 1
        item = items.first
        assert "Stage change" in item.inner_text() and "Leapmotor + Stellantis" in item.inner_text()
        assert "stage: established -> in production" in item.locator(".change-words").inner_text()
        link = item.locator(".citation a")
        assert link.get_attribute("href") == "https://news.example/leapmotor-spain"
        screenshot(page, "latest-since-visit")
        page.click("text=Show everything")
        page.wait_for_url("**/latest")
        assert page.locator("ol.latest > li").count() > 20
        assert page.locator("ol.latest > li").first.locator(".badge-change").inner_text() == "Stage change"
        screenshot(page, "latest")
    for phone in _page(browser, srv.url, PHONE):
        phone.goto("/latest")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(phone, "latest-phone")


def test_export_the_filtered_status_as_csv(browser: Any, served: Any) -> None:
    srv, _tracker = served
    for page in _page(browser, srv.url):
        page.goto("/")
        page.fill("#f-q", "魔門塔")  # traditional characters find 魔门塔
        page.select_option("#f-stage", "established")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"stage=established"))
        shown = _ids(page)
        assert shown and all("momenta" in i for i in shown)
        screenshot(page, "status-filtered")
        with page.expect_download() as info:
            page.click("p.data-links a:text('CSV')")
        download = info.value
        assert download.suggested_filename == "alliances.csv"
        text = Path(download.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["id"] for r in rows] == shown
        assert {r["stage"] for r in rows} == {"Established"} and all("Momenta" in r["parties"] for r in rows)


def test_timeline_shows_confidence_to_all_and_editorial_notes_to_the_admin(browser: Any, served: Any) -> None:
    srv, _tracker = served
    for page in _page(browser, srv.url):
        page.goto("/alliances/audi--saic-motor")
        reports = page.locator("ol.timeline > li", has_text="Reported").or_(
            page.locator("ol.timeline > li", has_text="Stage changed"))
        assert reports.count() == 2
        assert all("Confidence: high (0.95)" in reports.nth(i).inner_text() for i in range(2))
        assert page.locator(".editorial-note").count() == 0
        assert "resolved to" not in page.locator("main").inner_text().lower()
        _login(page, "/alliances/audi--saic-motor")
        note = page.locator(".editorial-note")
        assert "Resolved to 2024-11" in note.first.inner_text()
        assert "Recorded as a milestone" in note.nth(1).inner_text()
        screenshot(page, "alliance-admin-notes")
