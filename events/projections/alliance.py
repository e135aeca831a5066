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

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

from ..envelope import Recorded
from ..types import to_payload
from ..values import FuzzyDate

ALLIANCE_EVENT_TYPES = frozenset(
    {
        "AllianceReported",
        "StageChanged",
        "AllianceCorroborated",
        "AllianceEnded",
        "ReportRetracted",
        "ReportCorrected",
        "CompanyMilestone",
        "AllianceNamed",
    }
)
_FAR = "9999-12-31"


class Entry(NamedTuple):
    """One line of an alliance's timeline, as the event reported it.

    A NamedTuple rather than a frozen dataclass: a rebuild creates one per event, and tuple
    construction is several times cheaper than a frozen dataclass's field-by-field init.
    """

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
    fix: dict[str, Any] | None = None  # the corrected fields, on a ReportCorrected entry

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

    @property
    def names(self) -> tuple[str, ...]:
        """The alliance's own names (AllianceNamed entries), first seen first."""
        return tuple(
            dict.fromkeys(e.summary for e in self.entries if e.type == "AllianceNamed" and e.key not in self.retracted)
        )


# --- entries --------------------------------------------------------------------------


def date_strings(valid: FuzzyDate | None) -> tuple[str | None, str | None, str | None]:
    """(as written, first day, last day) of a valid time; bulk folds cache these per date."""
    return (str(valid), valid.start.isoformat(), valid.end.isoformat()) if valid else (None, None, None)


def entry_from(
    position: int,
    key: str,
    type_name: str,
    dates: tuple[str | None, str | None, str | None],
    recorded_at: str,
    p: dict[str, Any],
) -> Entry:
    """A timeline entry from an event's JSON payload (the rebuild path skips typed events)."""
    base = (position, key, type_name, *dates, recorded_at)
    cite = p.get("citation")
    if type_name == "AllianceReported":
        return Entry(
            *base,
            p["stage"],
            p.get("loi", False),
            p["kind"],
            tuple(p["parties"]),
            p.get("summary", ""),
            cite,
            None,
            p.get("confidence"),
        )
    if type_name == "StageChanged":
        return Entry(
            *base,
            p["stage"],
            p.get("loi", False),
            p.get("kind"),
            tuple(p.get("parties_added") or ()),
            p.get("summary", ""),
            cite,
            None,
            p.get("confidence"),
        )
    if type_name == "AllianceEnded":
        return Entry(*base, "ended", False, None, (), p.get("reason", ""), cite)
    if type_name == "AllianceCorroborated":
        return Entry(*base, None, False, None, (), p.get("summary", ""), cite, p.get("corroborates"))
    if type_name == "ReportRetracted":
        return Entry(*base, None, False, None, (), p.get("reason", ""), cite, p["supersedes"])
    if type_name == "ReportCorrected":
        fix = {
            k: (tuple(v) if k == "parties" else v)
            for k in ("parties", "kind", "stage", "loi", "date")
            if (v := p.get(k)) is not None
        }
        return Entry(*base, None, False, None, (), p.get("reason", ""), cite, p["supersedes"], None, fix)
    if type_name == "CompanyMilestone":
        return Entry(*base, None, False, None, (p["company_id"],), p.get("description", ""), cite)
    if type_name == "AllianceNamed":  # the name rides in the summary; no stage, kind or parties
        return Entry(*base, None, False, None, (), p["name"], cite)
    raise TypeError(f"{type_name} is not an alliance event")


def entry_of(rec: Recorded) -> Entry:
    """Turn a stored alliance event into a timeline entry."""
    return entry_from(
        rec.position, rec.idempotency_key, rec.type, date_strings(rec.valid), rec.recorded_at, to_payload(rec.event)
    )


def merge_fix(old: dict[str, Any] | None, new: dict[str, Any], position: int) -> dict[str, Any]:
    """Combine corrections of one entry so the later-recorded one wins, whatever the fold order."""
    if not old:
        return {**new, "_position": position}
    if position >= old["_position"]:
        return {**old, **new, "_position": position}
    return {**new, **old}


