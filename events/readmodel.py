"""The projections that keep the bitemporal read model: alliances, their history, companies.

Each is a subscriber of the runner. For every event it folds the touched alliance (pure folds
from `projections/`), computes the rows the new state implies (`rows.py`) and compares them
with the rows of the state before: a row that changed is closed at this position
(`recorded_to`) and its successor opened (`recorded_from`). So the tables hold every state the
log has ever implied, indexed by valid time and by log position.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from .projections import alliance as alliance_proj
from .projections import company as company_proj
from .projections.alliance import Aggregate, AllianceState, Entry
from .projections.company import CompanyState
from .rows import Doc, absorb_doc, aggregate_doc, company_doc, company_from_doc, entry_doc, fork, history
from .runner import Batch
from .schema import END_OF_TIME, OPEN
from .store import EventStore
from .types import REGISTRY, upcast
from .values import FuzzyDate, Precision

_BOOKKEEPING = ("ReportRetracted", "ReportCorrected")
REPLAY_CHUNK = 20_000  # events of whole alliances per transaction of a replay (as the runner's default batch)
_OWNER = {"alliances": ("now", "entries"), "history": ("history",)}  # which projection writes which table


class Versioned:
    """The changes of one versioned table within one batch, flushed in two statements."""

    def __init__(self, table: str, keys: tuple[str, ...], values: tuple[str, ...],
                 derived: tuple[str, Callable[[tuple[Any, ...]], Any]] | None = None) -> None:
        """`derived`: one more column, computed from each written row (keys, values, ...) when it is inserted."""
        self.table, self.keys, self.values, self.derived = table, keys, values, derived
        self.opened: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.finished: list[tuple[Any, ...]] = []
        self.closes: list[tuple[Any, ...]] = []

    def change(self, key: tuple[Any, ...], old: tuple[Any, ...] | None, new: tuple[Any, ...] | None, p: int) -> None:
        """The row at `key` goes from `old` to `new` (None: absent) at log position `p`."""
        if old == new:
            return
        if old is not None:
            row = self.opened.pop(key, None)
            if row is None:
                self.closes.append((p, *key))
            else:
                self.finished.append((*row, p))
        if new is not None:
            self.opened[key] = (*key, *new, p)

    def flush(self, conn: Connection) -> None:
        ph = "%s" if conn.dialect.name == "postgresql" else "?"
        cur = conn.connection.cursor()
        try:
            if self.closes:
                where = " AND ".join(f"{k} = {ph}" for k in self.keys)
                cur.executemany(f"UPDATE {self.table} SET recorded_to = {ph} WHERE {where} AND recorded_to = {OPEN}",
                                self.closes)
            enc: dict[int, str] = {}  # one document object often sits in several rows (an interval and its successor)
            rows = [_encode(r, enc) for r in self.finished] + [_encode((*r, OPEN), enc) for r in self.opened.values()]
            rows.sort(key=lambda r: r[: len(self.keys)] + (r[-2],))  # in primary-key order: B-tree appends, not splits
            if rows:
                cols = (*self.keys, *self.values, "recorded_from", "recorded_to")
                if self.derived is not None:
                    name, compute = self.derived
                    cols, rows = (*cols, name), [(*r, compute(r)) for r in rows]
                cur.executemany(f"INSERT INTO {self.table} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})",
                                rows)
        finally:
            cur.close()


def _now_row(doc: Doc) -> tuple[str, Doc]:
    """An `alliance_now` row's values: the party set (as a canonical alliance id) and the document."""
    return "--".join(doc["parties"]), doc


def _encode(row: tuple[Any, ...], done: dict[int, str]) -> tuple[Any, ...]:
    """Rows end (..., doc, recorded_from, recorded_to): the document goes in as JSON text (`done`: the
    text of documents already encoded, by object id; the rows hold them alive)."""
    doc = row[-3]
    text = done.get(id(doc))
    if text is None:
        text = done[id(doc)] = orjson.dumps(doc).decode()
    return (*row[:-3], text, row[-2], row[-1])


