"""The append-only event store, one code path for SQLite and PostgreSQL.

Appends are serialised (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory
lock) so positions are gap-free and become visible in order: a reader tailing
`position > last` never skips an event that commits late.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator, Mapping, Sequence

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from .codec import GENESIS, HASH_VERSION, V2_COLUMNS, canonical_json, chain_hash_v2, row_hash
from .envelope import NewEvent, Recorded
from .errors import ChainBroken, ConcurrencyError, StoreUnavailable
from .schema import ADD_HASH_VERSION, METADATA, POSTGRES_GUARDS, SQLITE_GUARDS, EventRow
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


def utc_stamp(t: datetime) -> str:
    """The one spelling of a transaction time: UTC, microseconds, 'Z'."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        key = n.idempotency_key or default_key(stream, n.event.type_name, payload_json, str(n.valid) if n.valid else None)
        return n, stream, payload_json, key, payload.get("citation")

    def _append_locked(self, conn: Connection, prepared: list[tuple[NewEvent, str, str, str, Any]], expected: dict[str, int]) -> list[Recorded]:
        if self.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
        keys = [p[3] for p in prepared]
        stored = self._by_keys(conn, keys)
        fresh = [p for p in prepared if p[3] not in stored]
        position, prev_hash, last_at = self._tail(conn)
        versions = self._versions_for(conn, {p[1] for p in fresh} | set(expected), prev_hash)
        for stream, want in expected.items():
            if fresh and versions.get(stream, 0) != want:
                raise ConcurrencyError(stream, want, versions.get(stream, 0))
        now = utc_stamp(datetime.now(timezone.utc))
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
            out[key] = Recorded(position, stream, version, n.event.type_name, n.event.schema_version, n.event,
                                n.valid, recorded_at, key, citation, row[-2], prev_hash)
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

    def _row(self, n: NewEvent, stream: str, version: int, payload_json: str, key: str, position: int, prev: str,
             recorded_at: str, citation: dict[str, Any] | None) -> tuple[Any, ...]:
        v = n.valid
        cols = (position, stream, version, n.event.type_name, n.event.schema_version, payload_json,
                str(v) if v else None, v.start.isoformat() if v else None, v.end.isoformat() if v else None,
                v.precision.value if v else None, recorded_at, canonical_json(citation) if citation else None, key)
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
            position=row["position"], stream_id=row["stream_id"], stream_version=row["stream_version"],
            type=row["type"], schema_version=row["schema_version"], event=event, valid=valid,
            recorded_at=row["recorded_at"], idempotency_key=row["idempotency_key"],
            provenance=json.loads(prov) if isinstance(prov, str) else prov,
            prev_hash=row["prev_hash"], hash=row["hash"],
        )

    def _by_keys(self, conn: Connection, keys: list[str]) -> dict[str, Recorded]:
        found: dict[str, Recorded] = {}
        for i in range(0, len(keys), 500):
            chunk = tuple(keys[i : i + 500])
            sql = f"SELECT {_COLUMNS} FROM events WHERE idempotency_key IN ({', '.join([self._ph] * len(chunk))})"
            for r in conn.exec_driver_sql(sql, chunk).mappings():
                found[r["idempotency_key"]] = self._recorded(r)
        return found

    def _stream_versions(self, conn: Connection, streams: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        items = sorted(streams)
        for i in range(0, len(items), 500):
            chunk = tuple(items[i : i + 500])
            sql = (f"SELECT stream_id, MAX(stream_version) FROM events WHERE stream_id IN"
                   f" ({', '.join([self._ph] * len(chunk))}) GROUP BY stream_id")
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
        row = conn.exec_driver_sql("SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1").first()
        return (int(row[0]), row[1], row[2]) if row else (0, GENESIS, None)

    def write(self) -> _Tx:
        """A write transaction for read-model maintenance (same locking discipline)."""
        return self._write()

    def _write(self) -> _Tx:
        """A write transaction that holds the appenders' lock on SQLite from its first statement."""
        conn = self.engine.connect().execution_options(sqlite_immediate=True)
        return _Tx(conn)

    # --- reading --------------------------------------------------------------------

    def read(self, *, after: int = 0, upto: int | None = None, types: Sequence[str] | None = None,
             streams: Sequence[str] | None = None, batch: int = 10_000,
             conn: Connection | None = None) -> Iterator[Recorded]:
        """Every event with after < position <= upto (optionally only these types / streams), in position order."""
        if types is not None and not types or streams is not None and not streams:
            return
        last = after
        while True:
            q = f"SELECT {_COLUMNS} FROM events WHERE position > :a"
            params: dict[str, Any] = {"a": last, "n": batch}
            if upto is not None:
                q += " AND position <= :u"
                params["u"] = upto
            for col, values in (("type", types), ("stream_id", streams)):
                if values:
                    names = [f"{col[0]}{i}" for i in range(len(values))]
                    q += f" AND {col} IN ({', '.join(':' + n for n in names)})"
                    params.update(zip(names, values, strict=True))
            if conn is not None:
                rows = conn.execute(text(q + " ORDER BY position LIMIT :n"), params).mappings().all()
            else:
                with self.engine.connect() as c:
                    rows = c.execute(text(q + " ORDER BY position LIMIT :n"), params).mappings().all()
            for r in rows:
                yield self._recorded(r)
            if len(rows) < batch:
                return
            last = rows[-1]["position"]

    def read_rows(self, *, after: int = 0, upto: int | None = None, batch: int = 50_000,
                  conn: Connection | None = None, streams: list[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """Undecoded rows for bulk folds: (position, type, schema_version, payload, valid_from,
        valid_precision, recorded_at, idempotency_key). Skips SQL-layer row objects on purpose."""
        if streams is not None and len(streams) > 500:
            for i in range(0, len(streams), 500):
                yield from self.read_rows(after=after, upto=upto, batch=batch, conn=conn, streams=streams[i : i + 500])
            return
        if streams is not None and not streams:
            return
        sql = (f"SELECT position, type, schema_version, payload, valid_from, valid_precision, recorded_at,"
               f" idempotency_key FROM events WHERE position > {self._ph}"
               + (f" AND position <= {self._ph}" if upto is not None else "")
               + (f" AND stream_id IN ({', '.join([self._ph] * len(streams))})" if streams else "")
               + f" ORDER BY position LIMIT {self._ph}")
        last = after
        while True:
            params = (last, *((upto,) if upto is not None else ()), *(streams or ()), batch)
            if conn is not None:
                rows = self._fetch(conn, sql, params)
            else:
                with self.engine.connect() as c:
                    rows = self._fetch(c, sql, params)
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1][0]

    @staticmethod
    def _fetch(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cur = conn.connection.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()

    def read_stream(self, stream_id: str) -> list[Recorded]:
        """One stream's events in version order."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {_COLUMNS} FROM events WHERE stream_id = :s ORDER BY stream_version"),
                                {"s": stream_id}).mappings().all()
        return [self._recorded(r) for r in rows]

    def get(self, idempotency_key: str) -> Recorded | None:
        """The stored event with this idempotency key, if any."""
        with self.engine.connect() as conn:
            return self._by_keys(conn, [idempotency_key]).get(idempotency_key)

    def stream_version(self, stream_id: str) -> int:
        with self.engine.connect() as conn:
            return self._stream_versions(conn, {stream_id}).get(stream_id, 0)

    def last_position(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT COALESCE(MAX(position), 0) FROM events")).scalar_one())

    def position_at(self, known_at: datetime) -> int:
        """The last position recorded at or before `known_at`: transaction time as a position."""
        with self.engine.connect() as conn:
            q = text("SELECT COALESCE(MAX(position), 0) FROM events WHERE recorded_at <= :t")
            return int(conn.execute(q, {"t": utc_stamp(known_at)}).scalar_one())

    # --- integrity ------------------------------------------------------------------

    def verify(self, batch: int = 20_000, *, upto: int | None = None) -> Verification:
        """Recompute the chain from position 1 (to `upto`); name the first position that does not fit."""
        check = _ChainCheck()
        for row in self._chain_rows(batch=batch, upto=upto):
            fault = check(row)
            if fault:
                return Verification(False, check.checked, *fault)
        return Verification(True, check.checked)

    def read_rows_verified(self, *, batch: int = 50_000, conn: Connection | None = None) -> Iterator[tuple[Any, ...]]:
        """`read_rows()` from position 1, each row checked against the chain before it is yielded.

        Raises ChainBroken (naming the position) at the first row that does not fit, so a fold
        (`alliances rebuild`) never builds read models from a tampered log.
        """
        check = _ChainCheck()
        for row in self._chain_rows(batch=batch, conn=conn):
            fault = check(row)
            if fault:
                raise ChainBroken(*fault)
            yield row[0], row[3], row[4], row[5], row[7], row[9], row[10], row[12]

    def hash_at(self, position: int) -> str | None:
        """The stored hash of the event at `position` (None when there is none): what a checkpoint anchors."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT hash FROM events WHERE position = :p"), {"p": position}).scalar()

    def _chain_rows(self, *, batch: int, conn: Connection | None = None,
                    upto: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Every stored column of every event (up to `upto`), in position order, as plain tuples."""
        sql = (f"SELECT {_CHAIN_COLUMNS} FROM events WHERE position > {self._ph}"
               + (f" AND position <= {self._ph}" if upto is not None else "") + f" ORDER BY position LIMIT {self._ph}")
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


__all__ = ["EventStore", "Verification", "utc_stamp", "default_key"]
