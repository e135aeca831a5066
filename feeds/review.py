"""The review queue: candidate deals folded from DealQueued / DealConfirmed / DealRejected events."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from events.envelope import Recorded
from events.types import DealConfirmed, DealQueued, DealRejected

REVIEW_EVENT_TYPES = frozenset({"DealQueued", "DealConfirmed", "DealRejected"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A queued deal and what became of it."""

    candidate_id: str
    queued: DealQueued
    valid: str | None
    position: int
    status: str = "pending"  # pending | confirmed | rejected
    decided_by: str = ""


def fold(state: dict[str, Candidate], rec: Recorded) -> dict[str, Candidate]:
    """Apply one review event (returns a new mapping)."""
    ev = rec.event
    out = dict(state)
    if isinstance(ev, DealQueued):
        out.setdefault(ev.candidate_id, Candidate(ev.candidate_id, ev, str(rec.valid) if rec.valid else None, rec.position))
    elif isinstance(ev, (DealConfirmed, DealRejected)) and ev.candidate_id in out:
        status = "confirmed" if isinstance(ev, DealConfirmed) else "rejected"
        out[ev.candidate_id] = replace(out[ev.candidate_id], status=status, decided_by=ev.by)
    return out


def replay(records: Iterable[Recorded]) -> dict[str, Candidate]:
    state: dict[str, Candidate] = {}
    for r in records:
        if r.type in REVIEW_EVENT_TYPES:
            state = fold(state, r)
    return state
