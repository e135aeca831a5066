"""How polling each feed goes (health rows, the poll log) and who polls it now (leases).

Several workers may share one PostgreSQL: a feed is leased while it is polled (FOR UPDATE SKIP LOCKED; the
write lock on SQLite), a few at a time, so workers split the due feeds instead of polling them twice.
"""
from __future__ import annotations

import importlib
import os
import socket
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from events.store import EventStore, utc_stamp

from . import leases
from .clock import Clock, utc_now
from .poll import Fetched, Verdict
from .tables import FeedHealthRow, PollLogRow

__all__ = ["Health", "Lease", "Outcome"]

HEALTH = FeedHealthRow.__table__  # type: ignore[attr-defined]
POLL_LOG = PollLogRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500
_IN_SQL = 20_000  # up to this many feeds, the claim filters (and limits) in SQL; beyond, it takes every due feed

_HEALTH_UPDATE = update(HEALTH).where(HEALTH.c.feed_id == bindparam("b_fid")).values(
    etag=bindparam("b_etag"), last_modified=bindparam("b_lm"), next_poll_at=bindparam("b_next"),
    failures_in_row=bindparam("b_fail"), last_polled_at=bindparam("b_polled"), last_error=bindparam("b_err"),
    last_status=bindparam("b_status"), last_success_at=bindparam("b_success"), lease_owner=None, lease_until=None)