def effective(entry: Entry, corrections: dict[str, dict[str, Any]]) -> Entry:
    """The entry with any corrections that name it applied."""
    fix = corrections.get(entry.key)
    if not fix:
        return entry
    changes = {k: v for k, v in fix.items() if k in ("stage", "kind", "loi", "parties")}
    if fix.get("date"):
        d = FuzzyDate.parse(fix["date"])
        changes.update(valid=str(d), start=d.start.isoformat(), end=d.end.isoformat())
    return entry._replace(**changes)


def _counts(entry: Entry) -> bool:
    """Entries that shape the alliance's state (not the retractions/corrections themselves)."""
    return entry.type not in ("ReportRetracted", "ReportCorrected")


# --- folding --------------------------------------------------------------------------


def fold(state: AllianceState | None, rec: Recorded) -> AllianceState:
    """Apply one stored event to an alliance's state."""
    return fold_entry(state, entry_of(rec), rec.event.alliance_id)  # type: ignore[attr-defined]


def fold_entry(state: AllianceState | None, entry: Entry, alliance_id: str) -> AllianceState:
    """Apply one timeline entry (the undecoded path of `fold`)."""
    if state is None:
        state = AllianceState(alliance_id=alliance_id)
    state = replace(state, entries=state.entries + (entry,))
    if entry.type == "ReportRetracted" and entry.supersedes is not None:
        return recompute(replace(state, retracted=state.retracted | {entry.supersedes}))
    if entry.type == "ReportCorrected" and entry.supersedes is not None:
        fix = merge_fix(state.corrections.get(entry.supersedes), entry.fix or {}, entry.position)
        return recompute(replace(state, corrections={**state.corrections, entry.supersedes: fix}))
    if entry.key in state.retracted:
        return state
    return absorb(state, effective(entry, state.corrections))


class Aggregate:
    """The aggregates of an alliance, accumulated one live effective entry at a time.

    The one place the aggregation is written: `absorb` (one entry into a state), `summarize`
    (a whole timeline) and the valid-time history of the read model all add entries here.
    Order-insensitive: union of parties and kinds, max/min by sort key, distinct sources.
    """

    __slots__ = (
        "parties",
        "kinds",
        "sources",
        "stage",
        "loi",
        "stage_k",
        "since",
        "since_k",
        "updated",
        "updated_k",
        "reported",
        "corroborations",
        "counted_sources",
    )

    def __init__(self, s: AllianceState | None = None) -> None:
        self.parties: set[str] = set(s.parties) if s else set()
        self.kinds: set[str] = set(s.kinds) if s else set()
        self.sources: set[tuple[str, str]] = set(s.sources) if s else set()
        self.stage, self.loi, self.stage_k = (s.stage, s.loi, s.stage_key) if s else (None, False, None)
        self.since, self.since_k = (s.since, s.since_key) if s else (None, None)
        self.updated, self.updated_k = (s.updated, s.updated_key) if s else (None, None)
        self.reported, self.corroborations = (s.reported, s.corroborations) if s else (False, 0)
        self.counted_sources = 0  # sources known only by number (an aggregate resumed from a read-model row)

    @classmethod
    def resume(cls, doc: dict[str, Any]) -> Aggregate:
        """The aggregate a read-model document describes (its sources only as a count)."""
        a = cls()
        a.parties, a.kinds = set(doc["parties"]), set(doc["kinds"])
        a.stage, a.loi = doc["stage"], doc["loi"]
        a.stage_k, a.since_k, a.updated_k = (
            tuple(doc[k]) if doc[k] else None for k in ("stage_key", "since_key", "updated_key")
        )
        a.since, a.updated, a.reported, a.corroborations = (
            doc["since"],
            doc["updated"],
            doc["reported"],
            doc["corroborations"],
        )
        a.counted_sources = doc["sources"]
        return a

    @property
    def source_count(self) -> int:
        return len(self.sources) + self.counted_sources

    def add(self, e: Entry, new_source: bool | None = None) -> Aggregate:
        """Count one live, effective entry. `new_source`: whether its source is new here, when the
        caller knows better than this aggregate's set (a resumed aggregate counts sources by number)."""
        t = e.type
        if e.parties and t != "CompanyMilestone":
            self.parties.update(e.parties)
        if e.kind:
            self.kinds.add(e.kind)
        k = (e.start or _FAR, e.end or _FAR, e.position)
        if e.stage and (self.stage_k is None or k > self.stage_k):
            self.stage, self.loi, self.stage_k = e.stage, e.loi, k
        if e.start is not None:
            if self.since_k is None or k < self.since_k:
                self.since, self.since_k = e.valid, k
            if self.updated_k is None or k > self.updated_k:
                self.updated, self.updated_k = e.valid, k
        if t == "AllianceReported":
            self.reported = True
        elif t == "AllianceCorroborated":
            self.corroborations += 1
        if e.citation and new_source is None:
            self.sources.add(source_key(e.citation))
        elif new_source:
            self.counted_sources += 1
        return self

    def state(
        self,
        alliance_id: str,
        entries: tuple[Entry, ...],
        retracted: frozenset[str],
        corrections: dict[str, dict[str, Any]],
    ) -> AllianceState:
        return AllianceState(
            alliance_id,
            entries,
            retracted,
            corrections,
            tuple(sorted(self.parties)),
            tuple(sorted(self.kinds)),
            self.stage,
            self.loi,
            self.stage_k,
            self.since,
            self.since_k,
            self.updated,
            self.updated_k,
            self.reported,
            tuple(sorted(self.sources)),
            self.corroborations,
        )


