"""The alliance projection: `fold(state, recorded) -> state`, pure and order-insensitive.

Derived fields are aggregates over the live timeline entries (union of parties and kinds,
stage of the latest-dated entry, earliest and latest dates, distinct sources), so folding
the same events in any order gives the same state. That is what lets incremental
projection, full rebuilds and time travel agree by construction.

An entry's sort key is (first day, last day, position): the stage is the stage of the
live entry with the greatest key. Retractions and corrections name the entry they
supersede by idempotency key and force a recompute from the entries.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterable

from ..envelope import Recorded
from ..types import (
    AllianceCorroborated, AllianceEnded, AllianceReported, CompanyMilestone, ReportCorrected,
    ReportRetracted, StageChanged, to_payload,
)
from ..values import FuzzyDate

ALLIANCE_EVENT_TYPES = frozenset({
    "AllianceReported", "StageChanged", "AllianceCorroborated", "AllianceEnded",
    "ReportRetracted", "ReportCorrected", "CompanyMilestone",
})
_FAR = "9999-12-31"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of an alliance's timeline, as the event reported it."""

    position: int
    key: str
    type: str
    valid: str | None
    start: str | None
    end: str | None
    recorded_at: str
    stage: str | None = None
    loi: bool = False
    kind: str | None = None
    parties: tuple[str, ...] = ()
    summary: str = ""
    citation: dict[str, Any] | None = None
    supersedes: str | None = None
    confidence: float | None = None

    @property
    def sort_key(self) -> tuple[str, str, int]:
        return (self.start or _FAR, self.end or _FAR, self.position)


@dataclass(frozen=True, slots=True)
class AllianceState:
    """What the log says about one alliance; `entries` keeps every event in position order."""

    alliance_id: str
    entries: tuple[Entry, ...] = ()
    retracted: frozenset[str] = frozenset()
    corrections: dict[str, dict[str, Any]] = field(default_factory=dict)
    parties: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    stage: str | None = None
    loi: bool = False
    stage_key: tuple[str, str, int] | None = None
    since: str | None = None
    since_key: tuple[str, str, int] | None = None
    updated: str | None = None
    updated_key: tuple[str, str, int] | None = None
    reported: bool = False
    sources: tuple[tuple[str, str], ...] = ()
    corroborations: int = 0

    @property
    def events(self) -> int:
        return len(self.entries)


# --- entries --------------------------------------------------------------------------


def entry_of(rec: Recorded) -> Entry:
    """Turn a stored alliance event into a timeline entry."""
    ev = rec.event
    v = rec.valid
    base = dict(
        position=rec.position, key=rec.idempotency_key, type=rec.type, valid=str(v) if v else None,
        start=v.start.isoformat() if v else None, end=v.end.isoformat() if v else None,
        recorded_at=rec.recorded_at, citation=_citation(ev),
    )
    if isinstance(ev, AllianceReported):
        return Entry(**base, stage=ev.stage, loi=ev.loi, kind=ev.kind, parties=tuple(ev.parties),
                     summary=ev.summary, confidence=ev.confidence)
    if isinstance(ev, StageChanged):
        return Entry(**base, stage=ev.stage, loi=ev.loi, kind=ev.kind, parties=tuple(ev.parties_added),
                     summary=ev.summary, confidence=ev.confidence)
    if isinstance(ev, AllianceEnded):
        return Entry(**base, stage="ended", summary=ev.reason)
    if isinstance(ev, AllianceCorroborated):
        return Entry(**base, summary=ev.summary, supersedes=ev.corroborates)
    if isinstance(ev, (ReportRetracted, ReportCorrected)):
        return Entry(**base, summary=ev.reason, supersedes=ev.supersedes)
    if isinstance(ev, CompanyMilestone):
        return Entry(**base, summary=ev.description, parties=(ev.company_id,))
    raise TypeError(f"{rec.type} is not an alliance event")


def _citation(ev: Any) -> dict[str, Any] | None:
    c = getattr(ev, "citation", None)
    return to_payload(ev)["citation"] if c is not None else None


def effective(entry: Entry, corrections: dict[str, dict[str, Any]]) -> Entry:
    """The entry with any corrections that name it applied."""
    fix = corrections.get(entry.key)
    if not fix:
        return entry
    changes = {k: v for k, v in fix.items() if k in ("stage", "kind", "loi", "parties")}
    if fix.get("date"):
        d = FuzzyDate.parse(fix["date"])
        changes.update(valid=str(d), start=d.start.isoformat(), end=d.end.isoformat())
    return replace(entry, **changes)


