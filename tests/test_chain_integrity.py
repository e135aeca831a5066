"""Hardening of the log (issue 10, findings 2 and 3), on SQLite and PostgreSQL.

The hash covers every stored column a read uses, older logs keep verifying under their hash version,
SQLite's INSERT OR REPLACE cannot get past the append-only guard, and a rebuild refuses a broken chain.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.codec import GENESIS, chain_hash
from events.engine import make_engine
from events.errors import ChainBroken
from events.queries import Queries
from events.store import EventStore
from events.subscribers import REGISTRY
from service.migrations import ensure
from tests.factories import company, reported

ALLIANCES = str(Path(sys.executable).parent / "alliances")


def _raw_update(store: EventStore, sql: str, params: dict) -> None:
    """Edit a stored row the way someone with database rights could (guard switched off)."""
    with store.engine.begin() as conn:
        if store.is_postgres:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_update"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
            conn.execute(text(sql), params)


def _three_events(store: EventStore) -> None:
    store.append([company("audi"), company("saic-motor"), reported("audi--saic-motor", ("audi", "saic-motor"))])


@pytest.mark.parametrize("column, value", [
    ("valid_from", "2030-01-01"),
    ("valid_to", "2030-12-31"),
    ("valid_precision", "year"),
    ("provenance", json.dumps({"publisher": "x", "title": "t", "url": "javascript:alert(1)"})),
])
def test_a_raw_edit_of_any_read_column_breaks_the_chain(store, column, value):
    _three_events(store)
    _raw_update(store, f"UPDATE events SET {column} = :v WHERE position = 3", {"v": value})
    v = store.verify()
    assert not v.ok and v.first_bad_position == 3 and "hash" in v.reason


def test_new_events_are_chained_with_hash_version_2(store):
    _three_events(store)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT DISTINCT hash_version FROM events")).scalars().all() == [2]
    assert store.verify().ok


def _legacy_log(url: str) -> None:
    """A log as the landed code wrote it: no hash_version column, version 1 hashes."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE events (position BIGINT PRIMARY KEY, stream_id TEXT NOT NULL,"
            " stream_version INTEGER NOT NULL,"
            " type TEXT NOT NULL, schema_version INTEGER NOT NULL, payload TEXT NOT NULL, valid TEXT, valid_from TEXT,"
            " valid_to TEXT, valid_precision TEXT, recorded_at TEXT NOT NULL, provenance TEXT,"
            " idempotency_key TEXT NOT NULL UNIQUE, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
            " CONSTRAINT uq_events_stream_version UNIQUE (stream_id, stream_version))"))
        prev = GENESIS
        for pos, cid in enumerate(("audi", "saic-motor"), 1):
            payload = json.dumps({"company_id": cid, "name": cid.title(), "name_zh": cid}, sort_keys=True,
                                 separators=(",", ":"))
            at, key = f"2026-01-0{pos}T00:00:00.000000Z", f"legacy:{pos}"
            h = chain_hash(prev, pos, f"company-{cid}", 1, "CompanyRegistered", 1, payload, None, at, key)
            conn.execute(text(
                "INSERT INTO events (position, stream_id, stream_version, type, schema_version, payload, recorded_at,"
                " idempotency_key, prev_hash, hash)"
                " VALUES (:p, :s, 1, 'CompanyRegistered', 1, :pl, :at, :k, :prev, :h)"),
                {"p": pos, "s": f"company-{cid}", "pl": payload, "at": at, "k": key, "prev": prev, "h": h})
            prev = h
    engine.dispose()


def test_a_log_written_before_hash_versions_keeps_verifying_and_grows_with_version_2(db_url):
    _legacy_log(db_url)
    store = EventStore(make_engine(db_url))
    ensure(store, migrate=True)  # `alliances db upgrade`: the baseline revision adds the column
    try:
        assert store.verify().ok
        store.append([company("xpeng")])
        with store.engine.connect() as conn:
            versions = conn.execute(text("SELECT hash_version FROM events ORDER BY position")).scalars().all()
        assert versions == [1, 1, 2]
        v = store.verify()
        assert v.ok and v.checked == 3
    finally:
        store.engine.dispose()


