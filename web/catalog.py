"""The status table's data: alliance rows per (log position, as_of, known_at), cached in memory.

The Queries port lists the alliances (with their latest event's position and sort keys) and
answers "what is the last position" cheaply; this module adds what the page needs on top
(search text, countries, sort keys) once per log position, so a request only filters, sorts
(from pre-sorted orders) and slices.
"""
from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from .formatting import STAGE_ORDER
from .ports import Json, ListedAlliance, Queries, SortKey
from .searchtext import fold

T = TypeVar("T")
SORTS: dict[str, tuple[str, Callable[[Row], Any]]] = {
    "name": ("Name", lambda r: r.name_key()),
    "since": ("Since", lambda r: r._since),
    "updated": ("Last change (date of the event)", lambda r: r._updated),
    "learned": ("Last change (when we learned it)", lambda r: (r._latest, r.name_key())),
    "stage": ("Stage", lambda r: (r._stage, r.name_key())),
    "sources": ("Sources", lambda r: (r.sources, r.name_key())),
}
_FAR = ("9999-12-31", "9999-12-31", 0)
MAX_ROW_HTML = 10_000  # rendered rows a snapshot keeps (~0.9 KB each): every row of 10,000 alliances once


DOC_FIELDS = ("id", "parties", "kinds", "stage", "loi", "since", "updated", "events", "sources", "corroborations")
ROW_FIELDS = ("_party_names", "_countries", "_since", "_updated", "_stage", "_latest", "_names")


class Row(Mapping[str, Any]):
    """One alliance of the status table, read as a mapping: its `state --json` document (DOC_FIELDS, in that
    order) and what filtering and sorting need (ROW_FIELDS, private: a leading '_').

    Slots, not a dict: ~170 bytes a row instead of ~660 (a dict of 20 keys, a search string, a tuple of party ids
    and a sort name, all three derived here when asked for), and a web process holds two snapshots of 10,000
    rows."""

    __slots__ = ("id", "parties", "kinds", "stage", "loi", "since", "updated", "events", "sources", "corroborations",
                 "_party_names", "_countries", "_since", "_updated", "_stage", "_latest", "_names")

    def __init__(self, doc: Mapping[str, Any], party_names: tuple[str, ...], countries: tuple[str, ...],
                 since: SortKey, updated: SortKey, latest: int, names: tuple[str, ...], shared: Shared) -> None:
        self.id: str = doc["id"]
        self.parties: list[Json] = doc["parties"]
        self.kinds: list[str] = shared.list(doc["kinds"])
        self.stage: str | None = shared(doc["stage"])
        self.loi: bool = doc["loi"]
        self.since: str | None = shared(doc["since"])
        self.updated: str | None = shared(doc["updated"])
        self.events: int = doc["events"]
        self.sources: int = doc["sources"]
        self.corroborations: int = doc["corroborations"]
        self._party_names: tuple[str, ...] = party_names
        self._countries: tuple[str, ...] = countries
        self._since: SortKey = since
        self._updated: SortKey = updated
        self._stage: int = STAGE_ORDER.get(self.stage or "", 99)
        self._latest: int = latest
        self._names: tuple[str, ...] = names

    def __getitem__(self, key: str) -> Any:
        return _SLOTS[key].__get__(self, Row)  # KeyError for a field a row does not have

    def __iter__(self) -> Iterator[str]:
        return iter(DOC_FIELDS + ROW_FIELDS)

    def __len__(self) -> int:
        return len(_SLOTS)

    def public(self) -> Json:
        """The `state --json` object of this alliance (DOC_FIELDS)."""
        return {"id": self.id, "parties": self.parties, "kinds": self.kinds, "stage": self.stage, "loi": self.loi,
                "since": self.since, "updated": self.updated, "events": self.events, "sources": self.sources,
                "corroborations": self.corroborations}

    def finds(self, q: str) -> bool:
        """Whether the folded query `q` is in the alliance's id or one of its names (parties' names and aliases,
        in both languages, and its own)."""
        return q in fold(self.id) or any(q in n for n in self._party_names)

    def name_key(self) -> str:
        """How the sorts order rows by name: the parties' names joined, case folded (made per sort order, which a
        snapshot keeps, instead of kept per row)."""
        return " + ".join(p["name"] for p in self.parties).casefold()

    def has_party(self, company_id: str) -> bool:
        return any(p["id"] == company_id for p in self.parties)


