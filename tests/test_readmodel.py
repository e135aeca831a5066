"""The bitemporal read model: its rows equal the pure folds, whatever way they were written.

- pure: each valid-time history row equals `alliance.at(state, D)` for the dates it covers;
- on SQLite and PostgreSQL: catch-up in chunks by the runner == a rebuild (table for table)
  == a fold of the log in shuffled order; and every SQL answer as of D, known at T, or both
  equals the fold of the log filtered to what was known at T, viewed as of D.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.envelope import NewEvent, Recorded
from events.landscape import Landscape
from events.projections import alliance
from events.queries import Queries, alliance_json
from events.rows import company_doc, history, now_doc
from events.schema import END_OF_TIME
from events.subscribers import REGISTRY
from events.types import CompanyRegistered
from events.values import parse_instant
from tests.test_projections import event_logs

TABLES = {"alliance_now": "alliance_id, recorded_from", "alliance_history": "alliance_id, valid_from, recorded_from",
          "alliance_entries": "alliance_id, position, recorded_from", "company_now": "company_id, recorded_from"}
DAYS = st.dates(date(2018, 6, 1), date(2027, 6, 30))
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def _reference_docs(model: Landscape, day: date | None) -> list[dict[str, Any]]:
    companies = {c: company_doc(s) for c, s in model.companies.items()}
    views = model.as_of(day)
    return [alliance_json(now_doc(v), companies) for _, v in sorted(views.items())]


def _edges(log: list[Recorded]) -> list[date]:
    """Dates where answers change, and the days either side of them."""
    out = []
    for r in log:
        if r.valid:
            out += [r.valid.end - timedelta(days=1), r.valid.end, r.valid.end + timedelta(days=1)]
    return out


# --- pure --------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(log=event_logs(), days=st.lists(DAYS, max_size=4))
def test_history_rows_equal_the_state_as_of_every_date(log, days):
    model = Landscape().apply_all(log)
    for s in model.alliances.values():
        rows = history(s)
        for f, t, _ in rows:
            assert f < t
        assert [t for _, t, _ in rows] == [f for f, _, _ in rows[1:]] + ([END_OF_TIME] if rows else [])
        for d in _edges(log) + days:
            view = alliance.at(s, d)
            found = [doc for f, t, doc in rows if f <= d.isoformat() < t]
            assert found == ([now_doc(view)] if view else [])


# --- in the database ------------------------------------------------------------------------


def _fresh_store(url: str):  # type: ignore[no-untyped-def]
    """An empty store per example: a new SQLite file, or a new PostgreSQL schema in the test database."""
    from events.engine import make_engine
    from events.store import EventStore

    if url.startswith("sqlite"):
        url = url.replace(".db", f"-{uuid.uuid4().hex[:8]}.db")
    else:
        schema = f"s_{uuid.uuid4().hex[:10]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        admin.dispose()
        url = f"{url}?options=-csearch_path%3D{schema}"
    store = EventStore(make_engine(url))
    store.migrate()
    return store


def _new_events(log: list[Recorded]) -> list[NewEvent]:
    names = [NewEvent(CompanyRegistered(c, c.upper(), f"{c}-zh", country="CN"), idempotency_key=f"co:{c}")
             for c in "abcd"]
    return names + [NewEvent(r.event, r.valid, r.idempotency_key) for r in log]


def _tables(store) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY {order}")]
                for t, order in TABLES.items()}


def _known_states(store, log, cuts, days):  # type: ignore[no-untyped-def]
    """Append the log's events in transactions ending at each cut; then, for everything known and as known at the
    end of each transaction: (its recorded time, that as a datetime, the reference fold of what was known, the
    dates worth asking about)."""
    events, start, stamps = _new_events(log), 0, []
    for cut in sorted(set(cuts) | {len(events)}):
        recs = store.append(events[start:cut])
        if recs:
            stamps.append(recs[-1].recorded_at)
        start = cut
    stored = list(store.read())
    probe = sorted(set(_edges(log)[:12] + days))
    for t in [None, *stamps]:
        known_at = parse_instant(t) if t else None
        upto = store.position_at(known_at) if known_at else len(stored)
        yield t, known_at, Landscape().apply_all(stored[:upto]), probe


@SLOW
@given(log=event_logs(), cuts=st.lists(st.integers(1, 44), max_size=4), batch=st.integers(1, 7),
       seed=st.integers(0, 1000))
def test_incremental_catch_up_equals_a_rebuild_equals_a_shuffled_fold(db_url, log, cuts, batch, seed):
    store = _fresh_store(db_url)
    runner = REGISTRY.runner(store, batch=batch)
    events = _new_events(log)
    start = 0
    for cut in sorted(set(cuts) | {len(events)}):
        store.append(events[start:cut])
        runner.catch_up()
        start = cut
    incremental = _tables(store)
    answer = Queries(store, follow=False).alliances()
    runner.rebuild()
    assert _tables(store) == incremental
    stored = list(store.read())
    shuffled = stored[:]
    random.Random(seed).shuffle(shuffled)
    bookkeeping = [r for r in shuffled if r.type in ("ReportRetracted", "ReportCorrected")]
    model = Landscape().apply_all([r for r in shuffled if r not in bookkeeping] + bookkeeping)
    assert answer == _reference_docs(model, None)
    store.engine.dispose()


@SLOW
@given(log=event_logs(), cuts=st.lists(st.integers(1, 44), min_size=1, max_size=4), days=st.lists(DAYS, max_size=3))
def test_as_of_and_known_at_answers_equal_folding_the_filtered_log(db_url, log, cuts, days):
    store = _fresh_store(db_url)
    q = Queries(store)
    for t, known_at, model, probe in _known_states(store, log, cuts, days):
        for d in [None, *probe]:
            assert q.alliances(as_of=d, known_at=known_at) == _reference_docs(model, d), (t, d)
        for aid, s in model.alliances.items():
            got = q.alliance(aid, known_at=known_at)
            assert (got is None) == (not s.reported)
    store.engine.dispose()


def test_one_alliance_with_its_timeline_as_of_a_date_and_known_at_a_time(store):
    """The single-alliance answer picks the interval holding D and the entries known at T."""
    from tests.factories import reported, staged

    first = store.append([reported("a--b", ("a", "b"), when="2024-05")])
    store.append([staged("a--b", "production", "2025-03")])
    q = Queries(store)
    now = q.alliance("a--b")
    assert now is not None
    assert now["stage"] == "production" and [e["type"] for e in now["timeline"]] == ["AllianceReported", "StageChanged"]
    then = q.alliance("a--b", as_of=date(2024, 12, 1))
    assert then is not None
    assert then["stage"] == "agreement_signed" and len(then["timeline"]) == 1 and then["events"] == 1
    known = q.alliance("a--b", known_at=parse_instant(first[0].recorded_at))
    assert known is not None
    assert known["stage"] == "agreement_signed" and len(known["timeline"]) == 1
    assert q.alliance("a--b", as_of=date(2024, 5, 30)) is None


def test_a_fresh_process_answers_from_the_tables_without_reading_the_log(store, monkeypatch):
    """Once the read model is current, answering reads no event: no fold of the log per process."""
    from tests.factories import company, reported

    store.append([company("a"), company("b"), reported("a--b", ("a", "b"), when="2024-05")])
    REGISTRY.runner(store).catch_up()
    q = Queries(store)
    monkeypatch.setattr(store, "read", lambda *a, **k: (_ for _ in ()).throw(AssertionError("read the log")))
    monkeypatch.setattr(store, "read_raw", lambda *a, **k: (_ for _ in ()).throw(AssertionError("read the log")))
    assert [a["id"] for a in q.alliances(as_of=date(2024, 6, 1))] == ["a--b"]
    doc = q.company("a")
    assert doc is not None and doc["alliances"][0]["id"] == "a--b"


def test_stage_spans_are_the_history_intervals_as_known_at_a_time(store):
    """The landscape timeline's bars: each alliance's (valid_from, valid_to, stage, loi), earliest first, for
    the ids asked (more than one statement's worth of them), as the log knew them."""
    from tests.factories import reported, staged

    first = store.append([reported("a--b", ("a", "b"), when="2024-05"), reported("c--d", ("c", "d"), when="2025")])
    store.append([staged("a--b", "production", "2025-03")])
    q = Queries(store)
    many = ["a--b", *(f"x{i}" for i in range(1200)), "c--d"]  # unknown ids are left out, not an error
    assert q.stage_spans(many) == {
        "a--b": [("2024-05-31", "2025-03-31", "agreement_signed", False, "2024-05"),
                 ("2025-03-31", END_OF_TIME, "production", False, "2025-03")],
        "c--d": [("2025-12-31", END_OF_TIME, "agreement_signed", False, "2025")],
    }
    then = q.stage_spans(["a--b"], known_at=parse_instant(first[-1].recorded_at))
    assert then == {"a--b": [("2024-05-31", END_OF_TIME, "agreement_signed", False, "2024-05")]}
    assert q.stage_spans([]) == {}


# --- the decider's view: the alliances of some party sets, from the tables ---------------------


def _decision_view(s: alliance.AllianceState) -> tuple[Any, ...]:
    """What a decision reads of an alliance: aggregates, names, and its entries with corrections applied."""
    entries = [alliance.effective(e, s.corrections) for e in s.entries]
    return (s.alliance_id, s.parties, s.kinds, s.stage, s.loi, s.reported, s.names, s.corroborations,
            [(e.position, e.key, e.type, e.valid, e.start, e.end, e.stage, e.kind, e.citation, e.sort_key)
             for e in entries], sorted(k for k in s.retracted if any(e.key == k for e in s.entries)))


@SLOW
@given(log=event_logs(), cuts=st.lists(st.integers(1, 44), max_size=3))
def test_the_deciders_alliances_read_from_the_tables_equal_the_fold_of_the_log(db_url, log, cuts):
    store = _fresh_store(db_url)
    events = _new_events(log)
    start = 0
    q = Queries(store)
    for cut in sorted(set(cuts) | {len(events)}):
        store.append(events[start:cut])  # deciding() catches the read model up itself
        start = cut
        model = Landscape().apply_all(store.read())
        sets = {frozenset(s.parties) for s in model.alliances.values()} | {frozenset(("a", "b")), frozenset("z")}
        got = q.deciding(sets)
        want = {aid: s for aid, s in model.alliances.items()
                if frozenset(s.parties) in sets or aid in {"--".join(sorted(p)) for p in sets}}
        assert sorted(got) == sorted(want)
        assert {aid: _decision_view(s) for aid, s in got.items()} == {a: _decision_view(s) for a, s in want.items()}
    store.engine.dispose()


def test_the_decider_finds_an_alliance_by_its_parties_whatever_its_id(store):
    """An alliance whose id is not its parties' canonical id (a named venture) is found by its party set;
    alliances with other parties are not read at all."""
    from tests.factories import reported

    store.append([reported("hima", ("a", "b"), when="2024-05"), reported("c--d", ("c", "d"), when="2024-06")])
    got = Queries(store).deciding([frozenset(("b", "a"))])
    assert list(got) == ["hima"] and got["hima"].parties == ("a", "b") and got["hima"].reported
    assert Queries(store).deciding([]) == {}


@SLOW
@given(log=event_logs(), start=DAYS, end=DAYS)
def test_a_diff_read_a_row_at_a_time_equals_the_diff_of_the_two_whole_answers(db_url, log, start, end):
    """Queries.diff keeps only the compared fields of the earlier answer; the result is the plain diff
    of both answers (retracted alliances included: they are read again)."""
    from events.diff import diff

    store = _fresh_store(db_url)
    store.append(_new_events(log))
    q = Queries(store)
    before = {d["id"]: d for d in q.alliance_docs(start)}
    after = {d["id"]: d for d in q.alliance_docs(end)}
    companies = q.company_docs()
    want: dict[str, list[dict[str, Any]]] = {"added": [], "changed": [], "ended": []}
    for ch in diff(before, after):
        item = alliance_json(after.get(ch.alliance_id) or before[ch.alliance_id], companies)
        item.update(before_stage=ch.before_stage, after_stage=ch.after_stage, details=list(ch.details))
        want[ch.change].append(item)
    assert q.diff(start, end) == {"from": start.isoformat(), "to": end.isoformat(), **want}
    store.engine.dispose()


def test_rebuilding_one_projection_alone_gives_the_same_tables(store):
    """`alliances rebuild history` replays one projection while the others stay at the tail."""
    from tests.factories import company, reported, staged

    store.append([company("a"), company("b"), reported("a--b", ("a", "b"), when="2024-05"),
                  staged("a--b", "production", "2025-03"), reported("b--c", ("b", "c"), when="2023")])
    runner = REGISTRY.runner(store, batch=2)
    runner.catch_up()
    before = _tables(store)
    runner.rebuild(["history"])
    assert _tables(store) == before
    runner.rebuild(["alliances", "companies"])
    assert _tables(store) == before and set(runner.checkpoints().values()) == {store.tail()}
