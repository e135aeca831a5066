"""The notification subscriber: the changes a batch of the log made, matched and written to the outbox.

It runs on the core's runner with `replayable = False` (it starts at the log's tail, sees each event
once and a rebuild never replays it) and `depends_on` the projections whose tables it reads, so the
change log and the subscriptions are complete up to the end of every batch it is given. Its delivery
rows and its checkpoint commit in one transaction: a change is enqueued exactly once.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from events.changes import Change, ChangeLog
from events.queries import change_json
from events.runner import Batch
from events.schema import OPEN
from events.store import EventStore
from feeds.clock import Clock, utc_now
from feeds.folded import Stored

from .matching import digest_day, digest_due, plan, stamp
from .model import SubState
from .tables import DELIVERIES, ENTRIES

__all__ = ["ALL_CHANGES", "Notifier", "message_id"]

ALL_CHANGES = 10**9  # a batch's changes are read whole (a batch is at most the runner's batch of events)


def message_id() -> str:
    """A delivery's id, sent as `webhook-id` on every attempt (receivers deduplicate on it)."""
    return "msg_" + secrets.token_hex(10)


class Notifier:
    """Matches each batch's changes against the subscriptions collecting then; writes the deliveries."""

    name = "notifications"
    replayable = False
    types: frozenset[str] | None = None
    depends_on = ("companies", "alliances", "subscriptions")

    def __init__(self, store: EventStore, subscriptions: Stored[SubState], clock: Clock = utc_now) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.clock = clock
        self.changelog = ChangeLog(store)

    def reset(self, conn: Connection) -> None:  # never called: the runner refuses to replay us
        raise RuntimeError("notifications are never replayed")

    def handle(self, conn: Connection, batch: Batch) -> None:
        changes = self.changelog.changes(after=batch.after, upto=batch.end, limit=ALL_CHANGES,
                                         corroborations=True, conn=conn)
        if not changes:
            return
        pairs = plan(changes, self.subscriptions.read(conn).values())
        if pairs:
            enqueue(conn, pairs, _entries([c for _, c in pairs], _companies(conn)), stamp(self.clock()))


def _companies(conn: Connection) -> dict[str, Any]:
    rows = conn.exec_driver_sql(f"SELECT doc FROM company_now WHERE recorded_to = {OPEN}").fetchall()
    return {d["id"]: d for d in (orjson.loads(r[0]) for r in rows)}


def _entries(changes: Sequence[Change], companies: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for c in changes:
        if c.id not in out:
            out[c.id] = change_json(c, companies)
    return out


def enqueue(conn: Connection, pairs: Sequence[tuple[SubState, Change]], entries: Mapping[str, dict[str, Any]],
            now: str) -> int:
    """Write the entries (once per change) and the outbox rows: one per change, or the change added to its
    day's digest. Returns the rows written."""
    conn.execute(ENTRIES.insert(), [{"id": k, "entry": orjson.dumps(v).decode()} for k, v in entries.items()])
    rows = []
    for s, c in pairs:
        f = s.filters_at(c.position)
        if f is None or f.digest is None:
            rows.append({"id": message_id(), "subscription_id": s.id, "kind": "change", "change_id": c.id,
                         "position": c.position, "title": entries[c.id]["title"], "entries": f'["{c.id}"]',
                         "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now})
        else:
            _add_to_digest(conn, s, c, now)
    if rows:
        conn.execute(DELIVERIES.insert(), rows)
    return len(rows)


def _add_to_digest(conn: Connection, s: SubState, c: Change, now: str) -> None:
    """A digest row collects its day's changes until it falls due (the next midnight UTC)."""
    day = digest_day(c.recorded_at or now)
    t = DELIVERIES
    found = conn.execute(select(t.c.id, t.c.entries, t.c.attempts, t.c.state).where(
        t.c.subscription_id == s.id, t.c.change_id == f"digest-{day}")).first()
    if found is not None and found.attempts == 0 and found.state == "pending":
        ids = [*orjson.loads(found.entries), c.id]
        conn.execute(update(t).where(t.c.id == found.id).values(
            entries=orjson.dumps(ids).decode(), position=c.position, title=digest_title(day, len(ids))))
        return
    change_id = f"digest-{day}" if found is None else f"digest-{day}+{c.position}"  # the day's digest already left
    conn.execute(t.insert(), [{
        "id": message_id(), "subscription_id": s.id, "kind": "digest", "change_id": change_id,
        "position": c.position, "title": digest_title(day, 1), "entries": orjson.dumps([c.id]).decode(),
        "state": "pending", "attempts": 0, "next_attempt_at": max(now, digest_due(day)), "created_at": now,
        "digest_day": day}])


def digest_title(day: str, n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''} to alliances on {day}"
