"""The dispatcher: delivers the outbox at least once, in log order per subscription.

A pass leases the due rows that head their subscription's queue (PostgreSQL `FOR UPDATE SKIP LOCKED`,
SQLite its write lock), sends each, logs the attempt and either marks the row delivered, schedules a
retry (exponential backoff with jitter, or the receiver's Retry-After), or gives up after the last
attempt (dead). A 410 disables the subscription. A dispatcher killed mid-send leaves a lease that
lapses (at once, when its process is known to be gone from this host): the row is sent again, with the
same webhook id.
"""
from __future__ import annotations

import os
import random
import secrets as _secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection, Row

from events.store import EventStore
from feeds.clock import Clock, utc_now
from feeds.folded import Stored
from feeds.leases import holder, pid_alive

from .channels import Outcome, Sender
from .matching import stamp
from .model import SubState
from .signing import signed_headers
from .tables import ATTEMPTS, DELIVERIES, entries_of
from .vault import Sealed, Vault

__all__ = ["Dispatcher", "PassSummary", "RetryPolicy", "message_text", "webhook_body"]

CLAIM = 100  # queue heads leased at once (one per subscription and kind)
RUN = 20  # rows leased per queue: its head and the rows right behind it (one queue per subscription)
MAX_DELAY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt n (1-based) failing waits base * 2^(n-1), half of it jittered, capped at a day."""

    base: float = 30.0
    max_attempts: int = 8

    def delay(self, attempts: int, retry_after: float | None, rand: Callable[[], float] = random.random) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_DELAY)
        d = min(MAX_DELAY, self.base * 2.0 ** max(0, attempts - 1))
        return float(d / 2 + rand() * d / 2)


@dataclass
class PassSummary:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    disabled: int = 0
    attempts: int = 0
    freed: int = 0  # leases of dead dispatchers released

    def line(self) -> str:
        freed = f", {self.freed} leases of a stopped dispatcher freed" if self.freed else ""
        return (f"notify: {self.attempts} attempts, {self.delivered} delivered, {self.retrying} to retry,"
                f" {self.dead} dead, {self.disabled} subscriptions disabled{freed}")


def webhook_body(kind: str, items: list[dict[str, Any]], created_at: str, day: str | None = None) -> bytes:
    """The JSON body (README "Notifications"); the same bytes on every attempt."""
    if kind == "change":
        c = items[0]
        doc: dict[str, Any] = {"type": f"alliance.{c['what']}", "timestamp": c["recorded_at"], "data": c}
    elif kind == "digest":
        doc = {"type": "digest.daily", "timestamp": items[-1]["recorded_at"],
               "data": {"day": day, "count": len(items), "changes": items}}
    else:
        doc = {"type": "test", "timestamp": created_at, "data": items[0] if items else {}}
    return orjson.dumps(doc)


def message_text(kind: str, items: list[dict[str, Any]]) -> str:
    """The plain-text body for people's channels (e-mail, chat)."""
    lines = []
    for c in items:
        src = c.get("source") or {}
        cite = f" ({src.get('publisher') or ''} {src.get('url') or ''})".rstrip() if src else ""
        lines.append(f"- {c.get('title', '')}{cite}" if kind == "digest" else f"{c.get('summary', '')}{cite}")
    return "\n".join(lines) or "A test message from the Alliance Tracker."


