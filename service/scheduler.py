"""Background polling with APScheduler 3.x: a poll tick for due feeds and a projector catch-up job.

Each feed's own interval (with jitter and backoff) lives in its `next_poll_at`; the tick only asks
"what is due?". Feeds are leased while polled (FOR UPDATE SKIP LOCKED on PostgreSQL), so several
workers on one database split the due feeds instead of polling them twice.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from apscheduler.schedulers.background import BackgroundScheduler

from feeds.service import PollSummary

from .bootstrap import Tracker
from .checkpoints import CHECKPOINT_SECONDS, checkpoint_job

__all__ = ["Handle", "poll_once", "run_forever", "start_background"]

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
CATCH_UP_SECONDS = 15.0


def poll_once(tracker: Tracker, *, all: bool = False, only: set[str] | None = None) -> PollSummary:  # noqa: A002
    """The whole pipeline: fetch and archive, hand new articles to extraction (if wired), project."""
    extract = getattr(tracker, "extract_articles", None)
    summary = tracker.feeds.poll(all=all, only=only, on_articles=extract if callable(extract) else None)
    tracker.projector.catch_up()
    return summary


@dataclass
class Handle:
    """A running background scheduler (and the demo feed server, if any)."""

    scheduler: BackgroundScheduler
    demo_url: str | None = None
    summaries: list[PollSummary] = field(default_factory=list)  # the latest few, newest last
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the jobs, wait for a running tick to finish, then stop the demo server."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        while self._stops:
            self._stops.pop()()


def _tick(tracker: Tracker, handle: Handle) -> None:
    """One scheduled poll of the due feeds; errors are logged, never kill the scheduler."""
    try:
        summary = poll_once(tracker)
    except Exception:  # noqa: BLE001 - the next tick tries again
        log.exception("poll tick failed")
        return
    handle.summaries[:] = [*handle.summaries[-9:], summary]
    if summary.polled:
        log.info("%s", summary.line())


def _catch_up(tracker: Tracker) -> None:
    try:
        tracker.projector.catch_up()
    except Exception:  # noqa: BLE001
        log.exception("projector catch-up failed")


def start_background(tracker: Tracker, *, demo: bool = False, tick_seconds: float = TICK_SECONDS,
                     catch_up_seconds: float = CATCH_UP_SECONDS) -> Handle:
    """Start polling in background threads; with `demo`, serve the demo feed, subscribe and poll it now."""
    scheduler = BackgroundScheduler(timezone=timezone.utc,
                                    job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})
    handle = Handle(scheduler)
    if demo:
        from .demo import DEMO_FEED_ID, ensure_demo_feed, serve_demo_feed

        url, stop = serve_demo_feed()
        handle.demo_url = url
        handle._stops.append(stop)
        try:
            ensure_demo_feed(tracker.feeds, url)
            handle.summaries.append(poll_once(tracker, all=True, only={DEMO_FEED_ID}))
        except BaseException:
            handle.stop()
            raise
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(_tick, "interval", seconds=tick_seconds, args=(tracker, handle), id="poll-tick",
                      next_run_time=datetime.now(timezone.utc), **common)
    scheduler.add_job(_catch_up, "interval", seconds=catch_up_seconds, args=(tracker,), id="projector-catch-up",
                      **common)
    scheduler.add_job(checkpoint_job, "interval", seconds=CHECKPOINT_SECONDS, args=(tracker,), id="checkpoint", **common)
    scheduler.start()
    return handle


def run_forever(tracker: Tracker, demo: bool = False, *, tick_seconds: float = TICK_SECONDS) -> None:
    """Run the scheduler until SIGINT or SIGTERM, then stop cleanly (the worker process)."""
    stopping = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stopping.set())
    handle = start_background(tracker, demo=demo, tick_seconds=tick_seconds)
    try:
        log.info("worker started%s; stop with Ctrl-C", f" (demo feed at {handle.demo_url})" if handle.demo_url else "")
        while not stopping.wait(1.0):
            pass
    finally:
        handle.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
        log.info("worker stopped")