# --- alliances ------------------------------------------------------------------------------


class _Alliance:
    """One alliance as the projection last wrote it: its timeline, running aggregates and rows.

    Mutable on purpose: a rebuild applies a million entries, and copying an immutable state per
    entry would make it quadratic in an alliance's length. The pure folds still define the result.
    """

    def __init__(self, state: AllianceState, rows: bool, hist: bool) -> None:
        self.id = state.alliance_id
        self._doc: Doc | None = None  # `doc()` until the next entry: the present row and the last interval share it
        self.entries: list[Entry] = list(state.entries)
        self.retracted: set[str] = set(state.retracted)
        self.corrections: dict[str, dict[str, Any]] = dict(state.corrections)
        self.acc: Aggregate | None = Aggregate(state)
        self.max_end = max((e.end for e in state.entries if e.end), default="")
        self.undated = any(e.end is None for e in state.entries)
        self.latest = max((e.position for e in state.entries), default=0)
        self.first_seen: dict[tuple[str, str], str] = {}  # source -> earliest last day (used while no bookkeeping)
        self.names: dict[str, None] = {}  # the alliance's own names, first seen first (`rows.named`)
        for e in state.entries:
            self._saw(e)
            self._named(e)
        self.now: Doc | None = self.now_doc() if state.entries and rows else None
        self.history = {f: (t, d) for f, t, d in history(state)} if hist else {}
        self._last: str | None = None

    def add(self, e: Entry) -> None:
        """`alliance.fold_entry`, in place."""
        self._doc = None
        self.entries.append(e)
        if e.type == "ReportRetracted":
            self.retracted.add(e.supersedes)  # type: ignore[arg-type]
            self.acc = None
            self.names = {}
            for old in self.entries:
                self._named(old)
        elif e.type == "ReportCorrected":
            sup = e.supersedes
            self.corrections[sup] = alliance_proj.merge_fix(self.corrections.get(sup), e.fix or {}, e.position)  # type: ignore[index,arg-type]
            self.acc = None
        elif self.acc is not None and e.key not in self.retracted:
            self.acc.add(alliance_proj.effective(e, self.corrections))
        self._saw(e)
        self._named(e)
        self.latest = max(self.latest, e.position)
        self.max_end = max(self.max_end, e.end or "")
        self.undated = self.undated or e.end is None

    def _saw(self, e: Entry) -> None:
        if e.citation and e.end and e.type not in _BOOKKEEPING:
            src = alliance_proj.source_key(e.citation)
            if e.end < self.first_seen.get(src, END_OF_TIME):
                self.first_seen[src] = e.end

    def _named(self, e: Entry) -> None:
        if e.type == "AllianceNamed" and e.key not in self.retracted:
            self.names[e.summary] = None

    def state(self) -> AllianceState:
        s = alliance_proj.summarize(self.id, tuple(self.entries), frozenset(self.retracted), dict(self.corrections))
        self.acc = Aggregate(s)
        return s

    def doc(self) -> Doc:
        """The aggregate document (what a history interval holds)."""
        if self._doc is None:
            if self.acc is None:
                self.state()
            self._doc = aggregate_doc(self.id, self.acc, len(self.entries), self.latest)  # type: ignore[arg-type]
        return self._doc

    def now_doc(self) -> Doc:
        """The present row's document: the aggregate plus the alliance's own names."""
        return {**self.doc(), "names": list(self.names)}  # = rows.named(doc, entries, retracted)

    def last_from(self) -> str:
        """The start of the last valid-time interval (kept, not searched: the fast path asks per event)."""
        if self._last is None or self._last not in self.history:
            self._last = max(self.history)
        return self._last

    def line(self, e: Entry) -> Doc:
        return entry_doc(e, self.retracted, self.corrections)