@dataclass
class Dispatcher:
    """One dispatcher; `run_once()` delivers everything due now."""

    store: EventStore
    subscriptions: Stored[SubState]
    vault: Vault
    sender: Callable[[], Sender]
    disable: Callable[[str, str], None]  # (subscription id, reason): appends SubscriptionDisabled
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = utc_now
    lease_seconds: float = 70.0
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{_secrets.token_hex(4)}")
    rand: Callable[[], float] = random.random

    def run_once(self) -> PassSummary:
        summary = PassSummary()
        summary.freed = self.free_dead_leases()
        sender, sealed, journal = self.sender(), _Sealed(self.vault), _Journal(self.store, self.owner)
        try:
            while rows := self.claim():
                states, failed = self._states(), set[str]()
                entries = self._entries(rows)
                for row in rows:
                    if row.subscription_id in failed:  # keep the order: the rest waits for the retry
                        self._release(row)
                        continue
                    items = [entries[i] for i in orjson.loads(row.entries) if i in entries]
                    if not self._deliver(sender, sealed, journal, row, items, states.get(row.subscription_id),
                                         summary):
                        failed.add(row.subscription_id)
                journal.flush()
        finally:
            journal.flush()
            sender.close()
        return summary

    # --- leasing ---------------------------------------------------------------------------

    def claim(self, limit: int = CLAIM, run: int = RUN) -> list[Row[Any]]:
        """Lease, for up to `limit` subscriptions with something due, the head of the queue (the oldest pending
        row) with up to `run` rows right behind it that are due too, in log order."""
        now = self.clock()
        stamp_now = stamp(now)
        with self.store.write() as conn:
            sending = {s.id for s in self.subscriptions.read(conn).values() if s.sending}
            rows: list[Row[Any]] = []
            for sid in [x for x in _with_due_rows(conn, stamp_now) if x in sending][:limit]:
                rows += _queue_head(conn, sid, stamp_now, run, self.store.is_postgres)
            for i, group in enumerate(_by_rank(rows)):  # the n-th row of a run may wait for n sends
                until = stamp(now + timedelta(seconds=self.lease_seconds * (i + 1)))
                conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(group)).values(
                    lease_owner=self.owner, lease_until=until))
            return sorted(rows, key=lambda r: r.seq)

    def free_dead_leases(self) -> int:
        """Release the leases of dispatchers on this host whose process is gone (killed, crashed)."""
        host, t = socket.gethostname(), DELIVERIES
        with self.store.write() as conn:
            owners = {r[0] for r in conn.execute(select(t.c.lease_owner).where(
                t.c.lease_owner.is_not(None), t.c.state == "pending").distinct())}
            dead = [o for o in owners if (h := holder(o)) and h[0] == host and not pid_alive(h[1])]
            if not dead:
                return 0
            n = conn.execute(update(t).where(t.c.lease_owner.in_(dead)).values(lease_owner=None, lease_until=None))
            return int(n.rowcount or 0)

    def _states(self) -> Mapping[str, SubState]:
        with self.store.engine.connect() as conn:
            return self.subscriptions.read(conn)

    # --- one delivery -------------------------------------------------------------------------

    def _entries(self, rows: Sequence[Row[Any]]) -> dict[str, dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return entries_of(conn, (i for r in rows for i in orjson.loads(r.entries)))

    def _deliver(self, sender: Sender, sealed: _Sealed, journal: _Journal, row: Row[Any],
                 items: list[dict[str, Any]], sub: SubState | None, summary: PassSummary) -> bool:
        """Send one leased row and record the attempt; False when it is not delivered (yet)."""
        if sub is None or not sub.sending:  # paused or disabled since the claim: let the lease go
            self._release(row)
            return False
        out = self.attempt(sender, sub, row.id, row.kind, items, row.title, row.created_at, row.digest_day,
                           sealed=sealed.get(sub.id))
        summary.attempts += 1
        state = journal.add(row, out, *self._verdict(row, out))
        if state == "delivered":
            summary.delivered += 1
        elif state == "dead":
            summary.dead += 1
        else:
            summary.retrying += 1
        if out.gone:
            self.disable(sub.id, f"the receiver answered {out.status} Gone: {out.excerpt[:120]}".rstrip(": "))
            summary.disabled += 1
        return state == "delivered"

    def attempt(self, sender: Sender, sub: SubState, msg_id: str, kind: str, items: list[dict[str, Any]],
                title: str, created_at: str, day: str | None = None, *, sealed: Sealed | None = None) -> Outcome:
        """Send one message to the subscription's target (no bookkeeping: `send_test` uses it too)."""
        sealed = sealed or self.vault.get(sub.id)
        if sealed is None:
            return Outcome(None, 0.0, "no target stored for this subscription", False)
        if kind != "test" and not items:
            return Outcome(None, 0.0, "the message's content is missing from notify_entries", False)
        if sub.channel == "apprise":
            return sender.notify(sealed.target, title, message_text(kind, items))
        body = webhook_body(kind, items, created_at, day)
        now = self.clock()
        headers = signed_headers(msg_id, now, body.decode("utf-8"), sealed.signing(stamp(now)))
        return sender.post(sealed.target, headers, body)

    def _verdict(self, row: Row[Any], out: Outcome) -> tuple[str, str | None, str]:
        """(new state, next attempt time, now) after this attempt: delivered, dead, or due again later."""
        now = self.clock()
        attempts = int(row.attempts) + 1
        if out.ok:
            return "delivered", None, stamp(now)
        if out.gone or attempts >= self.policy.max_attempts:
            return "dead", None, stamp(now)
        wait = self.policy.delay(attempts, out.retry_after, self.rand)
        return "pending", stamp(now + timedelta(seconds=wait)), stamp(now)

    def _release(self, row: Row[Any]) -> None:
        t = DELIVERIES
        with self.store.write() as conn:
            conn.execute(update(t).where(t.c.id == row.id, t.c.lease_owner == self.owner).values(
                lease_owner=None, lease_until=None))


def attempt_row(delivery_id: str, at: str, out: Outcome) -> dict[str, Any]:
    return {"delivery_id": delivery_id, "at": at, "status": out.status, "latency_ms": out.latency_ms,
            "excerpt": out.excerpt[:300], "ok": out.ok}


class _Journal:
    """Attempts and their verdicts, written in small batches (one transaction per few dozen sends).

    A crash before a flush loses only bookkeeping: those rows are still leased, their leases lapse, and
    they are sent again with the same ids (at least once)."""

    EVERY = 50
    SECONDS = 1.0

    def __init__(self, store: EventStore, owner: str) -> None:
        self.store = store
        self.owner = owner
        self.attempts: list[dict[str, Any]] = []
        self.verdicts: list[dict[str, Any]] = []
        self.since = 0.0

    def add(self, row: Row[Any], out: Outcome, state: str, next_at: str | None, at: str) -> str:
        if not self.attempts:
            self.since = time.monotonic()
        self.attempts.append(attempt_row(row.id, at, out))
        self.verdicts.append({"b_id": row.id, "b_owner": self.owner, "b_attempts": int(row.attempts) + 1,
                              "b_state": state, "b_next": next_at})
        if len(self.attempts) >= self.EVERY or time.monotonic() - self.since >= self.SECONDS or state != "delivered":
            self.flush()
        return state

    def flush(self) -> None:
        if not self.attempts:
            return
        t = DELIVERIES
        with self.store.write() as conn:
            conn.execute(ATTEMPTS.insert(), self.attempts)
            conn.execute(update(t).where(t.c.id == bindparam("b_id"), t.c.lease_owner == bindparam("b_owner"))
                         .values(attempts=bindparam("b_attempts"), state=bindparam("b_state"),
                                 next_attempt_at=bindparam("b_next"), lease_owner=None, lease_until=None),
                         self.verdicts)
        self.attempts, self.verdicts = [], []


class _Sealed:
    """The vault's entries, read once per pass."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.seen: dict[str, Sealed | None] = {}

    def get(self, sid: str) -> Sealed | None:
        if sid not in self.seen:
            self.seen[sid] = self.vault.get(sid)
        return self.seen[sid]


def _with_due_rows(conn: Connection, now: str) -> list[str]:
    """Subscriptions with a pending row that is due and not leased, the longest waiting first."""
    t = DELIVERIES
    q = (select(t.c.subscription_id).where(t.c.state == "pending", t.c.next_attempt_at <= now,
                                           or_(t.c.lease_until.is_(None), t.c.lease_until < now))
         .group_by(t.c.subscription_id).order_by(func.min(t.c.seq)))
    return [r[0] for r in conn.execute(q)]


def _queue_head(conn: Connection, sid: str, now: str, run: int, postgres: bool) -> list[Row[Any]]:
    """The oldest pending rows of one subscription, if the oldest is due and not leased: it and the rows
    right behind it that are too (at most `run`). PostgreSQL: rows another dispatcher is claiming are
    skipped (SKIP LOCKED), and then the queue is left alone, so that order holds."""
    t = DELIVERIES
    q = (select(*_COLUMNS, t.c.next_attempt_at, t.c.lease_until)
         .where(t.c.subscription_id == sid, t.c.state == "pending").order_by(t.c.seq).limit(run))
    if postgres:
        q = q.with_for_update(skip_locked=True, of=t)
    rows = conn.execute(q).all()
    if not rows:
        return []
    if postgres:
        head = conn.execute(select(func.min(t.c.seq)).where(t.c.subscription_id == sid, t.c.state == "pending"))
        if head.scalar() != rows[0].seq:
            return []
    out: list[Any] = []
    for r in rows:
        if r.next_attempt_at > now or (r.lease_until is not None and r.lease_until >= now):
            break
        out.append(r)
    return out


def _by_rank(rows: Sequence[Row[Any]]) -> list[list[str]]:
    """Row ids grouped by their place in their queue's run (0: the heads, 1: the rows behind them, ...)."""
    ranks: list[list[str]] = []
    seen: dict[str, int] = {}
    for r in rows:
        i = seen.get(r.subscription_id, 0)
        seen[r.subscription_id] = i + 1
        if i == len(ranks):
            ranks.append([])
        ranks[i].append(r.id)
    return ranks


_COLUMNS = (DELIVERIES.c.seq, DELIVERIES.c.id, DELIVERIES.c.subscription_id, DELIVERIES.c.kind, DELIVERIES.c.entries,
            DELIVERIES.c.title, DELIVERIES.c.attempts, DELIVERIES.c.created_at, DELIVERIES.c.digest_day)
