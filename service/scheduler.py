"""Background work with APScheduler 3.x: a poll tick (fetch and archive the due feeds), an ingest tick (extract,
decide and append what the archive's outbox holds, then advance the projections) and a notify tick (the
notification dispatcher: deliver what is due).

Each feed's own interval (with jitter and backoff) lives in its `next_poll_at`; the tick only asks
"what is due?". Feeds are leased while polled (FOR UPDATE SKIP LOCKED on PostgreSQL), so several
workers on one database split the due feeds instead of polling them twice. The two jobs meet only in the
outbox: polling never calls into extraction.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from events.notify import Listener
from events.store import EVENTS_CHANNEL
from feeds.archive import ARTICLES_CHANNEL
from feeds.poller import PollSummary

from .bootstrap import Tracker
from .checkpoints import CHECKPOINT_SECONDS, checkpoint_job

__all__ = ["Handle", "run_forever", "start_background"]

log = logging.getLogger(__name__)

INGEST_SECONDS = 15.0
NOTIFY_SECONDS = 5.0


@dataclass
class Handle:
    """A running background scheduler (and the demo feed server, if any)."""

    scheduler: BackgroundScheduler
    demo_url: str | None = None
    listener: Listener | None = None  # PostgreSQL: the LISTEN thread waking the ingest and catch-up jobs
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
        summary = tracker.poller.poll()
    except Exception:  # noqa: BLE001 - the next tick tries again
        log.exception("poll tick failed")
        return
    handle.summaries[:] = [*handle.summaries[-9:], summary]
    if summary.polled:
        log.info("%s", summary.line())


def _ingest(tracker: Tracker) -> None:
    """Ingest what the outbox holds, then bring the projections up to the log (also events others appended)."""
    try:
        done, error = tracker.pipeline.drain()
        tracker.projector.catch_up()
    except Exception:  # noqa: BLE001 - the next tick tries again
        log.exception("ingest tick failed")
        return
    if done or error:
        log.info("ingest: %d articles%s", done, f"; failed: {error}" if error else "")


def _notify(tracker: Tracker) -> None:
    """One dispatcher pass: what the log learned into the outbox, then every delivery due now."""
    try:
        summary = tracker.notify_once()
    except Exception:  # noqa: BLE001 - the next tick tries again; leases lapse, nothing is lost
        log.exception("notify tick failed")
        return
    if summary.attempts or summary.freed:
        log.info("%s", summary.line())


def _project(tracker: Tracker) -> None:
    """Bring the projections up to the log (woken by events other processes append)."""
    try:
        tracker.projector.catch_up()
    except Exception:  # noqa: BLE001 - the next wake-up or fallback tries again
        log.exception("catch-up failed")


class Woken:
    """A job run when woken (LISTEN/NOTIFY) or when its slow fallback interval passes.

    A wake-up that arrives while the job runs makes it run once more at the end, so no notice is lost
    between its last read and its return."""

    def __init__(self, scheduler: BackgroundScheduler, job_id: str, work: Callable[[], None]) -> None:
        self.scheduler = scheduler
        self.job_id = job_id
        self.work = work
        self._again = threading.Event()
        self._running = False
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self._running = True
        try:
            while True:
                self._again.clear()
                self.work()
                with self._lock:  # the check and the flag together: a wake-up in between is never lost
                    if not self._again.is_set():
                        self._running = False
                        return
        except BaseException:
            with self._lock:
                self._running = False
            raise

    def wake(self) -> None:
        with self._lock:
            self._again.set()
            if self._running:
                return
        with contextlib.suppress(JobLookupError):  # stopping
            self.scheduler.modify_job(self.job_id, next_run_time=datetime.now(UTC))


def woken_jobs(tracker: Tracker) -> list[tuple[str, str, Callable[[], None]]]:
    """(job id, NOTIFY channel, work) of the jobs that wake on PostgreSQL. The dispatcher wakes on new events
    (their changes are matched and sent at once) and also keeps its interval job for retries and digests."""
    return [
        ("ingest-tick", ARTICLES_CHANNEL, lambda: _ingest(tracker)),
        ("project", EVENTS_CHANNEL, lambda: _project(tracker)),
        ("notify-woken", EVENTS_CHANNEL, lambda: _notify(tracker)),
    ]


def _add_woken(tracker: Tracker, handle: Handle, common: dict[str, Any], fallback_seconds: float) -> None:
    """On PostgreSQL: each woken job on a slow fallback interval, and one listener thread waking them."""
    callbacks: dict[str, Callable[[], None]] = {}
    for job_id, channel, work in woken_jobs(tracker):
        job = Woken(handle.scheduler, job_id, work)
        handle.scheduler.add_job(job, "interval", seconds=fallback_seconds, id=job_id,
                                 next_run_time=datetime.now(UTC), **common)
        callbacks[channel] = _both(callbacks.get(channel), job.wake)
    listener = Listener(tracker.store.engine, callbacks).start()
    handle.listener = listener
    handle._stops.append(listener.stop)


def _both(first: Callable[[], None] | None, then: Callable[[], None]) -> Callable[[], None]:
    if first is None:
        return then

    def both() -> None:
        first()
        then()
    return both


def start_background(tracker: Tracker, *, demo: bool = False, tick_seconds: float | None = None,
                     ingest_seconds: float = INGEST_SECONDS, notify_seconds: float = NOTIFY_SECONDS) -> Handle:
    """Start polling in background threads; with `demo`, serve the demo feed, subscribe and poll it now.

    On PostgreSQL the ingest and catch-up jobs wake when articles or events commit (LISTEN/NOTIFY), with a
    slow poll (ALLIANCES_WAKE_FALLBACK_SECONDS) behind; on SQLite they poll every `ingest_seconds`."""
    tick_seconds = tick_seconds or tracker.settings.poll_tick_seconds
    scheduler = BackgroundScheduler(timezone=UTC,
                                    job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})
    handle = Handle(scheduler)
    if demo:
        from .demo import DEMO_FEED_ID, ensure_demo_feed, serve_demo_feed

        url, stop = serve_demo_feed()
        handle.demo_url = url
        handle._stops.append(stop)
        try:
            ensure_demo_feed(tracker.subscriptions, url)
            handle.summaries.append(tracker.poll_once(all=True, only={DEMO_FEED_ID}))
        except BaseException:
            handle.stop()
            raise
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(_tick, "interval", seconds=tick_seconds, args=(tracker, handle), id="poll-tick",
                      next_run_time=datetime.now(UTC), **common)
    if tracker.store.is_postgres:
        _add_woken(tracker, handle, common, tracker.settings.wake_fallback_seconds)
    else:
        scheduler.add_job(_ingest, "interval", seconds=ingest_seconds, args=(tracker,), id="ingest-tick",
                          next_run_time=datetime.now(UTC), **common)
    scheduler.add_job(_notify, "interval", seconds=notify_seconds, args=(tracker,), id="notify-tick",
                      next_run_time=datetime.now(UTC), **common)
    scheduler.add_job(checkpoint_job, "interval", seconds=CHECKPOINT_SECONDS, args=(tracker,), id="checkpoint",
                      **common)
    scheduler.start()
    return handle


def run_forever(tracker: Tracker, demo: bool = False, *, tick_seconds: float | None = None) -> None:
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
