"""The subscriber runner: checkpoints in the subscriber's transaction, batches, rebuilds, side effects once.

Run on SQLite and PostgreSQL (the `store` fixture).
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from events.runner import Batch, Runner, Subscriber, UnknownSubscriber
from tests.factories import company, reported, staged


class Recorder:
    """A subscriber that writes one row per event into its own table and remembers what it saw."""

    def __init__(self, name: str, *, replayable: bool = True, types: frozenset[str] | None = None,
                 fail_at: int | None = None) -> None:
        self.name, self.replayable, self.types, self.fail_at = name, replayable, types, fail_at
        self.seen: list[int] = []
        self.batches: list[int] = []

    def reset(self, conn) -> None:  # type: ignore[no-untyped-def]
        conn.execute(text("DELETE FROM seen WHERE name = :n"), {"n": self.name})

    def handle(self, conn, batch: Batch) -> None:  # type: ignore[no-untyped-def]
        if batch.rows:
            self.batches.append(len(batch.rows))
        for rec in batch.records:
            conn.execute(text("INSERT INTO seen (name, position) VALUES (:n, :p)"), {"n": self.name, "p": rec.position})
            if rec.position == self.fail_at:
                raise RuntimeError("boom")
            self.seen.append(rec.position)


@pytest.fixture
def seen_table(store):  # type: ignore[no-untyped-def]
    with store.write() as conn:
        conn.execute(text("CREATE TABLE seen (name TEXT NOT NULL, position BIGINT NOT NULL)"))
    return store


def rows(store, name: str) -> list[int]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT position FROM seen WHERE name = :n ORDER BY position"),
                                           {"n": name})]


def append(store, n: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    store.append([company(f"c{i}") for i in range(start, start + n)])


def test_a_recorder_is_a_subscriber():
    assert isinstance(Recorder("r"), Subscriber)


def test_catch_up_feeds_every_event_once_in_position_order_in_batches(seen_table):
    store = seen_table
    append(store, 10)
    sub = Recorder("r")
    runner = Runner(store, [sub], batch=3)
    assert runner.catch_up() == 10
    assert sub.seen == list(range(1, 11)) and sub.batches == [3, 3, 3, 1]
    assert runner.checkpoint("r") == 10 and runner.catch_up() == 0


def test_catch_up_follows_new_events_from_the_checkpoint(seen_table):
    store = seen_table
    append(store, 4)
    sub = Recorder("r")
    runner = Runner(store, [sub])
    runner.catch_up()
    append(store, 3, start=4)
    runner.catch_up()
    assert sub.seen == list(range(1, 8)) and rows(store, "r") == list(range(1, 8))


def test_a_failing_batch_leaves_neither_its_rows_nor_its_checkpoint(seen_table):
    store = seen_table
    append(store, 6)
    runner = Runner(store, [Recorder("r", fail_at=5)], batch=4)
    with pytest.raises(RuntimeError, match="boom"):
        runner.catch_up()
    assert runner.checkpoint("r") == 4 and rows(store, "r") == [1, 2, 3, 4]
    fixed = Recorder("r")
    Runner(store, [fixed], batch=4).catch_up()
    assert fixed.seen == [5, 6] and rows(store, "r") == list(range(1, 7))


def test_a_subscriber_sees_only_its_types_and_its_checkpoint_passes_the_others(seen_table):
    store = seen_table
    store.append([company("a"), company("b"), reported("a--b", ("a", "b")), company("c")])
    sub = Recorder("r", types=frozenset({"AllianceReported"}))
    runner = Runner(store, [sub])
    runner.catch_up()
    assert sub.seen == [3] and runner.checkpoint("r") == 4


def test_rebuild_by_name_replays_only_that_projection(seen_table):
    store = seen_table
    append(store, 3)
    a, b = Recorder("a"), Recorder("b")
    runner = Runner(store, [a, b])
    runner.catch_up()
    assert runner.rebuild(["a"]) == 3
    assert a.seen == [1, 2, 3, 1, 2, 3] and b.seen == [1, 2, 3]
    assert rows(store, "a") == [1, 2, 3] and rows(store, "b") == [1, 2, 3]


def test_rebuild_of_an_unknown_name_says_which_names_exist(seen_table):
    runner = Runner(seen_table, [Recorder("a")])
    with pytest.raises(UnknownSubscriber, match="no projection named 'nope'; known: a"):
        runner.rebuild(["nope"])


def test_a_subscriber_with_side_effects_sees_each_event_once_and_is_never_replayed(seen_table):
    store = seen_table
    notify, proj = Recorder("notify", replayable=False), Recorder("proj")
    runner = Runner(store, [proj, notify])
    runner.catch_up()  # registered on an empty log
    append(store, 3)
    runner.catch_up()
    runner.rebuild()
    append(store, 1, start=3)
    runner.catch_up()
    assert notify.seen == [1, 2, 3, 4] and rows(store, "notify") == [1, 2, 3, 4]
    assert proj.seen == [1, 2, 3, 1, 2, 3, 4]


def test_naming_a_subscriber_with_side_effects_in_a_rebuild_is_refused(seen_table):
    store = seen_table
    append(store, 2)
    notify = Recorder("notify", replayable=False)
    runner = Runner(store, [notify])
    with pytest.raises(UnknownSubscriber, match="side effects"):
        runner.rebuild(["notify"])
    assert notify.seen == [] and runner.checkpoint("notify") == 0


def test_a_new_subscriber_with_side_effects_starts_at_the_tail_of_the_log(seen_table):
    store = seen_table
    append(store, 5)
    notify = Recorder("notify", replayable=False)
    runner = Runner(store, [notify])
    runner.catch_up()
    append(store, 1, start=5)
    runner.catch_up()
    assert notify.seen == [6]


def test_subscriber_names_must_be_unique(store):
    with pytest.raises(ValueError, match="unique"):
        Runner(store, [Recorder("a"), Recorder("a")])


def test_two_runners_on_one_database_share_the_checkpoints(seen_table):
    """Two processes (here two runners) never hand one event to the same subscriber twice."""
    store = seen_table
    append(store, 5)
    first, second = Recorder("r"), Recorder("r")
    Runner(store, [first], batch=2).catch_up()
    append(store, 2, start=5)
    Runner(store, [second], batch=2).catch_up()
    assert first.seen == [1, 2, 3, 4, 5] and second.seen == [6, 7] and rows(store, "r") == list(range(1, 8))


def test_runners_catching_up_at_once_hand_each_event_to_a_subscriber_once(seen_table):
    """Three runners (three workers woken by the same append) race for one subscriber while events arrive:
    its lock admits one step at a time, so every event is handled once, in order."""
    import threading

    store = seen_table
    recorders = [Recorder("r") for _ in range(3)]
    runners = [Runner(store, [r], batch=3) for r in recorders]
    done = threading.Event()

    def follow(runner: Runner) -> None:
        while not done.is_set():
            runner.catch_up()
        runner.catch_up()

    threads = [threading.Thread(target=follow, args=(r,)) for r in runners]
    for th in threads:
        th.start()
    for k in range(10):
        append(store, 4, start=4 * k)
    done.set()
    for th in threads:
        th.join(60)
    assert sorted(p for r in recorders for p in r.seen) == list(range(1, 41))
    assert rows(store, "r") == list(range(1, 41))


def test_batches_decode_typed_events(seen_table):
    store = seen_table
    store.append([reported("a--b", ("a", "b")), staged("a--b", "production", "2025")])
    got: list[Batch] = []

    class Keep(Recorder):
        def handle(self, conn, batch):  # type: ignore[no-untyped-def]
            got.append(batch)

    Runner(store, [Keep("k")]).catch_up()
    (batch,) = got
    assert [r.event.type_name for r in batch.records] == ["AllianceReported", "StageChanged"]
    assert str(batch.records[1].valid) == "2025" and (batch.after, batch.end) == (0, 2)


def test_other_packages_register_their_own_subscribers_beside_the_projections(seen_table):
    """The registry is open: a subscriber registered from outside `events/` runs with the built-in ones."""
    from events.subscribers import REGISTRY, Registry

    store = seen_table
    append(store, 2)
    registry = Registry([lambda s: Recorder("feed-state")])
    mine = Recorder("review-queue")
    registry.register(lambda s: mine)
    runner = registry.runner(store)
    assert runner.names() == ["feed-state", "review-queue"]
    runner.catch_up()
    assert mine.seen == [1, 2]
    assert REGISTRY.runner(store).names() == ["companies", "alliances", "history"]


def test_subscribers_at_the_same_checkpoint_read_each_batch_of_the_log_once(seen_table, monkeypatch):
    store = seen_table
    append(store, 10)
    reads: list[int] = []
    real = store.read_raw

    def counted(*a, **k):  # type: ignore[no-untyped-def]
        reads.append(k.get("after", 0))
        return real(*a, **k)

    monkeypatch.setattr(store, "read_raw", counted)
    a, b = Recorder("a"), Recorder("b")
    assert Runner(store, [a, b], batch=3).catch_up() == 10
    assert a.seen == b.seen == list(range(1, 11)) and reads == [0, 3, 6, 9]
    assert rows(store, "a") == rows(store, "b") == list(range(1, 11))


def test_a_subscriber_behind_the_others_catches_up_to_them_alone_then_goes_with_them(seen_table):
    store = seen_table
    append(store, 6)
    ahead = Recorder("ahead")
    Runner(store, [ahead]).catch_up()
    append(store, 4, start=6)
    ahead.seen, late = [], Recorder("late")
    runner = Runner(store, [ahead, late], batch=4)
    runner.catch_up()
    assert late.seen == list(range(1, 11)) and late.batches == [4, 2, 4]  # up to 6 alone, then 7..10 together
    assert ahead.seen == list(range(7, 11)) and runner.checkpoints() == {"ahead": 10, "late": 10}


def test_subscribers_of_different_types_share_a_read_and_each_sees_only_its_own(seen_table):
    store = seen_table
    store.append([company("a"), company("b"), reported("a--b", ("a", "b")), staged("a--b", "production", "2025")])
    companies = Recorder("companies", types=frozenset({"CompanyRegistered"}))
    alliances = Recorder("alliances", types=frozenset({"AllianceReported", "StageChanged"}))
    Runner(store, [companies, alliances]).catch_up()
    assert companies.seen == [1, 2] and alliances.seen == [3, 4]


def test_a_subscriber_far_behind_reads_only_its_types_and_near_the_tail_reads_every_event(seen_table):
    """Far behind (more than a batch), a batch is `batch` events of the subscriber's types (the type index skips
    the rest); within a batch of the tail, a batch is every event there, filtered in the runner."""
    store = seen_table
    append(store, 6)
    store.append([reported("a--b", ("c0", "c1")), *(company(f"d{i}") for i in range(3)),
                  staged("a--b", "production", "2025")])
    append(store, 2, start=10)
    sub = Recorder("r", types=frozenset({"AllianceReported", "StageChanged"}))
    runner = Runner(store, [sub], batch=2)
    runner.catch_up()
    assert sub.seen == [7, 11] and sub.batches == [2] and runner.checkpoint("r") == 13
    store.append([staged("a--b", "established", "2026")])
    runner.catch_up()
    assert sub.seen == [7, 11, 14] and runner.checkpoint("r") == 14
