"""A tracker with a history: the seed log, then one poll of the offline demo feed (real HTTP on loopback)."""
from __future__ import annotations

from typing import Any

from events.seed import load_seed
from service.demo import DEMO_FEED_ID, ensure_demo_feed, serve_demo_feed


def seed_and_poll(tracker: Any) -> None:
    """Seed, subscribe to the demo feed, poll it once (fetch, archive, extract, append, project)."""
    load_seed(tracker.store)
    url, stop = serve_demo_feed()
    try:
        ensure_demo_feed(tracker.subscriptions, url)
        summary = tracker.poll_once(all=True, only={DEMO_FEED_ID})
    finally:
        stop()
    assert summary.new_articles > 0, summary
    tracker.projector.catch_up()
