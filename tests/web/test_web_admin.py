"""Feeds and review pages against the promised service interfaces (fakes here; real ones in the browser test)."""
from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Tracker
from tests.web.conftest import FakeFeeds, FakeReview, FeedServer, csrf_of, rss
from web.ports import PollReport


def test_feeds_health_is_public_and_failing_count_in_nav(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://ok.example/rss", title="Healthy feed")
    fake_feeds.feeds[0].last_success_at = "2026-11-24T10:00:00Z"
    fake_feeds.add("https://bad.example/rss", title="Broken feed", interval_minutes=90)
    bad = fake_feeds.feeds[1]
    bad.last_error, bad.last_status, bad.failures_in_row = "HTTP 503 from server", 503, 3
    bad.next_poll_at = "2026-11-24T12:00:00Z"
    html = client.get("/feeds").get_data(as_text=True)
    assert "Healthy feed" in html and "Broken feed" in html and "HTTP 503 from server" in html
    assert "2026-11-24 12:00 UTC" in html and "1 failing" in html and "1 h 30 min" in html
    assert "Log in as admin" in html and 'action="/feeds/add"' not in html and "/remove" not in html
    nav = client.get("/").get_data(as_text=True)
    assert 'class="count count-bad"' in nav and ">1<span class=\"visually-hidden\"> failing" in nav


def test_a_disabled_feed_is_not_counted_as_failing(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://gone.example/rss", title="Gone feed")
    fake_feeds.feeds[0].disabled, fake_feeds.feeds[0].failures_in_row = True, 4
    html = client.get("/feeds").get_data(as_text=True)
    assert "Gone (disabled)" in html and "0 healthy, 1 gone" in html and "failing</strong>" not in html
    assert 'class="count count-bad"' not in client.get("/").get_data(as_text=True)


def test_add_feed_sends_the_interval_in_minutes(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    token = csrf_of(admin, "/feeds")
    r = admin.post("/feeds/add", data={"csrf_token": token, "url": "https://news.example/rss", "title": "News",
                                       "interval": "30"})
    assert r.status_code == 303
    assert [(f.url, f.title, f.interval_seconds) for f in fake_feeds.feeds] == [
        ("https://news.example/rss", "News", 1800)]
    assert "Added feed News" in admin.get("/feeds").get_data(as_text=True)


def test_add_feed_refused_by_the_service_says_why(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    token = csrf_of(admin, "/feeds")
    r = admin.post("/feeds/add", data={"csrf_token": token, "url": "ftp://nope"}, follow_redirects=True)
    assert "Could not add the feed: not an http(s) URL" in r.get_data(as_text=True)
    assert fake_feeds.feeds == []


@pytest.mark.parametrize("interval,message", [
    ("-3", "lie between 1 and 10080 minutes, got -3"),
    ("0", "lie between 1 and 10080 minutes, got 0"),
    ("10081", "lie between 1 and 10080 minutes, got 10081"),
    ("1.5", "be a whole number of minutes, got &#39;1.5&#39;"),
    ("soon", "be a whole number of minutes, got &#39;soon&#39;"),
])
def test_add_feed_with_a_bad_interval_is_refused(admin: FlaskClient, fake_feeds: FakeFeeds, interval: str,
                                                 message: str) -> None:
    r = admin.post("/feeds/add", data={"csrf_token": csrf_of(admin, "/feeds"), "url": "https://x.example/",
                                       "interval": interval}, follow_redirects=True)
    assert f"Could not add the feed: the interval must {message}" in r.get_data(as_text=True)
    assert fake_feeds.feeds == []


def test_change_a_feeds_interval(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://news.example/rss", title="News")
    token = csrf_of(admin, "/feeds")
    r = admin.post("/feeds/feed-1/change", data={"csrf_token": token, "interval": "120"}, follow_redirects=True)
    assert "Changed feed News: polled every 2 h" in r.get_data(as_text=True)
    assert fake_feeds.feeds[0].interval_seconds == 7200
    r = admin.post("/feeds/feed-9/change", data={"csrf_token": token, "interval": "5"}, follow_redirects=True)
    assert "Could not change the feed: no feed with id &#39;feed-9&#39;" in r.get_data(as_text=True)


def test_remove_a_feed(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://news.example/rss", title="News")
    token = csrf_of(admin, "/feeds")
    assert 'action="/feeds/feed-1/remove"' in admin.get("/feeds").get_data(as_text=True)
    r = admin.post("/feeds/feed-1/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "Removed the feed" in r.get_data(as_text=True) and fake_feeds.feeds == []
    r = admin.post("/feeds/feed-1/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "Could not remove the feed: no feed with id" in r.get_data(as_text=True)


def test_import_opml(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    token = csrf_of(admin, "/feeds")
    opml = b'<opml><body><outline xmlUrl="https://a.example/rss"/><outline xmlUrl="https://b.example/rss"/></body></opml>'
    r = admin.post("/feeds/import", data={"csrf_token": token, "opml": (io.BytesIO(opml), "subs.opml")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 2 feeds from OPML" in r.get_data(as_text=True)
    r = admin.post("/feeds/import", data={"csrf_token": token, "opml": (io.BytesIO(b"<opml/>"), "x.opml")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "Could not import the OPML file: no feeds" in r.get_data(as_text=True)
    r = admin.post("/feeds/import", data={"csrf_token": token}, follow_redirects=True)
    assert "Choose an OPML file to import" in r.get_data(as_text=True)


def test_poll_now_reports_what_the_pipeline_did(admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.report = PollReport(polled=3, not_modified=1, new_articles=5, errors=0)
    r = admin.post("/feeds/poll", data={"csrf_token": csrf_of(admin, "/feeds")}, follow_redirects=True)
    assert fake_feeds.polled_all == 1
    assert "Polled the feeds: 3 feeds polled, 1 not modified, 5 new articles, 0 errors." in r.get_data(as_text=True)


def test_review_lists_confirms_with_corrections_and_rejects(admin: FlaskClient, fake_review: FakeReview) -> None:
    html = admin.get("/review").get_data(as_text=True)
    assert "2 candidates waiting" in html and "日产" in html and 'lang="zh"' in html
    assert "Nissan and Momenta signed a deal." in html and "confidence 55%" in html
    token = csrf_of(admin, "/review")
    r = admin.post("/review/c1/confirm", data={"csrf_token": token, "parties": "nissan, momenta, renault",
                                               "kind": "technology_supply", "stage": "established"})
    assert r.status_code == 303
    assert fake_review.confirmed == [("c1", {"parties": ["nissan", "momenta", "renault"], "kind": "technology_supply",
                                             "stage": "established", "by": "admin"})]
    r = admin.post("/review/c2/reject", data={"csrf_token": token, "reason": "not a deal"}, follow_redirects=True)
    assert fake_review.rejected == [("c2", "not a deal")]
    assert "Nothing to review" in r.get_data(as_text=True)


def test_review_errors_are_clear(admin: FlaskClient, fake_review: FakeReview) -> None:
    token = csrf_of(admin, "/review")
    r = admin.post("/review/nope/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "Could not confirm: no candidate &#39;nope&#39;" in r.get_data(as_text=True)
    r = admin.post("/review/nope/reject", data={"csrf_token": token}, follow_redirects=True)
    assert "Could not reject" in r.get_data(as_text=True)
    r = admin.post("/review/c1/confirm", data={"csrf_token": token, "stage": "bogus"})
    assert r.status_code == 400
    r = admin.post("/review/c1/confirm", data={"csrf_token": token, "parties": "nissan"}, follow_redirects=True)
    assert "two or more distinct parties" in r.get_data(as_text=True)
    assert fake_review.confirmed == []


def test_serve_command_uses_waitress_and_starts_pollers(tmp_path, monkeypatch) -> None:
    import sys
    import types

    import waitress.server
    from click.testing import CliRunner

    from service.cli import main

    served: dict[str, Any] = {}

    class Server:
        effective_port = 8123

        def __init__(self, app: Any, **kw: Any) -> None:
            served.update(app=app, **kw)

        def run(self) -> None:
            served["ran"] = True

        def close(self) -> None:
            served["closed"] = True

    monkeypatch.setattr(waitress.server, "create_server", Server)
    started: list[Any] = []
    sched = types.ModuleType("service.scheduler")
    sched.start_background = lambda tracker, demo=False: started.append(demo)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "service.scheduler", sched)
    monkeypatch.setenv("ALLIANCES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALLIANCES_ADMIN_PASSWORD", "pw")
    r = CliRunner().invoke(main, ["serve", "--port", "8123", "--demo"])
    assert r.exit_code == 0, r.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123 and started == [True]
    assert served["app"].name == "web" and served["ran"] and served["closed"]

    monkeypatch.setitem(sys.modules, "service.scheduler", None)  # import fails: serve without pollers
    r = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert r.exit_code == 0 and "pollers not started" in r.output
    assert served["host"] == "0.0.0.0" and served["port"] == 8000


def test_an_admin_adds_an_alias_on_the_company_page_and_it_becomes_an_event(admin, tracker) -> None:
    token = csrf_of(admin, "/companies/momenta")
    r = admin.post("/companies/momenta/aliases", data={"alias": "Mmta Robotics", "csrf_token": token})
    assert r.status_code == 303
    assert "Mmta Robotics" in admin.get("/companies/momenta").get_data(as_text=True)
    assert any(rec.type == "AliasAdded" for rec in tracker.store.read())


def test_adding_an_alias_needs_a_login(client, tracker) -> None:
    r = client.post("/companies/momenta/aliases", data={"alias": "Mmta", "csrf_token": csrf_of(client)})
    assert r.status_code == 403
    assert not any(rec.type == "AliasAdded" for rec in tracker.store.read())


def test_an_alias_without_csrf_is_refused(admin) -> None:
    assert admin.post("/companies/momenta/aliases", data={"alias": "Mmta"}).status_code == 400


def test_an_alias_for_an_unknown_company_is_a_clear_message(admin) -> None:
    token = csrf_of(admin, "/companies/momenta")
    r = admin.post("/companies/nope/aliases", data={"alias": "Nope Inc", "csrf_token": token}, follow_redirects=True)
    assert "unknown company" in r.get_data(as_text=True)


# --- the real services behind the forms ----------------------------------------------------


def test_the_minutes_field_reaches_the_real_feed_service(real_admin: tuple[FlaskClient, Tracker]) -> None:
    client, tracker = real_admin
    with FeedServer({"/rss": rss([])}) as fs:
        r = client.post("/feeds/add", data={"csrf_token": csrf_of(client, "/feeds"), "url": f"{fs.url}/rss",
                                            "title": "Local", "interval": "30"}, follow_redirects=True)
        assert "Added feed Local" in r.get_data(as_text=True)
        assert [(f.title, f.interval_seconds) for f in tracker.subscriptions.feeds()] == [("Local", 1800)]
        feed_id = tracker.subscriptions.feeds()[0].id
        r = client.post(f"/feeds/{feed_id}/change", data={"csrf_token": csrf_of(client, "/feeds"), "interval": "90"},
                        follow_redirects=True)
        assert "polled every 1 h 30 min" in r.get_data(as_text=True)
        assert tracker.subscriptions.feeds()[0].interval_seconds == 5400
        client.post(f"/feeds/{feed_id}/remove", data={"csrf_token": csrf_of(client, "/feeds")})
        assert tracker.subscriptions.feeds() == []


def test_the_real_review_queue_starts_empty_and_refuses_unknown_candidates(
        real_admin: tuple[FlaskClient, Tracker]) -> None:
    client, _ = real_admin
    assert "Nothing to review" in client.get("/review").get_data(as_text=True)
    r = client.post("/review/nope/reject", data={"csrf_token": csrf_of(client, "/review")}, follow_redirects=True)
    assert "Could not reject: no candidate &#39;nope&#39; in the review queue" in r.get_data(as_text=True)
