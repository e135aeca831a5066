"""The change log: what the tracker learned, one entry per change of an alliance, in log order.

`alliance_now` keeps one version of each alliance's present document per log position at which
it changed, so two consecutive versions are a before and an after. A change is such a pair that
differs in what readers care about (a new alliance, its stage, parties or kinds, an ending, a
retraction or correction); versions that differ only in counters are corroborations or nothing.
It is a pure reading of the read model: a rebuild rewrites the same versions, so the log of
changes is stable and its ids (log position + alliance) never move. Atom feeds, the live stream,
the "Latest" view and notifications all read it.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from .envelope import Recorded
from .schema import OPEN
from .store import EventStore

Doc = Mapping[str, Any]

NEW, CHANGED, ENDED, RETRACTED, CORRECTED, CORROBORATED = (
    "new", "changed", "ended", "retracted", "corrected", "corroborated")
WHATS = (NEW, CHANGED, ENDED, RETRACTED, CORRECTED, CORROBORATED)
_FIXES = ("ReportCorrected", "ReportRetracted")


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one alliance, learned at log position `position` (with the event recorded there)."""

    position: int
    alliance_id: str
    what: str  # one of WHATS
    aspects: tuple[str, ...]  # what moved: "stage", "loi", "parties", "kinds", "sources"
    before: Doc | None  # the alliance's present document before (None: not reported before)
    after: Doc | None  # ... and after (None: no longer reported)
    event_type: str = ""
    recorded_at: str = ""
    citation: Doc | None = field(default=None)  # url, publisher, title, published of the event's source

    @property
    def id(self) -> str:
        """Stable across rebuilds: the same log gives the same versions at the same positions."""
        return f"{self.position}-{self.alliance_id}"

    @property
    def parties(self) -> tuple[str, ...]:
        """Every party before or after, so a company's followers hear of its leaving too."""
        return tuple(sorted({*(self.before or {}).get("parties", ()), *(self.after or {}).get("parties", ())}))

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({*(self.before or {}).get("kinds", ()), *(self.after or {}).get("kinds", ())}))

    @property
    def stage_changed(self) -> bool:
        return "stage" in self.aspects or self.what in (NEW, ENDED)


def _reported(doc: Doc | None) -> bool:
    return bool(doc) and bool(doc.get("reported", True))  # type: ignore[union-attr]


def aspects(before: Doc, after: Doc) -> tuple[str, ...]:
    """Which reader-facing fields differ between two documents of one alliance."""
    out = [k for k in ("stage", "loi", "parties", "kinds") if before.get(k) != after.get(k)]
    if not out and (before.get("sources"), before.get("corroborations")) != (
            after.get("sources"), after.get("corroborations")):
        out.append("sources")
    return tuple(out)


def classify(before: Doc | None, after: Doc | None, event_type: str = "") -> tuple[str, tuple[str, ...]] | None:
    """(what, aspects) for a before/after pair, or None when nothing a reader cares about changed."""
    was, now = _reported(before), _reported(after)
    if not was and not now:
        return None
    if not now:
        return RETRACTED, ()
    assert after is not None
    if not was:
        return NEW, ()
    assert before is not None
    moved = aspects(before, after)
    if not moved:
        return None
    if event_type in _FIXES:
        return CORRECTED, moved
    if moved == ("sources",):
        return CORROBORATED, moved
    if after.get("stage") == "ended" and before.get("stage") != "ended":
        return ENDED, moved
    return CHANGED, moved


def stage_words(stage: str | None) -> str:
    """'agreement_signed' -> 'agreement signed'; 'production' -> 'in production'."""
    if not stage:
        return "unknown stage"
    return "in production" if stage == "production" else stage.replace("_", " ")


def describe(c: Change, names: Mapping[str, str] | None = None) -> str:
    """What changed, in words (callers put the parties in front); `names` gives a company's name for its id,
    for parties that join or leave."""
    names = names or {}
    b, a = c.before or {}, c.after or {}
    if c.what == NEW:
        return f"new alliance ({stage_words(a.get('stage'))})"
    if c.what == RETRACTED:
        return "report retracted: no longer listed"
    parts = []
    if "stage" in c.aspects or "loi" in c.aspects:
        parts.append(f"{stage_words(b.get('stage'))} -> {stage_words(a.get('stage'))}")
    if "parties" in c.aspects:
        joined = sorted(set(a.get("parties", ())) - set(b.get("parties", ())))
        left = sorted(set(b.get("parties", ())) - set(a.get("parties", ())))
        parts.append("parties " + ", ".join([*(f"+{names.get(p, p)}" for p in joined),
                                             *(f"-{names.get(p, p)}" for p in left)]))
    if "kinds" in c.aspects:
        parts.append("now " + ", ".join(k.replace("_", " ") for k in a.get("kinds", ())))
    if c.what == CORROBORATED:
        parts.append(f"another source ({a.get('sources')} in all)")
    text = "; ".join(parts)
    return f"corrected: {text}" if c.what == CORRECTED else text


