"""The read side: answers from the bitemporal read-model tables, for the CLI, the API and the pages.

"As of D" picks, per alliance, the history row whose valid interval holds D; "known at T" maps
T to a log position P and picks the rows whose recorded range holds P; both together do both.
Each is indexed SQL (one seek per alliance), so any process answers without folding the log.
Company documents are cached per read-model version (small); alliance answers are not: the web's
catalog keeps the few snapshots it shows. No cache is ever required. The decider's view of the
alliances a batch can touch comes from the same tables (`deciding`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import orjson

from .changes import Change, ChangeLog, describe
from .diff import COMPARED, changes
from .projections.alliance import AllianceState
from .rows import Doc, fork_path, state_from_docs, timeline
from .runner import Runner
from .schema import OPEN
from .shape import TextShaper
from .store import EventStore
from .subscribers import REGISTRY

_NOW = OPEN - 1  # "known now": every row still open
READ_MODEL = ("alliances", "history", "companies")  # the projections these answers read
_SERIAL_PLAN = ("SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),"
                " set_config('enable_seqscan', 'off', true)")


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
        return self.at(known_at)[1]

    def at(self, known_at: datetime | None) -> tuple[tuple[int, ...], int]:
        """The read model's version (caught up first, see `version`) and the position standing for `known_at`:
        asked once per answer, however many tables the answer reads."""
        v = self.version()
        return v, _NOW if known_at is None else self.store.position_at(known_at)

    # --- documents -------------------------------------------------------------------------

    def alliance_docs(self, as_of: date | None = None, known_at: datetime | None = None) -> list[Doc]:
        """Row documents of every reported alliance (parties as ids), sorted by id."""
        return self._alliance_docs(as_of, self.position(known_at))  # not cached: callers keep what they need

    def listing(self, as_of: date | None = None, known_at: datetime | None = None,
                only: Collection[str] | None = None) -> tuple[int, dict[str, Doc], list[Doc]]:
        """(the position every read-model table has reached, companies, alliance documents), the read model's
        version asked once; `only`: just these alliances (read by id when the answer is the present)."""
        v, p = self.at(known_at)
        companies = self._companies(v, p)
        if only is not None and as_of is None and p == _NOW:
            return min(v), companies, self._present(sorted(only))
        docs = self._alliance_docs(as_of, p)
        return min(v), companies, docs if only is None else [d for d in docs if d["id"] in only]

    def company_docs(self, known_at: datetime | None = None) -> dict[str, Doc]:
        """Every company's document as known at a time, by id."""
        return self._companies(*self.at(known_at))

    def _companies(self, v: tuple[int, ...], p: int) -> dict[str, Doc]:
        docs: dict[str, Doc] = self._cached(("companies", p, v), lambda: self._company_docs(p))
        return docs

    def _present(self, ids: list[str]) -> list[Doc]:
        out: list[Doc] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (f"SELECT doc FROM alliance_now WHERE recorded_to = {OPEN}"
                   f" AND alliance_id IN ({', '.join([self._ph] * len(chunk))})")
            out += (d for d in (orjson.loads(r[0]) for r in self._rows(sql, tuple(chunk))) if d["reported"])
        return sorted(out, key=lambda d: d["id"])

    def _alliance_docs(self, as_of: date | None, p: int) -> list[Doc]:
        docs = map(orjson.loads, self._alliance_texts(as_of, p))
        return list(docs) if as_of is not None else [d for d in docs if d["reported"]]

    def _alliance_texts(self, as_of: date | None, p: int) -> list[str]:
        """The stored documents (JSON text) of the alliances as of D and known at p, by id; without a date,
        those not (yet) reported too (a history row exists only from the day an alliance is reported)."""
        ph = self._ph
        if as_of is None and p == _NOW:
            sql = f"SELECT doc FROM alliance_now WHERE recorded_to = {OPEN} ORDER BY alliance_id"
            return [d for (d,) in self._rows(sql, (), bulk=True)]
        if as_of is None:  # per alliance, its last version begun by p (versions follow each other without gaps)
            sql = (
                f"SELECT (SELECT m.doc FROM alliance_now m WHERE m.alliance_id = o.alliance_id"
                f" AND m.recorded_from <= {ph} ORDER BY m.recorded_from DESC LIMIT 1)"
                f" FROM alliance_now o WHERE o.recorded_to = {OPEN} ORDER BY o.alliance_id"
            )
            return [d for (d,) in self._rows(sql, (p,), bulk=True) if d is not None]
        return self._history_rows(as_of, p)

    def _history_rows(self, as_of: date, p: int) -> list[str]:
        """The history documents (JSON text, by alliance id) of the alliances reported as of D, known at p.

        The rows holding D are those whose `fork` is on D's path (`rows.fork_path`): one index range scan per
        node of the path (~22), reading only rows valid on D (and, known at p, the versions closed since p)."""
        ph, day = self._ph, as_of.isoformat()
        known = f"recorded_to = {OPEN}" if p == _NOW else f"recorded_to > {ph} AND recorded_from <= {ph}"
        one = (f"SELECT alliance_id, doc FROM alliance_history WHERE fork = {ph} AND {known}"
               f" AND valid_from <= {ph} AND valid_to > {ph}")
        path = fork_path(as_of)
        per = (day, day) if p == _NOW else (p, p, day, day)
        rows = self._rows(" UNION ALL ".join([one] * len(path)), tuple(x for n in path for x in (n, *per)), bulk=True)
        rows.sort(key=itemgetter(0))
        return [d for _, d in rows]

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

    def stage_spans(
        self, alliance_ids: Collection[str], known_at: datetime | None = None
    ) -> dict[str, list[tuple[str, str, str | None, bool, str | None]]]:
        """Each alliance's valid-time intervals as (valid_from, valid_to, stage, loi, updated), earliest
        first, `updated` being the date of its latest event as written (`2024-05`): the landscape timeline
        draws one bar segment per interval. Unknown ids are left out."""
        p = self.position(known_at)
        ph = self._ph
        out: dict[str, list[tuple[str, str, str | None, bool, str | None]]] = {}
        ids = sorted(set(alliance_ids))
        for i in range(0, len(ids), 500):  # a few hundred parameters per statement suit both databases
            chunk = ids[i: i + 500]
            marks = ", ".join([ph] * len(chunk))
            if p == _NOW:
                sql = (f"SELECT alliance_id, valid_from, valid_to, doc FROM alliance_history"
                       f" WHERE recorded_to = {OPEN} AND alliance_id IN ({marks})")
                params: tuple[Any, ...] = tuple(chunk)
            else:
                sql = (f"SELECT alliance_id, valid_from, valid_to, doc FROM alliance_history"
                       f" WHERE recorded_from <= {ph} AND recorded_to > {ph} AND alliance_id IN ({marks})")
                params = (p, p, *chunk)
            for aid, start, end, raw in sorted(self._rows(sql, params)):
                doc = orjson.loads(raw)
                out.setdefault(aid, []).append((start, end, doc["stage"], bool(doc["loi"]), doc["updated"]))
        return out

    # --- answers (the public JSON shapes) --------------------------------------------------

    def alliances(self, as_of: date | None = None, known_at: datetime | None = None) -> list[dict[str, Any]]:
        """The CLI/API shape of every alliance, sorted by id, as objects. Decoding `alliances_json` instead was
        slower (31 against 23 ms at 10,000 alliances: its objects share no party dicts, and the cyclic GC runs
        over them while they are made); `alliances_json` is the fast answer."""
        v, p = self.at(known_at)
        companies, memo = self._companies(v, p), dict[str, dict[str, Any]]()
        return [alliance_json(d, companies, memo) for d in self._alliance_docs(as_of, p)]

    def alliances_json(self, as_of: date | None = None, known_at: datetime | None = None) -> bytes:
        """`alliances` as JSON text (UTF-8), written from the stored documents' text without decoding them:
        the same JSON value, several times faster to produce (the CLI's `state --json` and the API use it)."""
        v, p = self.at(known_at)
        companies, memo = self._companies(v, p), dict[str, dict[str, Any]]()
        shaper = TextShaper(lambda c: party_json(c, companies), lambda d: alliance_json(d, companies, memo))
        return shaper.array(self._alliance_texts(as_of, p))

    def alliance(
        self, alliance_id: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any] | None:
        """One alliance with its timeline (entries in date order, corrections marked)."""
        v, p = self.at(known_at)
        doc = self._alliance_doc(alliance_id, as_of, p)
        if doc is None:
            return None
        out = alliance_json(doc, self._companies(v, p))
        out["timeline"] = self._timeline(alliance_id, as_of, p)
        return out

    def company(
        self, company_id: str, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[str, Any] | None:
        """A company with its alliances and partners as of the date."""
        v, p = self.at(known_at)
        companies = self._companies(v, p)
        c = companies.get(company_id)
        if c is None:
            return None
        mine = [alliance_json(d, companies) for d in self._alliance_docs(as_of, p) if company_id in d["parties"]]
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
        v, p = self.at(known_at)
        companies, memo = self._companies(v, p), dict[str, dict[str, Any]]()
        # The earlier answer is kept only as the fields a comparison reads, the later one decoded a row at a
        # time: a diff of 10,000 alliances never holds two full answers.
        before: dict[str, Doc] = {}
        for d in self._history_rows(start, p):
            doc = orjson.loads(d)
            before[doc["id"]] = {k: doc[k] for k in COMPARED}
        out: dict[str, Any] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "added": [],
            "changed": [],
            "ended": [],
        }
        later = ((doc["id"], doc) for doc in map(orjson.loads, self._history_rows(end, p)))
        kept: dict[str, Doc] = {}
        for ch in changes(before, _keeping(later, kept)):
            doc = kept.pop(ch.alliance_id, None) or self._vanished(ch.alliance_id, start, p)
            item = alliance_json(doc, companies, memo)
            item.update(before_stage=ch.before_stage, after_stage=ch.after_stage, details=list(ch.details))
            out[ch.change].append(item)
            kept.clear()
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

    def _vanished(self, alliance_id: str, day: date, p: int) -> Doc:
        """An alliance in the earlier answer only (retracted since): its earlier document, read again."""
        doc = self._alliance_doc(alliance_id, day, p)
        assert doc is not None
        return doc

    def deciding(self, party_sets: Iterable[Collection[str]]) -> dict[str, AllianceState]:
        """The alliances a decision about these party sets could match, as the whole log stands: for each
        set, the alliance with its canonical id and every alliance with exactly those parties.

        Read from the tables (present rows and timeline lines) for just those alliances, so deciding never
        folds the log and never holds every alliance. Ordered by first appearance in the log."""
        keys = sorted({"--".join(sorted(set(s))) for s in party_sets})
        if not keys:
            return {}
        if self.runner is not None:
            self.runner.catch_up(("alliances",))
        docs: dict[str, Doc] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            marks = ", ".join([self._ph] * len(chunk))
            # two index seeks (by id, by party set); one OR of both would scan every open row
            sql = (f"SELECT doc FROM alliance_now WHERE recorded_to = {OPEN} AND alliance_id IN ({marks})"
                   f" UNION ALL SELECT doc FROM alliance_now WHERE recorded_to = {OPEN} AND party_key IN ({marks})")
            for (d,) in self._rows(sql, (*chunk, *chunk)):
                doc = orjson.loads(d)
                docs[doc["id"]] = doc
        lines: dict[str, list[Doc]] = {aid: [] for aid in docs}
        ids = sorted(docs)
        for i in range(0, len(ids), 800):
            chunk = ids[i : i + 800]
            sql = (f"SELECT alliance_id, doc FROM alliance_entries WHERE recorded_to = {OPEN}"
                   f" AND alliance_id IN ({', '.join([self._ph] * len(chunk))})")
            for aid, d in self._rows(sql, tuple(chunk)):
                lines[aid].append(orjson.loads(d))
        states = [state_from_docs(docs[aid], lines[aid]) for aid in ids]
        states.sort(key=lambda s: min((e.position for e in s.entries), default=0))
        return {s.alliance_id: s for s in states}

    # --- plumbing ----------------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...], *, bulk: bool = False) -> list[tuple[Any, ...]]:
        """`bulk`: a statement reading a row per alliance; on PostgreSQL planned without JIT compilation, parallel
        workers or sequential scans for its transaction. At 1 M rows JIT alone took 250 ms of a 17 ms plan, and
        the fork of the intervals open until further notice (a node holding ~45 % of the history rows, nearly all
        closed versions) made the planner read the whole table (1 s) where the index finds the open ones."""
        with self.store.engine.connect() as conn:
            if bulk and self.store.is_postgres:
                self.store._fetch(conn, _SERIAL_PLAN, ())
            return self.store._fetch(conn, sql, params)

    def _cached(self, full: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`full` ends with the read model's version: a cached value stays true until it moves."""
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


def _keeping(pairs: Iterable[tuple[str, Doc]], kept: dict[str, Doc]) -> Iterator[tuple[str, Doc]]:
    """The pairs, each document also left in `kept` for the consumer to take (then cleared)."""
    for aid, doc in pairs:
        kept[aid] = doc
        yield aid, doc


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


def alliance_json(doc: Mapping[str, Any], companies: dict[str, Doc],
                  memo: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The stable JSON shape of an alliance (the CLI contract), from its row document.

    `memo`: party objects already made for these companies, shared between the alliances of one answer
    (10,000 rows name a few hundred companies); callers read them, never change them."""
    if memo is None:
        parties = [party_json(p, companies) for p in doc["parties"]]
    else:
        parties = [memo.get(p) or memo.setdefault(p, party_json(p, companies)) for p in doc["parties"]]
    return {
        "id": doc["id"],
        "parties": parties,
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
    return f"{' + '.join(names) or c.alliance_id}: {describe(c, party_names(c, companies))}"


def party_names(c: Change, companies: dict[str, Doc]) -> dict[str, str]:
    """The English name of every party before or after a change, by id."""
    return {p: party_json(p, companies)["name"] for p in c.parties}


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
        "summary": describe(c, party_names(c, companies)),
        "event_type": c.event_type,
        "before": alliance_json(c.before, companies) if c.before and c.before.get("reported", True) else None,
        "after": alliance_json(c.after, companies) if c.after and c.after.get("reported", True) else None,
        "source": dict(c.citation) if c.citation else None,
    }
