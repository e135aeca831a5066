"""The whole read model in memory: every alliance and company, folded event by event.

The per-aggregate folds are pure; this class only keeps the dictionary of their results,
so the same code serves incremental projection, rebuilds and time travel.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any, Iterable

from .envelope import Recorded
from .projections import alliance as alliance_proj
from .projections import company as company_proj
from .projections.alliance import AllianceState, Entry
from .projections.company import CompanyState, Milestone


@dataclass
class Landscape:
    """Alliances and companies by id, as of the last applied position."""

    alliances: dict[str, AllianceState] = field(default_factory=dict)
    companies: dict[str, CompanyState] = field(default_factory=dict)
    position: int = 0

    def apply(self, rec: Recorded) -> set[tuple[str, str]]:
        """Fold one event into the model; returns the (kind, id) pairs it touched."""
        touched: set[tuple[str, str]] = set()
        t = rec.type
        ev = rec.event
        if t in alliance_proj.ALLIANCE_EVENT_TYPES and getattr(ev, "alliance_id", None):
            aid = ev.alliance_id  # type: ignore[attr-defined]
            self.alliances[aid] = alliance_proj.fold(self.alliances.get(aid), rec)
            touched.add(("alliance", aid))
        if t in company_proj.COMPANY_EVENT_TYPES:
            cid = ev.company_id  # type: ignore[attr-defined]
            self.companies[cid] = company_proj.fold(self.companies.get(cid), rec)
            touched.add(("company", cid))
        self.position = max(self.position, rec.position)
        return touched

    def apply_all(self, records: Iterable[Recorded]) -> "Landscape":
        for rec in records:
            self.apply(rec)
        return self

    def as_of(self, day: date | None) -> dict[str, AllianceState]:
        """Alliances as they stood on `day` (all reported ones when `day` is None)."""
        out: dict[str, AllianceState] = {}
        for aid, st in self.alliances.items():
            view = alliance_proj.at(st, day) if day else (st if st.reported else None)
            if view is not None:
                out[aid] = view
        return out


# --- documents for the read-model tables -------------------------------------------------


def to_doc(state: Any) -> Any:
    """A JSON-ready document of a state (dataclasses, tuples and sets flattened)."""
    if is_dataclass(state):
        return {f.name: to_doc(getattr(state, f.name)) for f in fields(state)}
    if isinstance(state, (tuple, list, set, frozenset)):
        items = sorted(state) if isinstance(state, (set, frozenset)) else state
        return [to_doc(x) for x in items]
    if isinstance(state, dict):
        return {k: to_doc(v) for k, v in state.items()}
    return state


def _tuple(v: Any) -> Any:
    return tuple(_tuple(x) for x in v) if isinstance(v, list) else v


def alliance_from_doc(doc: dict[str, Any]) -> AllianceState:
    """Inverse of `to_doc` for an alliance."""
    d = dict(doc)
    d["entries"] = tuple(Entry(**{k: _tuple(v) if k == "parties" else v for k, v in e.items()}) for e in d["entries"])
    d["retracted"] = frozenset(d["retracted"])
    d["corrections"] = {k: {f: _tuple(x) for f, x in v.items()} for k, v in d["corrections"].items()}
    for k in ("parties", "kinds", "stage_key", "since_key", "updated_key", "sources"):
        d[k] = _tuple(d[k]) if d[k] is not None else None
    return AllianceState(**d)


def company_from_doc(doc: dict[str, Any]) -> CompanyState:
    """Inverse of `to_doc` for a company."""
    d = dict(doc)
    d["aliases"] = tuple(d["aliases"])
    d["milestones"] = tuple(Milestone(**m) for m in d["milestones"])
    return CompanyState(**d)
