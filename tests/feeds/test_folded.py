"""The in-memory read models (feed state, review queue, learned registry): pure folds behind one small adapter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.envelope import NewEvent, Recorded
from events.store import EventStore
from events.types import AliasAdded, CompanyRegistered, FeedAdded, FeedRemoved
from feeds.learned import learned_registry
from feeds.sources import feed_states


@dataclass
class Batch:
    """What the core's runner hands a subscriber."""

    records: list[Recorded]

    @property
    def last(self) -> int:
        return self.records[-1].position


def test_catch_up_folds_only_new_events_of_its_types(store: EventStore) -> None:
    feeds = feed_states()
    store.append([NewEvent(FeedAdded("a", "https://a.example/rss", "A", 1800))])
    assert set(feeds.catch_up(store)) == {"a"} and feeds.position == 1
    store.append([NewEvent(AliasAdded("nissan", "Nissan Motor Co"))])  # not a feed event
    store.append([NewEvent(FeedRemoved("a"))], expected={"feed-a": 1})
    state = feeds.catch_up(store)
    assert state["a"].removed and feeds.position == 3


def test_the_same_fold_runs_as_a_runner_subscriber(store: EventStore) -> None:
    recs = store.append([NewEvent(CompanyRegistered("acme-robotics", "Acme Robotics", "阿克米", ("Acme",), "CN", "ai")),
                         NewEvent(AliasAdded("nissan", "Nissan Motor Co")),
                         NewEvent(FeedAdded("a", "https://a.example/rss", "A", 1800))])
    pulled, pushed = learned_registry(), learned_registry()
    pushed.handle(None, Batch(recs))  # the runner's entry point: other types in the batch are ignored
    pulled_state = pulled.catch_up(store)
    assert pulled_state.registry.companies() == pushed.state.registry.companies()
    assert pulled_state.registered == pushed.state.registered
    assert pushed.position == pulled.position + 1 == 3  # pulled stops at its last event of interest
    learned = pushed.state
    assert learned.registry.get("acme-robotics") is not None and "acme-robotics" in learned.registered
    assert "Nissan Motor Co" in learned.registry.get("nissan").aliases  # type: ignore[union-attr]
    pushed.reset()
    assert pushed.position == 0 and pushed.state.registered == frozenset()


def test_the_tracker_lists_its_folds_for_a_runner(tmp_path: Any) -> None:
    from service.bootstrap import bootstrap
    from service.config import Settings

    t = bootstrap(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    assert [f.name for f in t.folds()] == ["feed-state", "review-queue", "company-registry"]
    assert all(f.replayable and f.types for f in t.folds())
