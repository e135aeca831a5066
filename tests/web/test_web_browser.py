"""End to end in real headless Chromium (Playwright, sync API) against the app under waitress.

Every request the browser makes goes through a guard that aborts anything not served by the
app and fails the test: no CDN, no egress. Each page is saved to test-artifacts/screenshots/.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, EgressGuard, FeedServer, LiveServer, rss, screenshot

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


DEAL = ("Nissan and Momenta sign strategic cooperation agreement",
        "Nissan and Momenta signed a strategic cooperation agreement on intelligent driving on Monday. "
        "日产与魔门塔签署战略合作协议，双方将在智能驾驶领域展开合作。", "http://127.0.0.1/news/nissan-momenta")
REVIEW_DEAL = ("Renault and Horizon Robotics sign strategic cooperation agreement",
               "Renault and Horizon Robotics signed a strategic cooperation agreement on driver assistance. "
               "雷诺与地平线签署战略合作协议。", "http://127.0.0.1/news/renault-horizon")


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    with FeedServer({"/deals.xml": rss([DEAL]), "/review.xml": rss([REVIEW_DEAL])}) as fs:
        yield fs


def _serve(tmp: Path, seed_template: Path, **env: str) -> Iterator[tuple[LiveServer, Any]]:
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    shutil.copy(seed_template, tmp / "alliances.db")
    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp), "ALLIANCES_ADMIN_PASSWORD": PASSWORD,
                                       "ALLIANCES_ALLOW_PRIVATE_URLS": "1", "ALLIANCES_NO_DEMO_FEED": "1", **env}))
    with LiveServer(web_app(tracker)) as srv:
        yield srv, tracker
    tracker.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> Iterator[tuple[LiveServer, Any]]:
    yield from _serve(tmp_path_factory.mktemp("live"), seed_template)


@pytest.fixture
def page(browser: Any, live: tuple[LiveServer, Any]) -> Iterator[Any]:
    """A fresh browser context whose every request is checked by the egress guard and CSP watcher."""
    yield from _page(browser, live[0].url)


def _page(browser: Any, base: str, viewport: dict[str, int] = DESKTOP) -> Iterator[Any]:
    ctx = browser.new_context(base_url=base, viewport=viewport, color_scheme="light", locale="en-GB")
    guard = EgressGuard(base)
    ctx.route("**/*", guard)
    problems: list[str] = []
    pg = ctx.new_page()
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" and not m.text.startswith(
        "Failed to load resource: the server responded") else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.set_default_timeout(10_000)
    yield pg
    ctx.close()
    assert not guard.blocked, f"the page tried to reach outside the app: {guard.blocked}"
    assert not problems, f"console errors (CSP violations?): {problems}"


def _alliance_ids(pg: Any) -> list[str]:
    hrefs = pg.eval_on_selector_all("a.alliance-link", "els => els.map(e => e.getAttribute('href'))")
    return [re.sub(r"^/alliances/|\?.*$", "", h) for h in hrefs]


# --- reading -------------------------------------------------------------------------------


def test_status_page_shows_the_seed_alliances(page: Any, browser: Any, live: Any) -> None:
    page.goto("/")
    ids = _alliance_ids(page)
    assert {"bytedance--mercedes-benz", "audi--saic-motor", "saic-motor--volkswagen"} <= set(ids)
    assert len(ids) >= 22
    zh = page.locator('td [lang="zh"]', has_text="梅赛德斯-奔驰").first
    assert zh.is_visible()
    # the Chinese font is really used: glyphs have width (no tofu boxes of zero width)
    assert zh.bounding_box()["width"] > 40
    screenshot(page, "status")
    for phone in _page(browser, live[0].url, PHONE):
        phone.goto("/")
        assert phone.locator("a.alliance-link", has_text="Mercedes-Benz").first.is_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(phone, "status-phone")
    for dark in _dark(browser, live[0].url):
        dark.goto("/")
        bg = dark.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg != "rgb(255, 255, 255)"
        screenshot(dark, "status-dark")


def _dark(browser: Any, base: str) -> Iterator[Any]:
    ctx = browser.new_context(base_url=base, viewport=DESKTOP, color_scheme="dark")
    guard = EgressGuard(base)
    ctx.route("**/*", guard)
    yield ctx.new_page()
    ctx.close()
    assert not guard.blocked


def test_date_picker_before_september_2025_hides_mercedes_bytedance(page: Any) -> None:
    page.goto("/")
    assert "bytedance--mercedes-benz" in _alliance_ids(page)
    page.fill("#tt-as-of", "2025-08-31")
    page.click(".timetravel button[type=submit]")
    page.wait_for_url(re.compile(r"as_of=2025-08-31"))
    assert "bytedance--mercedes-benz" not in _alliance_ids(page)
    assert page.locator(".past-banner").is_visible()
    assert "past state" in page.locator(".past-banner").inner_text()
    screenshot(page, "status-past")
    # links keep the chosen date
    page.click("a.alliance-link >> nth=0")
    assert "as_of=2025-08-31" in page.url
    page.goto("/?as_of=2025-09-30")
    assert "bytedance--mercedes-benz" in _alliance_ids(page)


def test_alliance_timeline(page: Any) -> None:
    page.goto("/")
    page.click("a.alliance-link[href='/alliances/bytedance--mercedes-benz']")
    page.wait_for_url("**/alliances/bytedance--mercedes-benz")
    assert page.locator("h1").inner_text() == "ByteDance + Mercedes-Benz"
    entries = page.locator("ol.timeline > li")
    assert entries.count() == 2
    assert "September 2025" in entries.nth(0).inner_text()
    assert "Xinhua News Agency" in entries.nth(0).locator(".citation").inner_text()
    assert entries.nth(0).locator("blockquote.evidence").is_visible()
    screenshot(page, "alliance")


@pytest.mark.parametrize("name,path,heading", [
    ("company", "/companies/momenta", "Momenta"),
    ("network", "/network", "Partnership network"),
    ("changes", "/changes?from=2025-01-01&to=2026-01-01", "Changes"),
    ("events", "/events", "Event log"),
    ("login", "/login", "Admin login"),
    ("feeds", "/feeds", "Feeds"),
    ("not-found", "/alliances/no-such-alliance", "404"),
    ("bad-date", "/?as_of=2025-02-30", "400"),
])
def test_every_page_renders(page: Any, name: str, path: str, heading: str) -> None:
    page.goto(path)
    assert heading in page.locator("h1").inner_text()
    assert page.locator("main#content").count() == 1 and page.locator("a.skip-link").count() == 1
    if name == "network":
        assert page.locator("svg.network-svg line.edge").count() >= 22
        assert page.locator("#network-table tbody tr, #network-table ~ .table-wrap tbody tr").count() >= 22
    screenshot(page, name)


# --- admin: feeds and review (the whole feed -> extraction -> event pipeline) --------------


def _login(page: Any, next_path: str = "/feeds") -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"**{next_path}")


def test_login_add_local_feed_poll_and_see_new_alliance(page: Any, live: Any, feed_server: FeedServer) -> None:
    """The whole form against the real feed service: the minutes field, listing, polling, a new alliance."""
    _login(page)
    page.fill("#feed-url", f"{feed_server.url}/deals.xml")
    page.fill("#feed-title", "Local Auto Wire")
    page.fill("#feed-interval", "30")
    page.click("form[action='/feeds/add'] button[type=submit]")
    page.wait_for_url("**/feeds")
    assert "Added feed Local Auto Wire" in page.locator(".flash").inner_text()
    row = page.locator("table.feeds tbody tr", has_text="Local Auto Wire")
    assert "30 min" in row.locator("td.every").inner_text() and "New: not polled yet" in row.inner_text()
    assert [f.interval_seconds for f in live[1].subscriptions.feeds() if f.title == "Local Auto Wire"] == [1800]
    hits = feed_server.hits("/deals.xml")
    page.click("form[action='/feeds/poll'] button[type=submit]")
    page.wait_for_url("**/feeds")
    assert "Polled the feeds" in page.locator(".flash").inner_text()
    assert feed_server.hits("/deals.xml") > hits
    row = page.locator("table.feeds tbody tr", has_text="Local Auto Wire")
    assert "OK" in row.inner_text()
    row.locator("input[name=interval]").fill("60")
    row.locator("button", has_text="Set minutes").click()
    page.wait_for_url("**/feeds")
    assert "polled every 1 h" in page.locator(".flash").inner_text()
    assert "1 h" in page.locator("table.feeds tbody tr", has_text="Local Auto Wire").locator("td.every").inner_text()
    screenshot(page, "feeds-admin")
    page.goto("/?q=nissan")
    ids = _alliance_ids(page)
    assert any("nissan" in i and "momenta" in i for i in ids), ids
    page.goto("/?q=日产")
    assert any("nissan" in i for i in _alliance_ids(page))
    screenshot(page, "status-after-poll")


def test_confirm_an_item_of_the_review_queue(browser: Any, tmp_path: Path, seed_template: Path,
                                             feed_server: FeedServer) -> None:
    # a threshold above every confidence sends each extracted deal to the review queue
    for srv, _tracker in _serve(tmp_path, seed_template, ALLIANCES_REVIEW_THRESHOLD="1.0"):
        for page in _page(browser, srv.url):
            _login(page)
            page.fill("#feed-url", f"{feed_server.url}/review.xml")
            page.click("form[action='/feeds/add'] button[type=submit]")
            page.wait_for_url("**/feeds")
            page.click("form[action='/feeds/poll'] button[type=submit]")
            page.wait_for_url("**/feeds")
            page.goto("/review")
            cards = page.locator("li.candidate")
            assert cards.count() >= 1, "the hedged deal did not reach the review queue"
            card = cards.filter(has_text="Horizon").first
            assert card.locator("blockquote.evidence, .citation").first.is_visible()
            screenshot(page, "review")
            card.locator("select[name=stage]").select_option("agreement_signed")
            card.locator("button.primary", has_text="Confirm").click()
            page.wait_for_url("**/review")
            assert "Confirmed candidate" in page.locator(".flash").inner_text()
            decided = page.locator("table.review-history tbody tr").first.inner_text()
            assert "Confirmed" in decided and "Horizon" in decided and "admin" in decided
            screenshot(page, "review-history")
            page.goto("/?q=horizon")
            assert any("renault" in i for i in _alliance_ids(page)), _alliance_ids(page)
