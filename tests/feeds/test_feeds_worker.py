"""The scheduler, the offline demo and the shipped default feeds (offline: they must fail, not crash)."""
from __future__ import annotations

import json
import socket
import time
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from feeds import tables
from feeds.fetch import Fetcher
from service.bootstrap import Tracker, build
from service.config import Settings
from service.demo import DEMO_FEED_ID, demo_feed_bytes, serve_demo_feed
from service.scheduler import start_background

from .test_feeds_service import ITEMS, rss, wire


def tracker(tmp_path: Path, *, allow_private: bool) -> Tracker:
    return build(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}",
                          allow_private_urls=allow_private, poll_concurrency=4))


def articles(t: Tracker) -> list[dict[str, Any]]:
    return [a.to_json() for a in t.archive.articles(t.subscriptions.states())]


def wait_for(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_background_scheduler_polls_due_feeds_and_stops(tmp_path: Path, server: Any) -> None:
    t = tracker(tmp_path, allow_private=True)
    url = server.static("/feed.xml", body=rss(ITEMS))
    info = t.subscriptions.add(url, probe=False)
    handle = start_background(t, tick_seconds=0.2, ingest_seconds=0.2)
    try:
        wait_for(lambda: t.subscriptions.feed(info.id).articles == 2)
        wait_for(lambda: t.archive.pending(t.subscriptions.states()) == [])  # the ingest job took them
        for name in ("poll-tick", "ingest-tick"):
            job = handle.scheduler.get_job(name)
            assert job.max_instances == 1 and job.coalesce is True
    finally:
        handle.stop()
    assert not handle.scheduler.running
    polls = len(server.seen)
    time.sleep(0.5)
    assert len(server.seen) == polls == 1  # stopped; and the feed was not due again within its interval
    t.close()


def test_demo_feed_is_served_subscribed_and_polled(tmp_path: Path) -> None:
    t = tracker(tmp_path, allow_private=False)  # the guard stays on; only the demo host is allowed
    handle = start_background(t, demo=True, tick_seconds=60)
    try:
        assert handle.demo_url and handle.demo_url.startswith("http://127.0.0.1:")
        (demo,) = t.subscriptions.feeds()
        assert demo.id == DEMO_FEED_ID and demo.articles == 8 and demo.failures_in_row == 0
        arts = articles(t)
        assert {a["lang"] for a in arts} == {"zh", "en"} and all(a["published"].startswith("2026") for a in arts)
        assert any("长安汽车" in a["title"] and "地平线" in a["title"] for a in arts)
        assert not t.fetcher.allow_private
    finally:
        handle.stop()
    again = start_background(t, demo=True, tick_seconds=60)  # a restart: new port, same feed, no duplicates
    try:
        (demo2,) = t.subscriptions.feeds()
        assert demo2.url == again.demo_url and demo2.articles == 8
    finally:
        again.stop()
    assert t.archive.pending(t.subscriptions.states()) == []  # polled and ingested
    t.close()


def test_demo_server_standalone() -> None:
    url, stop = serve_demo_feed()
    try:
        import httpx

        r = httpx.get(url, timeout=5)
        assert r.status_code == 200 and r.content == demo_feed_bytes() and r.headers["etag"]
        assert httpx.get(url, headers={"If-None-Match": r.headers["etag"]}, timeout=5).status_code == 304
    finally:
        stop()


def test_poll_once_ingests_the_outbox_and_projects(tmp_path: Path, server: Any) -> None:
    t = tracker(tmp_path, allow_private=True)
    server.static("/feed.xml", body=rss(ITEMS))
    t.subscriptions.add(server.url("/feed.xml"), probe=False)
    s = t.poll_once(all=True)
    assert s.new_articles == 2 and s.handed_off == 2 and s.handoff_error is None
    assert t.archive.pending(t.subscriptions.states()) == []
    assert {r.type for r in t.store.read()} >= {"AllianceReported", "CompanyRegistered"}
    t.close()


def test_poll_once_ingests_whole_batches_while_the_poll_is_still_running(tmp_path: Path, server: Any) -> None:
    t = tracker(tmp_path, allow_private=True)
    t.pipeline.batch = 2  # the feed's two items are a whole batch
    server.static("/feed.xml", body=rss(ITEMS))
    t.subscriptions.add(server.url("/feed.xml"), probe=False)
    before = t.store.last_position()
    heads = []

    def polled(_done: int, _of: int) -> None:  # the poll stored a round of fetches and has not returned yet
        wait_for(lambda: t.store.last_position() > before, timeout=60)  # the batch's events are appended meanwhile
        heads.append(t.store.last_position())

    s = t.poll_once(all=True, polled=polled)
    assert heads and heads[0] > before
    assert s.new_articles == 2 and s.handed_off == 2 and s.handoff_error is None
    assert t.archive.pending(t.subscriptions.states()) == []
    t.close()


def test_a_batch_failing_while_the_poll_runs_stops_the_ingest_and_stays_pending(tmp_path: Path, server: Any,
                                                                               monkeypatch: Any) -> None:
    t = tracker(tmp_path, allow_private=True)
    t.pipeline.batch = 2
    server.static("/feed.xml", body=rss(ITEMS))
    t.subscriptions.add(server.url("/feed.xml"), probe=False)

    def broken(_party_sets: object) -> None:
        raise RuntimeError("read model unavailable")

    monkeypatch.setattr(t.pipeline.ports, "alliances", broken)
    s = t.poll_once(all=True)
    assert (s.new_articles, s.handed_off, s.handoff_error) == (2, 0, "RuntimeError: read model unavailable")
    assert len(t.archive.pending(t.subscriptions.states())) == 2
    monkeypatch.undo()
    again = t.poll_once(all=True)  # nothing new to fetch; the pending articles are ingested now
    assert (again.new_articles, again.handed_off, again.handoff_error) == (0, 2, None)
    t.close()


def _no_dns(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_default_feeds_offline_fail_visibly(store: Any) -> None:
    raw = json.loads(resources.files("feeds").joinpath("data/default_feeds.json").read_text("utf-8"))
    assert 8 <= len(raw) <= 15 and {r["language"] for r in raw} == {"en", "zh"}
    assert all(r["url"].startswith("https://") and r["title"] for r in raw)
    tables.migrate(store.engine)
    svc = wire(store, fetcher=Fetcher(resolver=_no_dns))  # as on a machine without internet
    assert len(svc.subscriptions.add_defaults()) == len(raw) and svc.subscriptions.add_defaults() == []
    s = svc.poller.poll(all=True)
    assert (s.polled, s.errors, s.new_articles) == (len(raw), len(raw), 0)
    for f in svc.subscriptions.feeds():
        assert f.failing and "DNS lookup failed" in (f.last_error or "") and f.next_poll_at


def test_refused_connection_is_a_failing_feed(store: Any) -> None:
    tables.migrate(store.engine)
    svc = wire(store)
    info = svc.subscriptions.add(f"http://127.0.0.1:{_closed_port()}/feed.xml", probe=False)
    s = svc.poller.poll(all=True)
    assert s.errors == 1
    got = svc.subscriptions.feed(info.id)
    assert got.failures_in_row == 1 and got.last_status is None and got.last_error


@pytest.mark.parametrize("interval", ["30m"])
def test_add_probe_tolerates_unreachable_hosts(store: Any, interval: str) -> None:
    tables.migrate(store.engine)
    svc = wire(store, fetcher=Fetcher(resolver=_no_dns)).subscriptions
    info = svc.add("https://feeds.example.com/rss", interval=interval)  # DNS fails: accepted, fails at poll
    assert info.url == "https://feeds.example.com/rss" and info.interval_seconds == 1800