class AllianceProjection:
    """Subscriber writing `alliance_now` and `alliance_entries` ("alliances"), or `alliance_history`
    ("history"): the same fold, two tables each with its own checkpoint.

    When the runner hands both the same batch (a rebuild, a catch-up of both), the first to handle it folds
    it once for the two and leaves the other's rows in the batch's memo; each still writes only its own tables."""

    replayable = True
    types = alliance_proj.ALLIANCE_EVENT_TYPES

    def __init__(self, store: EventStore, name: str, chunk: int = REPLAY_CHUNK) -> None:
        if name not in ("alliances", "history"):
            raise ValueError(name)
        self.store, self.name, self.chunk = store, name, chunk
        self.partner = "history" if name == "alliances" else "alliances"
        self.rows, self.hist = name == "alliances", name == "history"
        self._cache: dict[str, _Alliance] = {}
        self._at = -1

    def reset(self, conn: Connection) -> None:
        tables = ("alliance_now", "alliance_entries") if self.name == "alliances" else ("alliance_history",)
        if conn.dialect.name == "postgresql":  # DELETE of millions of rows leaves them dead in tables and indexes
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)}")
        else:  # SQLite truncates a DELETE without WHERE itself
            for table in tables:
                conn.exec_driver_sql(f"DELETE FROM {table}")
        self.done()

    def done(self) -> None:
        """Forget the states kept between batches (called when a catch-up ends)."""
        self._cache, self._at = {}, -1

    def handle(self, conn: Connection, batch: Batch) -> None:
        folded = batch.memo.pop(f"rows:{self.name}", None)
        if folded is not None:  # the partner folded this batch for both: my states are behind it now
            self.done()
            for t in folded:
                t.flush(conn)
            return
        mode = (True, True) if self.partner in batch.readers else (self.name == "alliances", self.name == "history")
        if self._at != batch.after or (self.rows, self.hist) != mode:
            self._cache = {}
        self.rows, self.hist = mode
        items = batch.memo.get("alliance_entries")
        if items is None:  # "alliances" and "history" read the same batch: decoded once for both
            items = batch.memo["alliance_entries"] = list(_entries(batch.rows))
        self._load(conn, {aid for aid, _ in items}, batch.after)
        tables = self._tables()
        for aid, entry in items:
            self._apply(self._cache[aid], entry, tables)
        for name, group in _OWNER.items():
            mine = [tables[k] for k in group if k in tables]
            if name == self.name:
                for t in mine:
                    t.flush(conn)
            elif mine:
                batch.memo[f"rows:{name}"] = mine
        self._at = batch.end

    def replay(self, others: list[str], upto: int) -> tuple[list[str], Iterator[Callable[[Connection], int]]]:
        """A rebuild's fast path: fold the log up to `upto` an alliance at a time (with the partner projection,
        when it is rebuilt too) and hand the runner its rows in chunks of whole alliances, in key order.

        From nothing, every row an alliance will have is known once its events are folded: no row is
        updated, and inserts land in primary-key order. The rows equal those of a catch-up batch by batch."""
        names = [self.name, *(n for n in others if n == self.partner)]
        self.rows, self.hist = "alliances" in names, "history" in names
        self.done()
        return names, self._chunks(upto)

    def _chunks(self, upto: int) -> Iterator[Callable[[Connection], int]]:
        groups: dict[str, list[Entry]] = {}
        for aid, e in _entries(r for r in self.store.read_raw(upto=upto) if r[1] in self.types):
            groups.setdefault(aid, []).append(e)
        tables, events = self._tables(), 0
        for aid in sorted(groups):
            entries = groups.pop(aid)
            a = _Alliance(alliance_proj.from_entries(aid, ()), self.rows, self.hist)
            for e in entries:
                self._apply(a, e, tables)
            events += len(entries)
            if events >= self.chunk or not groups:
                yield functools.partial(_write, list(tables.values()), events)
                tables, events = self._tables(), 0

    def _tables(self) -> dict[str, Versioned]:
        out = {}
        if self.rows:
            out = {"now": Versioned("alliance_now", ("alliance_id",), ("party_key", "doc")),
                   "entries": Versioned("alliance_entries", ("alliance_id", "position"), ("raw_end", "doc"))}
        if self.hist:
            out["history"] = Versioned("alliance_history", ("alliance_id", "valid_from"), ("valid_to", "doc"),
                                            derived=("fork", lambda r: fork(r[1], r[2])))
        return out

    def _load(self, conn: Connection, aids: set[str], upto: int) -> None:
        """States of touched alliances not kept from the last batch: folded from their streams."""
        missing = sorted(aids - set(self._cache))
        if not missing:
            return
        # types filtered here, not in SQL: asked for both, SQLite picks the type index over the stream index and
        # reads every alliance event of the log (0.4 s at 1 M events, against 1 ms for ten alliances' streams)
        rows = self.store.read_raw(upto=upto, streams=[f"alliance-{a}" for a in missing], conn=conn)
        groups: dict[str, list[Entry]] = {a: [] for a in missing}
        for aid, e in _entries(r for r in rows if r[1] in self.types):
            if aid in groups:
                groups[aid].append(e)
        for aid, es in groups.items():
            self._cache[aid] = _Alliance(alliance_proj.from_entries(aid, tuple(es)), self.rows, self.hist)

    def _apply(self, a: _Alliance, entry: Entry, t: dict[str, Versioned]) -> None:
        aid = a.id
        before = {e.position: (e.end, a.line(e)) for e in a.entries if e.key == entry.supersedes} \
            if self.rows and entry.type in _BOOKKEEPING else {}
        first = a.first_seen.get(alliance_proj.source_key(entry.citation)) if entry.citation else None
        fast = (entry.end is not None and not a.undated and entry.end >= a.max_end and bool(a.history)
                and entry.type not in _BOOKKEEPING and entry.key not in a.retracted and entry.key not in a.corrections)
        a.add(entry)
        p = entry.position
        if self.rows:
            self._rows(aid, a, entry, t, p, before)
        if self.hist:
            self._history(aid, a, entry, t["history"], p, fast, first)

    def _rows(self, aid: str, a: _Alliance, entry: Entry, t: dict[str, Versioned], p: int,
              before: dict[int, tuple[str | None, Doc]]) -> None:
        """The alliance's row and its timeline lines: the new entry's, and those of the entry it supersedes."""
        new = a.now_doc()
        t["now"].change((aid,), _now_row(a.now) if a.now else None, _now_row(new), p)
        a.now = new
        t["entries"].change((aid, p), None, (entry.end, a.line(entry)), p)
        for e in a.entries if before else ():  # only a retraction or correction re-renders earlier lines
            if e.position in before:
                t["entries"].change((aid, e.position), before[e.position], (e.end, a.line(e)), p)

    def _history(self, aid: str, a: _Alliance, entry: Entry, t: Versioned, p: int, fast: bool,
                 first: str | None) -> None:
        if fast:
            last = a.last_from()
            new: dict[str, tuple[str, Doc]] = {entry.end: (END_OF_TIME, a.doc())}  # type: ignore[dict-item]
            if entry.end != last:
                new[last] = (entry.end, a.history[last][1])  # type: ignore[assignment]
        else:
            late = self._late(a, entry, first)
            new = late if late is not None else {f: (to, d) for f, to, d in history(a.state())}
            for f in set() if late is not None else set(a.history) - set(new):
                t.change((aid, f), a.history.pop(f), None, p)
        for f, row in new.items():
            t.change((aid, f), a.history.get(f), row, p)
            a.history[f] = row
            if a._last is not None and f > a._last:
                a._last = f

    @staticmethod
    def _late(a: _Alliance, e: Entry, first: str | None) -> dict[str, tuple[str, Doc]] | None:
        """The history rows a late, dated, live entry changes, counted from its day on without
        refolding (None when that shortcut does not apply: undated entries, corrections, an earlier
        report). `first`: the earliest last day of another entry citing the same source."""
        points = sorted(a.history)
        if (not points or a.undated or e.end is None or e.type in _BOOKKEEPING or e.key in a.retracted
                or a.corrections or (e.type == "AllianceReported" and e.end < points[0])):
            return None
        src = e.citation is not None
        out: dict[str, tuple[str, Doc]] = {}
        if e.end > points[0] and e.end not in a.history:
            before = max(f for f in points if f < e.end)
            to, doc = a.history[before]
            out[before] = (e.end, doc)
            out[e.end] = (to, doc)
            points = sorted([*points, e.end])
        for f in points:
            if f >= e.end:
                to, doc = out.get(f) or a.history[f]
                out[f] = (to, absorb_doc(doc, e, src and (first is None or first > f)))
        return out


