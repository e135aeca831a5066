"""Read side used by the CLI and the web: current state, time travel, timelines, diffs.

Keeps one in-memory `Landscape` that catches up with the log on every call (a cheap
"what is the last position" query), so pages never re-fold the whole log.
"""
from __future__ import annotations

import gc
import threading
from datetime import date, datetime
from typing import Any

from .diff import diff as diff_states
from .landscape import Landscape
from .projections.alliance import AllianceState, effective
from .projections.company import CompanyState
from .store import EventStore
from .timeindex import TimeIndex


class Queries:
    """Answers questions about the landscape, optionally as of a date and as known at a time."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._model = Landscape()
        self._index = TimeIndex()
        self._index_position = -1
        self._lock = threading.RLock()

    # --- folding ------------------------------------------------------------------------

    def current(self) -> Landscape:
        """The landscape with every stored event applied."""
        with self._lock:
            last = self.store.last_position()
            if self._model.position == 0 and last > 0:
                self._model = Landscape.from_rows(self.store.read_rows())
                _settle()
            if last > self._model.position:
                self._model.apply_all(self.store.read(after=self._model.position))
            return self._model

    def known_at(self, when: datetime | None) -> Landscape:
        """The landscape as the log stood at transaction time `when` (None: now)."""
        model = self.current()
        if when is None:
            return model
        upto = self.store.position_at(when)
        if upto >= model.position:
            return model
        return Landscape.from_rows(self.store.read_rows(upto=upto))

    def views(self, as_of: date | None = None, known_at: datetime | None = None) -> tuple[Landscape, dict[str, tuple[AllianceState, int]]]:
        """Alliances (state, event count) as of a valid date and a transaction time."""
        model = self.known_at(known_at)
        if as_of is None:
            return model, {a: (s, s.events) for a, s in model.alliances.items() if s.reported}
        if known_at is None:
            with self._lock:
                if self._index_position != model.position:
                    self._index.update(model.alliances)
                    self._index_position = model.position
                    _settle()
                return model, self._index.at(as_of)
        return model, {a: (s, len(s.entries)) for a, s in model.as_of(as_of).items()}

    # --- answers ------------------------------------------------------------------------

    def alliances(self, as_of: date | None = None, known_at: datetime | None = None) -> list[dict[str, Any]]:
        """The CLI/API shape of every alliance, sorted by id."""
        model, views = self.views(as_of, known_at)
        return [alliance_json(s, n, model.companies) for _, (s, n) in sorted(views.items())]

    def alliance(self, alliance_id: str, as_of: date | None = None, known_at: datetime | None = None) -> dict[str, Any] | None:
        """One alliance with its timeline (entries in date order, corrections marked)."""
        model = self.known_at(known_at)
        st = model.alliances.get(alliance_id)
        if st is None:
            return None
        view = st if as_of is None else model.as_of(as_of).get(alliance_id)
        if view is None or not view.reported:
            return None
        out = alliance_json(view, len(view.entries), model.companies)
        out["timeline"] = timeline_json(view)
        return out

    def company(self, company_id: str, as_of: date | None = None, known_at: datetime | None = None) -> dict[str, Any] | None:
        """A company with its alliances and partners as of the date."""
        model, views = self.views(as_of, known_at)
        c = model.companies.get(company_id)
        if c is None:
            return None
        mine = [alliance_json(s, n, model.companies) for _, (s, n) in sorted(views.items()) if company_id in s.parties]
        partners = sorted({p for a in mine for p in (x["id"] for x in a["parties"]) if p != company_id})
        limit = as_of.isoformat() if as_of else None
        return {
            **company_json(c), "alliances": mine,
            "partners": [party_json(p, model.companies) for p in partners],
            "milestones": [
                {"date": m.valid, "milestone": m.milestone, "description": m.description, "citation": m.citation}
                for m in sorted(c.milestones, key=lambda m: (m.valid or "", m.position))
                if limit is None or (m.end is not None and m.end <= limit)
            ],
        }

    def companies(self) -> list[dict[str, Any]]:
        return [company_json(c) for _, c in sorted(self.current().companies.items())]

    def diff(self, start: date, end: date, known_at: datetime | None = None) -> dict[str, Any]:
        """Alliances added, changed and ended between two valid dates."""
        model = self.known_at(known_at)
        before, after = model.as_of(start), model.as_of(end)
        changes = diff_states(before, after)
        out: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), "added": [], "changed": [], "ended": []}
        for ch in changes:
            st = after.get(ch.alliance_id) or before[ch.alliance_id]
            item = alliance_json(st, len(st.entries), model.companies)
            item.update(before_stage=ch.before_stage, after_stage=ch.after_stage, details=list(ch.details))
            out[ch.change].append(item)
        return out


def _settle() -> None:
    """Move the long-lived landscape out of the cyclic GC's reach.

    With a million timeline entries in memory, a full collection triggered by a request's
    short-lived objects took over a second (the p95 of the time-travel benchmark); frozen
    objects are never scanned again.
    """
    gc.collect()
    gc.freeze()


# --- JSON shapes --------------------------------------------------------------------------


def party_json(company_id: str, companies: dict[str, CompanyState]) -> dict[str, Any]:
    c = companies.get(company_id)
    return {"id": company_id, "name": c.name if c else company_id, "name_zh": c.name_zh if c else ""}


def company_json(c: CompanyState) -> dict[str, Any]:
    return {"id": c.company_id, "name": c.name, "name_zh": c.name_zh, "aliases": list(c.aliases),
            "country": c.country, "sector": c.sector}


def alliance_json(s: AllianceState, events: int, companies: dict[str, CompanyState]) -> dict[str, Any]:
    """The stable JSON shape of an alliance (the CLI contract)."""
    return {
        "id": s.alliance_id,
        "parties": [party_json(p, companies) for p in s.parties],
        "kinds": list(s.kinds),
        "stage": s.stage,
        "loi": s.loi,
        "since": s.since,
        "updated": s.updated,
        "events": events,
        "sources": len(s.sources),
        "corroborations": s.corroborations,
    }


def summary_json(doc: dict[str, Any], companies: dict[str, CompanyState]) -> dict[str, Any]:
    """The same contract shape from a read-model row (`alliance_view`)."""
    return {
        "id": doc["alliance_id"], "parties": [party_json(p, companies) for p in doc["parties"]],
        "kinds": doc["kinds"], "stage": doc["stage"], "loi": doc["loi"], "since": doc["since"],
        "updated": doc["updated"], "events": doc["events"], "sources": doc["sources"],
        "corroborations": doc["corroborations"],
    }


def timeline_json(s: AllianceState) -> list[dict[str, Any]]:
    """Entries in date order with corrections applied and retractions flagged."""
    rows = []
    for raw in s.entries:
        e = effective(raw, s.corrections)
        rows.append({
            "position": e.position, "type": e.type, "date": e.valid, "recorded_at": e.recorded_at,
            "stage": e.stage, "loi": e.loi, "kind": e.kind, "parties": list(e.parties), "summary": e.summary,
            "citation": e.citation, "key": e.key, "supersedes": e.supersedes,
            "retracted": raw.key in s.retracted, "corrected": raw.key in s.corrections,
            "_sort": (e.start or e.recorded_at[:10], e.end or e.recorded_at[:10], e.position),
        })
    rows.sort(key=lambda r: r["_sort"])
    for r in rows:
        r.pop("_sort")
    return rows
