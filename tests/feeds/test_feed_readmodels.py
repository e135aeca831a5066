"""The feed state and the review queue are projections on the runner: tables with a checkpoint, read by any process."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from events.envelope import NewEvent
from events.types import (
    AliasAdded,
    AliasRemoved,
    CompanyRegistered,
    DealConfirmed,
    DealQueued,
    DealRejected,
    FeedAdded,
    FeedChanged,
    FeedDisabled,
    FeedMoved,
    FeedRemoved,
)
from events.values import Citation
from feeds import learned, review, sources
from feeds.tables import FEED_STATE, LEARNED_COMPANIES, REVIEW_QUEUE
from service.bootstrap import build
from service.cli import main
from service.config import Settings

CITE = Citation("Example Wire", "Nissan and Momenta team up", "https://news.example/1", "2025-03-01")
NAMES = ["feed-state", "review-queue", "company-registry"]


def queued(cid: str) -> NewEvent:
    return NewEvent(DealQueued(cid, ("momenta", "nissan"), "adas", "agreement_signed", CITE, date="2025-03",
                               confidence=0.6, article_id=f"art-{cid}"))


def history() -> list[list[NewEvent]]:
    """Feed and review events in several appends, with other events between them."""
    return [
        [NewEvent(FeedAdded("a", "https://a.example/rss", "A", 1800)), queued("c1")],
        [NewEvent(CompanyRegistered("acme", "Acme", "", (), "CN", "ai")), queued("c2"), queued("c3")],
        [NewEvent(FeedAdded("b", "https://b.example/rss", "B", 600, "zh"))],
        [NewEvent(FeedChanged("a", "A prime", 3600)), NewEvent(DealConfirmed("c1", by="ana"))],
        [NewEvent(FeedMoved("b", "https://b.example/rss", "https://b2.example/rss")),
         NewEvent(DealRejected("c2", "dup", by="bo"))],
        [NewEvent(FeedDisabled("b", "410 Gone")), NewEvent(FeedRemoved("a")), NewEvent(DealConfirmed("zz"))],
        [NewEvent(FeedAdded("a", "https://a.example/atom", "A again", 900))],  # re-subscribed after removal
        [NewEvent(AliasAdded("nissan", "Nissan Motor Co")), NewEvent(AliasAdded("acme", "Acme Robotics"))],
        [NewEvent(AliasRemoved("nissan", "Nissan Motor Co")), NewEvent(AliasAdded("nobody", "Nobody Ltd"))],
        [NewEvent(AliasAdded("acme", "Acme Bots"))],
    ]


def tables(t: Any) -> dict[str, list[tuple[Any, ...]]]:
    with t.store.engine.connect() as conn:
        return {tb.name: [tuple(r) for r in conn.execute(select(tb).order_by(tb.c.key))]
                for tb in (FEED_STATE, REVIEW_QUEUE, LEARNED_COMPANIES)}


def feed_in(t: Any) -> None:
    for events in history():
        t.store.append(events)
        t.projector.catch_up()  # incremental: one catch-up per append


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url})


def test_both_projections_are_registered_on_the_trackers_runner(tracker: Any) -> None:
    assert set(NAMES) <= set(tracker.projector.names(replayable=True))


def test_incremental_catch_up_equals_a_rebuild(tracker: Any) -> None:
    feed_in(tracker)
    incremental = tables(tracker)
    assert len(incremental["feed_state"]) == 2 and len(incremental["review_queue"]) == 3
    assert len(incremental["learned_companies"]) == 3
    tracker.projector.rebuild(NAMES)
    assert tables(tracker) == incremental


def test_the_tables_answer_what_the_pure_folds_answer(tracker: Any) -> None:
    feed_in(tracker)
    log = list(tracker.store.read())
    feed_events = [r for r in log if r.type in sources.FEED_EVENT_TYPES]
    assert tracker.subscriptions.states() == sources.fold_log({}, feed_events)
    assert tracker.review.queue.state() == review.fold_log({}, log)
    folded, stored = learned.fold_log(learned.Learned(), log), tracker.pipeline.learned()
    assert stored.registry.companies() == folded.registry.companies()
    assert (stored.registered, stored.removed) == (folded.registered, folded.removed)


def test_the_learned_registry_keeps_what_the_log_taught(tracker: Any) -> None:
    feed_in(tracker)
    taught = tracker.pipeline.learned()
    assert taught.registry.get("acme").aliases == ("Acme Robotics", "Acme Bots")  # type: ignore[union-attr]
    assert "Nissan Motor Co" not in taught.registry.get("nissan").aliases  # type: ignore[union-attr]
    assert {"acme", "nissan", "nobody"} <= taught.registered and taught.registry.get("nobody") is None
    tracker.store.append([NewEvent(FeedChanged("b", "B prime"))])  # teaches the registry nothing
    assert tracker.pipeline.learned() is taught  # the same value: extraction's matcher cache holds


def test_feeds_keep_the_order_they_were_first_added_in(tracker: Any) -> None:
    feed_in(tracker)
    states = tracker.subscriptions.states()
    assert list(states) == ["a", "b"]
    assert states["a"].url == "https://a.example/atom" and not states["a"].removed and states["a"].version == 4
    assert states["b"].url == "https://b2.example/rss" and states["b"].disabled and states["b"].language == "zh"


def test_the_review_queue_keeps_each_decision(tracker: Any) -> None:
    feed_in(tracker)
    got = {c.candidate_id: (c.status, c.decided_by) for c in tracker.review.queue.state().values()}
    assert got == {"c1": ("confirmed", "ana"), "c2": ("rejected", "bo"), "c3": ("pending", "")}
    assert tracker.review.queue.get("c3").queued.parties == ("momenta", "nissan")  # type: ignore[union-attr]
    assert tracker.review.queue.get("zz") is None  # a decision on a candidate never queued writes nothing


def test_a_reader_catches_its_projection_up_when_the_log_is_ahead(tracker: Any) -> None:
    tracker.store.append([NewEvent(FeedAdded("a", "https://a.example/rss", "A", 1800))])
    assert tracker.projector.checkpoint("feed-state") == 0
    assert list(tracker.subscriptions.states()) == ["a"]
    assert tracker.projector.checkpoint("feed-state") == tracker.store.tail()


def test_a_fresh_process_answers_from_the_tables_without_reading_the_log(tracker: Any, settings: Settings,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    feed_in(tracker)
    fresh = build(settings)
    try:
        def refuse(*_: Any, **__: Any) -> Any:
            raise AssertionError("the log was read")
        monkeypatch.setattr(fresh.store, "read", refuse)
        monkeypatch.setattr(fresh.store, "read_raw", refuse)
        assert fresh.subscriptions.states() == tracker.subscriptions.states()
        assert fresh.review.queue.state() == tracker.review.queue.state()
        assert fresh.registry().companies() == tracker.registry().companies()
        assert [f.to_json()["id"] for f in fresh.subscriptions.feeds()] == ["a", "b"]  # "b" is gone (410), still listed

    finally:
        fresh.close()


def test_rebuild_by_name_resets_only_that_projection(tracker: Any) -> None:
    feed_in(tracker)
    before = tables(tracker)
    with tracker.store.write() as conn:
        conn.execute(REVIEW_QUEUE.delete())  # damage the table: a rebuild by name restores it
    tracker.projector.rebuild(["review-queue"])
    assert tables(tracker) == before


def test_the_cli_rebuilds_a_feeds_projection_by_name(settings: Settings, tracker: Any) -> None:
    feed_in(tracker)
    before = tables(tracker)
    env = {"ALLIANCES_DATA_DIR": str(settings.data_dir), "ALLIANCES_DATABASE_URL": settings.database_url}
    out = CliRunner().invoke(main, ["rebuild", "review-queue", "feed-state"], env=env, catch_exceptions=False)
    assert out.exit_code == 0 and "folded" in out.output
    assert tables(tracker) == before
    listed = CliRunner().invoke(main, ["review", "list", "--json"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0 and [c["candidate_id"] for c in json.loads(listed.output)] == ["c3"]
