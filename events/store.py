"""The append-only event store, one code path for SQLite and PostgreSQL.

Appends are serialised (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory
lock) so positions are gap-free and become visible in order: a reader tailing
`position > last` never skips an event that commits late.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from .codec import GENESIS, HASH_VERSION, V2_COLUMNS, canonical_json, chain_hash_v2, row_hash
from .envelope import NewEvent, Recorded
from .errors import ConcurrencyError, StoreUnavailable
from .schema import ADD_HASH_VERSION, ADD_PARTY_KEY, METADATA, POSTGRES_GUARDS, SQLITE_GUARDS, EventRow
from .types import from_payload, to_payload
from .values import FuzzyDate, Precision

EVENTS = EventRow.__table__  # type: ignore[attr-defined]
_ADVISORY_LOCK = 0x616C6C69  # "alli": one lock id for all appenders
_COLUMNS = (
    "position, stream_id, stream_version, type, schema_version, payload, valid, valid_from, valid_to,"
    " valid_precision, recorded_at, provenance, idempotency_key, prev_hash, hash"
)
_CHAIN_COLUMNS = _COLUMNS + ", hash_version"  # what verification reads: every stored column
# the chain hashes rows in this column order: keep _COLUMNS in step with the codec
assert tuple(c.strip() for c in _COLUMNS.split(","))[:13] == V2_COLUMNS
_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))
RAW_COLUMNS = (
    "position",
    "type",
    "schema_version",
    "payload",
    "valid_from",
    "valid_precision",
    "recorded_at",
    "idempotency_key",
    "stream_id",
    "stream_version",
)
_RAW = ", ".join(RAW_COLUMNS)


def utc_stamp(t: datetime) -> str:
    """The one spelling of a transaction time: UTC, microseconds, 'Z'."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_key(stream_id: str, type_name: str, payload_json: str, valid: str | None) -> str:
    """A key derived from the claim itself, so an identical claim is stored once."""
    digest = hashlib.sha256("\x1f".join((stream_id, type_name, payload_json, valid or "")).encode()).hexdigest()
    return f"{type_name}:{digest[:40]}"


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of recomputing the hash chain."""

    ok: bool
    checked: int
    first_bad_position: int | None = None
    reason: str = ""


class EventStore:
    """Append, read and verify events; the only code that writes the `events` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._ph = "%s" if self.is_postgres else "?"  # driver paramstyle: the hot path skips SQL compilation
        self._known: tuple[str, dict[str, int]] = ("", {})
        self._insert_sql = f"INSERT INTO events (hash_version, {_COLUMNS}) VALUES ({', '.join([self._ph] * 16)})"

    # --- schema ---------------------------------------------------------------------

    def migrate(self) -> None:
        """Create tables and append-only triggers; safe to run on every start."""
        try:
            METADATA.create_all(self.engine)
            with self._write() as conn:
                if self.is_postgres:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
                if "hash_version" not in {c["name"] for c in inspect(conn).get_columns("events")}:
                    conn.exec_driver_sql(ADD_HASH_VERSION)
                if "party_key" not in {c["name"] for c in inspect(conn).get_columns("alliance_now")}:
                    for stmt in ADD_PARTY_KEY:
                        conn.exec_driver_sql(stmt)
                for stmt in POSTGRES_GUARDS if self.is_postgres else SQLITE_GUARDS:
                    conn.exec_driver_sql(stmt)
        except DatabaseError as e:  # OperationalError (locked, read-only, full) and "not a database" alike
            raise StoreUnavailable(f"cannot open the database: {str(e.orig).splitlines()[0]}") from e

    # --- writing --------------------------------------------------------------------

    def append(self, new_events: Sequence[NewEvent], *, expected: Mapping[str, int] | None = None) -> list[Recorded]:
        """Append events atomically; returns them as stored, in order.

        `expected` maps stream ids to the version each must be at before this append
        (0: the stream must not exist). A mismatch raises ConcurrencyError and writes
        nothing. An event whose idempotency key is already stored is not written again:
        the stored event is returned in its place.
        """
        if not new_events:
            return []
        prepared = [self._prepare(n) for n in new_events]
        try:
            with self._write() as conn:
                return self._append_locked(conn, prepared, dict(expected or {}))
        except IntegrityError as e:  # only reachable if something bypassed the appenders' lock
            if "stream" in str(e.orig) or "colliding" in str(e.orig):
                raise ConcurrencyError("(a stream of this batch)", -1, -1) from e
            raise

    def _prepare(self, n: NewEvent) -> tuple[NewEvent, str, str, str, Any]:
        n.event.validate()
        payload = to_payload(n.event)
        payload_json = canonical_json(payload)
        stream = n.stream
        key = n.idempotency_key or default_key(
            stream, n.event.type_name, payload_json, str(n.valid) if n.valid else None
        )
        return n, stream, payload_json, key, payload.get("citation")

    def _append_locked(
        self, conn: Connection, prepared: list[tuple[NewEvent, str, str, str, Any]], expected: dict[str, int]
    ) -> list[Recorded]:
        keys = [p[3] for p in prepared]
        stored, (position, prev_hash, last_at) = self._lock_and_look(conn, keys)
        fresh = [p for p in prepared if p[3] not in stored]
        versions = self._versions_for(conn, {p[1] for p in fresh} | set(expected), prev_hash)
        for stream, want in expected.items():
            if fresh and versions.get(stream, 0) != want:
                raise ConcurrencyError(stream, want, versions.get(stream, 0))
        now = utc_stamp(datetime.now(UTC))
        recorded_at = max(now, last_at) if last_at else now  # transaction time never runs backwards
        rows: list[tuple[Any, ...]] = []
        out: dict[str, Recorded] = {}
        for n, stream, payload_json, key, citation in fresh:
            if key in out:  # the same claim twice in one batch: store it once
                continue
            position += 1
            version = versions[stream] = versions.get(stream, 0) + 1
            row = self._row(n, stream, version, payload_json, key, position, prev_hash, recorded_at, citation)
            prev_hash = row[-1]
            rows.append(row)
            out[key] = Recorded(
                position,
                stream,
                version,
                n.event.type_name,
                n.event.schema_version,
                n.event,
                n.valid,
                recorded_at,
                key,
                citation,
                row[-2],
                prev_hash,
            )
        if rows:
            cur = conn.connection.cursor()
            try:
                cur.executemany(self._insert_sql, rows)
            finally:
                cur.close()
            self._known = (prev_hash, versions)  # valid while the chain's tail is the one we wrote
        return [stored.get(k) or out[k] for k in keys]

    def _versions_for(self, conn: Connection, streams: set[str], tail: str) -> dict[str, int]:
        """Current stream versions; served from this process's cache while the tail is ours."""
        known_tail, known = self._known
        if known_tail != tail:
            known = {}
        missing = {s for s in streams if s not in known}
        if missing:
            known = {**known, **self._stream_versions(conn, missing)}
        return dict(known)

    def _row(
        self,
        n: NewEvent,
        stream: str,
        version: int,
        payload_json: str,
        key: str,
        position: int,
        prev: str,
        recorded_at: str,
        citation: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        v = n.valid
        cols = (
            position,
            stream,
            version,
            n.event.type_name,
            n.event.schema_version,
            payload_json,
            str(v) if v else None,
            v.start.isoformat() if v else None,
            v.end.isoformat() if v else None,
            v.precision.value if v else None,
            recorded_at,
            canonical_json(citation) if citation else None,
            key,
        )
        h = chain_hash_v2(prev, cols)
        return (HASH_VERSION, *cols, prev, h)

    @staticmethod
    def _recorded(row: Mapping[str, Any], event: Any = None, provenance: Any = None) -> Recorded:
        valid = None
        if row["valid_from"]:
            valid = FuzzyDate(date.fromisoformat(row["valid_from"]), Precision(row["valid_precision"]))
        if event is None:
            event = from_payload(row["type"], row["schema_version"], json.loads(row["payload"]))
        prov = provenance if provenance is not None else row["provenance"]
        return Recorded(
            position=row["position"],
            stream_id=row["stream_id"],
            stream_version=row["stream_version"],
            type=row["type"],
            schema_version=row["schema_version"],
            event=event,
            valid=valid,
            recorded_at=row["recorded_at"],
            idempotency_key=row["idempotency_key"],
            provenance=json.loads(prov) if isinstance(prov, str) else prov,
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )

    def _lock_and_look(
        self, conn: Connection, keys: list[str]
    ) -> tuple[dict[str, Recorded], tuple[int, str, str | None]]:
        """Take the appenders' lock, then read the stored events with these keys and the chain's tail.

        One round trip for a usual batch: on PostgreSQL the lock and the read go out pipelined (the
        read runs, and takes its snapshot, only once the lock is held); keys and tail are one query.
        """
        if len(keys) > 500:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
            return self._by_keys(conn, keys), self._tail(conn)
        sql = (
            f"SELECT {_COLUMNS}, 0 FROM events WHERE idempotency_key IN ({', '.join([self._ph] * len(keys))})"
            f" UNION ALL SELECT * FROM (SELECT {_COLUMNS}, 1 FROM events ORDER BY position DESC LIMIT 1) t"
        )
        if self.is_postgres:
            raw = conn.connection.driver_connection
            with raw.pipeline():  # type: ignore[union-attr]
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))  # type: ignore[union-attr]
                cur = raw.execute(sql, tuple(keys))  # type: ignore[union-attr]
            rows = cur.fetchall()
        else:
            rows = self._fetch(conn, sql, tuple(keys))
        stored: dict[str, Recorded] = {}
        tail: tuple[int, str, str | None] = (0, GENESIS, None)
        for r in rows:
            if r[-1]:
                tail = (int(r[0]), r[14], r[10])
            else:
                stored[r[12]] = self._recorded(dict(zip(_NAMES, r, strict=False)))
        return stored, tail

    def _by_keys(self, conn: Connection, keys: list[str]) -> dict[str, Recorded]:
        found: dict[str, Recorded] = {}
        for i in range(0, len(keys), 500):
            chunk = tuple(keys[i : i + 500])
            sql = f"SELECT {_COLUMNS} FROM events WHERE idempotency_key IN ({', '.join([self._ph] * len(chunk))})"
            for r in conn.exec_driver_sql(sql, chunk).mappings():
                found[r["idempotency_key"]] = self._recorded(dict(r))
        return found

    def _stream_versions(self, conn: Connection, streams: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        items = sorted(streams)
        for i in range(0, len(items), 500):
            chunk = tuple(items[i : i + 500])
            sql = (
                f"SELECT stream_id, MAX(stream_version) FROM events WHERE stream_id IN"
                f" ({', '.join([self._ph] * len(chunk))}) GROUP BY stream_id"
            )
            cur = conn.connection.cursor()  # plain DB-API rows: this runs on every append
            try:
                cur.execute(sql, chunk)
                for s, v in cur.fetchall():
                    out[s] = int(v)
            finally:
                cur.close()
        return out

    @staticmethod
    def _tail(conn: Connection) -> tuple[int, str, str | None]:
        row = conn.exec_driver_sql(
            "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
        ).first()
        return (int(row[0]), row[1], row[2]) if row else (0, GENESIS, None)

    def write(self) -> _Tx:
        """A write transaction for read-model maintenance (same locking discipline)."""
        return self._write()

    def _write(self) -> _Tx:
        """A write transaction that holds the appenders' lock on SQLite from its first statement."""
        conn = self.engine.connect().execution_options(sqlite_immediate=True)
        return _Tx(conn)

    # --- reading --------------------------------------------------------------------

    def read(
        self,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Iterable[str] | None = None,
        streams: Iterable[str] | None = None,
        limit: int | None = None,
        batch: int = 10_000,
        conn: Connection | None = None,
    ) -> Iterator[Recorded]:
        """Events with after < position <= upto, optionally only these types / streams, in position
        order, at most `limit` of them: the one way to read the log (decoded and upcast)."""
        f = _Filter.of(after, upto, types, streams, limit)
        for rows in self._pages(f, _COLUMNS, batch, conn):
            for r in rows:
                yield self._recorded(dict(zip(_NAMES, r, strict=False)))

    def read_raw(
        self,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Iterable[str] | None = None,
        streams: Iterable[str] | None = None,
        limit: int | None = None,
        batch: int = 50_000,
        conn: Connection | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """The same events undecoded, for bulk folds: tuples of RAW_COLUMNS (no row objects, no JSON)."""
        f = _Filter.of(after, upto, types, streams, limit)
        for rows in self._pages(f, _RAW, batch, conn):
            yield from rows

    def _pages(self, f: _Filter, columns: str, batch: int, conn: Connection | None) -> Iterator[list[tuple[Any, ...]]]:
        """Pages of rows by position (keyset pagination); streams in chunks of 500 are merged in order."""
        if f.streams is not None and not f.streams or f.types is not None and not f.types or f.limit == 0:
            return
        if f.streams is not None and len(f.streams) > 500:
            yield from self._merged(f, columns, batch, conn)
            return
        where, params = f.where(self._ph)
        sql = f"SELECT {columns} FROM events WHERE position > {self._ph}{where} ORDER BY position LIMIT {self._ph}"
        last, left = f.after, f.limit
        while True:
            n = batch if left is None else min(batch, left)
            rows = self._run(conn, sql, (last, *params, n))
            if rows:
                yield rows
            if left is not None:
                left -= len(rows)
            if len(rows) < n or left == 0:
                return
            last = rows[-1][0]

    def _merged(self, f: _Filter, columns: str, batch: int, conn: Connection | None) -> Iterator[list[tuple[Any, ...]]]:
        streams = f.streams or ()
        chunks = [streams[i : i + 500] for i in range(0, len(streams), 500)]
        rows = sorted(
            (
                r
                for c in chunks
                for page in self._pages(f.but(streams=c, limit=None), columns, batch, conn)
                for r in page
            ),
            key=lambda r: r[0],
        )
        yield rows if f.limit is None else rows[: f.limit]

    def _run(self, conn: Connection | None, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if conn is not None:
            return self._fetch(conn, sql, params)
        with self.engine.connect() as c:
            return self._fetch(c, sql, params)

    @staticmethod
    def _fetch(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cur = conn.connection.cursor()
        try:
            cur.execute(sql, params)
            return cast("list[tuple[Any, ...]]", cur.fetchall())  # DB-API rows are tuples already
        finally:
            cur.close()

    def get(self, idempotency_key: str) -> Recorded | None:
        """The stored event with this idempotency key, if any."""
        with self.engine.connect() as conn:
            return self._by_keys(conn, [idempotency_key]).get(idempotency_key)

    def stream_version(self, stream_id: str) -> int:
        with self.engine.connect() as conn:
            return self._stream_versions(conn, {stream_id}).get(stream_id, 0)

    def tail(self, conn: Connection | None = None) -> int:
        """The last position (inside `conn`'s transaction when given)."""
        return int(self._run(conn, "SELECT COALESCE(MAX(position), 0) FROM events", ())[0][0])

    @staticmethod
    def decode(raw: tuple[Any, ...]) -> Recorded:
        """A raw row (RAW_COLUMNS) as a typed, upcast event; hashes are not part of raw rows."""
        pos, typ, sv, payload, vfrom, vprec, at, key, stream, version = raw
        p = orjson.loads(payload)
        valid = FuzzyDate(date.fromisoformat(vfrom), Precision(vprec)) if vfrom else None
        return Recorded(
            pos, stream, version, typ, sv, from_payload(typ, sv, p), valid, at, key, p.get("citation"), "", ""
        )

    def count(self, conn: Connection | None = None) -> int:
        """How many events are stored."""
        return int(self._run(conn, "SELECT COUNT(*) FROM events", ())[0][0])

    def last_position(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT COALESCE(MAX(position), 0) FROM events")).scalar_one())

    def position_at(self, known_at: datetime) -> int:
        """The last position recorded at or before `known_at`: transaction time as a position.

        Transaction time never runs backwards along positions, so this is the last row of the
        `recorded_at` index up to T (one seek; MAX(position) would scan the range)."""
        with self.engine.connect() as conn:
            q = text(
                "SELECT position FROM events WHERE recorded_at <= :t ORDER BY recorded_at DESC, position DESC LIMIT 1"
            )
            row = conn.execute(q, {"t": utc_stamp(known_at)}).first()
            return int(row[0]) if row else 0

    # --- integrity ------------------------------------------------------------------

    def verify(self, batch: int = 20_000, *, upto: int | None = None) -> Verification:
        """Recompute the chain from position 1 (to `upto`); name the first position that does not fit."""
        check = _ChainCheck()
        for row in self._chain_rows(batch=batch, upto=upto):
            fault = check(row)
            if fault:
                return Verification(False, check.checked, *fault)
        return Verification(True, check.checked)

    def hash_at(self, position: int) -> str | None:
        """The stored hash of the event at `position` (None when there is none): what a checkpoint anchors."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT hash FROM events WHERE position = :p"), {"p": position}).scalar()

    def _chain_rows(
        self, *, batch: int, conn: Connection | None = None, upto: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Every stored column of every event (up to `upto`), in position order, as plain tuples."""
        sql = (
            f"SELECT {_CHAIN_COLUMNS} FROM events WHERE position > {self._ph}"
            + (f" AND position <= {self._ph}" if upto is not None else "")
            + f" ORDER BY position LIMIT {self._ph}"
        )
        last = 0
        while True:
            params = (last, *((upto,) if upto is not None else ()), batch)
            if conn is not None:
                rows = self._fetch(conn, sql, params)
            else:
                with self.engine.connect() as c:
                    rows = self._fetch(c, sql, params)
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1][0]


class _ChainCheck:
    """Walks the chain row by row: gap-free positions, linked hashes, each hash recomputed under its version.

    Hash versions never go down along the chain, so a tamperer cannot relabel an event as version 1 to
    escape what version 2 covers.
    """

    def __init__(self) -> None:
        self.prev, self.expected, self.version, self.checked = GENESIS, 1, 1, 0

    def __call__(self, row: tuple[Any, ...]) -> tuple[int, str] | None:
        """None when `row` (the `_CHAIN_COLUMNS` tuple) fits; else (position, reason)."""
        pos, prev_hash, h, version = row[0], row[13], row[14], row[15]
        if pos != self.expected:
            return self.expected, f"position {self.expected} is missing"
        if prev_hash != self.prev:
            return pos, "previous-hash link broken"
        if version < self.version:
            return pos, f"hash version {version} after version {self.version} (a downgrade)"
        want = row_hash(version, self.prev, row)
        if want is None:
            return pos, f"unknown hash version {version}"
        if want != h:
            return pos, "content does not match its hash"
        self.prev, self.expected, self.version, self.checked = h, pos + 1, version, self.checked + 1
        return None


@dataclass(frozen=True, slots=True)
class _Filter:
    """What a read asks for, turned into one WHERE clause with driver placeholders."""

    after: int
    upto: int | None
    types: tuple[str, ...] | None
    streams: tuple[str, ...] | None
    limit: int | None

    @classmethod
    def of(
        cls, after: int, upto: int | None, types: Iterable[str] | None, streams: Iterable[str] | None, limit: int | None
    ) -> _Filter:
        return cls(
            after,
            upto,
            tuple(sorted(set(types))) if types is not None else None,
            tuple(sorted(set(streams))) if streams is not None else None,
            limit,
        )

    def but(self, **changes: Any) -> _Filter:
        return _Filter(**{**{k: getattr(self, k) for k in self.__slots__}, **changes})

    def where(self, ph: str) -> tuple[str, tuple[Any, ...]]:
        sql, params = "", list[Any]()
        if self.upto is not None:
            sql += f" AND position <= {ph}"
            params.append(self.upto)
        for col, values in (("type", self.types), ("stream_id", self.streams)):
            if values is not None:
                sql += f" AND {col} IN ({', '.join([ph] * len(values))})"
                params += values
        return sql, tuple(params)


class _Tx:
    """Context manager: commit on success, roll back on any error, always close."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        try:
            self.conn.begin()
        except OperationalError as e:
            self.conn.close()
            raise StoreUnavailable(f"cannot start a write transaction: {str(e.orig).splitlines()[0]}") from e
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        try:
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.close()


__all__ = ["EventStore", "RAW_COLUMNS", "Verification", "utc_stamp", "default_key"]