def test_relabelling_a_version_2_event_as_version_1_is_caught(store):
    _three_events(store)
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM events WHERE position = 3")).mappings().one()
    forged = chain_hash(row["prev_hash"], 3, row["stream_id"], row["stream_version"], row["type"],
                        row["schema_version"], row["payload"], row["valid"], row["recorded_at"],
                        row["idempotency_key"])
    _raw_update(store, "UPDATE events SET hash_version = 1, valid_from = '2030-01-01', hash = :h WHERE position = 3",
                {"h": forged})
    v = store.verify()
    assert not v.ok and v.first_bad_position == 3 and "downgrade" in v.reason


def _replace_sql(store: EventStore) -> str:
    cols = ("position, stream_id, stream_version, type, schema_version, payload, recorded_at, idempotency_key,"
            " prev_hash, hash")
    values = "VALUES (2, 'company-evil', 1, 'CompanyRegistered', 1, '{}', 'x', 'evil:1', 'p', 'h')"
    if store.is_postgres:
        return (f"INSERT INTO events ({cols}) {values} ON CONFLICT (position) DO UPDATE SET"
                " stream_id = excluded.stream_id, payload = excluded.payload")
    return f"INSERT OR REPLACE INTO events ({cols}) {values}"


def test_insert_or_replace_cannot_overwrite_a_stored_event(store):
    _three_events(store)
    before = [r.to_json() for r in store.read()]
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(_replace_sql(store)))
    assert [r.to_json() for r in store.read()] == before and store.verify().ok


@pytest.fixture
def sqlite_store(sqlite_url):  # type: ignore[no-untyped-def]
    s = EventStore(make_engine(sqlite_url))
    s.migrate()
    yield s
    s.engine.dispose()


@pytest.mark.parametrize("clash", ["idempotency_key", "stream"])
def test_a_sqlite_insert_colliding_on_any_unique_key_is_refused(sqlite_store, clash):
    store = sqlite_store  # on PostgreSQL, ON CONFLICT DO UPDATE is the UPDATE trigger's case (test above)
    _three_events(store)
    key = list(store.read())[0].idempotency_key if clash == "idempotency_key" else "fresh:1"
    stream = "company-audi" if clash == "stream" else "company-new"
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(
            "INSERT OR REPLACE INTO events (position, stream_id, stream_version, type, schema_version, payload,"
            " recorded_at, idempotency_key, prev_hash, hash) VALUES (4, :s, 1, 'X', 1, '{}', 'x', :k, 'p', 'h')"),
            {"s": stream, "k": key})
    assert store.last_position() == 3 and store.verify().ok


def test_rebuild_refuses_a_tampered_log_and_names_the_position(store):
    _three_events(store)
    runner = REGISTRY.runner(store)
    runner.rebuild()
    before = (runner.checkpoints(), Queries(store, follow=False).alliances(), Queries(store, follow=False).companies())
    _raw_update(store, "UPDATE events SET valid_from = '2030-01-01' WHERE position = 3", {})
    with pytest.raises(ChainBroken, match="position 3"):
        runner.rebuild()
    after = (runner.checkpoints(), Queries(store, follow=False).alliances(), Queries(store, follow=False).companies())
    assert after == before  # nothing was dropped or refolded


def test_cli_verify_catches_a_moved_valid_date(tmp_path, db_url):
    env = {**os.environ, "ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url}
    assert subprocess.run([ALLIANCES, "seed"], env=env, capture_output=True, timeout=120).returncode == 0
    store = EventStore(make_engine(db_url))
    try:
        _raw_update(store, "UPDATE events SET valid_from = '2030-01-01', valid_to = '2030-12-31'"
                           " WHERE position = (SELECT MIN(position) FROM events WHERE valid_from IS NOT NULL)", {})
    finally:
        store.engine.dispose()
    out = subprocess.run([ALLIANCES, "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "BROKEN at position" in out.stderr
    rebuilt = subprocess.run([ALLIANCES, "rebuild"], env=env, capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode != 0 and "broken at position" in rebuilt.stderr and "Traceback" not in rebuilt.stderr