@dataclass(frozen=True, slots=True)
class Lease:
    """A claimed feed and the health columns its fetch needs."""

    etag: str | None = None
    last_modified: str | None = None
    failures_in_row: int = 0
    last_success_at: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recorded poll: the fetch, its verdict, how many articles it stored."""

    feed_id: str
    lease: Lease
    fetched: Fetched
    verdict: Verdict
    new_articles: int


class Health:
    """Health rows, the poll log and leases; every write in a store write transaction."""

    def __init__(self, store: EventStore, *, worker_id: str | None = None, lease_seconds: float = 600.0,
                 clock: Clock = utc_now) -> None:
        self.store = store
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.lease_news: tuple[list[leases.Lease], list[leases.Lease]] = ([], [])  # (held by others, freed)

    def ensure(self, feed_ids: Iterable[str], *, reset: bool = False) -> None:
        """Create missing rows (due at once); `reset` clears an old row on re-subscription."""
        ids = list(feed_ids)
        if not ids:
            return
        # the dialect's own INSERT (ON CONFLICT), imported here: SQLite's poller need not load PostgreSQL's (~20 ms)
        dialect = importlib.import_module(f"sqlalchemy.dialects.{'postgresql' if self.store.is_postgres else 'sqlite'}")
        with self.store.write() as conn:
            if reset:
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(ids)).values(
                    etag=None, last_modified=None, next_poll_at=None, failures_in_row=0, last_error=None,
                    last_status=None))
            for chunk in _chunks(ids):
                have = set(conn.execute(select(HEALTH.c.feed_id).where(HEALTH.c.feed_id.in_(chunk))).scalars())
                missing = [{"feed_id": f, "failures_in_row": 0} for f in chunk if f not in have]
                if missing:
                    conn.execute(dialect.insert(HEALTH).on_conflict_do_nothing(), missing)

    def reschedule(self, feed_id: str, seconds: int) -> None:
        """A shorter interval takes effect at once for a healthy feed (a failing one keeps its back-off)."""
        soon = utc_stamp(self.clock() + timedelta(seconds=seconds))
        with self.store.write() as conn:
            conn.execute(update(HEALTH).where(HEALTH.c.feed_id == feed_id, HEALTH.c.failures_in_row == 0,
                                              or_(HEALTH.c.next_poll_at.is_(None), HEALTH.c.next_poll_at > soon))
                         .values(next_poll_at=soon))

    def claim(self, feed_ids: Collection[str], now: datetime, *, due_only: bool,
              limit: int | None = None) -> dict[str, Lease]:
        """Lease (up to `limit` of) the feeds to poll now so that another worker skips them."""
        wall = self.clock()
        q = select(HEALTH.c.feed_id, HEALTH.c.etag, HEALTH.c.last_modified, HEALTH.c.failures_in_row,
                   HEALTH.c.last_success_at).where(
            or_(HEALTH.c.lease_until.is_(None), HEALTH.c.lease_until < utc_stamp(wall)))
        if due_only:
            q = q.where(or_(HEALTH.c.next_poll_at.is_(None), HEALTH.c.next_poll_at <= utc_stamp(now)))
        if len(feed_ids) <= _IN_SQL:
            q = q.where(HEALTH.c.feed_id.in_(list(feed_ids)))
            if limit is not None:
                q = q.order_by(HEALTH.c.next_poll_at, HEALTH.c.feed_id).limit(limit)
        if self.store.is_postgres:
            q = q.with_for_update(skip_locked=True)
        with self.store.write() as conn:
            freed = leases.release_dead(conn, HEALTH)  # a poller killed on this host holds nothing any more
            rows = [r for r in conn.execute(q) if r.feed_id in feed_ids][:limit]
            held = leases.held(conn, HEALTH, utc_stamp(wall), feed_ids, mine=self.worker_id)
            self.lease_news = (held, self.lease_news[1] + freed)
            for chunk in _chunks([r.feed_id for r in rows]):
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(chunk))
                             .values(lease_owner=self.worker_id, lease_until=utc_stamp(wall + self.lease)))
        return {r.feed_id: Lease(r.etag, r.last_modified, r.failures_in_row, r.last_success_at) for r in rows}

    def due(self, now: datetime) -> tuple[int, int]:
        """(feeds due and not leased, feeds whose last poll failed): what /metrics reports."""
        stamp = utc_stamp(now)
        due = select(func.count()).select_from(HEALTH).where(
            or_(HEALTH.c.next_poll_at.is_(None), HEALTH.c.next_poll_at <= stamp),
            or_(HEALTH.c.lease_until.is_(None), HEALTH.c.lease_until < stamp))
        failing = select(func.count()).select_from(HEALTH).where(HEALTH.c.failures_in_row > 0)
        with self.store.engine.connect() as conn:
            return int(conn.execute(due).scalar_one()), int(conn.execute(failing).scalar_one())

    def release(self, feed_ids: Collection[str]) -> None:
        """Drop this worker's leases that are still held (recording a poll clears its lease)."""
        ids = list(feed_ids)
        if not ids:
            return
        with self.store.write() as conn:
            for chunk in _chunks(ids):
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(chunk), HEALTH.c.lease_owner == self.worker_id)
                             .values(lease_owner=None, lease_until=None))

    @staticmethod
    def record(conn: Connection, outcomes: Sequence[Outcome], at: datetime) -> None:
        """Write a batch of poll outcomes (health rows, poll log) in the caller's transaction."""
        stamp = utc_stamp(at)
        conn.execute(_HEALTH_UPDATE, [{
            "b_fid": o.feed_id, "b_etag": o.verdict.etag, "b_lm": o.verdict.last_modified,
            "b_next": utc_stamp(o.verdict.next_poll_at), "b_fail": o.verdict.failures_in_row, "b_polled": stamp,
            "b_err": o.verdict.error, "b_status": o.fetched.result.status,
            "b_success": stamp if o.verdict.ok else o.lease.last_success_at,
        } for o in outcomes])
        conn.execute(insert(POLL_LOG), [{
            "feed_id": o.feed_id, "url": o.fetched.url, "polled_at": stamp, "status": o.fetched.result.status,
            "elapsed_ms": round(o.fetched.result.elapsed_ms, 2), "not_modified": o.fetched.result.not_modified,
            "new_entries": o.new_articles, "error": o.verdict.error,
        } for o in outcomes])

    def rows(self, feed_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Health rows by feed id (all, or the few asked for)."""
        q = select(HEALTH)
        if feed_ids is not None:
            q = q.where(HEALTH.c.feed_id.in_(list(feed_ids)))
        with self.store.engine.connect() as conn:
            return {r.feed_id: r for r in conn.execute(q)}

    def poll_log(self, feed_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest poll outcomes, newest first."""
        q = select(POLL_LOG).order_by(POLL_LOG.c.id.desc()).limit(limit)
        if feed_id is not None:
            q = q.where(POLL_LOG.c.feed_id == feed_id)
        with self.store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    return (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK))
