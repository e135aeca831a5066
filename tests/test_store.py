"""The event store's contract, run on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import threading
from datetime import UTC

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.envelope import NewEvent
from events.errors import ConcurrencyError, MalformedEvent
from events.types import AllianceReported
from events.values import FuzzyDate
from tests.factories import CITE, company, reported, staged


def test_positions_are_gap_free_and_start_at_one(store):
    recs = store.append([company("audi"), company("saic-motor"), reported("a--s", ("audi", "saic-motor"))])
    assert [r.position for r in recs] == [1, 2, 3]
    assert store.last_position() == 3


def test_stream_versions_count_per_stream(store):
    store.append([reported("a--b", ("a", "b")), staged("a--b", "established", "2024-06")])
    recs = list(store.read(streams=["alliance-a--b"]))
    assert [r.stream_version for r in recs] == [1, 2]


def test_stored_event_keeps_valid_time_with_precision_and_provenance(store):
    store.append([reported("a--b", ("a", "b"), when="2024-05")])
    (rec,) = list(store.read())
    assert str(rec.valid) == "2024-05" and rec.valid.precision.value == "month"
    assert rec.provenance == {"publisher": "Test Wire", "title": "A report", "published": "2026-01-02", "paragraph": 1}
    assert rec.recorded_at.endswith("Z") and len(rec.prev_hash) == 64 and len(rec.hash) == 64


def test_recorded_at_never_runs_backwards(store):
    for i in range(5):
        store.append([company(f"c{i}")])
    stamps = [r.recorded_at for r in store.read()]
    assert stamps == sorted(stamps)


def test_expected_version_conflict_raises_and_writes_nothing(store):
    store.append([reported("a--b", ("a", "b"))])
    with pytest.raises(ConcurrencyError, match="expected 0"):
        store.append([company("x"), staged("a--b", "production", "2025")], expected={"alliance-a--b": 0})
    assert store.last_position() == 1


def test_expected_version_match_appends(store):
    store.append([reported("a--b", ("a", "b"))])
    recs = store.append([staged("a--b", "production", "2025")], expected={"alliance-a--b": 1})
    assert recs[0].stream_version == 2


def test_a_malformed_event_in_a_batch_writes_nothing(store):
    bad = NewEvent(AllianceReported("a--a", ("a", "a"), "joint_venture", "established", CITE), FuzzyDate.parse("2024"))
    with pytest.raises(MalformedEvent, match="two or more distinct parties"):
        store.append([company("a"), bad])
    assert store.last_position() == 0


def test_unknown_kind_is_refused_with_a_clear_message(store):
    bad = NewEvent(AllianceReported("a--b", ("a", "b"), "merger-ish", "established", CITE))
    with pytest.raises(MalformedEvent, match="unknown kind 'merger-ish'"):
        store.append([bad])


def test_same_idempotency_key_returns_the_stored_event(store):
    first = store.append([reported("a--b", ("a", "b"), key="news:1")])[0]
    again = store.append([reported("a--b", ("a", "b"), when="2025", key="news:1")])[0]
    assert again == first and store.last_position() == 1


def test_identical_claims_without_keys_are_stored_once(store):
    store.append([company("audi", "Audi", "奥迪")])
    store.append([company("audi", "Audi", "奥迪")])
    assert store.last_position() == 1


def test_idempotent_retry_succeeds_even_with_a_stale_expected_version(store):
    store.append([reported("a--b", ("a", "b"), key="k1")], expected={"alliance-a--b": 0})
    recs = store.append([reported("a--b", ("a", "b"), key="k1")], expected={"alliance-a--b": 0})
    assert recs[0].position == 1


def test_database_refuses_raw_update(store):
    store.append([company("audi")])
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET type = 'X' WHERE position = 1"))
    assert list(store.read())[0].type == "CompanyRegistered"


def test_database_refuses_raw_delete(store):
    store.append([company("audi")])
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    assert store.last_position() == 1


def _tamper(store, position: int, payload: str) -> None:
    """Bypass the guard the way an attacker with DBA rights could."""
    with store.engine.begin() as conn:
        if store.is_postgres:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_update"))
            conn.execute(text("UPDATE events SET payload = :p WHERE position = :n"), {"p": payload, "n": position})
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER events_no_update"))
            conn.execute(text("UPDATE events SET payload = :p WHERE position = :n"), {"p": payload, "n": position})


def test_verify_passes_on_an_intact_chain(store):
    store.append([company(f"c{i}") for i in range(10)])
    v = store.verify()
    assert v.ok and v.checked == 10


def test_verify_names_the_first_tampered_position(store):
    store.append([company(f"c{i}") for i in range(10)])
    _tamper(store, 4, json.dumps({"company_id": "evil", "name": "Evil", "name_zh": "x"}))
    v = store.verify()
    assert not v.ok and v.first_bad_position == 4


def test_position_at_maps_transaction_time_to_a_position(store):
    from datetime import datetime, timedelta

    store.append([company("a")])
    first = list(store.read())[0]
    t1 = datetime.fromisoformat(first.recorded_at.replace("Z", "+00:00"))
    store.append([company("b")])
    assert store.position_at(t1) == 1
    assert store.position_at(t1 - timedelta(days=1)) == 0
    assert store.position_at(datetime.now(UTC) + timedelta(days=1)) == 2


def test_upcaster_lifts_a_v1_payload_on_read(store):
    from tests.conftest import REPO

    old = json.loads((REPO / "tests/fixtures/old_payloads.json").read_text())["AllianceReported"]["1"]
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO events (position, stream_id, stream_version, type, schema_version, payload, recorded_at,"
            " idempotency_key, prev_hash, hash) VALUES (1, 'alliance-audi--saic-motor', 1, 'AllianceReported', 1,"
            " :p, '2026-01-01T00:00:00.000000Z', 'old:1', :z, :z)"), {"p": json.dumps(old), "z": "0" * 64})
    (rec,) = list(store.read())
    assert rec.event.parties == ("audi", "saic-motor") and rec.schema_version == 1


def test_two_concurrent_writers_one_wins_and_positions_stay_gap_free(store):
    store.append([reported("a--b", ("a", "b"))])
    results: list[str] = []
    barrier = threading.Barrier(2)

    def writer(i: int) -> None:
        barrier.wait()
        try:
            store.append([staged("a--b", "production", f"202{i}")], expected={"alliance-a--b": 1})
            results.append("ok")
        except ConcurrencyError:
            results.append("conflict")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert [r.position for r in store.read()] == [1, 2]


def test_many_writers_and_a_tailing_reader_see_every_event_in_order(store):
    seen: list[int] = []
    stop = threading.Event()

    def tail() -> None:
        last = 0
        while not stop.is_set() or last < store.last_position():
            for rec in store.read(after=last):
                assert rec.position == last + 1, "a reader skipped a position"
                last = rec.position
                seen.append(last)

    def write(w: int) -> None:
        for i in range(15):
            store.append([company(f"w{w}-{i}"), company(f"w{w}-{i}-b")])

    reader = threading.Thread(target=tail)
    reader.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    assert seen == list(range(1, 121))
    assert store.verify().ok


def test_a_sqlite_connection_goes_back_to_the_pool_with_the_default_page_cache(tmp_path):
    """A catch-up gives its connection a 128 MB page cache; the next user of the pooled connection (a page
    reading the history) must not fill that much."""
    from events.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size = -131072")
        first = conn.connection.dbapi_connection
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is first  # the same pooled connection
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -2000
    engine.dispose()
