"""Readiness and metrics of one tracker process: the real `web.ports.Operations`, shared by the web and the
worker's small listener (service/opsserver.py).

Metrics come from sources the composition root lists (`MetricSource`: a function returning Prometheus metric
families, read at each scrape) and from this process's histograms (poll and request latency). A new part
adds a source with `add_source` (the dispatcher: deliveries pending and dead) and a readiness check with
`add_check` (the migrations: schema current); nothing here changes for it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from events.runner import Runner
from events.store import EventStore
from feeds.archive import Archive
from feeds.clock import Clock
from feeds.health import Health, Outcome
from web.ports import Readiness

from .migrations import status

__all__ = ["Check", "MetricSource", "Operations", "feed_metrics", "log_metrics"]

log = logging.getLogger(__name__)

MetricSource = Callable[[], Iterable[Metric]]  # read at every scrape
Check = Callable[[], str | None]  # None: passes; otherwise why not, in one line

_POLL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Sources(Collector):
    def __init__(self, sources: list[MetricSource]) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in list(self.sources):
            try:
                yield from source()
            except Exception:  # noqa: BLE001 - one failing source must not hide the others
                log.exception("a metrics source failed")


class Operations:
    """Readiness checks, metric sources and latency histograms of one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.poll_seconds = Histogram("alliances_poll_seconds", "Time to fetch one feed (one poll)",
                                      buckets=_POLL_BUCKETS, registry=self.registry)
        self.request_seconds = Histogram("alliances_request_seconds", "Time to answer one web request, by route",
                                         ["endpoint"], buckets=_REQUEST_BUCKETS, registry=self.registry)
        self._sources: list[MetricSource] = []
        self._checks: dict[str, Check] = {}
        self.registry.register(_Sources(self._sources))

    def add_source(self, source: MetricSource) -> None:
        self._sources.append(source)

    def add_check(self, name: str, check: Check) -> None:
        """A readiness check; the migrations add `migrations` (schema current) here."""
        self._checks[name] = check

    def readiness(self) -> Readiness:
        checks = {name: _verdict(check) for name, check in self._checks.items()}
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    def metrics(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe_request(self, endpoint: str, seconds: float) -> None:
        self.request_seconds.labels(endpoint).observe(seconds)

    def observe_poll(self, outcome: Outcome) -> None:
        self.poll_seconds.observe(outcome.fetched.result.elapsed_ms / 1000.0)


def _verdict(check: Check) -> str:
    try:
        return check() or "ok"
    except Exception as e:  # noqa: BLE001 - an unreachable database is a verdict, not a crash
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:300]


# --- the sources and checks of the core and the pollers ---------------------------------------------


def log_metrics(store: EventStore, runner: Runner) -> MetricSource:
    """The log head and how far each subscriber is behind it."""
    def collect() -> Iterable[Metric]:
        head = store.tail()
        yield GaugeMetricFamily("alliances_log_head", "Position of the newest event in the log", value=head)
        lag = GaugeMetricFamily("alliances_subscriber_lag_events", "Events a subscriber has not handled yet",
                                labels=["subscriber"])
        for name, position in runner.checkpoints().items():
            lag.add_metric([name], max(0, head - position))
        yield lag
    return collect


def feed_metrics(health: Health, archive: Archive, clock: Clock) -> MetricSource:
    """Feeds due now and failing, and the articles waiting for extraction."""
    def collect() -> Iterable[Metric]:
        due, failing = health.due(clock())
        yield GaugeMetricFamily("alliances_feeds_due", "Feeds due for a poll and not leased", value=due)
        yield GaugeMetricFamily("alliances_feeds_failing", "Feeds whose latest poll failed", value=failing)
        yield GaugeMetricFamily("alliances_outbox_pending", "Archived articles waiting for extraction",
                                value=archive.backlog())
    return collect


def delivery_metrics(counts: Callable[[], dict[str, dict[str, int]]]) -> MetricSource:
    """Notification deliveries waiting (pending) and given up (dead), over every subscription."""
    def collect() -> Iterable[Metric]:
        per = counts().values()
        for state in ("pending", "dead"):
            yield GaugeMetricFamily(f"alliances_deliveries_{state}", f"Notification deliveries {state}",
                                    value=sum(c.get(state, 0) for c in per))
    return collect


def schema_check(store: EventStore) -> Check:
    """The schema at the revisions this code runs on (a process started before an upgrade says so)."""
    def check() -> str | None:
        with store.engine.connect() as conn:
            s = status(conn)
        return None if s.at_head else s.line()
    return check


def database_check(store: EventStore) -> Check:
    def check() -> str | None:
        store.tail()
        return None
    return check


def lag_check(store: EventStore, runner: Runner, max_lag: int) -> Check:
    """Projections within `max_lag` events of the log head (ALLIANCES_READY_MAX_LAG)."""
    def check() -> str | None:
        head = store.tail()
        behind = {name: head - p for name, p in runner.checkpoints().items() if head - p > max_lag}
        if not behind:
            return None
        listed = ", ".join(f"{n} ({lag})" for n, lag in sorted(behind.items()))
        return f"behind the log head by more than {max_lag} events: {listed}"
    return check
