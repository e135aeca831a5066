"""A rebuild's replay (alliances and history folded an alliance at a time, written in key order, checkpoints
moved once at the end) writes exactly the rows a catch-up batch by batch writes, and gives way to any other
runner that steps the same projections meanwhile. On SQLite and PostgreSQL (the `store` fixture)."""
from __future__ import annotations

import random
from typing import Any

import pytest

from events.envelope import NewEvent
from events.readmodel import AllianceProjection, CompanyProjection
from events.runner import Runner
from events.types import AllianceCorroborated, AllianceNamed, ReportCorrected, ReportRetracted
from events.values import Citation, FuzzyDate
from tests.factories import company, reported, staged

TABLES = {"alliance_now": "alliance_id, recorded_from", "alliance_history": "alliance_id, valid_from, recorded_from",
          "alliance_entries": "alliance_id, position, recorded_from", "company_now": "company_id, recorded_from",
          "checkpoints": "name"}
STAGES = ["talks", "agreement_signed", "established", "production", "expanded"]


def _log(seed: int = 3, alliances: int = 12, events: int = 400) -> list[NewEvent]:
    """Reports in arrival order, late reports dated before what is known, undated and year-only dates,
    named alliances, corroborations, retractions and corrections (of dates, stages and parties)."""
    rng = random.Random(seed)
    out = [company(c) for c in "abcdef"]
    keys: dict[str, list[str]] = {}
    for i in range(events):
        aid = f"x{i % alliances:02d}"
        parties = ("a", "b") if i % 3 else ("c", "d", "e")
        cite = Citation("Wire", f"story {i}", url=f"https://news.example/{i % 40}")
        when = f"{2016 + i * 8 // events + rng.choice([0, 0, 0, -3])}-{rng.randint(1, 12):02d}"  # a quarter late
        key = f"k{i}"
        choice = rng.random()
        if aid not in keys or choice < 0.25:
            written = when if rng.random() < 0.8 else when[:4]
            ev = reported(aid, parties, written, rng.choice(STAGES), cite=cite, key=key)
        elif choice < 0.5:
            ev = staged(aid, rng.choice(STAGES), when, kind=rng.choice([None, "joint_venture"]), cite=cite, key=key)
        elif choice < 0.62:
            ev = NewEvent(AllianceCorroborated(aid, cite), FuzzyDate.parse(when), key)
        elif choice < 0.7:
            ev = NewEvent(AllianceCorroborated(aid, cite), None, key)  # undated
        elif choice < 0.75:
            ev = NewEvent(AllianceNamed(aid, f"Name {i}"), None, key)
        elif choice < 0.85:
            ev = NewEvent(ReportRetracted(aid, rng.choice(keys[aid]), "wrong"), None, key)
        else:
            ev = NewEvent(ReportCorrected(aid, rng.choice(keys[aid]), "fix", stage=rng.choice([None, "talks"]),
                                          date=rng.choice([None, f"{2015 + i % 9}-03"]),
                                          parties=rng.choice([None, ("a", "f")])), None, key)
        keys.setdefault(aid, []).append(key)
        out.append(ev)
    return out


def _runner(store: Any, *, batch: int = 23, chunk: int = 50) -> Runner:
    return Runner(store, [CompanyProjection(), AllianceProjection(store, "alliances", chunk),
                          AllianceProjection(store, "history", chunk)], batch)


def _tables(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY {order}")]
                for t, order in TABLES.items()}


def _caught_up_in_steps(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The reference: the log appended in slices, each followed by a catch-up in small batches."""
    log = _log()
    runner = _runner(store, batch=7)
    for i in range(0, len(log), 90):
        store.append(log[i : i + 90])
        runner.catch_up()
    return _tables(store)


def test_a_rebuild_writes_the_rows_of_a_catch_up_batch_by_batch_row_for_row(store):
    expected = _caught_up_in_steps(store)
    _runner(store).rebuild()
    assert _tables(store) == expected
    _runner(store, chunk=10_000).rebuild()  # one chunk for the whole log
    assert _tables(store) == expected


def test_rebuilding_history_or_alliances_alone_replays_it_to_the_same_rows(store):
    expected = _caught_up_in_steps(store)
    _runner(store).rebuild(["history"])
    assert _tables(store) == expected
    _runner(store).rebuild(["alliances"])
    assert _tables(store) == expected


def test_a_replay_gives_way_to_a_runner_that_steps_the_projection_meanwhile(store):
    expected = _caught_up_in_steps(store)
    other, calls = _runner(store), list[int]()

    def between_chunks(done: int, total: int) -> None:
        if not calls:  # after the replay's first chunk: another process catches up from checkpoint 0
            other.catch_up()
        calls.append(done)

    _runner(store).rebuild(progress=between_chunks)
    assert _tables(store) == expected


def test_a_catch_up_from_zero_clears_the_rows_of_a_replay_that_did_not_finish(store):
    expected = _caught_up_in_steps(store)
    runner = _runner(store)

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # after the first chunk's commit

    with pytest.raises(KeyboardInterrupt):
        runner.rebuild(progress=crash)
    assert set(runner.checkpoints().values()) == {0}
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM alliance_now").scalar_one() > 0
    _runner(store).catch_up()
    assert _tables(store) == expected


def test_events_appended_while_a_replay_runs_are_caught_up_after_it(store):
    log = _log()
    store.append(log[:300])
    runner, appended = _runner(store), list[int]()

    def append_once(done: int, total: int) -> None:
        if not appended:  # between the replay's first and second chunks
            appended.append(len(store.append(log[300:])))

    runner.rebuild(progress=append_once)
    rebuilt = _tables(store)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE checkpoints SET position = 0")
    runner.catch_up()  # batch by batch from nothing: a step from 0 clears the tables first
    assert _tables(store) == rebuilt
    assert appended and set(runner.checkpoints().values()) == {store.tail()}
