"""The composition root: settings in, a wired tracker out. The only place that knows every part.

`bootstrap` wires; constructors do no I/O. `Tracker.open()` does the start-up I/O (data directory, connection
check, migrations); `build()` is both, for the CLI and the web.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from events.engine import check_connection, make_engine
from events.queries import Queries
from events.runner import Runner
from events.store import EventStore
from events.subscribers import REGISTRY
from feeds.archive import Archive
from feeds.backfill import Read, read_archive
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
from notify.channels import Guard, Sender
from notify.dispatch import Dispatcher, PassSummary, RetryPolicy
from notify.model import stored_subscriptions
from notify.outbox import Notifier
from notify.service import Notifications
from notify.vault import Vault

from .config import ConfigError, Settings
from .migrations import ensure
from .ops import Operations, database_check, delivery_metrics, feed_metrics, lag_check, log_metrics, schema_check
from .pipeline import ExtractSummary, Ingestor, Ports, Progress, ReviewService, add_alias, poll_once, remove_alias

__all__ = ["Imported", "Tracker", "bootstrap", "build", "open_database"]


@dataclass(frozen=True)
class Imported:
    """What `alliances import` did: lines read (good and bad), articles archived or already there, and what
    extracting the outbox then did."""

    read: Read
    new: int
    known: int
    extracted: ExtractSummary
    error: str | None = None  # extraction stopped: the rest stays pending for the next poll or import

    def line(self) -> str:
        bad, x = len(self.read.errors), self.extracted
        return (f"import: {self.read.lines} lines, {self.new} new articles, {self.known} already archived, "
                f"{bad} bad line{'' if bad == 1 else 's'}; extracted {x.articles} articles: "
                f"{x.deals} deals, {x.events} new events, {x.queued} queued for review")


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
    notifications: Notifications
    ops: Operations  # readiness checks and metric sources (/readyz, /metrics); later parts add theirs here

    def open(self, *, migrate: bool = False) -> Tracker:
        """Start-up I/O: the data directory (SQLite), a connection check, the schema (an empty database is created
        at head; one behind it is upgraded only with `migrate`, else refused in one line)."""
        open_database(self.settings, self.store)
        ensure(self.store, migrate=migrate)
        return self

    def notify_once(self) -> PassSummary:
        """One dispatcher pass: match what the log learned into the outbox, then deliver everything due now."""
        self.projector.catch_up()
        return self.notifications.dispatcher().run_once()

    def poll_once(self, *, all: bool = False, only: Collection[str] | None = None,  # noqa: A002
                  polled: Progress | None = None, extracted: Progress | None = None) -> PollSummary:
        """The whole pipeline once: fetch, archive, extract, append, project."""
        return poll_once(self.poller, self.pipeline, all=all, only=only, polled=polled, extracted=extracted)

    def import_archive(self, lines: Iterable[bytes], progress: Progress | None = None) -> Imported:
        """Backfill: archive the good lines not yet archived, then extract, decide and append them as polled
        articles are (the outbox), with their publisher and URL cited. Twice equals once."""
        read = read_archive(lines, self.clock().date())
        new, known = self.archive.import_items(read.items, self.clock())
        summary, error = self.pipeline.drain_all(progress)
        self.projector.catch_up()
        return Imported(read, len(new), len(known), summary, error)

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
    pools = Pools(fetch_threads=settings.poll_concurrency, processes=settings.cpu_processes)
    health = Health(store, clock=clock, lease_seconds=settings.lease_seconds)
    archive = Archive(store, worker_id=health.worker_id, lease_seconds=settings.lease_seconds, clock=clock)
    models = feed_models()
    subs = stored_subscriptions()
    notifier = Notifier(store, subs, clock)  # after the projections it reads (the runner keeps this order)
    projector = REGISTRY.runner(store, extra=[*models.subscribers(), subs, notifier])  # feeds/ and notify/ beside
    subscriptions = Subscriptions(store, fetcher, health, archive,
                                  states=TableReader(store.engine, models.feed_state, projector, store.tail))
    queries = Queries(store, projector)
    learned = LearnedReader(TableReader(store.engine, models.company_registry, projector, store.tail))
    ports = Ports(store, archive, subscriptions.states, learned, queries.deciding,
                  projector.catch_up)
    pipeline = Ingestor(ports, pools, clock, threshold=settings.review_threshold)
    review = ReviewService(pipeline, queries.company_docs,
                           TableReader(store.engine, models.review_queue, projector, store.tail))
    notifications = _notifications(settings, store, projector, subs, queries, pipeline, clock)
    ops = operations(settings, store, projector, health, archive, clock)
    ops.add_check("migrations", schema_check(store))
    ops.add_source(delivery_metrics(notifications.counts))
    poller = Poller(subscriptions, health, fetcher, pools, clock=clock, observe=ops.observe_poll)
    return Tracker(settings, store, clock, fetcher, pools, health, archive, subscriptions, poller, projector, queries,
                   pipeline, review, notifications, ops)


def operations(settings: Settings, store: EventStore, projector: Runner, health: Health, archive: Archive,
               clock: Clock) -> Operations:
    """What /readyz checks and /metrics reports. The migrations add a "migrations" check here (schema current),
    the dispatcher a source of deliveries pending and dead."""
    ops = Operations()
    ops.add_check("database", database_check(store))
    ops.add_check("projections", lag_check(store, projector, settings.ready_max_lag))
    ops.add_source(log_metrics(store, projector))
    ops.add_source(feed_metrics(health, archive, clock))
    return ops


def _notifications(settings: Settings, store: EventStore, projector: Runner, subs: Any, queries: Queries,
                   pipeline: Ingestor, clock: Clock) -> Notifications:
    """The subscription commands and their dispatcher (secrets in the vault, SSRF guard as for feeds)."""
    guard, vault = Guard(allow_private=settings.allow_private_urls), Vault(store.engine)
    policy = RetryPolicy(float(settings.retry_base_seconds), settings.retry_max_attempts)

    def dispatcher() -> Dispatcher:
        return Dispatcher(store, subs, vault, lambda: Sender(guard, timeout=float(settings.webhook_timeout)),
                          notifications.disable, policy, clock, lease_seconds=settings.webhook_timeout + 60.0)

    def known_companies() -> set[str]:
        return {c.id for c in pipeline.registry().companies()} | set(queries.company_docs())

    notifications = Notifications(
        store, TableReader(store.engine, subs, projector, store.tail), vault, guard, dispatcher,
        known_alliances=lambda: [d["id"] for d in queries.alliance_docs()], known_companies=known_companies,
        grace_seconds=settings.secret_grace_hours * 3600.0, clock=clock,
        start=lambda: projector.catch_up(["notifications"]))
    return notifications


def open_database(settings: Settings, store: EventStore) -> None:
    """The SQLite data directory exists and the database answers, or one line says why not."""
    if settings.database_url.startswith("sqlite"):
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the data directory {str(settings.data_dir)!r}"
                              f" (ALLIANCES_DATA_DIR): {e.strerror or e}") from None
    check_connection(store.engine)


def build(settings: Settings | None = None, *, migrate: bool = False, **inject: Any) -> Tracker:
    """Open the tracker configured by `settings` or the environment (`migrate`: upgrade a schema behind head)."""
    return bootstrap(settings or Settings.from_env(), **inject).open(migrate=migrate)
