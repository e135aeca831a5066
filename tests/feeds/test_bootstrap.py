"""The composition root: wiring does no I/O; start-up I/O happens in open(); store, clock and HTTP can be injected."""
from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from events.errors import StoreUnavailable
from feeds.fetch import Fetcher
from feeds.ingest import Article
from service.bootstrap import bootstrap, build
from service.config import Settings

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def settings(tmp_path: Path, url: str | None = None) -> Settings:
    data = tmp_path / "not-yet"
    return Settings(data_dir=data, database_url=url or f"sqlite:///{data / 'a.db'}", allow_private_urls=True)


def test_wiring_opens_no_database(tmp_path: Path) -> None:
    t = bootstrap(settings(tmp_path))
    assert not (tmp_path / "not-yet" / "a.db").exists()
    t.open()
    assert (tmp_path / "not-yet" / "a.db").exists()
    t.close()


def test_an_unreachable_database_fails_at_open_not_at_wiring(tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t = bootstrap(settings(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere"))
    with pytest.raises(StoreUnavailable):
        t.open()


def test_injected_store_clock_and_http_are_the_ones_used(tmp_path: Path, server: Any) -> None:
    first = build(settings(tmp_path))
    fetcher = Fetcher(allow_private=True)
    t = bootstrap(first.settings, store=first.store, clock=lambda: NOON, http=fetcher)
    assert t.store is first.store and t.fetcher is fetcher and t.subscriptions.fetcher is fetcher
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    server.static("/feed.xml", body=empty)
    info = t.subscriptions.add(server.url("/feed.xml"), probe=False)
    t.poller.poll(all=True)
    assert t.subscriptions.feed(info.id).last_polled_at == "2026-11-30T12:00:00.000000Z"
    undated = Article(id="u1", feed_id=info.id, url="https://wire.example/u1", title="Nissan and Momenta sign "
                      "strategic cooperation agreement", summary="", content="", lang="en", published="",
                      fetched_at="")
    t.ingest([undated])
    (reported,) = [r for r in t.store.read() if r.type == "AllianceReported"]
    assert str(reported.valid) == "2026-11-30"  # dated by the injected clock, not the wall clock
    t.close()
