"""Feeds and review pages against the promised service interfaces (fakes here; real ones in the browser test)."""
from __future__ import annotations

from typing import Any

from tests.web.conftest import FakePollSummary, csrf_of


def test_feeds_health_is_public_and_failing_count_in_nav(client, fake_feeds) -> None:
    fake_feeds.add("https://ok.example/rss", title="Healthy feed")
    fake_feeds.added[0].last_success_at = "2026-11-24T10:00:00Z"
    fake_feeds.add("https://bad.example/rss", title="Broken feed")
    bad = fake_feeds.added[1]
    bad.last_error, bad.last_status, bad.failures_in_row, bad.next_poll_at = "HTTP 503 from server", 503, 3, "2026-11-24T12:00:00Z"
    html = client.get("/feeds").get_data(as_text=True)
    assert "Healthy feed" in html and "Broken feed" in html and "HTTP 503 from server" in html
    assert "2026-11-24 12:00 UTC" in html and "1 failing" in html
    assert "Log in as admin" in html and 'action="/feeds/add"' not in html
    nav = client.get("/").get_data(as_text=True)
    assert 'class="count count-bad"' in nav and ">1<span class=\"visually-hidden\"> failing" in nav


def test_feeds_and_review_without_their_services(admin, tracker, monkeypatch) -> None:
    from tests.web.conftest import install

    install(monkeypatch, tracker, "subscriptions", None)
    install(monkeypatch, tracker, "review", None)
    r = admin.get("/feeds")
    assert r.status_code == 200 and "feed service is not available" in r.get_data(as_text=True)
    assert "review queue is not available" in admin.get("/review").get_data(as_text=True)
    r = admin.post("/feeds/add", data={"csrf_token": csrf_of(admin, "/feeds"), "url": "https://x.example/"})
    assert r.status_code == 503


def test_add_feed_and_errors(admin, fake_feeds) -> None:
    token = csrf_of(admin, "/feeds")
    r = admin.post("/feeds/add", data={"csrf_token": token, "url": "https://news.example/rss", "title": "News",
                                       "interval": "30"})
    assert r.status_code == 303
    assert [(f.url, f.title, f.interval_seconds) for f in fake_feeds.added] == [("https://news.example/rss", "News", 1800)]
    html = admin.get("/feeds").get_data(as_text=True)
    assert "Added feed News" in html
    r = admin.post("/feeds/add", data={"csrf_token": token, "url": "ftp://nope"}, follow_redirects=True)
    assert "Could not add the feed: not an http(s) URL" in r.get_data(as_text=True)
    r = admin.post("/feeds/add", data={"csrf_token": token, "url": "https://x.example/", "interval": "-3"},
                   follow_redirects=True)
    assert "Could not add the feed" in r.get_data(as_text=True)


def test_import_opml(admin, fake_feeds) -> None:
    import io

    token = csrf_of(admin, "/feeds")
    opml = b'<opml><body><outline xmlUrl="https://a.example/rss"/><outline xmlUrl="https://b.example/rss"/></body></opml>'
    r = admin.post("/feeds/import", data={"csrf_token": token, "opml": (io.BytesIO(opml), "subs.opml")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 2 feeds from OPML" in r.get_data(as_text=True)
    r = admin.post("/feeds/import", data={"csrf_token": token, "opml": (io.BytesIO(b"<opml/>"), "x.opml")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "Could not import the OPML file: no feeds" in r.get_data(as_text=True)


def test_poll_now_prefers_the_whole_pipeline(admin, fake_feeds, tracker, monkeypatch) -> None:
    token = csrf_of(admin, "/feeds")
    calls: list[Any] = []
    if not hasattr(tracker, "poll_once"):
        monkeypatch.setattr(tracker.projector, "catch_up", lambda *a, **k: calls.append("catch_up") or 0)
        r = admin.post("/feeds/poll", data={"csrf_token": token}, follow_redirects=True)
        assert fake_feeds.polls == 1 and calls == ["catch_up"]
        assert "Polled the feeds: polled: 0" in r.get_data(as_text=True)
    monkeypatch.setattr(tracker, "poll_once", lambda all=True: calls.append(("poll_once", all)) or FakePollSummary(3, 1, 5, 0),
                        raising=False)
    r = admin.post("/feeds/poll", data={"csrf_token": token}, follow_redirects=True)
    assert ("poll_once", True) in calls
    assert "polled: 3, not modified: 1, new articles: 5, errors: 0" in r.get_data(as_text=True)


def test_review_lists_confirms_with_corrections_and_rejects(admin, fake_review) -> None:
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


def test_review_errors_are_clear(admin, fake_review) -> None:
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

    import waitress
    from click.testing import CliRunner

    from service.cli import main

    served: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(app=app, **kw))
    started: list[Any] = []
    sched = types.ModuleType("service.scheduler")
    sched.start_background = lambda tracker, demo=False: started.append(demo)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "service.scheduler", sched)
    monkeypatch.setenv("ALLIANCES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALLIANCES_ADMIN_PASSWORD", "pw")
    r = CliRunner().invoke(main, ["serve", "--port", "8123", "--demo"])
    assert r.exit_code == 0, r.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123 and started == [True]
    assert served["app"].name == "web"

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
