"""The feeds admin: a page per feed, errors in plain words, pause/resume/rename/poll-one, OPML export, never-polled
feeds shown as new; the review history. Fakes where the page is the subject, the real services where the command is."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Tracker
from tests.web.conftest import FakeFeeds, FakeReview, FeedServer, csrf_of, login, rss
from web.feed_errors import explain
from web.ports import FeedArticle, FeedPoll

DNS = "DNS lookup failed for 'news.invalid': [Errno -2] Name or service not known"


@pytest.mark.parametrize(("raw", "status", "words"), [
    (DNS, None, "the feed's host name could not be found"),
    ("[Errno -2] Name or service not known", None, "the feed's host name could not be found"),
    ("DNS lookup failed for 'x': [Errno -3] Temporary failure in name resolution", None, "could not be looked up"),
    ("timeout after 10s", None, "took too long to answer"),
    ("connect timeout after 5s", None, "did not accept a connection in time"),
    ("network error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", None, "secure (TLS) connection"),
    ("HTTP 404 Not Found", 404, "not found at this address (HTTP 404)"),
    ("HTTP 410 Gone", 410, "gone for good (HTTP 410)"),
    ("HTTP 503 Service Unavailable", 503, "had an error (HTTP 503); this is usually temporary"),
    ("unexpected HTTP 302", 302, "unexpected answer (HTTP 302)"),
    ("not a feed: document is not RSS or Atom", 200, "not with a news feed (RSS or Atom)"),
    ("body exceeds 10 MB (Content-Length 99999999)", 200, "the feed is too large"),
    ("network error: [Errno 111] Connection refused", None, "refused the connection"),
    ("refused: host 'x' is a private address", None, "the address is not allowed"),
    ("something nobody foresaw", None, "polling the feed failed"),
])
def test_a_poll_error_is_put_in_plain_words(raw: str, status: int | None, words: str) -> None:
    assert words in (explain(raw, status) or "")


def test_no_error_has_no_words() -> None:
    assert explain(None) is None and explain("") is None


def _feed_with_history(fake_feeds: FakeFeeds, n_articles: int = 25) -> str:
    fake_feeds.add("https://news.example/rss", title="Auto Wire")
    f = fake_feeds.feeds[0]
    f.items = [FeedArticle(f"a{i}", f"Story number {i}", f"https://news.example/{i}", f"2026-05-{30 - i:02d}T08:00:00Z")
               for i in range(n_articles)]
    f.polls = [FeedPoll("2026-06-02T10:00:00Z", None, 0, False, DNS),
               FeedPoll("2026-06-01T10:00:00Z", 200, 25, False, None)]
    f.last_polled_at, f.last_error, f.failures_in_row = "2026-06-02T10:00:00Z", DNS, 1
    return f.id


def test_a_feed_page_lists_its_articles_newest_first_in_pages(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fid = _feed_with_history(fake_feeds)
    html = client.get(f"/feeds/{fid}").get_data(as_text=True)
    assert html.index("Story number 0") < html.index("Story number 19") and "Story number 20" not in html
    assert "Page 1 of 2" in html and f'href="/feeds/{fid}?page=2"' in html
    second = client.get(f"/feeds/{fid}?page=2").get_data(as_text=True)
    assert "Story number 20" in second and "Story number 24" in second and "Story number 0<" not in second
    assert client.get(f"/feeds/{fid}?page=3").status_code == 400


def test_a_feed_page_shows_its_polls_with_errors_in_plain_words_and_the_raw_line_folded_away(
        client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fid = _feed_with_history(fake_feeds)
    html = client.get(f"/feeds/{fid}").get_data(as_text=True)
    assert "Status history" in html and "2026-06-02 10:00 UTC" in html and "2026-06-01 10:00 UTC" in html
    assert "the feed&#39;s host name could not be found" in html
    assert "<summary>Details</summary><code>DNS lookup failed for &#39;news.invalid&#39;: [Errno -2] Name or" in html
    listing = client.get("/feeds").get_data(as_text=True)
    assert "the feed&#39;s host name could not be found" in listing and f'href="/feeds/{fid}"' in listing


def test_an_unknown_feed_page_is_404(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    assert client.get("/feeds/nope").status_code == 404


def test_a_feed_never_polled_is_new_not_healthy_and_counted_apart(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://fresh.example/rss", title="Fresh feed")
    html = client.get("/feeds").get_data(as_text=True)
    assert "New: not polled yet" in html and "1 feed: 0 healthy, 1 new (not polled yet)" in html
    nav = client.get("/").get_data(as_text=True)
    assert 'class="count count-new"' in nav and "> new, not polled yet" in nav and "count-bad" not in nav
    fake_feeds.feeds[0].last_polled_at = fake_feeds.feeds[0].last_success_at = "2026-06-01T10:00:00Z"
    assert "1 feed: 1 healthy." in client.get("/feeds").get_data(as_text=True)


def test_an_admin_pauses_resumes_renames_and_polls_one_feed_from_its_page(
        admin: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fid = _feed_with_history(fake_feeds)
    page = f"/feeds/{fid}"
    token = csrf_of(admin, page)
    form = {"csrf_token": token, "back": "feed"}
    r = admin.post(f"{page}/pause", data=form)
    assert r.status_code == 303 and r.headers["Location"].endswith(page)
    html = admin.get(page).get_data(as_text=True)
    assert "Paused feed Auto Wire" in html and "Resume polling" in html and "Poll this feed now" not in html
    r = admin.post(f"{page}/poll", data=form, follow_redirects=True)
    assert "Could not poll the feed: feed &#39;feed-1&#39; is paused: resume it first" in r.get_data(as_text=True)
    assert fake_feeds.polled_one == []
    admin.post(f"{page}/resume", data=form)
    r = admin.post(f"{page}/poll", data=form, follow_redirects=True)
    assert fake_feeds.polled_one == [fid] and "Polled the feed: 0 feeds polled" in r.get_data(as_text=True)
    r = admin.post(f"{page}/change", data={**form, "title": "Renamed Wire"}, follow_redirects=True)
    assert "<h1>Renamed Wire</h1>" in r.get_data(as_text=True)
    r = admin.post(f"{page}/remove", data=form)
    assert r.status_code == 303 and fake_feeds.feeds == []


@pytest.mark.parametrize("action", ["pause", "resume", "poll"])
def test_feed_actions_need_an_admin_and_a_csrf_token(client: FlaskClient, fake_feeds: FakeFeeds, action: str) -> None:
    fid = _feed_with_history(fake_feeds)
    assert client.post(f"/feeds/{fid}/{action}", data={"csrf_token": csrf_of(client)}).status_code == 403
    login(client)
    assert client.post(f"/feeds/{fid}/{action}").status_code == 400
    assert not fake_feeds.feeds[0].paused and fake_feeds.polled_one == []


def test_the_subscriptions_export_as_an_opml_download(client: FlaskClient, fake_feeds: FakeFeeds) -> None:
    fake_feeds.add("https://news.example/rss", title="Auto Wire")
    assert 'href="/feeds/export.opml"' in client.get("/feeds").get_data(as_text=True)
    r = client.get("/feeds/export.opml")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/x-opml")
    assert "attachment" in r.headers["Content-Disposition"] and b'xmlUrl="https://news.example/rss"' in r.data


def test_the_review_page_keeps_a_history_of_decisions(admin: FlaskClient, fake_review: FakeReview) -> None:
    assert "No candidate has been confirmed or rejected yet" in admin.get("/review").get_data(as_text=True)
    token = csrf_of(admin, "/review")
    admin.post("/review/c1/confirm", data={"csrf_token": token, "kind": "technology_supply"})
    admin.post("/review/c2/reject", data={"csrf_token": token, "reason": "a rumour"})
    html = admin.get("/review").get_data(as_text=True)
    history = html[html.index('id="h-history"'):]
    assert history.index("Rejected") < history.index("Confirmed")  # the latest decision first
    assert "a rumour" in history and "corrected kind to Technology supply" in history and ">admin<" in history
    assert "2026-06-02 10:00 UTC" in history


# --- the real services ----------------------------------------------------------------------


def test_the_real_service_pauses_polls_one_feed_and_pages_its_articles(real_admin: tuple[FlaskClient, Tracker]) -> None:
    client, tracker = real_admin
    items = [(f"Wire story {i}", "Nothing joint here.", f"http://127.0.0.1/s{i}") for i in range(23)]
    with FeedServer({"/rss": rss(items)}) as fs:
        info = tracker.subscriptions.add(f"{fs.url}/rss", title="Local wire", probe=False)
        page = f"/feeds/{info.id}"
        assert "New: not polled yet" in client.get(page).get_data(as_text=True)
        form = {"csrf_token": csrf_of(client, page), "back": "feed"}
        client.post(f"{page}/pause", data=form)
        assert [r.type for r in tracker.store.read() if r.stream_id == f"feed-{info.id}"][-1] == "FeedPaused"
        r = client.post("/feeds/poll", data=form, follow_redirects=True)
        assert "Polled the feeds: 0 feeds polled" in r.get_data(as_text=True), r.get_data(as_text=True)[-3000:]
        assert fs.hits("/rss") == 0
        client.post(f"{page}/resume", data=form)
        r = client.post(f"{page}/poll", data=form, follow_redirects=True)
        html = r.get_data(as_text=True)
        assert "Polled the feed: 1 feeds polled, 0 not modified, 23 new articles, 0 errors." in html
        assert fs.hits("/rss") == 1 and "Page 1 of 2" in html and ">200<" in html
        assert "Wire story" in client.get(f"{page}?page=2").get_data(as_text=True)
        opml = client.get("/feeds/export.opml").get_data(as_text=True)
        assert f'xmlUrl="{fs.url}/rss"' in opml


def test_the_real_review_history_names_who_decided_and_when(real_admin: tuple[FlaskClient, Tracker]) -> None:
    from events.envelope import NewEvent
    from events.types import DealQueued
    from events.values import Citation

    client, tracker = real_admin
    cite = Citation(publisher="Local Wire", title="Nissan and Momenta", url="https://news.example/1")
    tracker.store.append([NewEvent(DealQueued(c, ("momenta", "nissan"), "strategic_cooperation", "talks", cite,
                                              confidence=0.55)) for c in ("c1", "c2")])
    tracker.review.confirm("c1", stage="agreement_signed", by="admin")
    tracker.review.reject("c2", reason="a rumour", by="cli")
    history = tracker.review.history()
    assert [(h["candidate_id"], h["status"], h["decided_by"]) for h in history] == [
        ("c2", "rejected", "cli"), ("c1", "confirmed", "admin")]
    assert history[0]["reason"] == "a rumour" and history[1]["corrected"] == {"stage": "agreement_signed"}
    assert history[0]["decided_at"] >= history[1]["decided_at"] > "2026"
    html = client.get("/review").get_data(as_text=True)
    assert "a rumour" in html and "corrected stage to Agreement signed" in html and ">cli<" in html
