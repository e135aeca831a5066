"""Claims that divide work between workers on one database: outbox batches, feed leases, the decide lock.

Each worker is an Archive/Health with its own worker id on the same database (both backends); a holder on
another host is written as such, a dead one on this host is a process that has exited.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from events.envelope import NewEvent
from events.store import EventStore
from events.types import FeedAdded
from feeds.archive import OUTBOX, Archive, insert_articles
from feeds.health import HEALTH, Health
from feeds.sources import FeedState

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def archived(tracker: Any, n: int) -> None:
    """n articles in the archive, each with its outbox row, in one feed."""
    rows = [{"id": f"k{i}-v1", "article_key": f"k{i}", "version": 1, "feed_id": "f", "entry_id": f"e{i}",
             "url": f"https://news.example/{i}", "title": f"Item {i}", "summary": "", "content": "", "lang": "en",
             "published": "2026-05-01T00:00:00.000000Z", "published_estimated": False,
             "fetched_at": "2026-05-01T00:00:00.000000Z", "content_hash": f"h{i}"} for i in range(n)]
    with tracker.store.write() as conn:
        insert_articles(conn, rows)


def worker(store: EventStore, clock: Clock, owner: str, lease: float = 60) -> Archive:
    return Archive(store, worker_id=owner, lease_seconds=lease, clock=clock)


def ids(articles: list[Any]) -> list[str]:
    return [a.id for a in articles]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_two_workers_claim_disjoint_batches_in_outbox_order(tracker: Any) -> None:
    archived(tracker, 7)
    clock = Clock()
    a, b = worker(tracker.store, clock, "h:1:a"), worker(tracker.store, clock, "h:2:b")
    first, second, third = a.claim({}, 3), b.claim({}, 3), a.claim({}, 3)
    assert ids(first) == ["k0-v1", "k1-v1", "k2-v1"] and ids(second) == ["k3-v1", "k4-v1", "k5-v1"]
    assert ids(third) == ["k6-v1"] and b.claim({}, 3) == []


def test_a_claim_lapses_after_its_lease_and_another_worker_takes_it(tracker: Any) -> None:
    archived(tracker, 2)
    clock = Clock()
    elsewhere = worker(tracker.store, clock, "another-host:4242:x", lease=30)  # alive, as far as we can tell
    mine = worker(tracker.store, clock, "h:1:a")
    assert len(elsewhere.claim({}, 10)) == 2
    assert mine.claim({}, 10) == []
    clock.now = T0 + timedelta(seconds=31)
    assert ids(mine.claim({}, 10)) == ["k0-v1", "k1-v1"]


def test_a_dead_holder_on_this_host_is_taken_over_at_once(tracker: Any) -> None:
    import socket

    archived(tracker, 2)
    clock = Clock()
    dead = worker(tracker.store, clock, f"{socket.gethostname()}:{dead_pid()}:x", lease=600)
    assert len(dead.claim({}, 10)) == 2
    assert ids(worker(tracker.store, clock, "h:1:a").claim({}, 10)) == ["k0-v1", "k1-v1"]


def test_processed_articles_are_never_claimed_and_a_failed_batch_is_given_back(tracker: Any) -> None:
    archived(tracker, 3)
    clock = Clock()
    a, b = worker(tracker.store, clock, "h:1:a"), worker(tracker.store, clock, "h:2:b")
    batch = a.claim({}, 2)
    a.mark_processed([batch[0].id], clock())
    assert a.release() == 1  # the unprocessed one goes back; the processed one stays done
    assert ids(b.claim({}, 10)) == ["k1-v1", "k2-v1"]
    with tracker.store.engine.connect() as conn:
        assert conn.execute(OUTBOX.select().where(OUTBOX.c.processed_at.is_(None))).all() != []
    assert a.backlog() == 2


def feeds_in(tracker: Any, n: int) -> dict[str, FeedState]:
    tracker.store.append([NewEvent(FeedAdded(f"f{i}", f"https://feeds.example/{i}.xml")) for i in range(n)])
    states = {fid: s for fid, s in tracker.subscriptions.states().items()}
    tracker.health.ensure(states)
    return states


def test_feed_leases_are_taken_a_few_at_a_time_and_never_twice(tracker: Any) -> None:
    states = feeds_in(tracker, 5)
    clock = Clock()
    a = Health(tracker.store, worker_id="h:1:a", clock=clock)
    b = Health(tracker.store, worker_id="h:2:b", clock=clock)
    got = [a.claim(states, T0, due_only=True, limit=2), b.claim(states, T0, due_only=True, limit=2),
           a.claim(states, T0, due_only=True, limit=2), b.claim(states, T0, due_only=True, limit=2)]
    assert [len(g) for g in got] == [2, 2, 1, 0]
    assert sorted(fid for g in got for fid in g) == sorted(states)


def test_a_feed_lease_lapses_and_is_taken_over(tracker: Any) -> None:
    states = feeds_in(tracker, 1)
    clock = Clock()
    elsewhere = Health(tracker.store, worker_id="another-host:4242:x", lease_seconds=30, clock=clock)
    mine = Health(tracker.store, worker_id="h:1:a", clock=clock)
    assert list(elsewhere.claim(states, T0, due_only=True, limit=5)) == ["f0"]
    assert mine.claim(states, T0, due_only=True, limit=5) == {}
    clock.now = T0 + timedelta(seconds=31)
    assert list(mine.claim(states, clock.now, due_only=True, limit=5)) == ["f0"]
    with tracker.store.engine.connect() as conn:
        assert conn.execute(HEALTH.select()).one().lease_owner == "h:1:a"


def test_the_exclusive_lock_lets_one_holder_in_at_a_time(tracker: Any) -> None:
    """A second holder (a thread here, another process in production) enters only after the first leaves."""
    order: list[str] = []
    inside, go_on = threading.Event(), threading.Event()

    def first() -> None:
        with tracker.store.exclusive("ingest-decide"):
            order.append("first in")
            inside.set()
            go_on.wait(30)
            order.append("first out")

    def second() -> None:
        inside.wait(30)
        with tracker.store.exclusive("ingest-decide"):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for th in threads:
        th.start()
    inside.wait(30)
    go_on.set()
    for th in threads:
        th.join(30)
    assert order == ["first in", "first out", "second in"]


def test_an_outbox_from_an_earlier_release_gets_its_claim_columns_on_upgrade(db_url: str, tmp_path: Any) -> None:
    from sqlalchemy import inspect, text

    from events.engine import make_engine
    from service.bootstrap import build
    from service.config import Settings

    engine = make_engine(db_url)
    with engine.begin() as conn:  # the table as the landed schema made it
        conn.execute(text("CREATE TABLE feed_outbox (seq INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE,"
                          " created_at TEXT NOT NULL, processed_at TEXT)"))
        conn.execute(text("INSERT INTO feed_outbox (seq, article_id, created_at) VALUES (1, 'a-v1', 'x')"))
    engine.dispose()
    t = build(Settings.from_env({"ALLIANCES_DATABASE_URL": db_url, "ALLIANCES_DATA_DIR": str(tmp_path)}),
              migrate=True)
    try:
        with t.store.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("feed_outbox")}
            assert {"claim_owner", "claim_until"} <= columns
        assert t.archive.backlog() == 1  # the row waiting before the upgrade still waits
    finally:
        t.close()