def changes_from(rows: Iterable[tuple[str, int, str | None, str | None]],
                 events: Mapping[int, Recorded]) -> list[Change]:
    """Changes from (alliance, position, before JSON, after JSON) version pairs and the events at those positions."""
    out = []
    for aid, p, before_json, after_json in rows:
        before = orjson.loads(before_json) if before_json else None
        after = orjson.loads(after_json) if after_json else None
        ev = events.get(p)
        found = classify(before, after, ev.type if ev else "")
        if found is not None:
            out.append(Change(p, aid, found[0], found[1], before, after, ev.type if ev else "",
                              ev.recorded_at if ev else "", _citation(ev)))
    return out


def _citation(ev: Recorded | None) -> Doc | None:
    cite = getattr(ev.event, "citation", None) if ev else None
    if cite is None:
        return None
    return {"url": cite.url, "publisher": cite.publisher, "title": cite.title, "published": cite.published}


class ChangeLog:
    """Reads changes from the read model (`alliance_now` versions) and the log (their sources)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._ph = "%s" if store.is_postgres else "?"

    def changes(self, *, after: int = 0, upto: int | None = None, limit: int = 100, newest_first: bool = False,
                alliances: Collection[str] | None = None, corroborations: bool = False,
                conn: Connection | None = None) -> list[Change]:
        """Changes learned at positions in (after, upto], oldest first unless `newest_first`; at most
        `limit`. Pass `conn` to read inside a runner transaction."""
        if conn is None:
            with self.store.engine.connect() as c:
                return self.changes(after=after, upto=upto, limit=limit, newest_first=newest_first,
                                    alliances=alliances, corroborations=corroborations, conn=c)
        out: list[Change] = []
        lo, hi = after, (OPEN - 1 if upto is None else upto)
        while len(out) < limit and lo < hi:
            page = self._pairs(conn, lo, hi, limit, newest_first, alliances)
            if not page:
                break
            found = changes_from(page, self._events(conn, {p for _, p, _, _ in page}))
            out += [c for c in found if corroborations or c.what != CORROBORATED]
            edge = page[-1][1]
            lo, hi = (lo, edge - 1) if newest_first else (edge, hi)
        return out[:limit]

    def _pairs(self, conn: Connection, lo: int, hi: int, limit: int, newest_first: bool,
               alliances: Collection[str] | None) -> list[tuple[str, int, str | None, str | None]]:
        """Version pairs whose change position lies in (lo, hi]: whole positions only, so paging never
        splits one position's changes."""
        ph, order = self._ph, "DESC" if newest_first else "ASC"
        only = ""
        params: list[Any] = [lo, hi, lo, hi, OPEN]
        if alliances is not None:
            ids = sorted(alliances) or [""]
            only = f" AND x.alliance_id IN ({', '.join([ph] * len(ids))})"
            params = [lo, hi, *ids, lo, hi, OPEN, *ids]
        sql = (
            f"SELECT x.alliance_id, x.recorded_from, p.doc, x.doc FROM alliance_now x"
            f" LEFT JOIN alliance_now p ON p.alliance_id = x.alliance_id AND p.recorded_to = x.recorded_from"
            f" WHERE x.recorded_from > {ph} AND x.recorded_from <= {ph}{only}"
            f" UNION ALL SELECT x.alliance_id, x.recorded_to, x.doc, NULL FROM alliance_now x"
            f" WHERE x.recorded_to > {ph} AND x.recorded_to <= {ph} AND x.recorded_to < {ph}{only}"
            f" AND NOT EXISTS (SELECT 1 FROM alliance_now n WHERE n.alliance_id = x.alliance_id"
            f" AND n.recorded_from = x.recorded_to)"
            f" ORDER BY 2 {order}, 1 LIMIT {int(limit) * 2 + 16}"
        )
        rows = [(str(a), int(p), b, d) for a, p, b, d in conn.exec_driver_sql(sql, tuple(params)).fetchall()]
        if len(rows) > limit * 2 and rows:  # drop the last position: it may be cut short
            edge = rows[-1][1]
            rows = [r for r in rows if r[1] != edge] or rows
        return rows

    def _events(self, conn: Connection, positions: set[int]) -> dict[int, Recorded]:
        if not positions:
            return {}
        lo, hi = min(positions), max(positions)
        if hi - lo < 4 * len(positions) + 64:
            return {r.position: r for r in self.store.read(after=lo - 1, upto=hi, conn=conn) if r.position in positions}
        out: dict[int, Recorded] = {}
        for p in sorted(positions):
            out.update((r.position, r) for r in self.store.read(after=p - 1, upto=p, conn=conn))
        return out


__all__ = ["CHANGED", "CORRECTED", "CORROBORATED", "ENDED", "NEW", "RETRACTED", "WHATS", "Change", "ChangeLog",
           "aspects", "changes_from", "classify", "describe", "stage_words"]