def absorb(state: AllianceState, e: Entry) -> AllianceState:
    """Fold one live, effective entry into the aggregates (order does not matter)."""
    return Aggregate(state).add(e).state(state.alliance_id, state.entries, state.retracted, state.corrections)


def source_key(c: dict[str, Any]) -> tuple[str, str]:
    """Two citations are one source when they share a URL (else publisher and title)."""
    return (c["url"], "") if c.get("url") else (c.get("publisher", ""), c.get("title", ""))


def live_entries(state: AllianceState) -> Iterable[Entry]:
    """Entries that count: not retracted, corrections applied."""
    for e in state.entries:
        if _counts(e) and e.key not in state.retracted:
            yield effective(e, state.corrections)


def recompute(state: AllianceState, *, until: date | None = None) -> AllianceState:
    """Rebuild the aggregates from the entries, optionally only those certainly past by `until`."""
    return summarize(state.alliance_id, state.entries, state.retracted, state.corrections, until=until)


def from_entries(alliance_id: str, entries: tuple[Entry, ...]) -> AllianceState:
    """The state after folding these entries (position order) into nothing: the rebuild path.

    Equal to folding them one by one; the property tests hold the two together.
    """
    retracted: set[str] = set()
    corrections: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.type == "ReportRetracted":
            retracted.add(e.supersedes)  # type: ignore[arg-type]
        elif e.type == "ReportCorrected":
            corrections[e.supersedes] = merge_fix(corrections.get(e.supersedes), e.fix or {}, e.position)  # type: ignore[index,arg-type]
    return summarize(alliance_id, entries, frozenset(retracted), corrections)


def summarize(
    alliance_id: str,
    entries: tuple[Entry, ...],
    retracted: frozenset[str],
    corrections: dict[str, dict[str, Any]],
    *,
    until: date | None = None,
) -> AllianceState:
    """All aggregates in one pass over the live entries (optionally only those certainly past by `until`)."""
    limit = until.isoformat() if until else None
    acc = Aggregate()
    for raw in entries:
        if raw.type == "ReportRetracted" or raw.type == "ReportCorrected" or raw.key in retracted:
            continue
        e = effective(raw, corrections) if corrections else raw
        if limit is None or (e.end is not None and e.end <= limit):
            acc.add(e)
    return acc.state(alliance_id, entries, retracted, corrections)


def at(state: AllianceState, day: date) -> AllianceState | None:
    """The alliance as it stood on `day`, or None if it was not yet reported to exist.

    The time-travel rule: an event counts on `day` only once the last day its date can
    mean has passed (a "2024-05" event is part of the state from 2024-05-31, not on
    2024-05-15; a "2024" event from 2024-12-31); an undated fact never does. Undated
    bookkeeping (retractions, corrections) applies at every valid date. This is the
    reference fold the read model's history rows are tested against.
    """
    limit = day.isoformat()
    view = recompute(state, until=day)
    view = replace(view, entries=tuple(e for e in state.entries if e.end is None or e.end <= limit))
    return view if view.reported else None
