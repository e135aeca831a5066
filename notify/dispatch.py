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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Row

from events.store import EventStore
from feeds.clock import Clock, utc_now
from feeds.folded import Stored
from feeds.leases import holder, pid_alive

from .channels import Outcome, Sender
from .matching import stamp
from .model import SubState
from .signing import signed_headers
from .tables import ATTEMPTS, DELIVERIES
from .vault import Vault

__all__ = ["Dispatcher", "PassSummary", "RetryPolicy", "message_text", "webhook_body"]

CLAIM = 100  # rows leased at once (at most one per subscription and kind)
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
        sender = self.sender()
        try:
            while rows := self.claim():
                states = self._states()
                for row in rows:
                    self._deliver(sender, row, states.get(row.subscription_id), summary)
        finally:
            sender.close()
        return summary

    # --- leasing ---------------------------------------------------------------------------

    def claim(self, limit: int = CLAIM) -> list[Row[Any]]:
        """Lease the due rows that head their subscription's queue (one per subscription and kind)."""
        now = self.clock()
        stamp_now, until = stamp(now), stamp(now + timedelta(seconds=self.lease_seconds))
        with self.store.write() as conn:
            sending = [s.id for s in self.subscriptions.read(conn).values() if s.sending]
            if not sending:
                return []
            rows = conn.execute(_due(stamp_now, sending, limit, self.store.is_postgres)).all()
            if rows:
                conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_([r.id for r in rows])).values(
                    lease_owner=self.owner, lease_until=until))
            return list(rows)

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

    def _deliver(self, sender: Sender, row: Row[Any], sub: SubState | None, summary: PassSummary) -> None:
        if sub is None or not sub.sending:  # paused or disabled since the claim: let the lease go
            self._release(row)
            return
        out = self.attempt(sender, sub, row.id, row.kind, orjson.loads(row.entries), row.title, row.created_at,
                           row.digest_day)
        summary.attempts += 1
        state = self._record(row, out)
        if state == "delivered":
            summary.delivered += 1
        elif state == "dead":
            summary.dead += 1
        else:
            summary.retrying += 1
        if out.gone:
            self.disable(sub.id, f"the receiver answered {out.status} Gone: {out.excerpt[:120]}".rstrip(": "))
            summary.disabled += 1

    def attempt(self, sender: Sender, sub: SubState, msg_id: str, kind: str, items: list[dict[str, Any]],
                title: str, created_at: str, day: str | None = None) -> Outcome:
        """Send one message to the subscription's target (no bookkeeping: `send_test` uses it too)."""
        sealed = self.vault.get(sub.id)
        if sealed is None:
            return Outcome(None, 0.0, "no target stored for this subscription", False)
        if sub.channel == "apprise":
            return sender.notify(sealed.target, title, message_text(kind, items))
        body = webhook_body(kind, items, created_at, day)
        now = self.clock()
        headers = signed_headers(msg_id, now, body.decode("utf-8"), sealed.signing(stamp(now)))
        return sender.post(sealed.target, headers, body)

    def _record(self, row: Row[Any], out: Outcome) -> str:
        """Log the attempt; mark the row delivered, dead, or due again later. Returns the new state."""
        now = self.clock()
        attempts = int(row.attempts) + 1
        if out.ok:
            values: dict[str, Any] = {"state": "delivered", "next_attempt_at": None}
        elif out.gone or attempts >= self.policy.max_attempts:
            values = {"state": "dead", "next_attempt_at": None}
        else:
            wait = self.policy.delay(attempts, out.retry_after, self.rand)
            values = {"state": "pending", "next_attempt_at": stamp(now + timedelta(seconds=wait))}
        t = DELIVERIES
        with self.store.write() as conn:
            conn.execute(ATTEMPTS.insert(), [attempt_row(row.id, stamp(now), out)])
            conn.execute(update(t).where(t.c.id == row.id, t.c.lease_owner == self.owner).values(
                attempts=attempts, lease_owner=None, lease_until=None, **values))
        return str(values["state"])

    def _release(self, row: Row[Any]) -> None:
        t = DELIVERIES
        with self.store.write() as conn:
            conn.execute(update(t).where(t.c.id == row.id, t.c.lease_owner == self.owner).values(
                lease_owner=None, lease_until=None))


def attempt_row(delivery_id: str, at: str, out: Outcome) -> dict[str, Any]:
    return {"delivery_id": delivery_id, "at": at, "status": out.status, "latency_ms": out.latency_ms,
            "excerpt": out.excerpt[:300], "ok": out.ok}


def _due(now: str, sending: Iterable[str], limit: int, postgres: bool) -> Any:
    t, e = DELIVERIES, DELIVERIES.alias("e")
    earlier = select(e.c.seq).where(e.c.subscription_id == t.c.subscription_id, e.c.kind == t.c.kind,
                                    e.c.state == "pending", e.c.seq < t.c.seq).exists()
    q = (select(t.c.id, t.c.subscription_id, t.c.kind, t.c.entries, t.c.title, t.c.attempts, t.c.created_at,
                t.c.digest_day)
         .where(t.c.state == "pending", t.c.next_attempt_at <= now,
                or_(t.c.lease_until.is_(None), t.c.lease_until < now),
                t.c.subscription_id.in_(sorted(sending)), and_(~earlier))
         .order_by(t.c.seq).limit(limit))
    return q.with_for_update(skip_locked=True, of=t) if postgres else q