def _write(tables: list[Versioned], events: int, conn: Connection) -> int:
    for t in tables:
        t.flush(conn)
    return events


def _entries(rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[str, Entry]]:
    """(alliance id, timeline entry) of each alliance event among raw rows, without typed decoding."""
    dates: dict[tuple[str, str], tuple[str | None, str | None, str | None]] = {}
    undated = alliance_proj.date_strings(None)
    for pos, typ, sv, payload, vfrom, vprec, at, key, _stream, _version in rows:
        p = orjson.loads(payload)
        if sv != REGISTRY[typ].schema_version:
            p = upcast(typ, sv, p)
        aid = p.get("alliance_id")
        if not aid:
            continue
        strings = undated
        if vfrom:
            strings = dates.get((vfrom, vprec))  # type: ignore[assignment]
            if strings is None:
                strings = dates[(vfrom, vprec)] = alliance_proj.date_strings(
                    FuzzyDate(date.fromisoformat(vfrom), Precision(vprec)))
        yield aid, alliance_proj.entry_from(pos, key, typ, strings, at, p)


# --- companies ------------------------------------------------------------------------------


class CompanyProjection:
    """Subscriber writing `company_now`: names, aliases and milestones of each company."""

    name = "companies"
    replayable = True
    types = company_proj.COMPANY_EVENT_TYPES

    def reset(self, conn: Connection) -> None:
        conn.exec_driver_sql("DELETE FROM company_now")

    def handle(self, conn: Connection, batch: Batch) -> None:
        if not batch.rows:
            return
        recs = batch.records
        states = _open_companies(conn, {r.event.company_id for r in recs})  # type: ignore[attr-defined]
        docs = {cid: company_doc(s) for cid, s in states.items()}
        t = Versioned("company_now", ("company_id",), ("doc",))
        for rec in recs:
            cid = rec.event.company_id  # type: ignore[attr-defined]
            states[cid] = company_proj.fold(states.get(cid), rec)
            new = company_doc(states[cid])
            t.change((cid,), (docs[cid],) if cid in docs else None, (new,), rec.position)
            docs[cid] = new
        t.flush(conn)


def _open_companies(conn: Connection, ids: set[str]) -> dict[str, CompanyState]:
    out: dict[str, CompanyState] = {}
    items = sorted(ids)
    ph = "%s" if conn.dialect.name == "postgresql" else "?"
    cur = conn.connection.cursor()
    try:
        for i in range(0, len(items), 500):
            chunk = items[i : i + 500]
            cur.execute(f"SELECT doc FROM company_now WHERE recorded_to = {OPEN} AND company_id IN"
                        f" ({', '.join([ph] * len(chunk))})", tuple(chunk))
            for (doc,) in cur.fetchall():
                c = company_from_doc(orjson.loads(doc))
                out[c.company_id] = c
    finally:
        cur.close()
    return out
