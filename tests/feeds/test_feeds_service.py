"""Subscriptions, the poller, health and the archive against real local HTTP servers, on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from events.store import EventStore
from feeds import tables
from feeds.archive import Archive
from feeds.errors import BadOPML, DuplicateFeed, FeedError, UnknownFeed
from feeds.fetch import Fetcher
from feeds.health import Health
from feeds.opml import parse_opml
from feeds.poller import Poller
from feeds.pools import Pools
from feeds.subscriptions import Subscriptions

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


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


@dataclass
class Parts:
    """The feed side wired as the composition root wires it (minus extraction)."""

    store: EventStore
    subscriptions: Subscriptions
    poller: Poller
    health: Health
    archive: Archive
    pools: Pools

    def articles(self, feed_url: str | None = None) -> list[dict[str, Any]]:
        ids = self.subscriptions.feed_ids_for(feed_url) if feed_url else None
        return [a.to_json() for a in self.archive.articles(self.subscriptions.states(), feed_ids=ids)]


def wire(store: EventStore, *, allow_private: bool = True, worker_id: str | None = None, processes: int = 0,
         fetcher: Fetcher | None = None) -> Parts:
    tables.migrate(store.engine)
    fetcher, pools = fetcher or Fetcher(allow_private=allow_private), Pools(fetch_threads=4, processes=processes)
    health, archive = Health(store, worker_id=worker_id), Archive(store)
    subs = Subscriptions(store, fetcher, health, archive)
    return Parts(store, subs, Poller(subs, health, fetcher, pools, jitter=lambda: 0.5), health, archive, pools)


@pytest.fixture
def svc(store: EventStore) -> Iterator[Parts]:
    parts = wire(store)
    yield parts
    parts.pools.close()


def feed_events(store: EventStore) -> list[Any]:
    return [r for r in store.read() if r.stream_id.startswith("feed-")]


def test_add_change_remove_emit_events_and_fold(svc: Parts, store: EventStore, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    info = svc.subscriptions.add(url, interval="2h")
    assert info.url == url and info.title == "Test feed" and info.interval_seconds == 7200
    assert [f.id for f in svc.subscriptions.feeds()] == [info.id]
    with pytest.raises(DuplicateFeed, match="already subscribed"):
        svc.subscriptions.add(url)
    changed = svc.subscriptions.change(info.id, interval="90s", title="Renamed")
    assert (changed.title, changed.interval_seconds) == ("Renamed", 90)
    svc.subscriptions.remove(info.id)
    assert svc.subscriptions.feeds() == []
    assert [f.id for f in svc.subscriptions.feeds(include_removed=True)] == [info.id]
    with pytest.raises(UnknownFeed, match=info.id):
        svc.subscriptions.remove(info.id)
    again = svc.subscriptions.add(url, title="Back")  # re-subscribing reuses the id, a new FeedAdded on the same stream
    assert again.id == info.id and again.title == "Back" and not again.removed
    types = [(r.type, r.stream_version) for r in feed_events(store)]
    assert types == [("FeedAdded", 1), ("FeedChanged", 2), ("FeedRemoved", 3), ("FeedAdded", 4)]
    # the fold is pure: a fresh service (no cache) sees the same state
    fresh = wire(store)
    assert [(f.id, f.title, f.url) for f in fresh.subscriptions.feeds()] == [(info.id, "Back", url)]


def test_bad_input_is_a_feed_error(svc: Parts, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    with pytest.raises(FeedError, match="invalid interval"):
        svc.subscriptions.add(url, interval="5 fortnights")
    with pytest.raises(UnknownFeed):
        svc.subscriptions.change("nope", title="x")
    with pytest.raises(FeedError, match="scheme"):
        svc.subscriptions.add("file:///etc/passwd")
    assert issubclass(FeedError, ValueError)


def test_autodiscovery_from_an_html_page(svc: Parts, server: Any) -> None:
    feed_url = server.static("/news/feed.xml", body=rss(ITEMS, title="Discovered"))
    page = (b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/news/feed.xml">'
            b"</head><body>hi</body></html>")
    page_url = server.static("/news/", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    info = svc.subscriptions.add(page_url)
    assert info.url == feed_url and info.title == "Discovered"
    bare = server.static("/bare", body=b"<html><body>no feed</body></html>", headers={"Content-Type": "text/html"})
    with pytest.raises(FeedError, match="advertises no feed"):
        svc.subscriptions.add(bare)


def test_ssrf_refused_at_add_time(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    guarded = wire(store, allow_private=False).subscriptions
    url = server.static("/feed.xml", body=rss(ITEMS))
    refused = r"refused: 127\.0\.0\.1 is a loopback address; set ALLIANCES_ALLOW_PRIVATE_URLS=1"
    with pytest.raises(FeedError, match=refused):
        guarded.add(url)
    assert feed_events(store) == [] and server.seen == []
    guarded.allow_origin(url)  # the narrow allow-list (the demo's way) lets exactly this origin through
    assert guarded.add(url).url == url


def test_demo_exemption_covers_one_origin_not_the_host(store: EventStore, server: Any) -> None:
    """An exempted demo origin must not open the host's other ports (e.g. the database's)."""
    tables.migrate(store.engine)
    guarded = wire(store, allow_private=False).subscriptions
    guarded.allow_origin(server.static("/feed.xml", body=rss(ITEMS)))
    with pytest.raises(FeedError, match=r"refused: 127\.0\.0\.1 is a loopback address"):
        guarded.add("http://127.0.0.1:5432/")
    assert feed_events(store) == []


def test_redirect_from_the_demo_origin_to_another_port_is_refused(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    guarded = wire(store, allow_private=False).subscriptions
    url = server.static("/feed.xml", status=302, headers={"Location": "http://127.0.0.1:5432/"})
    guarded.allow_origin(url)
    result = guarded.fetcher.fetch(url)
    assert result.error is not None and result.error.startswith("refused: 127.0.0.1 is a loopback address")


def test_permanent_redirect_moves_the_feed(svc: Parts, store: EventStore, server: Any) -> None:
    new_url = server.static("/new.xml", body=rss(ITEMS))
    old_url = server.url("/old.xml")
    info = svc.subscriptions.add(old_url, probe=False)
    server.static("/old.xml", status=301, headers={"Location": "/new.xml"})
    s = svc.poller.poll(all=True)
    assert (s.polled, s.new_articles, s.moved, s.errors) == (1, 2, 1, 0)
    moved = [r.event for r in feed_events(store) if r.type == "FeedMoved"]
    assert [(m.old_url, m.new_url) for m in moved] == [(old_url, new_url)]
    assert svc.subscriptions.feed(info.id).url == new_url
    svc.poller.poll(all=True)
    assert server.seen[-1].path == "/new.xml"  # polled at the new address from now on


def test_gone_disables_the_feed(svc: Parts, store: EventStore, server: Any) -> None:
    url = server.static("/gone.xml", status=410, body=b"gone")
    info = svc.subscriptions.add(url, probe=False)
    s = svc.poller.poll(all=True)
    assert (s.polled, s.disabled, s.errors) == (1, 1, 1)
    assert [r.type for r in feed_events(store)] == ["FeedAdded", "FeedDisabled"]
    got = svc.subscriptions.feed(info.id)
    assert got.disabled and got.last_status == 410 and "410" in (got.last_error or "")
    assert svc.poller.poll(all=True).polled == 0  # a gone feed is no longer polled, but still listed
    assert [f.id for f in svc.subscriptions.feeds()] == [info.id]


def test_not_modified_costs_nothing(svc: Parts, server: Any) -> None:
    body = rss(ITEMS)

    @server.route("/etag.xml")
    def _etag(h: Any) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304)
        else:
            h.reply(200, body, {"ETag": '"v1"'})

    info = svc.subscriptions.add(server.url("/etag.xml"), probe=False)
    first = svc.poller.poll(all=True)
    second = svc.poller.poll(all=True)
    assert (first.new_articles, first.not_modified) == (2, 0)
    assert (second.polled, second.new_articles, second.not_modified, second.errors) == (1, 0, 1, 0)
    assert server.seen[-1].headers.get("if-none-match") == '"v1"'
    assert svc.subscriptions.feed(info.id).articles == 2 and svc.subscriptions.feed(info.id).failures_in_row == 0
    log = svc.health.poll_log(info.id)
    assert [(r["status"], r["not_modified"], r["new_entries"]) for r in log] == [(304, True, 0), (200, False, 2)]


def test_retry_after_sets_the_next_poll(svc: Parts, server: Any) -> None:
    url = server.static("/busy.xml", status=429, body=b"slow down", headers={"Retry-After": "7200"})
    info = svc.subscriptions.add(url, interval="1m", probe=False)
    s = svc.poller.poll(all=True, now=T0)
    assert s.errors == 1
    got = svc.subscriptions.feed(info.id)
    assert got.next_poll_at == (T0 + timedelta(seconds=7200)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert got.failures_in_row == 1 and got.last_status == 429
    assert svc.poller.poll(now=T0 + timedelta(minutes=10)).polled == 0  # not due yet
    assert svc.poller.poll(now=T0 + timedelta(seconds=7201)).polled == 1


def test_server_errors_back_off_exponentially(svc: Parts, server: Any) -> None:
    url = server.static("/broken.xml", status=500, body=b"oops")
    info = svc.subscriptions.add(url, interval="1m", probe=False)
    delays = []
    for i in range(3):
        now = T0 + timedelta(hours=i)
        svc.poller.poll(all=True, now=now)
        got = svc.subscriptions.feed(info.id)
        assert got.failures_in_row == i + 1
        delays.append(datetime.fromisoformat(got.next_poll_at.replace("Z", "+00:00")) - now)  # type: ignore[union-attr]
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert svc.subscriptions.feeds()[0].failing and "HTTP 500" in (svc.subscriptions.feeds()[0].last_error or "")
    server.static("/broken.xml", body=rss(ITEMS))  # recovery resets the count
    svc.poller.poll(all=True, now=T0 + timedelta(hours=5))
    assert svc.subscriptions.feed(info.id).failures_in_row == 0 and svc.subscriptions.feed(info.id).articles == 2


def test_unchanged_feed_twice_stores_nothing_and_changed_entry_is_a_new_version(
        svc: Parts, store: EventStore, server: Any) -> None:
    doc = {"body": rss(ITEMS)}
    server.routes["/f.xml"] = lambda h: h.reply(200, doc["body"])  # no validators: a full GET each time
    info = svc.subscriptions.add(server.url("/f.xml"), probe=False)
    assert svc.poller.poll(all=True).new_articles == 2
    assert svc.poller.poll(all=True).new_articles == 0
    edited = [dict(ITEMS[0], description="双方将合作开发智能驾驶与座舱。"), ITEMS[1]]
    doc["body"] = rss(edited)
    assert svc.poller.poll(all=True).new_articles == 1
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT entry_id, version FROM feed_articles ORDER BY entry_id, version")).all()
    assert [tuple(r) for r in rows] == [("urn:1", 1), ("urn:1", 2), ("urn:2", 1)]
    latest = svc.articles(info.url)
    assert len(latest) == 2 and {a["summary"] for a in latest} >= {"双方将合作开发智能驾驶与座舱。"}
    assert svc.subscriptions.feed(info.id).articles == 2
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:  # the archive refuses UPDATE
        conn.execute(text("UPDATE feed_articles SET title = 'x'"))


def test_dedupe_by_id_then_link_then_hash(svc: Parts, server: Any) -> None:
    doc = {"body": rss([{"guid": "g1", "link": "https://e.com/a", "title": "A", "description": "text a"},
                        {"title": "No id or link", "description": "text b"}])}
    server.routes["/d.xml"] = lambda h: h.reply(200, doc["body"])
    svc.subscriptions.add(server.url("/d.xml"), probe=False)
    assert svc.poller.poll(all=True).new_articles == 2
    doc["body"] = rss([
        {"guid": "g2", "link": "https://e.com/a", "title": "A", "description": "text a"},  # new guid, same link
        {"guid": "g3", "link": "https://e.com/c", "title": "No id or link", "description": "text b"},  # same text
        {"title": "No id or link", "description": "text b"},  # duplicate inside the document too
    ])
    assert svc.poller.poll(all=True).new_articles == 0


def test_missing_published_is_estimated(svc: Parts, server: Any) -> None:
    server.static("/nodate.xml", body=rss([{"guid": "x", "title": "Undated", "description": "no date"}]))
    svc.subscriptions.add(server.url("/nodate.xml"), probe=False)
    svc.poller.poll(all=True, now=T0)
    (a,) = svc.articles()
    assert a["published_estimated"] is True and a["published"] == a["fetched_at"] == "2026-06-01T12:00:00.000000Z"
    assert set(a) >= {"id", "feed_id", "feed_url", "feed_title", "url", "title", "summary", "content", "lang",
                      "published", "published_estimated", "fetched_at"}


def test_outbox_holds_each_new_article_until_it_is_marked_processed(svc: Parts, server: Any) -> None:
    server.static("/o.xml", body=rss(ITEMS))
    svc.subscriptions.add(server.url("/o.xml"), probe=False)
    assert svc.poller.poll(all=True).new_articles == 2
    states = svc.subscriptions.states()
    pending = [a for _, a in svc.archive.pending(states)]
    assert [a.title for a in pending] == [ITEMS[1]["title"], ITEMS[0]["title"]]  # oldest first, in storing order
    (first_seq, _), _ = svc.archive.pending(states)
    assert [a.id for _, a in svc.archive.pending(states, after=first_seq)] == [pending[1].id]  # keyset paging
    svc.archive.mark_processed([pending[0].id], T0)
    assert [a.id for _, a in svc.archive.pending(states)] == [pending[1].id]
    svc.archive.mark_processed([a.id for a in pending], T0)  # marking again is harmless
    assert svc.archive.pending(states) == []
    assert svc.poller.poll(all=True).new_articles == 0 and svc.archive.pending(states) == []


def test_opml_round_trip_and_hostile_opml(svc: Parts, store: EventStore, server: Any) -> None:
    a = server.static("/a.xml", body=rss(ITEMS))
    b = server.static("/b.xml", body=rss(ITEMS))
    opml = (f'<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Autos">'
            f'<outline type="rss" text="A feed" xmlUrl="{a}"/><outline type="rss" title="B 汽车" xmlUrl="{b}"/>'
            f"</outline></body></opml>").encode()
    added = svc.subscriptions.import_opml(opml)
    assert [(f.url, f.title) for f in added] == [(a, "A feed"), (b, "B 汽车")]
    assert svc.subscriptions.import_opml(opml) == []  # importing twice adds nothing
    exported = svc.subscriptions.export_opml()
    assert [(o.url, o.title) for o in parse_opml(exported.encode())] == [(a, "A feed"), (b, "B 汽车")]
    before = len(feed_events(store))
    hostile = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
               b'<opml version="2.0"><body><outline text="&y;" xmlUrl="http://127.0.0.1:9/z"/></body></opml>')
    with pytest.raises(BadOPML, match="DTD"):
        svc.subscriptions.import_opml(hostile)
    with pytest.raises(BadOPML, match="malformed"):
        svc.subscriptions.import_opml(b"<opml><body><outline")
    assert len(feed_events(store)) == before


def test_unsafe_url_in_opml_refuses_the_whole_file(store: EventStore) -> None:
    tables.migrate(store.engine)
    guarded = wire(store, allow_private=False).subscriptions
    opml = b'<opml version="2.0"><body><outline xmlUrl="http://169.254.169.254/latest/meta-data/"/></body></opml>'
    with pytest.raises(BadOPML, match="link-local"):
        guarded.import_opml(opml)
    assert guarded.feeds() == []


def test_two_workers_never_claim_the_same_feed(store: EventStore, server: Any) -> None:
    tables.migrate(store.engine)
    one, two = (wire(store, worker_id=w) for w in ("w1", "w2"))
    url = server.static("/l.xml", body=rss(ITEMS))
    info = one.subscriptions.add(url, probe=False)
    ids = set(one.subscriptions.states())
    assert set(one.health.claim(ids, T0, due_only=True)) == {info.id}
    assert two.health.claim(ids, T0, due_only=True) == {}  # leased by w1
    one.health.release([info.id])
    assert set(two.health.claim(ids, T0, due_only=True)) == {info.id}


def test_a_poll_of_unchanged_feeds_starts_no_parser_processes(store: EventStore, server: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import feeds.pools as pools_module

    monkeypatch.setattr(pools_module, "MIN_FEEDS", 1)
    body = rss(ITEMS)

    @server.route("/same.xml")
    def _same(h: Any) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304)
        else:
            h.reply(200, body, {"ETag": '"v1"'})

    first = wire(store, processes=1)
    first.subscriptions.add(server.url("/same.xml"), probe=False)
    try:
        assert first.poller.poll(all=True).new_articles == 2
        assert first.pools._cpu is not None  # a body to parse started the pool
    finally:
        first.pools.close()
    again = wire(store, processes=1)  # a new process, as `alliances poll` is
    assert again.poller.poll(all=True).not_modified == 1
    assert again.pools._cpu is None


def test_a_parser_pool_that_fails_leaves_the_parsing_to_the_poller(store: EventStore, server: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ProcessPoolExecutor

    import feeds.pools as pools_module

    monkeypatch.setattr(pools_module, "MIN_FEEDS", 1)
    svc = wire(store, processes=1)
    dead = ProcessPoolExecutor(1)
    dead.shutdown()  # every submit now raises
    svc.pools._cpu = dead
    for n in range(3):
        svc.subscriptions.add(server.static(f"/d{n}.xml", body=rss([dict(i, guid=f"{i['guid']}-{n}") for i in ITEMS])),
                              probe=False)
    s = svc.poller.poll(all=True)
    assert (s.polled, s.new_articles, s.errors) == (3, 6, 0)
    assert all(f.articles == 2 for f in svc.subscriptions.feeds())


def test_parsing_in_a_process_pool_gives_the_same_archive(store: EventStore, server: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import feeds.pools as pools_module

    monkeypatch.setattr(pools_module, "MIN_FEEDS", 1)
    svc = wire(store, processes=1)
    for n in range(3):
        svc.subscriptions.add(server.static(f"/p{n}.xml", body=rss([dict(i, guid=f"{i['guid']}-{n}") for i in ITEMS])),
                              probe=False)
    try:
        s = svc.poller.poll(all=True)
        assert svc.pools._cpu is not None  # the pool was used, not silently skipped
    finally:
        svc.pools.close()
    assert (s.polled, s.new_articles, s.errors) == (3, 6, 0)
    assert all(f.articles == 2 for f in svc.subscriptions.feeds())


def test_fetch_never_hands_the_poller_an_empty_batch(store: EventStore, server: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A wait in which fetches only went on to the parsers finishes nothing to store, however long it took (the
    parser pool's start-up can outlast RECORD_WAIT): the poller gets no empty batch to record."""
    import feeds.pools as pools_module

    monkeypatch.setattr(pools_module, "MIN_FEEDS", 1)
    monkeypatch.setattr(pools_module, "RECORD_WAIT", 0.0)
    svc = wire(store, processes=1)
    svc.subscriptions.add(server.static("/b.xml", body=rss(ITEMS)), probe=False)
    jobs = [(fid, s.url, None, None) for fid, s in svc.subscriptions.states().items()]
    try:
        batches = list(svc.pools.fetch(svc.poller.fetcher, jobs))
    finally:
        svc.pools.close()
    assert [len(b) for b in batches] == [1] and batches[0][0].parsed is not None