def _counts(entry: Entry) -> bool:
    """Entries that shape the alliance's state (not the retractions/corrections themselves)."""
    return entry.type not in ("ReportRetracted", "ReportCorrected")


# --- folding --------------------------------------------------------------------------


def fold(state: AllianceState | None, rec: Recorded) -> AllianceState:
    """Apply one stored event to an alliance's state."""
    ev = rec.event
    entry = entry_of(rec)
    if state is None:
        state = AllianceState(alliance_id=ev.alliance_id)  # type: ignore[attr-defined]
    state = replace(state, entries=state.entries + (entry,))
    if isinstance(ev, ReportRetracted):
        return recompute(replace(state, retracted=state.retracted | {ev.supersedes}))
    if isinstance(ev, ReportCorrected):
        fix = {**state.corrections.get(ev.supersedes, {}), **_correction_fields(ev)}
        return recompute(replace(state, corrections={**state.corrections, ev.supersedes: fix}))
    if entry.key in state.retracted:
        return state
    return absorb(state, effective(entry, state.corrections))


def _correction_fields(ev: ReportCorrected) -> dict[str, Any]:
    fields = {"parties": ev.parties, "kind": ev.kind, "stage": ev.stage, "loi": ev.loi, "date": ev.date}
    return {k: (tuple(v) if k == "parties" else v) for k, v in fields.items() if v is not None}


def absorb(state: AllianceState, e: Entry) -> AllianceState:
    """Fold one live, effective entry into the aggregates (order does not matter)."""
    changes: dict[str, Any] = {}
    if e.parties and e.type != "CompanyMilestone":
        merged = tuple(sorted(set(state.parties) | set(e.parties)))
        if merged != state.parties:
            changes["parties"] = merged
    if e.kind and e.kind not in state.kinds:
        changes["kinds"] = tuple(sorted((*state.kinds, e.kind)))
    k = e.sort_key
    if e.stage and (state.stage_key is None or k > state.stage_key):
        changes.update(stage=e.stage, loi=e.loi, stage_key=k)
    if e.start is not None:
        if state.since_key is None or k < state.since_key:
            changes.update(since=e.valid, since_key=k)
        if state.updated_key is None or k > state.updated_key:
            changes.update(updated=e.valid, updated_key=k)
    if e.type == "AllianceReported":
        changes["reported"] = True
    if e.type == "AllianceCorroborated":
        changes["corroborations"] = state.corroborations + 1
    if e.citation:
        src = _source_key(e.citation)
        if src not in state.sources:
            changes["sources"] = tuple(sorted((*state.sources, src)))
    return replace(state, **changes) if changes else state


def _source_key(c: dict[str, Any]) -> tuple[str, str]:
    return (c["url"], "") if c.get("url") else (c.get("publisher", ""), c.get("title", ""))


def live_entries(state: AllianceState) -> Iterable[Entry]:
    """Entries that count: not retracted, corrections applied."""
    for e in state.entries:
        if _counts(e) and e.key not in state.retracted:
            yield effective(e, state.corrections)


def recompute(state: AllianceState, *, until: date | None = None) -> AllianceState:
    """Rebuild the aggregates from the entries, optionally only those certainly past by `until`."""
    limit = until.isoformat() if until else None
    fresh = AllianceState(alliance_id=state.alliance_id, entries=state.entries,
                          retracted=state.retracted, corrections=state.corrections)
    for e in live_entries(state):
        if limit is None or (e.end is not None and e.end <= limit):
            fresh = absorb(fresh, e)
    return fresh


def at(state: AllianceState, day: date) -> AllianceState | None:
    """The alliance as it stood on `day`, or None if it was not yet reported to exist.

    The time-travel rule: an event counts on `day` only once the last day its date can
    mean has passed (a "2024-05" event is part of the state from 2024-05-31, not on
    2024-05-15; a "2024" event from 2024-12-31). Undated bookkeeping (retractions,
    corrections) applies at every valid date.
    """
    limit = day.isoformat()
    if all(e.end is None or e.end <= limit for e in state.entries) and all(
        e.end is None or e.end <= limit for e in live_entries(state)
    ):
        view = state
    else:
        view = recompute(state, until=day)
        view = replace(view, entries=tuple(e for e in state.entries if e.end is None or e.end <= limit))
    return view if view.reported else None
