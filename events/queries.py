"""The read side: answers from the bitemporal read-model tables, for the CLI, the API and the pages.

"As of D" picks, per alliance, the history row whose valid interval holds D; "known at T" maps
T to a log position P and picks the rows whose recorded range holds P; both together do both.
Each is indexed SQL (one seek per alliance), so any process answers without folding the log.
Company documents are cached per read-model version (small); alliance answers are not: the web's
catalog keeps the few snapshots it shows. No cache is ever required.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

import orjson

from .changes import Change, ChangeLog, describe
from .diff import diff as diff_docs
from .landscape import Landscape
from .rows import Doc, timeline
from .runner import Runner
from .schema import OPEN
from .store import EventStore
from .subscribers import REGISTRY

_NOW = OPEN - 1  # "known now": every row still open
READ_MODEL = ("alliances", "history", "companies")  # the projections these answers read


class Queries:
    """Answers questions about the landscape, optionally as of a date and as known at a time."""

    def __init__(
        self,
        store: EventStore,
        runner: Runner | None = None,
        *,
        follow: bool = True,
        max_lag: int = 5_000,
        cache_size: int = 2,
    ) -> None:
        """With `follow`, a read model up to `max_lag` events behind the log is caught up (by `runner`,
        default: the registry's) before answering; further behind (a rebuild under way) or without
        `follow`, answers are as of the read model's checkpoints and the worker catches up."""
        self.store = store
        self.max_lag = max_lag
        self.runner = (runner or REGISTRY.runner(store)) if follow else None
        self._ph = "%s" if store.is_postgres else "?"
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._model: Landscape | None = None

    # --- versions and positions ------------------------------------------------------------

    def version(self) -> tuple[int, ...]:
        """The read model's checkpoints: answers cached under one version stay true until it moves.

        When following the log, a read model behind the log is brought up to date first.
        """
        v = self._version()
        if self.runner is not None and 0 < self.store.tail() - min(v) <= self.max_lag:
            self.runner.catch_up(READ_MODEL)
            v = self._version()
        return v

    def _version(self) -> tuple[int, ...]:
        sql = f"SELECT name, position FROM checkpoints WHERE name IN ({', '.join([self._ph] * len(READ_MODEL))})"
        found = dict(self._rows(sql, READ_MODEL))
        return tuple(int(found.get(n, 0)) for n in READ_MODEL)

    def position(self, known_at: datetime | None) -> int:
        """The log position standing for a transaction time (None: everything known)."""
        self.version()
        return _NOW if known_at is None else self.store.position_at(known_at)

    # --- documents -------------------------------------------------------------------------

    def alliance_docs(self, as_of: date | None = None, known_at: datetime | None = None) -> list[Doc]:
        """Row documents of every reported alliance (parties as ids), sorted by id."""
        return self._alliance_docs(as_of, self.position(known_at))  # not cached: callers keep what they need

    def company_docs(self, known_at: datetime | None = None) -> dict[str, Doc]:
        """Every company's document as known at a time, by id."""
        p = self.position(known_at)
        docs: dict[str, Doc] = self._cached(("companies", p), lambda: self._company_docs(p))
        return docs

    def _alliance_docs(self, as_of: date | None, p: int) -> list[Doc]:
        ph = self._ph
        if as_of is None and p == _NOW:
            rows = self._rows(f"SELECT doc FROM alliance_now WHERE recorded_to = {OPEN} ORDER BY alliance_id", ())
            return [d for d in (orjson.loads(r[0]) for r in rows) if d["reported"]]
        if as_of is None:
            sql = (
                f"SELECT n.doc FROM alliance_now o JOIN alliance_now n ON n.alliance_id = o.alliance_id"
                f" AND n.recorded_from = (SELECT m.recorded_from FROM alliance_now m"
                f" WHERE m.alliance_id = o.alliance_id AND m.recorded_from <= {ph}"
                f" ORDER BY m.recorded_from DESC LIMIT 1)"
                f" WHERE o.recorded_to = {OPEN} AND n.recorded_to > {ph} ORDER BY o.alliance_id"
            )
            docs = [orjson.loads(d) for (d,) in self._rows(sql, (p, p))]
            return [d for d in docs if d["reported"]]
        day = as_of.isoformat()
        if p == _NOW:
            sql = (
                f"SELECT h.doc FROM alliance_now o JOIN alliance_history h ON h.alliance_id = o.alliance_id"
                f" AND h.recorded_to = {OPEN} AND h.valid_from = (SELECT b.valid_from FROM alliance_history b"
                f" WHERE b.alliance_id = o.alliance_id AND b.recorded_to = {OPEN} AND b.valid_from <= {ph}"
                f" ORDER BY b.valid_from DESC LIMIT 1)"
                f" WHERE o.recorded_to = {OPEN} ORDER BY o.alliance_id"
            )
            return [orjson.loads(d) for (d,) in self._rows(sql, (day,))]
        sql = (
            f"SELECT h.doc FROM alliance_now o JOIN alliance_history h ON h.alliance_id = o.alliance_id"
            f" AND h.recorded_from <= {ph} AND h.recorded_to > {ph}"
            f" AND h.valid_from = (SELECT b.valid_from FROM alliance_history b WHERE b.alliance_id = o.alliance_id"
            f" AND b.valid_from <= {ph} AND b.recorded_from <= {ph} AND b.recorded_to > {ph}"
            f" ORDER BY b.valid_from DESC LIMIT 1)"
            f" WHERE o.recorded_to = {OPEN} ORDER BY o.alliance_id"
        )
        return [orjson.loads(d) for (d,) in self._rows(sql, (p, p, day, p, p))]

    def _company_docs(self, p: int) -> dict[str, Doc]:
        ph = self._ph
        if p == _NOW:
            return {
                d["id"]: d
                for d in (
                    orjson.loads(r[0])
                    for r in self._rows(f"SELECT doc FROM company_now WHERE recorded_to = {OPEN}", ())
                )
            }
        sql = (
            f"SELECT n.doc FROM company_now o JOIN company_now n ON n.company_id = o.company_id"
            f" AND n.recorded_from = (SELECT m.recorded_from FROM company_now m"
            f" WHERE m.company_id = o.company_id AND m.recorded_from <= {ph} ORDER BY m.recorded_from DESC LIMIT 1)"
            f" WHERE o.recorded_to = {OPEN} AND n.recorded_to > {ph}"
        )
        docs = (orjson.loads(d) for (d,) in self._rows(sql, (p, p)))
        return {d["id"]: d for d in docs}

    def _alliance_doc(self, alliance_id: str, as_of: date | None, p: int) -> Doc | None:
        ph = self._ph
        if as_of is None:
            sql = (
                f"SELECT doc FROM alliance_now WHERE alliance_id = {ph} AND recorded_from <= {ph}"
                f" AND recorded_to > {ph}"
            )
            rows = self._rows(sql, (alliance_id, p, p))
        else:
            sql = (
                f"SELECT doc FROM alliance_history WHERE alliance_id = {ph} AND valid_from <= {ph}"
                f" AND valid_to > {ph} AND recorded_from <= {ph} AND recorded_to > {ph}"
            )
            day = as_of.isoformat()
            rows = self._rows(sql, (alliance_id, day, day, p, p))
        doc = orjson.loads(rows[0][0]) if rows else None
        return doc if doc and doc["reported"] else None

    def _timeline(self, alliance_id: str, as_of: date | None, p: int) -> list[Doc]:
        ph = self._ph
        sql = (
            f"SELECT doc FROM alliance_entries WHERE alliance_id = {ph} AND recorded_from <= {ph}"
            f" AND recorded_to > {ph}"
        )
        params: tuple[Any, ...] = (alliance_id, p, p)
        if as_of is not None:
            sql += f" AND (raw_end IS NULL OR raw_end <= {ph})"
            params += (as_of.isoformat(),)
        return timeline(orjson.loads(d) for (d,) in self._rows(sql, params))

    # --- answers (the public JSON shapes) --------------------------------------------------

    def alliances(self, as_of: date | None = None, known_at: datetime | None = None) -> list[dict[str, Any]]:
        """The CLI/API shape of every alliance, sorted by id."""
        companies = self.company_docs(known_at)
        return [alliance_json(d, companies) for d in self.alliance_docs(as_of, known_at)]

    def alliance(
        self, alliance_id: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any] | None:
        """One alliance with its timeline (entries in date order, corrections marked)."""
        p = self.position(known_at)
        doc = self._alliance_doc(alliance_id, as_of, p)
        if doc is None:
            return None
        out = alliance_json(doc, self.company_docs(known_at))
        out["timeline"] = self._timeline(alliance_id, as_of, p)
        return out

    def company(
        self, company_id: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any] | None:
        """A company with its alliances and partners as of the date."""
        companies = self.company_docs(known_at)
        c = companies.get(company_id)
        if c is None:
            return None
        mine = [alliance_json(d, companies) for d in self.alliance_docs(as_of, known_at) if company_id in d["parties"]]
        partners = sorted({p for a in mine for p in (x["id"] for x in a["parties"]) if p != company_id})
        limit = as_of.isoformat() if as_of else None
        return {
            **company_json(c),
            "alliances": mine,
            "partners": [party_json(p, companies) for p in partners],
            "milestones": [
                {
                    "date": m["date"],
                    "milestone": m["milestone"],
                    "description": m["description"],
                    "citation": m["citation"],
                }
                for m in sorted(c["milestones"], key=lambda m: (m["date"] or "", m["position"]))
                if limit is None or (m["end"] is not None and m["end"] <= limit)
            ],
        }

    def companies(self, known_at: datetime | None = None) -> list[dict[str, Any]]:
        return [company_json(c) for _, c in sorted(self.company_docs(known_at).items())]

    def diff(self, start: date, end: date, known_at: datetime | None = None) -> dict[str, Any]:
        """Alliances added, changed and ended between two valid dates."""
        before = {d["id"]: d for d in self.alliance_docs(start, known_at)}
        after = {d["id"]: d for d in self.alliance_docs(end, known_at)}
        companies = self.company_docs(known_at)
        out: dict[str, Any] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "added": [],
            "changed": [],
            "ended": [],
        }
        for ch in diff_docs(before, after):
            item = alliance_json(after.get(ch.alliance_id) or before[ch.alliance_id], companies)
            item.update(before_stage=ch.before_stage, after_stage=ch.after_stage, details=list(ch.details))
            out[ch.change].append(item)
        return out

    def changes(self, *, after: int = 0, limit: int = 50, newest_first: bool = True,
                alliances: Collection[str] | None = None, corroborations: bool = False) -> list[dict[str, Any]]:
        """What the tracker learned after log position `after`, in the change-log JSON shape
        (`change_json`), newest first by default; at most `limit`; only these alliances if given."""
        self.version()
        found = ChangeLog(self.store).changes(after=after, limit=limit, newest_first=newest_first,
                                              alliances=alliances, corroborations=corroborations)
        companies = self.company_docs()
        return [change_json(c, companies) for c in found]

    def current(self) -> Landscape:
        """The whole log folded in memory, kept up to date, for the decision side only (extraction
        compares claims with the alliances' timelines). Not an answer path: pages, the API and the CLI
        read the tables, so a web process never builds it."""
        with self._lock:
            if self._model is None:
                self._model = Landscape.from_rows(self.store.read_raw())
            if self.store.tail() > self._model.position:
                self._model.apply_all(self.store.read(after=self._model.position))
            return self._model

    # --- plumbing ----------------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.store.engine.connect() as conn:
            return self.store._fetch(conn, sql, params)

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        full = (*key, self.version())
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        value = compute()
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value


