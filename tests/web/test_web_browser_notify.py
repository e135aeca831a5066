"""Following changes in real headless Chromium: the status page announces a change recorded while it is open
(through /api/stream and static/live.js, under the CSP), and the notification admin pages. Screenshots go to
test-artifacts/screenshots/ like the other browser tests."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import staged
from tests.web.conftest import PASSWORD, FakeSubscriptions, LiveServer, screenshot
from tests.web.test_web_browser import PHONE, _login, _page
from tests.web.test_web_subscriptions import Receiver
from web.ports import Attempt, DeliveryRow, SubscriptionSpec

pytestmark = pytest.mark.browser
STREAM_SECONDS = 2.0  # short streams, so the test also sees the browser reconnect and resume


@pytest.fixture(scope="module")
def subs() -> FakeSubscriptions:
    return FakeSubscriptions()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seed_template: Path,
         subs: FakeSubscriptions) -> Iterator[tuple[LiveServer, Any]]:
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import TrackerAliases, TrackerFeeds, TrackerQueries, TrackerReview
    from web import create_app

    tmp = tmp_path_factory.mktemp("live-notify")
    shutil.copy(seed_template, tmp / "alliances.db")
    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp), "ALLIANCES_ADMIN_PASSWORD": PASSWORD,
                                       "ALLIANCES_NO_DEMO_FEED": "1"}))
    app = create_app(tracker.settings, queries=TrackerQueries(tracker), feeds=TrackerFeeds(tracker),
                     review=TrackerReview(tracker), aliases=TrackerAliases(tracker), subscriptions=subs)
    app.config.update(ALLIANCES_STREAM_SECONDS=STREAM_SECONDS, ALLIANCES_STREAM_POLL_SECONDS=0.2,
                      ALLIANCES_STREAM_RETRY_MS=500)
    with LiveServer(app) as srv:
        yield srv, tracker
    tracker.close()


@pytest.fixture
def page(browser: Any, live: tuple[LiveServer, Any]) -> Iterator[Any]:
    yield from _page(browser, live[0].url)


def test_a_change_recorded_while_the_status_page_is_open_is_announced(page: Any, live: Any) -> None:
    tracker = live[1]
    page.goto("/")
    live_box = page.locator("#live-changes")
    assert live_box.locator(".live-count").inner_text() == ""
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".some(e => e.name.includes('/api/stream'))")  # the script has opened the stream
    tracker.store.append([staged("leapmotor--stellantis", "production", "2026-11")])
    count = live_box.locator(".live-count[role=status]")
    count.filter(has_text="1 new change — reload").wait_for()
    first = live_box.locator(".live-list li a").first
    assert first.inner_text() == "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production"
    assert first.get_attribute("href") == "/alliances/leapmotor--stellantis"
    screenshot(page, "status-live-change")

    page.wait_for_timeout(STREAM_SECONDS * 1000 + 1000)  # the first stream has ended; the browser reconnected
    tracker.store.append([staged("leapmotor--stellantis", "expanded", "2026-12")])
    count.filter(has_text="2 new changes — reload").wait_for()
    titles = live_box.locator(".live-list li a").all_inner_texts()
    assert titles == ["Leapmotor 零跑 + Stellantis 斯特兰蒂斯: in production -> expanded",
                      "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production"]  # each once, newest first
    page.click(".live-count a")
    page.wait_for_load_state()
    assert page.locator(".live-list li").count() == 0  # the reload shows the changes in the table itself


def test_the_status_page_works_without_javascript(browser: Any, live: Any) -> None:
    ctx = browser.new_context(base_url=live[0].url, java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto("/?stage=production")
    assert pg.locator("a.alliance-link").count() > 0
    follow = pg.locator("a.follow-link")
    assert follow.inner_text() == "Follow the changes of these alliances"
    assert follow.get_attribute("href") == "/feed.atom?stage=production"
    ctx.close()


def test_follow_links_on_alliance_and_company_pages(page: Any) -> None:
    page.goto("/alliances/bytedance--mercedes-benz")
    link = page.get_by_role("link", name="Follow this alliance")
    assert link.get_attribute("href") == "/alliances/bytedance--mercedes-benz/feed.atom"
    screenshot(page, "alliance-follow")
    page.goto("/companies/stellantis")
    assert page.get_by_role("link", name="Follow this company's alliances").is_visible()


def test_subscribe_see_the_secret_once_send_a_test_and_read_the_log(page: Any, subs: FakeSubscriptions) -> None:
    receiver = Receiver()
    try:
        _login(page, "/subscriptions")
        page.get_by_label("URL to deliver to").fill(receiver.url)
        page.get_by_label("Companies (ids or names in English or Chinese, separated by commas)").first.fill("零跑")
        page.get_by_label("Stage changes only (new, moved, ended)").first.check()
        screenshot(page, "subscriptions-new")
        page.get_by_role("button", name="Subscribe").click()
        secret = page.get_by_label("Secret")
        assert secret.input_value().startswith("whsec_")
        screenshot(page, "subscription-secret")
        [sid] = subs.subs
        assert subs.subs[sid].spec == SubscriptionSpec("webhook", receiver.url, companies=("leapmotor",),
                                                       stage_changes=True)
        page.get_by_role("button", name="Send test").click()
        page.get_by_role("heading", name="Test delivery: delivered").wait_for()
        assert "HTTP 202" in page.locator(".test-result").inner_text()
        subs.delivery_rows.append(DeliveryRow(
            "d1", sid, "msg_2Yb7", 74, "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production", "dead",
            8, None, "2026-12-01T10:00:00+00:00",
            (Attempt("2026-12-01T10:00:00+00:00", 503, 14.0, "Service Unavailable", False),
             Attempt("2026-12-01T10:00:31+00:00", None, 10000.0, "no answer: timed out", False))))
        page.goto(f"/subscriptions/{sid}")
        assert page.get_by_label("Secret").count() == 0  # shown once only
        page.locator("details summary").first.click()
        screenshot(page, "subscription-log")
        page.get_by_role("button", name="Redeliver all dead (1)").click()
        page.get_by_text("1 dead delivery due again.").wait_for()
        page.goto("/subscriptions")
        screenshot(page, "subscriptions")
    finally:
        receiver.close()


def test_a_refused_url_is_one_line_and_the_form_keeps_what_was_typed(page: Any) -> None:
    _login(page, "/subscriptions")
    page.get_by_label("Apprise URL (e-mail, Slack, Telegram, ntfy, Matrix…)").check()
    page.get_by_label("URL to deliver to").fill("gopher://old.example/x")
    page.get_by_label("A daily digest (one message a day)").check()
    page.get_by_role("button", name="Subscribe").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "Could not subscribe: the apprise scheme gopher:// is not allowed"
    assert page.get_by_label("URL to deliver to").input_value() == "gopher://old.example/x"
    assert page.get_by_label("A daily digest (one message a day)").is_checked()
    screenshot(page, "subscriptions-error")


def test_the_notification_pages_fit_a_phone(browser: Any, live: Any, subs: FakeSubscriptions) -> None:
    sid = subs.subscribe(SubscriptionSpec("webhook", "https://hooks.example/a-rather-long/path/for/a/phone")).id
    for phone in _page(browser, live[0].url, PHONE):
        _login(phone, "/subscriptions")
        for path, name in (("/subscriptions", "subscriptions-phone"), (f"/subscriptions/{sid}", "subscription-phone")):
            phone.goto(path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"] + 1, f"{path} scrolls sideways on a phone ({width}px)"
            screenshot(phone, name)
