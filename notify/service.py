"""Subscription commands (each one an event; credentials into the vault) and the delivery log."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import func, select, update

from events.envelope import NewEvent
from events.errors import ConcurrencyError
from events.store import EventStore
from events.types import (
    Event,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionDisabled,
    SubscriptionPaused,
    SubscriptionRemoved,
    SubscriptionResumed,
    SubscriptionSecretRotated,
)
from events.values import KINDS
from feeds.clock import Clock, utc_now
from feeds.folded import TableReader

from .channels import BadTarget, Guard, Outcome
from .dispatch import Dispatcher, attempt_row
from .matching import stamp
from .model import Filters, SubState
from .outbox import message_id
from .signing import fingerprint, new_secret
from .tables import ATTEMPTS, DELIVERIES, ENTRIES
from .vault import Vault

__all__ = ["Delivery", "Notifications", "SubscriptionError"]


class SubscriptionError(ValueError):
    """A subscription command we refuse (one line for people)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row and its attempts."""

    id: str
    subscription_id: str
    kind: str
    position: int
    title: str
    state: str
    attempts: int
    next_attempt_at: str | None
    created_at: str
    log: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "subscription_id": self.subscription_id, "kind": self.kind,
                "position": self.position, "title": self.title, "state": self.state, "attempts": self.attempts,
                "next_attempt_at": self.next_attempt_at, "created_at": self.created_at, "log": list(self.log)}


class Notifications:
    """Subscribe, change, pause, resume, remove, rotate, test; the deliveries and redelivery."""

    def __init__(self, store: EventStore, states: TableReader[SubState], vault: Vault, guard: Guard,
                 dispatcher: Callable[[], Dispatcher], *, known_alliances: Callable[[], Collection[str]],
                 known_companies: Callable[[], Collection[str]], grace_seconds: float = 24 * 3600,
                 clock: Clock = utc_now, start: Callable[[], object] = lambda: None) -> None:
        self.store = store
        self.start = start  # starts the notification subscriber (at the log's tail) before a first subscription
        self.states = states
        self.vault = vault
        self.guard = guard
        self.dispatcher = dispatcher
        self.known_alliances = known_alliances
        self.known_companies = known_companies
        self.grace_seconds = grace_seconds
        self.clock = clock

    # --- reading -----------------------------------------------------------------------------

    def subscriptions(self, *, include_removed: bool = False) -> list[SubState]:
        """Oldest first."""
        return [s for s in self.states.state().values() if include_removed or not s.removed]

    def get(self, sid: str) -> SubState:
        s = self.states.get(sid)
        if s is None or s.removed:
            raise SubscriptionError(f"no subscription with id {sid!r} (see `alliances subscriptions list`)")
        return s

    def counts(self) -> dict[str, dict[str, int]]:
        """Per subscription: deliveries pending, dead and delivered."""
        t, out = DELIVERIES, dict[str, dict[str, int]]()
        with self.store.engine.connect() as conn:
            for sid, state, n in conn.execute(select(t.c.subscription_id, t.c.state, func.count())
                                              .group_by(t.c.subscription_id, t.c.state)):
                out.setdefault(sid, {"pending": 0, "dead": 0, "delivered": 0})[state] = int(n)
        return out

    def deliveries(self, sid: str | None = None, *, dead_only: bool = False, limit: int = 100) -> list[Delivery]:
        """Newest first, each with its attempt log."""
        t, a = DELIVERIES, ATTEMPTS
        q = select(t).order_by(t.c.seq.desc()).limit(limit)
        if sid is not None:
            q = q.where(t.c.subscription_id == sid)
        if dead_only:
            q = q.where(t.c.state == "dead")
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).all()
            logs: dict[str, list[dict[str, Any]]] = {}
            ids = [r.id for r in rows]
            for i in range(0, len(ids), 500):
                for x in conn.execute(select(a).where(a.c.delivery_id.in_(ids[i:i + 500])).order_by(a.c.id)):
                    logs.setdefault(x.delivery_id, []).append(
                        {"at": x.at, "status": x.status, "latency_ms": x.latency_ms, "excerpt": x.excerpt,
                         "ok": bool(x.ok)})
        return [Delivery(r.id, r.subscription_id, r.kind, int(r.position), r.title, r.state, int(r.attempts),
                         r.next_attempt_at, r.created_at, tuple(logs.get(r.id, ()))) for r in rows]

    # --- commands ----------------------------------------------------------------------------

    def subscribe(self, channel: str, target: str, filters: Filters) -> tuple[str, str | None]:
        """A new subscription; returns its id and, for a webhook, its secret (shown once)."""
        target = (target or "").strip()
        shown = self._check_target(channel, target)
        self._check_filters(filters)
        self.start()
        sid = "sub_" + secrets.token_hex(5)
        secret = new_secret() if channel == "webhook" else None
        with self.store.write() as conn:
            self.vault.put(conn, sid, target, secret, self._now())
        f = filters
        self._append(SubscriptionCreated(sid, channel, shown, fingerprint(secret or target), f.alliances, f.companies,
                                         f.kinds, f.new_only, f.stage_changes, f.corroborations, f.digest), 0)
        return sid, secret

    def change(self, sid: str, target: str | None, filters: Filters) -> SubState:
        """Replace the filters (and the target, if one is given)."""
        cur = self.get(sid)
        self._check_filters(filters)
        sealed = self.vault.get(sid)
        new_target = (target or "").strip() or (sealed.target if sealed else "")
        shown = self._check_target(cur.channel, new_target)
        fp = cur.fingerprint if cur.channel == "webhook" else fingerprint(new_target)
        with self.store.write() as conn:
            self.vault.retarget(conn, sid, new_target, self._now())
        f = filters
        self._append(SubscriptionChanged(sid, shown, fp, f.alliances, f.companies, f.kinds, f.new_only,
                                         f.stage_changes, f.corroborations, f.digest), cur.version)
        return self.get(sid)

    def pause(self, sid: str) -> None:
        cur = self.get(sid)
        if not cur.paused:
            self._append(SubscriptionPaused(sid), cur.version)

    def resume(self, sid: str) -> None:
        cur = self.get(sid)
        if cur.paused:
            self._append(SubscriptionResumed(sid), cur.version)

    def remove(self, sid: str) -> None:
        cur = self.get(sid)
        self._append(SubscriptionRemoved(sid), cur.version)
        with self.store.write() as conn:
            self.vault.forget(conn, sid)

    def rotate(self, sid: str) -> str:
        """A new secret (shown once); the old ones keep signing for the grace period."""
        cur = self.get(sid)
        if cur.channel != "webhook":
            raise SubscriptionError(f"subscription {sid} sends through apprise: it has no signing secret")
        secret, now = new_secret(), self.clock()
        with self.store.write() as conn:
            self.vault.rotate(conn, sid, secret, stamp(now + timedelta(seconds=self.grace_seconds)), stamp(now))
        self._append(SubscriptionSecretRotated(sid, fingerprint(secret)), cur.version)
        return secret

    def disable(self, sid: str, reason: str) -> None:
        """The receiver said 410 Gone: stop for good (a SubscriptionDisabled event)."""
        for _ in range(3):
            cur = self.states.get(sid)
            if cur is None or cur.disabled or cur.removed:
                return
            try:
                self._append(SubscriptionDisabled(sid, reason[:300]), cur.version)
                return
            except ConcurrencyError:
                continue

    def send_test(self, sid: str) -> Outcome:
        """Send a test message now and return the receiver's answer (logged like any delivery)."""
        sub = self.get(sid)
        d = self.dispatcher()
        sender = d.sender()
        msg, now = message_id(), self._now()
        item = {"subscription_id": sid, "message": "A test message from the Alliance Tracker.", "sent_at": now}
        try:
            out = d.attempt(sender, replace(sub, paused=False), msg, "test", [item], "Alliance Tracker: test", now)
        finally:
            sender.close()
        with self.store.write() as conn:
            conn.execute(DELIVERIES.insert(), [{
                "id": msg, "subscription_id": sid, "kind": "test", "change_id": f"test-{msg}", "position": 0,
                "title": "test message", "entries": orjson.dumps([f"test-{msg}"]).decode(),
                "state": "delivered" if out.ok else "dead", "attempts": 1, "next_attempt_at": None,
                "created_at": now}])
            conn.execute(ATTEMPTS.insert(), [attempt_row(msg, now, out)])
            conn.execute(ENTRIES.insert(), [{"id": f"test-{msg}", "entry": orjson.dumps(item).decode()}])
        return out

    def redeliver(self, delivery_id: str) -> None:
        """Due now again (a dead one too), with the same message id and a fresh retry schedule."""
        t = DELIVERIES
        with self.store.write() as conn:
            n = conn.execute(update(t).where(t.c.id == delivery_id).values(
                state="pending", attempts=0, next_attempt_at=self._now(), lease_owner=None, lease_until=None))
            if not n.rowcount:
                raise SubscriptionError(f"no delivery with id {delivery_id!r} (see `alliances deliveries`)")

    def redeliver_dead(self, sid: str | None = None) -> int:
        """Every dead delivery (of one subscription, or all; test messages aside) due again; how many."""
        if sid is not None:
            self.get(sid)
        t = DELIVERIES
        q = update(t).where(t.c.state == "dead", t.c.kind != "test")
        if sid is not None:
            q = q.where(t.c.subscription_id == sid)
        with self.store.write() as conn:
            n = conn.execute(q.values(state="pending", attempts=0, next_attempt_at=self._now(), lease_owner=None,
                                      lease_until=None))
            return int(n.rowcount or 0)

    # --- checks -------------------------------------------------------------------------------

    def _check_target(self, channel: str, target: str) -> str:
        """The masked target for the log; refuses unsafe or unsupported targets."""
        from .channels import mask

        if not target:
            raise SubscriptionError("a subscription needs a target URL (--webhook URL or --apprise URL)")
        try:
            if channel == "webhook":
                self.guard.webhook(target)
            elif channel == "apprise":
                self.guard.apprise(target)
            else:
                raise SubscriptionError(f"unknown channel {channel!r}; one of webhook, apprise")
        except BadTarget as e:
            raise SubscriptionError(str(e)) from None
        return mask(target, apprise_url=channel == "apprise")

    def _check_filters(self, f: Filters) -> None:
        bad_kinds = sorted(set(f.kinds) - KINDS)
        if bad_kinds:
            raise SubscriptionError(f"unknown kind {bad_kinds[0]!r}; one of {', '.join(sorted(KINDS))}")
        if f.digest not in (None, "daily"):
            raise SubscriptionError(f"unknown digest {f.digest!r}; the only one is 'daily'")
        if f.alliances:
            missing = sorted(set(f.alliances) - set(self.known_alliances()))
            if missing:
                raise SubscriptionError(f"no alliance with id {missing[0]!r} (see `alliances state --json`)")
        if f.companies:
            missing = sorted(set(f.companies) - set(self.known_companies()))
            if missing:
                raise SubscriptionError(f"no company with id {missing[0]!r}")

    def _append(self, event: Event, version: int) -> None:
        sid = event.subscription_id  # type: ignore[attr-defined]  # every subscription event has one
        key = f"{event.type_name}:{sid}:{version + 1}"
        self.store.append([NewEvent(event, idempotency_key=key)], expected={f"subscription-{sid}": version})

    def _now(self) -> str:
        return stamp(self.clock())
