"""LISTEN/NOTIFY on PostgreSQL: an append or new articles wake the jobs of every process, not their slow poll."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from events.envelope import NewEvent
from events.notify import Listener
from events.store import EVENTS_CHANNEL
from events.types import AliasAdded, FeedAdded
from feeds.archive import ARTICLES_CHANNEL
from feeds.health import HEALTH
from service.bootstrap import Tracker, build
from service.config import Settings
from service.scheduler import start_background

pytestmark = pytest.mark.postgres


def wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def open_tracker(pg_url: str, tmp_path: Path, **env: str) -> Tracker:
    return build(Settings.from_env({"ALLIANCES_DATABASE_URL": pg_url, "ALLIANCES_DATA_DIR": str(tmp_path), **env}))


def test_a_committed_append_notifies_listeners(pg_url: str, tmp_path: Path) -> None:
    t = open_tracker(pg_url, tmp_path)
    woken = threading.Event()
    listener = Listener(t.store.engine, {EVENTS_CHANNEL: woken.set}).start()
    try:
        assert listener.listening.wait(10)
        t.store.append([NewEvent(FeedAdded("f1", "https://feeds.example/1.xml"))])
        assert woken.wait(10)
    finally:
        listener.stop()
        t.close()


def test_archived_articles_notify_the_ingest_channel(pg_url: str, tmp_path: Path) -> None:
    from tests.feeds.test_claims import archived

    t = open_tracker(pg_url, tmp_path)
    woken = threading.Event()
    listener = Listener(t.store.engine, {ARTICLES_CHANNEL: woken.set}).start()
    try:
        assert listener.listening.wait(10)
        archived(t, 1)
        assert woken.wait(10)
    finally:
        listener.stop()
        t.close()


def test_the_listener_refuses_sqlite(tmp_path: Path) -> None:
    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)}))
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Listener(t.store.engine, {})
    t.close()


@pytest.fixture
def woken(pg_url: str, tmp_path: Path) -> Iterator[tuple[Tracker, Tracker]]:
    """A worker whose slow polls are an hour away, listening and idle after its first runs; and another process."""
    worker = open_tracker(pg_url, tmp_path / "w", ALLIANCES_WAKE_FALLBACK_SECONDS="3600",
                          ALLIANCES_POLL_TICK_SECONDS="3600")
    other = open_tracker(pg_url, tmp_path / "o")
    handle = start_background(worker)
    try:
        assert handle.listener is not None and handle.listener.listening.wait(10)
        wait_for(lambda: not _running(handle))  # the jobs' first runs (at start-up) are over
        yield worker, other
    finally:
        handle.stop()
        worker.close()
        other.close()


def test_another_process_append_wakes_the_catch_up_job_long_before_its_fallback(
        woken: tuple[Tracker, Tracker]) -> None:
    """The worker's projections follow an append made elsewhere at once, though its slow poll is an hour."""
    worker, other = woken
    other.store.append([NewEvent(AliasAdded("byd", "Build Your Dreams Co"))])
    head = other.store.tail()
    wait_for(lambda: all(p == head for p in worker.projector.checkpoints().values()))


def test_new_articles_elsewhere_wake_the_ingest_job(woken: tuple[Tracker, Tracker]) -> None:
    from tests.feeds.test_claims import archived

    worker, other = woken
    archived(other, 3)
    wait_for(lambda: worker.archive.backlog() == 0)
    with worker.store.engine.connect() as conn:
        assert conn.execute(HEALTH.select()).all() == []  # nothing was polled: the ingest job alone woke


def _running(handle: Any) -> bool:
    return bool(handle.scheduler._executors["default"]._instances)  # apscheduler: jobs running now
