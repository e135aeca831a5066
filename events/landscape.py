"""Every alliance and company folded in memory, event by event: the reference fold.

The per-aggregate folds are pure; this class only keeps the dictionary of their results. The
read model's tests compare the tables with it. No running process builds it: pages, the API, the
CLI and the decider (`Queries.deciding`) read the tables instead.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from .envelope import Recorded
from .projections import alliance as alliance_proj
from .projections import company as company_proj
from .projections.alliance import AllianceState, Entry
from .projections.company import CompanyState
from .types import REGISTRY, from_payload, upcast
from .values import FuzzyDate, Precision


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

    def apply_all(self, records: Iterable[Recorded]) -> Landscape:
        for rec in records:
            self.apply(rec)
        return self

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Any, ...]]) -> Landscape:
        """Fold a whole log from undecoded store rows (`EventStore.read_raw`): the rebuild path.

        Alliance events go straight from JSON to timeline entries, grouped per alliance and
        summarised once; the result equals applying the events one by one.
        """
        groups: dict[str, list[Entry]] = {}
        companies: list[Recorded] = []
        dates: dict[tuple[str, str], tuple[FuzzyDate, tuple[str | None, str | None, str | None]]] = {}
        undated = alliance_proj.date_strings(None)
        position = 0
        alliance_types, company_types = alliance_proj.ALLIANCE_EVENT_TYPES, company_proj.COMPANY_EVENT_TYPES
        for pos, typ, sv, payload, vfrom, vprec, at, key, *_ in rows:
            position = pos
            if typ not in alliance_types and typ not in company_types:
                continue
            p = orjson.loads(payload)
            if sv != REGISTRY[typ].schema_version:
                p = upcast(typ, sv, p)
            valid, strings = None, undated
            if vfrom:
                cached = dates.get((vfrom, vprec))
                if cached is None:
                    fd = FuzzyDate(date.fromisoformat(vfrom), Precision(vprec))
                    cached = dates[(vfrom, vprec)] = (fd, alliance_proj.date_strings(fd))
                valid, strings = cached
            aid = p.get("alliance_id")
            if typ in alliance_types and aid:
                groups.setdefault(aid, []).append(alliance_proj.entry_from(pos, key, typ, strings, at, p))
            if typ in company_types:
                ev = from_payload(typ, REGISTRY[typ].schema_version, p)
                companies.append(Recorded(pos, "", 0, typ, sv, ev, valid, at, key, None, "", ""))
        model = cls(position=position)
        model.alliances = {aid: alliance_proj.from_entries(aid, tuple(es)) for aid, es in groups.items()}
        for rec in companies:
            cid = rec.event.company_id  # type: ignore[attr-defined]
            model.companies[cid] = company_proj.fold(model.companies.get(cid), rec)
        return model

    def as_of(self, day: date | None) -> dict[str, AllianceState]:
        """Alliances as they stood on `day` (all reported ones when `day` is None)."""
        out: dict[str, AllianceState] = {}
        for aid, st in self.alliances.items():
            view = alliance_proj.at(st, day) if day else (st if st.reported else None)
            if view is not None:
                out[aid] = view
        return out
