"""FeedService against real local HTTP servers, on SQLite and PostgreSQL (the `store` fixture)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from events.store import EventStore
from feeds import tables
from feeds.errors import BadOPML, DuplicateFeed, FeedError, UnknownFeed
from feeds.opml import parse_opml
from feeds.service import FeedService

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def rss(items: list[dict[str, str]], title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document; each item may have guid, link, title, description, pubDate."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
             "<link>https://example.com/</link>"]
    for it in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in it.items()) + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


ITEMS = [
    {"guid": "urn:1", "link": "https://example.com/1", "title": "长安汽车与地平线签署合作协议",
     "description": "双方将合作开发智能驾驶。", "pubDate": "Mon, 12 Jan 2026 02:00:00 GMT"},
    {"guid": "urn:2", "link": "https://example.com/2", "title": "Nissan and Momenta team up",
     "description": "Joint driver assistance.", "pubDate": "Tue, 03 Feb 2026 08:30:00 GMT"},
]


@pytest.fixture
def svc(store: EventStore) -> FeedService:
    tables.migrate(store.engine)
    return FeedService(store, allow_private=True, concurrency=4, jitter=lambda: 0.5)


def feed_events(store: EventStore) -> list[Any]:
    return [r for r in store.read() if r.stream_id.startswith("feed-")]


def test_add_change_remove_emit_events_and_fold(svc: FeedService, store: EventStore, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    info = svc.add(url, interval="2h")
    assert info.url == url and info.title == "Test feed" and info.interval_seconds == 7200
    assert [f.id for f in svc.list()] == [info.id]
    with pytest.raises(DuplicateFeed, match="already subscribed"):
        svc.add(url)
    changed = svc.change(info.id, interval="90s", title="Renamed")
    assert (changed.title, changed.interval_seconds) == ("Renamed", 90)
    svc.remove(info.id)
    assert svc.list() == []
    assert [f.id for f in svc.list(include_removed=True)] == [info.id]
    with pytest.raises(UnknownFeed, match=info.id):
        svc.remove(info.id)
    again = svc.add(url, title="Back")  # re-subscribing reuses the id, a new FeedAdded on the same stream
    assert again.id == info.id and again.title == "Back" and not again.removed
    types = [(r.type, r.stream_version) for r in feed_events(store)]
    assert types == [("FeedAdded", 1), ("FeedChanged", 2), ("FeedRemoved", 3), ("FeedAdded", 4)]
    # the fold is pure: a fresh service (no cache) sees the same state
    fresh = FeedService(store, allow_private=True)
    assert [(f.id, f.title, f.url) for f in fresh.list()] == [(info.id, "Back", url)]


def test_bad_input_is_a_feed_error(svc: FeedService, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    with pytest.raises(FeedError, match="invalid interval"):
        svc.add(url, interval="5 fortnights")
    with pytest.raises(UnknownFeed):
        svc.change("nope", title="x")
    with pytest.raises(FeedError, match="scheme"):
        svc.add("file:///etc/passwd")
    assert issubclass(FeedError, ValueError)


def test_autodiscovery_from_an_html_page(svc: FeedService, server: Any) -> None:
    feed_url = server.static("/news/feed.xml", body=rss(ITEMS, title="Discovered"))
    page = (b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/news/feed.xml">'
            b"</head><body>hi</body></html>")
    page_url = server.static("/news/", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    info = svc.add(page_url)
    assert info.url == feed_url and info.title == "Discovered"
    bare = server.static("/bare", body=b"<html><body>no feed</body></html>", headers={"Content-Type": "text/html"})
    with pytest.raises(FeedError, match="advertises no feed"):
        svc.add(bare)


def test_ssrf_refused_at_add_time(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    guarded = FeedService(store)  # allow_private defaults to False
    url = server.static("/feed.xml", body=rss(ITEMS))
    with pytest.raises(FeedError, match=r"refused: 127\.0\.0\.1 is a loopback address; set ALLIANCES_ALLOW_PRIVATE_URLS=1"):
        guarded.add(url)
    assert feed_events(store) == [] and server.seen == []
    guarded.allow_origin(url)  # the narrow allow-list (the demo's way) lets exactly this origin through
    assert guarded.add(url).url == url


def test_demo_exemption_covers_one_origin_not_the_host(store: EventStore, server: Any) -> None:
    """An exempted demo origin must not open the host's other ports (e.g. the database's)."""
    tables.migrate(store.engine)
    guarded = FeedService(store)
    guarded.allow_origin(server.static("/feed.xml", body=rss(ITEMS)))
    with pytest.raises(FeedError, match=r"refused: 127\.0\.0\.1 is a loopback address"):
        guarded.add("http://127.0.0.1:5432/")
    assert feed_events(store) == []


def test_redirect_from_the_demo_origin_to_another_port_is_refused(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    guarded = FeedService(store)
    url = server.static("/feed.xml", status=302, headers={"Location": "http://127.0.0.1:5432/"})
    guarded.allow_origin(url)
    result = guarded.fetcher.fetch(url)
    assert result.error is not None and result.error.startswith("refused: 127.0.0.1 is a loopback address")


def test_permanent_redirect_moves_the_feed(svc: FeedService, store: EventStore, server: Any) -> None:
    new_url = server.static("/new.xml", body=rss(ITEMS))
    old_url = server.url("/old.xml")
    info = svc.add(old_url, probe=False)
    server.static("/old.xml", status=301, headers={"Location": "/new.xml"})
    s = svc.poll(all=True)
    assert (s.polled, s.new_articles, s.moved, s.errors) == (1, 2, 1, 0)
    moved = [r.event for r in feed_events(store) if r.type == "FeedMoved"]
    assert [(m.old_url, m.new_url) for m in moved] == [(old_url, new_url)]
    assert svc.info(info.id).url == new_url
    svc.poll(all=True)
    assert server.seen[-1].path == "/new.xml"  # polled at the new address from now on


def test_gone_disables_the_feed(svc: FeedService, store: EventStore, server: Any) -> None:
    url = server.static("/gone.xml", status=410, body=b"gone")
    info = svc.add(url, probe=False)
    s = svc.poll(all=True)
    assert (s.polled, s.disabled, s.errors) == (1, 1, 1)
    assert [r.type for r in feed_events(store)] == ["FeedAdded", "FeedDisabled"]
    got = svc.info(info.id)
    assert got.disabled and got.last_status == 410 and "410" in (got.last_error or "")
    assert svc.poll(all=True).polled == 0  # a gone feed is no longer polled, but still listed
    assert [f.id for f in svc.list()] == [info.id]


def test_not_modified_costs_nothing(svc: FeedService, server: Any) -> None:
    body = rss(ITEMS)

    @server.route("/etag.xml")
    def _etag(h: Any) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304)
        else:
            h.reply(200, body, {"ETag": '"v1"'})

    info = svc.add(server.url("/etag.xml"), probe=False)
    first = svc.poll(all=True)
    second = svc.poll(all=True)
    assert (first.new_articles, first.not_modified) == (2, 0)
    assert (second.polled, second.new_articles, second.not_modified, second.errors) == (1, 0, 1, 0)
    assert server.seen[-1].headers.get("if-none-match") == '"v1"'
    assert svc.info(info.id).articles == 2 and svc.info(info.id).failures_in_row == 0
    log = svc.poll_log(info.id)
    assert [(r["status"], r["not_modified"], r["new_entries"]) for r in log] == [(304, True, 0), (200, False, 2)]


def test_retry_after_sets_the_next_poll(svc: FeedService, server: Any) -> None:
    url = server.static("/busy.xml", status=429, body=b"slow down", headers={"Retry-After": "7200"})
    info = svc.add(url, interval="1m", probe=False)
    s = svc.poll(all=True, now=T0)
    assert s.errors == 1
    got = svc.info(info.id)
    assert got.next_poll_at == (T0 + timedelta(seconds=7200)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert got.failures_in_row == 1 and got.last_status == 429
    assert svc.poll(now=T0 + timedelta(minutes=10)).polled == 0  # not due yet
    assert svc.poll(now=T0 + timedelta(seconds=7201)).polled == 1


def test_server_errors_back_off_exponentially(svc: FeedService, server: Any) -> None:
    url = server.static("/broken.xml", status=500, body=b"oops")
    info = svc.add(url, interval="1m", probe=False)
    delays = []
    for i in range(3):
        now = T0 + timedelta(hours=i)
        svc.poll(all=True, now=now)
        got = svc.info(info.id)
        assert got.failures_in_row == i + 1
        delays.append(datetime.fromisoformat(got.next_poll_at.replace("Z", "+00:00")) - now)  # type: ignore[union-attr]
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert svc.list()[0].failing and "HTTP 500" in (svc.list()[0].last_error or "")
    server.static("/broken.xml", body=rss(ITEMS))  # recovery resets the count
    svc.poll(all=True, now=T0 + timedelta(hours=5))
    assert svc.info(info.id).failures_in_row == 0 and svc.info(info.id).articles == 2


def test_unchanged_feed_twice_stores_nothing_and_changed_entry_is_a_new_version(
        svc: FeedService, store: EventStore, server: Any) -> None:
    doc = {"body": rss(ITEMS)}
    server.routes["/f.xml"] = lambda h: h.reply(200, doc["body"])  # no validators: a full GET each time
    info = svc.add(server.url("/f.xml"), probe=False)
    assert svc.poll(all=True).new_articles == 2
    assert svc.poll(all=True).new_articles == 0
    edited = [dict(ITEMS[0], description="双方将合作开发智能驾驶与座舱。"), ITEMS[1]]
    doc["body"] = rss(edited)
    assert svc.poll(all=True).new_articles == 1
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT entry_id, version FROM feed_articles ORDER BY entry_id, version")).all()
    assert [tuple(r) for r in rows] == [("urn:1", 1), ("urn:1", 2), ("urn:2", 1)]
    latest = svc.articles(feed_url=info.url)
    assert len(latest) == 2 and {a["summary"] for a in latest} >= {"双方将合作开发智能驾驶与座舱。"}
    assert svc.info(info.id).articles == 2
    with pytest.raises(Exception, match="append-only"):  # the archive refuses UPDATE
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE feed_articles SET title = 'x'"))


def test_dedupe_by_id_then_link_then_hash(svc: FeedService, server: Any) -> None:
    doc = {"body": rss([{"guid": "g1", "link": "https://e.com/a", "title": "A", "description": "text a"},
                        {"title": "No id or link", "description": "text b"}])}
    server.routes["/d.xml"] = lambda h: h.reply(200, doc["body"])
    svc.add(server.url("/d.xml"), probe=False)
    assert svc.poll(all=True).new_articles == 2
    doc["body"] = rss([
        {"guid": "g2", "link": "https://e.com/a", "title": "A", "description": "text a"},  # new guid, same link
        {"guid": "g3", "link": "https://e.com/c", "title": "No id or link", "description": "text b"},  # same text
        {"title": "No id or link", "description": "text b"},  # duplicate inside the document too
    ])
    assert svc.poll(all=True).new_articles == 0


def test_missing_published_is_estimated(svc: FeedService, server: Any) -> None:
    server.static("/nodate.xml", body=rss([{"guid": "x", "title": "Undated", "description": "no date"}]))
    svc.add(server.url("/nodate.xml"), probe=False)
    svc.poll(all=True, now=T0)
    (a,) = svc.articles()
    assert a["published_estimated"] is True and a["published"] == a["fetched_at"] == "2026-06-01T12:00:00.000000Z"
    assert set(a) >= {"id", "feed_id", "feed_url", "feed_title", "url", "title", "summary", "content", "lang",
                      "published", "published_estimated", "fetched_at"}


def test_outbox_hands_each_article_over_exactly_once(svc: FeedService, server: Any) -> None:
    server.static("/o.xml", body=rss(ITEMS))
    svc.add(server.url("/o.xml"), probe=False)

    def broken(batch: list[dict[str, Any]]) -> None:
        raise RuntimeError("extractor crashed")

    s = svc.poll(all=True, on_articles=broken)
    assert s.new_articles == 2 and s.handed_off == 0 and "extractor crashed" in (s.handoff_error or "")
    pending = svc.pending_articles()
    assert len(pending) == 2
    seen: list[str] = []
    s = svc.poll(all=True, on_articles=lambda batch: seen.extend(a["id"] for a in batch))
    assert s.new_articles == 0 and s.handed_off == 2 and sorted(seen) == sorted(a["id"] for a in pending)
    svc.poll(all=True, on_articles=lambda batch: seen.extend(a["id"] for a in batch))
    assert len(seen) == 2 and svc.pending_articles() == []
    svc.mark_extracted(seen)  # marking again is harmless


def test_opml_round_trip_and_hostile_opml(svc: FeedService, store: EventStore, server: Any) -> None:
    a = server.static("/a.xml", body=rss(ITEMS))
    b = server.static("/b.xml", body=rss(ITEMS))
    opml = (f'<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Autos">'
            f'<outline type="rss" text="A feed" xmlUrl="{a}"/><outline type="rss" title="B 汽车" xmlUrl="{b}"/>'
            f"</outline></body></opml>").encode()
    added = svc.import_opml(opml)
    assert [(f.url, f.title) for f in added] == [(a, "A feed"), (b, "B 汽车")]
    assert svc.import_opml(opml) == []  # importing twice adds nothing
    exported = svc.export_opml()
    assert [(o.url, o.title) for o in parse_opml(exported.encode())] == [(a, "A feed"), (b, "B 汽车")]
    before = len(feed_events(store))
    hostile = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
               b'<opml version="2.0"><body><outline text="&y;" xmlUrl="http://127.0.0.1:9/z"/></body></opml>')
    with pytest.raises(BadOPML, match="DTD"):
        svc.import_opml(hostile)
    with pytest.raises(BadOPML, match="malformed"):
        svc.import_opml(b"<opml><body><outline")
    assert len(feed_events(store)) == before


def test_unsafe_url_in_opml_refuses_the_whole_file(store: EventStore) -> None:
    tables.migrate(store.engine)
    guarded = FeedService(store)
    opml = b'<opml version="2.0"><body><outline xmlUrl="http://169.254.169.254/latest/meta-data/"/></body></opml>'
    with pytest.raises(BadOPML, match="link-local"):
        guarded.import_opml(opml)
    assert guarded.list() == []


def test_two_workers_never_claim_the_same_feed(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    one, two = (FeedService(store, allow_private=True, worker_id=w) for w in ("w1", "w2"))
    url = server.static("/l.xml", body=rss(ITEMS))
    info = one.add(url, probe=False)
    states = {f: s for f, s in one._state().items()}
    assert set(one._claim(states, T0, due_only=True)) == {info.id}
    assert two._claim(states, T0, due_only=True) == {}  # leased by w1
    one._release({info.id: None})  # type: ignore[dict-item]
    assert set(two._claim(states, T0, due_only=True)) == {info.id}


def test_parsing_in_a_process_pool_gives_the_same_archive(svc: FeedService, server: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import feeds.service as service_module

    monkeypatch.setattr(service_module, "PROCESS_POOL_MIN_FEEDS", 1)
    svc.parse_processes = 1
    for n in range(3):
        svc.add(server.static(f"/p{n}.xml", body=rss([dict(i, guid=f"{i['guid']}-{n}") for i in ITEMS])), probe=False)
    s = svc.poll(all=True)
    assert (s.polled, s.new_articles, s.errors) == (3, 6, 0)
    assert all(f.articles == 2 for f in svc.list())