# --- JSON shapes --------------------------------------------------------------------------


def party_json(company_id: str, companies: dict[str, Doc]) -> dict[str, Any]:
    c = companies.get(company_id)
    return {"id": company_id, "name": c["name"] if c else company_id, "name_zh": c["name_zh"] if c else ""}


def company_json(c: Doc) -> dict[str, Any]:
    return {
        "id": c["id"],
        "name": c["name"],
        "name_zh": c["name_zh"],
        "aliases": list(c["aliases"]),
        "country": c["country"],
        "sector": c["sector"],
    }


def alliance_json(doc: Mapping[str, Any], companies: dict[str, Doc]) -> dict[str, Any]:
    """The stable JSON shape of an alliance (the CLI contract), from its row document."""
    return {
        "id": doc["id"],
        "parties": [party_json(p, companies) for p in doc["parties"]],
        "kinds": list(doc["kinds"]),
        "stage": doc["stage"],
        "loi": doc["loi"],
        "since": doc["since"],
        "updated": doc["updated"],
        "events": doc["events"],
        "sources": doc["sources"],
        "corroborations": doc["corroborations"],
    }


def change_title(c: Change, companies: dict[str, Doc]) -> str:
    """'Leapmotor 零跑 + Stellantis 斯特兰蒂斯: agreement signed -> established'."""
    parties = (c.after or {}).get("parties") or (c.before or {}).get("parties", ())  # a retraction empties after
    names = []
    for p in parties:
        j = party_json(p, companies)
        names.append(f"{j['name']} {j['name_zh']}".strip() if j["name_zh"] != j["name"] else j["name"])
    return f"{' + '.join(names) or c.alliance_id}: {describe(c)}"


def change_json(c: Change, companies: dict[str, Doc]) -> dict[str, Any]:
    """One entry of the change log (the API, Atom feeds, the live stream and webhook bodies share it)."""
    return {
        "id": c.id,
        "position": c.position,
        "recorded_at": c.recorded_at,
        "alliance_id": c.alliance_id,
        "what": c.what,
        "aspects": list(c.aspects),
        "title": change_title(c, companies),
        "summary": describe(c),
        "event_type": c.event_type,
        "before": alliance_json(c.before, companies) if c.before and c.before.get("reported", True) else None,
        "after": alliance_json(c.after, companies) if c.after and c.after.get("reported", True) else None,
        "source": dict(c.citation) if c.citation else None,
    }
