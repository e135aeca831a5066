"""Pausing a feed is an event like the other subscription commands; a paused feed is not polled."""
from __future__ import annotations

from typing import Any

import pytest

from events.store import EventStore
from feeds.errors import FeedError
from tests.feeds.test_feeds_service import ITEMS, Parts, feed_events, rss, wire


@pytest.fixture
def svc(store: EventStore) -> Any:
    parts = wire(store)
    yield parts
    parts.pools.close()


def test_pause_and_resume_are_events_and_fold_into_the_feed_state(svc: Parts, store: EventStore, server: Any) -> None:
    info = svc.subscriptions.add(server.static("/feed.xml", body=rss(ITEMS)))
    assert info.status == "new" and not info.paused
    paused = svc.subscriptions.pause(info.id)
    assert paused.paused and paused.status == "paused" and paused.to_json()["status"] == "paused"
    assert [(r.type, r.stream_version) for r in feed_events(store)] == [("FeedAdded", 1), ("FeedPaused", 2)]
    assert wire(store).subscriptions.feed(info.id).paused  # a fresh process reads it from the table
    resumed = svc.subscriptions.resume(info.id)
    assert not resumed.paused
    assert [r.type for r in feed_events(store)][-1] == "FeedResumed"


def test_a_paused_feed_is_not_polled_until_it_is_resumed(svc: Parts, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    info = svc.subscriptions.add(url, title="Local")
    svc.subscriptions.pause(info.id)
    hits = len(server.seen)
    summary = svc.poller.poll(all=True)
    assert summary.polled == 0 and len(server.seen) == hits and svc.health.poll_log(info.id) == []
    svc.subscriptions.resume(info.id)
    summary = svc.poller.poll(all=True)
    assert summary.polled == 1 and summary.new_articles == 2
    assert svc.subscriptions.feed(info.id).status == "ok"


def test_pausing_twice_or_resuming_a_running_feed_is_refused_in_one_line(svc: Parts, server: Any) -> None:
    info = svc.subscriptions.add(server.static("/feed.xml", body=rss(ITEMS)))
    with pytest.raises(FeedError, match="is not paused"):
        svc.subscriptions.resume(info.id)
    svc.subscriptions.pause(info.id)
    with pytest.raises(FeedError, match="already paused"):
        svc.subscriptions.pause(info.id)
    with pytest.raises(FeedError, match="no feed with id"):
        svc.subscriptions.pause("nope")


def test_re_subscribing_a_removed_paused_feed_starts_unpaused(svc: Parts, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    info = svc.subscriptions.add(url)
    svc.subscriptions.pause(info.id)
    svc.subscriptions.remove(info.id)
    assert not svc.subscriptions.add(url).paused
