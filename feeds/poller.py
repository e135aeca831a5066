"""The poll pipeline: claim the due feeds, fetch and parse them in the pools, store each batch of outcomes
(articles with their outbox rows, health, poll log) in one transaction, then record moves and 410s as events.
Ingest of the stored articles is a separate step (the outbox); polling never calls into extraction."""
from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.errors import ConcurrencyError

from . import leases
from .archive import article_rows, insert_articles, known_for_feeds, plan
from .clock import Clock, utc_now
from .fetch import Fetcher
from .health import Health, Lease, Outcome
from .poll import Fetched, judge, parse_fetched
from .pools import Pools
from .sources import FeedState
from .subscriptions import Subscriptions

__all__ = ["PollSummary", "Poller"]

log = logging.getLogger(__name__)

CLAIM_SIZE = 50  # feeds a poller leases at a time


@dataclass(frozen=True)
class PollSummary:
    """What one poll run did (and, for `poll --once`, what the ingest after it did)."""

    polled: int = 0
    not_modified: int = 0
    new_articles: int = 0
    errors: int = 0
    error_details: list[tuple[str, str]] = field(default_factory=list)  # (url, error)
    moved: int = 0
    disabled: int = 0
    handed_off: int = 0
    handoff_error: str | None = None
    elapsed_s: float = 0.0
    leased: tuple[leases.Lease, ...] = ()  # feeds another poller holds (skipped this time)
    released: tuple[leases.Lease, ...] = ()  # leases of dead pollers on this host, freed before claiming

    def line(self) -> str:
        """The one-line summary `alliances poll --once` prints."""
        text = (f"poll: {self.polled} feeds polled, {self.not_modified} not modified, "
                f"{self.new_articles} new articles, {self.errors} errors")
        if self.handed_off:
            text += f", {self.handed_off} handed to extraction"
        return text + f" ({self.elapsed_s:.1f}s)"

    def to_json(self) -> dict[str, Any]:
        return {
            "polled": self.polled, "not_modified": self.not_modified, "new_articles": self.new_articles,
            "errors": self.errors, "error_details": [{"url": u, "error": e} for u, e in self.error_details],
            "moved": self.moved, "disabled": self.disabled, "handed_off": self.handed_off,
            "handoff_error": self.handoff_error, "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass
class _Tally:
    polled: int = 0
    not_modified: int = 0
    new: int = 0
    moved: int = 0
    disabled: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, state: FeedState, o: Outcome) -> None:
        self.polled += 1
        self.new += o.new_articles
        self.not_modified += o.fetched.result.not_modified
        if o.verdict.error:
            self.errors.append((o.fetched.url, o.verdict.error))
        self.moved += o.verdict.moved_to is not None and o.verdict.moved_to != state.url
        self.disabled += o.verdict.gone

    def summary(self, elapsed: float, news: tuple[list[leases.Lease], list[leases.Lease]]) -> PollSummary:
        return PollSummary(self.polled, self.not_modified, self.new, len(self.errors), self.errors, self.moved,
                           self.disabled, elapsed_s=elapsed, leased=tuple(news[0]), released=tuple(news[1]))


