"""Which changes a subscription hears of: pure functions of a change and the subscription's filters."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from events.changes import CORROBORATED, NEW, Change

from .model import Filters, SubState

__all__ = ["digest_day", "digest_due", "matches", "plan", "stamp"]


def matches(f: Filters, c: Change) -> bool:
    """Corroborations only when asked; every non-empty filter must hold (a company before or after counts)."""
    if c.what == CORROBORATED and not f.corroborations:
        return False
    if f.new_only and c.what != NEW:
        return False
    if f.stage_changes and not c.stage_changed:
        return False
    if f.alliances and c.alliance_id not in f.alliances:
        return False
    if f.companies and not set(c.parties).intersection(f.companies):
        return False
    return not (f.kinds and not set(c.kinds).intersection(f.kinds))


def plan(changes: Sequence[Change], subs: Iterable[SubState]) -> list[tuple[SubState, Change]]:
    """Every (subscription, change) to deliver, in log order.

    A change learned at position P counts for a subscription only if it was collecting just before P:
    created earlier, not removed or disabled then; the filters are those it had then."""
    if not changes:
        return []
    last = changes[-1].position
    live = [s for s in subs if s.spans and s.spans[0][0] < last]
    out = []
    for c in changes:
        for s in live:
            f = s.filters_at(c.position)
            if f is not None and matches(f, c):
                out.append((s, c))
    return out


def digest_day(recorded_at: str) -> str:
    """The UTC day a change was learned on ("2026-12-01")."""
    return recorded_at[:10]


def digest_due(day: str) -> str:
    """A day's digest goes out at the next midnight UTC."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return stamp(start + timedelta(days=1))


def stamp(t: datetime) -> str:
    """UTC time as the tables keep it (compares as text on both databases)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
