"""The review queue: candidate deals folded from DealQueued / DealConfirmed / DealRejected events."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from events.envelope import Recorded
from events.types import DealConfirmed, DealQueued, DealRejected, from_payload, to_payload

from .folded import Folded, Stored
from .tables import REVIEW_QUEUE

__all__ = ["REVIEW_EVENT_TYPES", "Candidate", "fold", "fold_log", "review_queue",
           "stored_review_queue"]

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
    decided_at: str = ""  # when the decision was recorded (UTC ISO stamp)
    decided_position: int = 0  # the decision's log position (orders the history)
    reason: str = ""  # why it was rejected
    corrected: dict[str, Any] | None = None  # what a confirmation changed: parties, kind, stage


def fold(state: Mapping[str, Candidate], rec: Recorded) -> dict[str, Candidate]:
    """Apply one review event (returns a new mapping)."""
    return fold_log(state, [rec])


def fold_log(state: Mapping[str, Candidate], records: Iterable[Recorded]) -> dict[str, Candidate]:
    """Apply a batch of events in log order (returns a new mapping; other event types are ignored)."""
    out = dict(state)
    for rec in records:
        ev = rec.event
        if isinstance(ev, DealQueued):
            out.setdefault(ev.candidate_id, Candidate(ev.candidate_id, ev, str(rec.valid) if rec.valid else None,
                                                      rec.position))
        elif isinstance(ev, (DealConfirmed, DealRejected)) and ev.candidate_id in out:
            out[ev.candidate_id] = _decided(out[ev.candidate_id], ev, rec)
    return out


def _decided(c: Candidate, ev: DealConfirmed | DealRejected, rec: Recorded) -> Candidate:
    """A candidate with its decision: who, when, and what was corrected or why it was rejected."""
    if isinstance(ev, DealRejected):
        return replace(c, status="rejected", decided_by=ev.by, decided_at=rec.recorded_at,
                       decided_position=rec.position, reason=ev.reason)
    fixes = {k: v for k, v in (("parties", list(ev.parties) if ev.parties else None), ("kind", ev.kind),
                               ("stage", ev.stage)) if v is not None}
    return replace(c, status="confirmed", decided_by=ev.by, decided_at=rec.recorded_at,
                   decided_position=rec.position, corrected=fixes or None)


def review_queue() -> Folded[dict[str, Candidate]]:
    """The review queue read model, caught up incrementally (never a replay of the whole log per request)."""
    return Folded("review-queue", REVIEW_EVENT_TYPES, fold_log, dict)


def _candidate_key(rec: Recorded) -> str | None:
    return getattr(rec.event, "candidate_id", None)


def _candidate_doc(c: Candidate) -> dict[str, Any]:
    return {"candidate_id": c.candidate_id, "queued": to_payload(c.queued), "valid": c.valid, "position": c.position,
            "status": c.status, "decided_by": c.decided_by, "decided_at": c.decided_at,
            "decided_position": c.decided_position, "reason": c.reason, "corrected": c.corrected}


def _candidate_from(doc: dict[str, Any]) -> Candidate:
    queued = from_payload("DealQueued", DealQueued.schema_version, doc["queued"])
    assert isinstance(queued, DealQueued)
    return Candidate(doc["candidate_id"], queued, doc["valid"], doc["position"], doc["status"], doc["decided_by"],
                     doc.get("decided_at", ""), doc.get("decided_position", 0), doc.get("reason", ""),
                     doc.get("corrected"))  # rows written before the history was kept lack the last four


def stored_review_queue() -> Stored[Candidate]:
    """The review queue on the runner: table `review_queue`, one row per queued deal with what became of it."""
    return Stored("review-queue", REVIEW_EVENT_TYPES, REVIEW_QUEUE, _candidate_key, fold_log,
                  (_candidate_doc, _candidate_from))
