"""Subscriptions as a pure fold of their events, with the filters each one had at every log position.

The notification subscriber matches a change learned at position P against the filters a subscription
had just before P, so a subscription hears only of changes recorded after it was created, and a
change of filters or a pause applies from its own position on, however late the matching runs.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from events.envelope import Recorded
from events.types import SUBSCRIPTION_EVENTS, Event
from feeds.folded import Stored

from .tables import SUBSCRIPTIONS

__all__ = ["Filters", "SUBSCRIPTION_TYPES", "SubState", "fold", "stored_subscriptions"]

SUBSCRIPTION_TYPES = tuple(c.type_name for c in SUBSCRIPTION_EVENTS)


@dataclass(frozen=True, slots=True)
class Filters:
    """What a subscription asks for; empty sets match everything."""

    alliances: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    new_only: bool = False
    stage_changes: bool = False
    corroborations: bool = False
    digest: str | None = None

    @classmethod
    def of(cls, event: Event) -> Filters:
        e: Any = event
        return cls(tuple(e.alliances), tuple(e.companies), tuple(e.kinds), e.new_only, e.stage_changes,
                   e.corroborations, e.digest)

    def to_json(self) -> dict[str, Any]:
        return {"alliances": list(self.alliances), "companies": list(self.companies), "kinds": list(self.kinds),
                "new_only": self.new_only, "stage_changes": self.stage_changes,
                "corroborations": self.corroborations, "digest": self.digest}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Filters:
        return cls(tuple(d["alliances"]), tuple(d["companies"]), tuple(d["kinds"]), bool(d["new_only"]),
                   bool(d["stage_changes"]), bool(d["corroborations"]), d.get("digest"))


@dataclass(frozen=True, slots=True)
class SubState:
    """One subscription as its events say it is now, and what it collected from which position on."""

    id: str
    channel: str
    target_shown: str
    fingerprint: str
    filters: Filters
    created_at: str
    created_position: int
    paused: bool = False
    disabled: str | None = None
    removed: bool = False
    version: int = 0  # stream version folded so far (for optimistic appends)
    # (from position, filters or None while nothing is collected: removed or disabled), oldest first
    spans: tuple[tuple[int, Filters | None], ...] = field(default=())

    @property
    def collecting(self) -> bool:
        return not (self.removed or self.disabled)

    @property
    def sending(self) -> bool:
        """The dispatcher delivers its rows (a paused subscription's wait, in order)."""
        return self.collecting and not self.paused

    def filters_at(self, position: int) -> Filters | None:
        """The filters in force for a change learned at `position` (None: not collecting then)."""
        found: Filters | None = None
        for start, f in self.spans:
            if start >= position:
                break
            found = f
        return found

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "channel": self.channel, "target_shown": self.target_shown,
                "fingerprint": self.fingerprint, "filters": self.filters.to_json(), "created_at": self.created_at,
                "created_position": self.created_position, "paused": self.paused, "disabled": self.disabled,
                "removed": self.removed, "version": self.version,
                "spans": [[p, f.to_json() if f else None] for p, f in self.spans]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SubState:
        spans = tuple((int(p), Filters.from_json(f) if f else None) for p, f in d["spans"])
        return cls(d["id"], d["channel"], d["target_shown"], d["fingerprint"], Filters.from_json(d["filters"]),
                   d["created_at"], int(d["created_position"]), bool(d["paused"]), d.get("disabled"),
                   bool(d["removed"]), int(d["version"]), spans)


def _span(s: SubState, position: int) -> SubState:
    now = s.filters if s.collecting else None
    return replace(s, spans=(*s.spans, (position, now)))


def apply(cur: SubState | None, r: Recorded) -> SubState | None:
    """One event on one subscription's state (events for an unknown subscription are ignored)."""
    e: Any = r.event
    if r.type == "SubscriptionCreated":
        s = SubState(e.subscription_id, e.channel, e.target_shown, e.fingerprint, Filters.of(e), r.recorded_at,
                     r.position)
        return replace(_span(s, r.position), version=r.stream_version)
    if cur is None:
        return None
    if r.type == "SubscriptionChanged":
        cur = _span(replace(cur, target_shown=e.target_shown, fingerprint=e.fingerprint, filters=Filters.of(e)),
                    r.position)
    elif r.type == "SubscriptionPaused":
        cur = replace(cur, paused=True)
    elif r.type == "SubscriptionResumed":
        cur = replace(cur, paused=False)
    elif r.type == "SubscriptionRemoved":
        cur = _span(replace(cur, removed=True), r.position)
    elif r.type == "SubscriptionDisabled":
        cur = _span(replace(cur, disabled=e.reason), r.position)
    elif r.type == "SubscriptionSecretRotated":
        cur = replace(cur, fingerprint=e.fingerprint)
    return replace(cur, version=r.stream_version)


def fold(states: Mapping[str, SubState], records: Iterable[Recorded]) -> dict[str, SubState]:
    out = dict(states)
    for r in records:
        sid = getattr(r.event, "subscription_id", None)
        if sid is None:
            continue
        new = apply(out.get(sid), r)
        if new is not None:
            out[sid] = new
    return out


def _key(r: Recorded) -> str | None:
    return getattr(r.event, "subscription_id", None)


def stored_subscriptions() -> Stored[SubState]:
    """The read model on the runner: table `notify_subscriptions`, one row per subscription ever created."""
    return Stored("subscriptions", SUBSCRIPTION_TYPES, SUBSCRIPTIONS, _key, fold,
                  (lambda s: s.to_json(), SubState.from_json))
