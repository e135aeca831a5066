"""The composition root: settings in, a wired tracker out. The only place that knows every part.

`bootstrap` wires; constructors do no I/O. `Tracker.open()` does the start-up I/O (data directory, connection
check, migrations); `build()` is both, for the CLI and the web.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from events.engine import check_connection, make_engine
from events.queries import Queries
from events.runner import Runner
from events.store import EventStore
from events.subscribers import REGISTRY
from feeds import tables as feed_tables
from feeds.archive import Archive
from feeds.clock import Clock, utc_now
from feeds.fetch import Fetcher
from feeds.folded import TableReader
from feeds.health import Health
from feeds.ingest import Article
from feeds.learned import LearnedReader
from feeds.poller import Poller, PollSummary
from feeds.pools import Pools
from feeds.readmodels import feed_models
from feeds.registry import Registry
from feeds.subscriptions import Subscriptions

from .config import ConfigError, Settings
from .pipeline import ExtractSummary, Ingestor, Ports, ReviewService, add_alias, poll_once, remove_alias

__all__ = ["Tracker", "bootstrap", "build"]


@dataclass
class Tracker:
    """A wired tracker over one database: the parts, and the few operations that span several of them."""

    settings: Settings
    store: EventStore
    clock: Clock
    fetcher: Fetcher
    pools: Pools
    health: Health
    archive: Archive
    subscriptions: Subscriptions
    poller: Poller
    projector: Runner  # the subscriber runner over every registered projection (catch_up(), rebuild(names))
    queries: Queries
    pipeline: Ingestor
    review: ReviewService

    def open(self) -> Tracker:
        """Start-up I/O: the data directory (SQLite), a connection check, the migrations (safe on every start)."""
        if self.settings.database_url.startswith("sqlite"):
            try:
                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"cannot create the data directory {str(self.settings.data_dir)!r}"
                                  f" (ALLIANCES_DATA_DIR): {e.strerror or e}") from None
        check_connection(self.store.engine)
        self.store.migrate()
        feed_tables.migrate(self.store.engine)
        return self

    def poll_once(self, *, all: bool = False, only: Collection[str] | None = None) -> PollSummary:  # noqa: A002
        """The whole pipeline once: fetch, archive, extract, append, project."""
        return poll_once(self.poller, self.pipeline, all=all, only=only)

    def ingest(self, articles: Sequence[Article]) -> ExtractSummary:
        """Extract and decide over these articles; append and project batch by batch."""
        return self.pipeline.ingest(articles)

    def registry(self) -> Registry:
        """The company registry with everything the log taught it."""
        return self.pipeline.registry()

    def add_alias(self, company: str, alias: str) -> None:
        """Teach the registry another name (an AliasAdded event)."""
        add_alias(self.pipeline, company, alias)

    def folds(self) -> list[Any]:
        """The read models kept by folds of feeds/, each a runner subscriber with a table: the feed state, the
        review queue, the learned company registry."""
        return [self.subscriptions.read_model.model, self.review.queue.model, self.pipeline.ports.learned.model]

    def remove_alias(self, company: str, alias: str) -> None:
        """Withdraw a registry name (an AliasRemoved event)."""
        remove_alias(self.pipeline, company, alias)

    def close(self) -> None:
        self.pools.close()
        self.store.engine.dispose()


def bootstrap(settings: Settings, *, store: EventStore | None = None, clock: Clock | None = None,
              http: Fetcher | None = None) -> Tracker:
    """Wire every part (no I/O): the store, clock and HTTP fetcher may be injected (tests, benchmarks)."""
    store = store or EventStore(make_engine(settings.database_url))
    clock = clock or utc_now
    fetcher = http or Fetcher(allow_private=settings.allow_private_urls)
    pools = Pools(fetch_threads=settings.poll_concurrency)
    health, archive = Health(store, clock=clock), Archive(store)
    models = feed_models()
    projector = REGISTRY.runner(store, extra=models.subscribers())  # feeds/ projections beside the core's
    subscriptions = Subscriptions(store, fetcher, health, archive,
                                  states=TableReader(store.engine, models.feed_state, projector, store.tail))
    queries = Queries(store, projector)
    learned = LearnedReader(TableReader(store.engine, models.company_registry, projector, store.tail))
    ports = Ports(store, archive, subscriptions.states, learned, queries.deciding,
                  projector.catch_up)
    pipeline = Ingestor(ports, pools, clock, threshold=settings.review_threshold)
    review = ReviewService(pipeline, queries.company_docs,
                           TableReader(store.engine, models.review_queue, projector, store.tail))
    return Tracker(settings, store, clock, fetcher, pools, health, archive, subscriptions,
                   Poller(subscriptions, health, fetcher, pools, clock=clock), projector, queries, pipeline, review)


def build(settings: Settings | None = None, **inject: Any) -> Tracker:
    """Open (and migrate) the tracker configured by `settings` or the environment."""
    return bootstrap(settings or Settings.from_env(), **inject).open()