_SLOTS: dict[str, Any] = {k: vars(Row)[k] for k in DOC_FIELDS + ROW_FIELDS}  # the slots' own descriptors

@dataclass
class Snapshot:
    """All rows for one (position, as_of, known_at), with facets and lazily sorted orders."""

    position: int
    rows: list[Row]
    companies: list[dict[str, Any]]
    countries: list[str]
    kinds: list[str]
    stages: list[str]
    _orders: dict[str, list[Row]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _latest: list[int] | None = None
    _html: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """A value derived from this snapshot, computed once (e.g. the network layout)."""
        with self._lock:
            if name not in self._memo:
                self._memo[name] = compute()
            found: T = self._memo[name]
            return found

    def changed_since(self, position: int) -> int:
        """How many alliances have an event after `position` (bisect over the sorted latest positions)."""
        if self._latest is None:
            self._latest = sorted(r._latest for r in self.rows)
        return len(self._latest) - bisect_right(self._latest, position)

    def row_html(self, row: Row, tt_query: str, mark: str, render: Callable[..., str]) -> str:
        """A table row's HTML, rendered once per (row, time-travel query, "new" mark) for this snapshot;
        `mark` says what changed since the last visit ('' for nothing)."""
        key = (row.id, tt_query, mark)
        html = self._html.get(key)
        if html is None:
            if len(self._html) > MAX_ROW_HTML:
                self._html.clear()
            html = self._html[key] = render(r=row, tt_query=tt_query, is_new=bool(mark), mark=mark)
        return html

    def ordered(self, key: str, descending: bool) -> list[Row]:
        name = f"{key}:{int(descending)}"
        with self._lock:
            if name not in self._orders:
                fn = SORTS.get(key, SORTS["name"])[1]
                self._orders[name] = sorted(self.rows, key=fn, reverse=descending)
            return self._orders[name]


@dataclass(frozen=True)
class Filters:
    """What the visitor asked for on the status page."""

    q: str = ""
    company: str = ""
    stage: str = ""
    kind: str = ""
    country: str = ""
    changed_after: int | None = None  # only alliances with an event after this log position (the last visit)

    @property
    def active(self) -> bool:
        return any((self.q, self.company, self.stage, self.kind, self.country)) or self.changed_after is not None

    def match(self, rows: Iterable[Row]) -> list[Row]:
        q = fold(self.q)
        company = self.company.strip()
        company_cf = fold(company)
        out = []
        for r in rows:
            if self.changed_after is not None and r._latest <= self.changed_after:
                continue
            if self.stage and r.stage != self.stage:
                continue
            if self.kind and self.kind not in r.kinds:
                continue
            if self.country and self.country not in r._countries:
                continue
            if company and not r.has_party(company) and company_cf not in r._party_names:
                continue
            if q and not r.finds(q):
                continue
            out.append(r)
        return out


def drain(items: list[T]) -> Iterator[T]:
    """The items in order, each let go of by the list as it is handed out: turning a list of 10,000 documents
    into rows never holds both lists whole (the caller gives the list up)."""
    items.reverse()
    while items:
        yield items.pop()


class Shared:
    """One copy of each value that recurs across a snapshot's rows (stages, kinds, dates): decoded documents
    carry a string object of their own per row, ~7 MB of copies in a snapshot of 10,000 alliances.
    The shared values are read, never changed, as the rows' party objects are."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def __call__(self, value: T) -> T:
        found: T = self._values.setdefault(value, value)
        return found

    def list(self, value: list[Any]) -> list[Any]:
        """One list object per distinct content (the kinds of an alliance: a handful of combinations)."""
        found: list[Any] = self._values.setdefault(("list", *value), value)
        return found

    def key(self, key: tuple[str, str, int]) -> tuple[str, str, int]:
        """A sort key (first day, last day, position) with its two dates shared."""
        return (self(key[0]), self(key[1]), key[2])


class Catalog:
    """Caches a few snapshots (the present plus the last asked-for date or time).

    Each snapshot of 10,000 alliances holds ~25 MB of rows, so a web process keeps two at most, and makes
    room before it builds another (not after: the old and the new would be held at once).

    When the log grows by a few events, the present snapshot is updated in place of a rebuild:
    only the alliances those events touch get new rows (and lose their cached HTML).
    """

    MAX_DELTA = 2000

    def __init__(self, queries: Queries, size: int = 2) -> None:
        self.queries = queries
        self.size = size
        self._cache: OrderedDict[tuple[Any, ...], Snapshot] = OrderedDict()
        self._present: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self, as_of: date | None = None, known_at: datetime | None = None) -> Snapshot:
        position = self.queries.position()  # one cheap "last position" query
        key = (position, as_of, known_at)
        present = as_of is None and known_at is None
        with self._lock:
            snap = self._cache.get(key)
            if snap is not None:
                self._cache.move_to_end(key)
                return snap
            snap = self._update(self._present, position) if present and self._present is not None else None
            if snap is None:
                self._make_room(keep=None if present else self._present)
                snap = self._build(position, as_of, known_at)
            if present:
                self._present = snap
            self._cache[key] = snap
            for old in [k for k in self._cache if k[0] != position]:  # older log positions are stale
                del self._cache[old]
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
            return snap

    def _make_room(self, keep: Snapshot | None) -> None:
        """Drop the least recently used snapshots (never `keep`) so that one more fits within `size`."""
        for key in [k for k, v in self._cache.items() if v is not keep][: max(0, len(self._cache) - self.size + 1)]:
            del self._cache[key]
        if keep is None:
            self._present = None

    def _build(self, position: int, as_of: date | None, known_at: datetime | None) -> Snapshot:
        listing = self.queries.listing(as_of, known_at)
        shared = Shared()
        rows = [self._row(a, listing.companies, shared) for a in drain(listing.alliances)]
        return self._finish(position, rows, listing.companies)

    def _update(self, prev: Snapshot, position: int) -> Snapshot | None:
        """The present snapshot moved forward by the events after prev.position (None: rebuild instead)."""
        if position <= prev.position or position - prev.position > self.MAX_DELTA:
            return None
        touched = self.queries.alliances_touched(prev.position, position)
        if touched is None:
            return None  # names changed: many rows differ
        listing = self.queries.listing(only=touched)
        if listing.position != position:
            return None  # the log moved again meanwhile: a plain rebuild is simpler
        fresh = {a.doc["id"]: a for a in listing.alliances}
        by_id = {r.id: r for r in prev.rows}
        shared = Shared()
        for aid in touched:
            found = fresh.get(aid)
            if found is None:
                by_id.pop(aid, None)
            else:
                by_id[aid] = self._row(found, listing.companies, shared)
        snap = self._finish(position, [by_id[k] for k in sorted(by_id)], listing.companies)
        snap._html = {k: v for k, v in prev._html.items() if k[0] not in touched}
        return snap

    @staticmethod
    def _row(listed: ListedAlliance, companies: Mapping[str, Json], shared: Shared) -> Row:
        doc = listed.doc
        names: list[str] = []
        countries: set[str] = set()
        for p in doc["parties"]:
            c = companies.get(p["id"])
            names += [p["id"], p["name"], p["name_zh"]]
            if c is not None:
                names += list(c["aliases"])
                if c["country"]:
                    countries.add(c["country"])
        names += list(listed.names)  # the alliance's own names: HIMA, 鸿蒙智行, Horse Powertrain
        # small tuples, not sets: a row names a few parties, and 10,000 rows make a snapshot
        return Row(doc, tuple(dict.fromkeys(fold(x) for x in names if x)), tuple(sorted(countries)),
                   shared.key(listed.since_key) if listed.since_key else _FAR,
                   shared.key(listed.updated_key) if listed.updated_key else _FAR, listed.latest,
                   tuple(listed.names), shared)

    @staticmethod
    def _finish(position: int, rows: list[Row], companies: Mapping[str, Json]) -> Snapshot:
        used: dict[str, Json] = {}
        for r in rows:
            for p in r.parties:
                if p["id"] not in used:
                    c = companies.get(p["id"])
                    used[p["id"]] = {**p, "country": c["country"] if c else ""}
        return Snapshot(
            position=position, rows=rows,
            companies=sorted(used.values(), key=lambda p: p["name"].casefold()),
            countries=sorted({c for r in rows for c in r._countries}),
            kinds=sorted({k for r in rows for k in r.kinds}),
            stages=sorted({r.stage for r in rows if r.stage}, key=lambda s: STAGE_ORDER.get(s, 99)),
        )