class Poller:
    """Polls feeds; one instance per process, safe to share between the scheduler and the web."""

    def __init__(self, subscriptions: Subscriptions, health: Health, fetcher: Fetcher, pools: Pools, *,
                 clock: Clock = utc_now, jitter: Callable[[], float] = random.random,
                 claim_size: int = CLAIM_SIZE, observe: Callable[[Outcome], None] | None = None) -> None:
        self.subscriptions = subscriptions
        self.health = health
        self.fetcher = fetcher
        self.pools = pools
        self.clock = clock
        self.jitter = jitter
        self.claim_size = claim_size
        self.observe = observe  # sees every recorded outcome (the service's poll-latency histogram)

    def poll(self, *, all: bool = False, now: datetime | None = None,  # noqa: A002 - the CLI's word
             only: Collection[str] | None = None, progress: Callable[[int, int], None] | None = None) -> PollSummary:
        """Poll the due feeds (or all active ones; or just `only`) and archive what is new; `progress` hears
        (feeds done, feeds claimed) after each batch.

        Due feeds are claimed `claim_size` at a time while the fetches run, so several workers on one
        database share a cycle's feeds between them instead of the first one taking all."""
        started = time.monotonic()
        states = {fid: s for fid, s in self.subscriptions.states().items()
                  if s.active and (only is None or fid in only)}
        self.health.ensure(states)
        self.health.lease_news = ([], [])
        claimed: dict[str, Lease] = {}
        tally = _Tally()
        try:
            jobs = self._claims(states, claimed, now, all)
            first = next(jobs, None)  # nothing due: no threads, no processes
            hint = len(claimed) if len(claimed) < self.claim_size else len(states)
            for batch in self.pools.fetch(self.fetcher, itertools.chain([first] if first else [], jobs),
                                          size_hint=hint):
                items = [(states[f.feed_id], claimed[f.feed_id], parse_fetched(f)) for f in batch]
                for (state, _, _), outcome in zip(items, self._record(items, now), strict=True):
                    tally.add(state, outcome)
                if progress is not None:
                    progress(tally.polled, len(claimed))
        finally:
            self.health.release(claimed)  # a crash mid-run must not leave leases for the next tick to wait out
        return tally.summary(time.monotonic() - started, self.health.lease_news)

    def _claims(self, states: Mapping[str, FeedState], claimed: dict[str, Lease], now: datetime | None,
                all: bool) -> Iterator[tuple[str, str, str | None, str | None]]:  # noqa: A002
        """Fetch jobs, claiming the next few feeds whenever the ones claimed so far are handed out."""
        limit = None if all else self.claim_size  # --all takes everything at once: nothing else stops its loop
        while True:
            got = self.health.claim(states, now or self.clock(), due_only=not all, limit=limit)
            got = {fid: lease for fid, lease in got.items() if fid not in claimed}
            claimed.update(got)
            yield from ((fid, states[fid].url, lease.etag, lease.last_modified) for fid, lease in got.items())
            if limit is None or len(got) < limit:
                return

    def _record(self, items: Sequence[tuple[FeedState, Lease, Fetched]], now: datetime | None) -> list[Outcome]:
        """Store a batch of poll outcomes in one transaction (articles + outbox, health, log), then feed events."""
        at = now or self.clock()
        outcomes = []
        with self.health.store.write() as conn:
            fresh = [s.id for s, _, f in items if f.parsed is not None and not f.result.not_modified]
            known = known_for_feeds(conn, fresh)
            rows: list[dict[str, Any]] = []
            for s, lease, f in items:
                verdict = judge(f, failures_in_row=lease.failures_in_row, interval_seconds=s.interval_seconds,
                                now=at, jitter=self.jitter())
                index = known.get(s.id) if verdict.ok else None
                new = article_rows(s.id, plan(s.id, f.parsed.entries, index), at) if index and f.parsed else []
                rows += new
                outcomes.append(Outcome(s.id, lease, f, verdict, len(new)))
            insert_articles(conn, rows)
            self.health.record(conn, outcomes, at)
        if self.observe is not None:
            for o in outcomes:
                self.observe(o)
        for (s, _, f), o in zip(items, outcomes, strict=True):
            self._subscription_change(s, f, o)
        return outcomes

    def _subscription_change(self, s: FeedState, f: Fetched, o: Outcome) -> None:
        """A permanent redirect moves the feed; 410 Gone disables it (both are events)."""
        try:
            if o.verdict.moved_to and o.verdict.moved_to != s.url:
                self.subscriptions.moved(s, o.verdict.moved_to)
            elif o.verdict.gone:
                self.subscriptions.disable(s, f"HTTP 410 Gone at {f.url}")
        except ConcurrencyError:
            log.info("feed %s changed while it was polled; its next poll will see the change", s.id)
