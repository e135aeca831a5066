"""Feed subscriptions and polling: commands append feed events; polling fills the operational tables."""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from events.envelope import NewEvent
from events.errors import ConcurrencyError
from events.store import EventStore, utc_stamp
from events.types import Event, FeedAdded, FeedChanged, FeedDisabled, FeedMoved, FeedRemoved

from . import leases
from .archive import article_rows, insert_articles, known_for_feeds, plan
from .discover import discover_feed_urls
from .errors import BadOPML, DuplicateFeed, FeedError, UnknownFeed
from .fetch import Fetcher
from .opml import Outline, parse_opml, to_opml
from .parse import parse_feed
from .poll import Fetched, Verdict, fetch_only, judge, looks_like_html, parse_fetched
from .politeness import parse_interval
from .sources import FeedState, feed_id_for, fold, normalise_url, read_feed_events
from .tables import ArticleRow, FeedHealthRow, OutboxRow, PollLogRow
from .urlguard import UnsafeURLError, check_url, origin_of

__all__ = ["ArticleCallback", "FeedInfo", "FeedService", "PollSummary"]

log = logging.getLogger(__name__)

HEALTH = FeedHealthRow.__table__  # type: ignore[attr-defined]
POLL_LOG = PollLogRow.__table__  # type: ignore[attr-defined]
ARTICLES = ArticleRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]

_HEALTH_UPDATE = update(HEALTH).where(HEALTH.c.feed_id == bindparam("b_fid")).values(
    etag=bindparam("b_etag"), last_modified=bindparam("b_lm"), next_poll_at=bindparam("b_next"),
    failures_in_row=bindparam("b_fail"), last_polled_at=bindparam("b_polled"), last_error=bindparam("b_err"),
    last_status=bindparam("b_status"), last_success_at=bindparam("b_success"), lease_owner=None, lease_until=None)

ArticleCallback = Callable[[list[dict[str, Any]]], Any]
DEFAULT_INTERVAL = "30m"
_CHUNK = 500
PROCESS_POOL_MIN_FEEDS = 100  # below this, starting parser processes costs more than it saves


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """A feed as shown to people: the subscription (from events) and how polling it goes (from tables)."""

    id: str
    url: str
    title: str
    interval_seconds: int
    disabled: bool  # the server said 410 Gone
    removed: bool
    last_polled_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_status: int | None
    failures_in_row: int
    next_poll_at: str | None
    articles: int
    language: str | None = None

    @property
    def failing(self) -> bool:
        return self.failures_in_row > 0

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (`alliances feeds list --json`)."""
        return {
            "id": self.id, "url": self.url, "title": self.title, "language": self.language,
            "interval_seconds": self.interval_seconds, "disabled": self.disabled, "removed": self.removed,
            "failing": self.failing, "failures_in_row": self.failures_in_row, "last_status": self.last_status,
            "last_error": self.last_error, "last_polled_at": self.last_polled_at,
            "last_success_at": self.last_success_at, "next_poll_at": self.next_poll_at, "articles": self.articles,
        }


@dataclass(frozen=True)
class PollSummary:
    """What one poll run did."""

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


@dataclass(frozen=True, slots=True)
class _Health:
    """The health columns the poller reads before a fetch."""

    etag: str | None = None
    last_modified: str | None = None
    failures_in_row: int = 0
    last_success_at: str | None = None


class FeedService:
    """Subscribe, unsubscribe, poll and hand articles on; one instance per process, thread-safe for reads."""

    def __init__(self, store: EventStore, *, allow_private: bool = False, private_hosts: Collection[str] = frozenset(),
                 concurrency: int = 8, fetcher: Fetcher | None = None, worker_id: str | None = None,
                 lease_seconds: float = 600.0, jitter: Callable[[], float] = random.random,
                 parse_processes: int | None = None) -> None:
        self.store = store
        self.fetcher = fetcher or Fetcher(allow_private=allow_private, private_hosts=private_hosts)
        self.concurrency = max(1, concurrency)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=lease_seconds)
        self._jitter = jitter
        # Polls of PROCESS_POOL_MIN_FEEDS or more parse in a pool of processes (feedparser is CPU-bound, the GIL
        # serialises threads); None picks 2 when there is more than one CPU, 0 turns the pool off.
        self.parse_processes = (2 if (os.cpu_count() or 1) > 1 else 0) if parse_processes is None else parse_processes
        self._lock = threading.Lock()
        self._feeds: dict[str, FeedState] = {}
        self._folded_to = 0
        self._lease_news: tuple[list[leases.Lease], list[leases.Lease]] = ([], [])  # (held by others, freed)

    # --- subscription state (a fold of the feed events) ----------------------------------------

    def _state(self) -> dict[str, FeedState]:
        """Every feed ever added, folded incrementally from the log."""
        with self._lock:
            new = read_feed_events(self.store, self._folded_to)
            if new:
                self._feeds = fold(((e, v) for _, e, v in new), self._feeds)
                self._folded_to = new[-1][0]
            return dict(self._feeds)

    def _get(self, feed_id: str) -> FeedState:
        s = self._state().get(feed_id)
        if s is None or s.removed:
            raise UnknownFeed(f"no feed with id {feed_id!r} (see `alliances feeds list`)")
        return s

    def _append(self, event: Event, version: int) -> None:
        """Append one feed event, expecting the stream at `version`; the key makes a retry harmless."""
        fid = getattr(event, "feed_id")
        key = f"{event.type_name}:{fid}:{version + 1}"
        self.store.append([NewEvent(event, idempotency_key=key)], expected={f"feed-{fid}": version})

    # --- commands -----------------------------------------------------------------------------

    def allow_origin(self, url: str) -> None:
        """Let one exact origin (scheme, host, port) resolve to a private address (the local demo feed)."""
        self.fetcher.private_hosts = self.fetcher.private_hosts | {origin_of(url)}

    def _check(self, url: str) -> bool:
        """SSRF check; True when the host resolved, False when DNS failed (not unsafe, just unreachable now)."""
        f = self.fetcher
        try:
            check_url(url, allow_private=f.allow_private, resolver=f.resolver, private_hosts=f.private_hosts)
        except UnsafeURLError as e:
            raise FeedError(str(e)) from None
        except OSError:
            return False
        return True

    @staticmethod
    def _interval(interval: str | None) -> int:
        try:
            return max(1, int(parse_interval(interval or DEFAULT_INTERVAL).total_seconds()))
        except ValueError as e:
            raise FeedError(str(e)) from None

    def _discover(self, url: str, title: str | None) -> tuple[str, str | None]:
        """Fetch the URL once: an HTML page is swapped for the feed it advertises; a feed lends its title."""
        r = self.fetcher.fetch(url)
        if r.body is not None and looks_like_html(r):
            candidates = discover_feed_urls(r.body, r.url)
            if not candidates:
                raise FeedError(f"{url} is a web page that advertises no feed (no <link rel=\"alternate\">)")
            url = candidates[0]
            self._check(url)
            r = self.fetcher.fetch(url)
        if not title and r.body is not None:
            parsed = parse_feed(r.body, headers=r.headers, url=r.url)
            title = parsed.title if parsed.error is None else None
        return url, title

    def add(self, url: str, *, interval: str | None = None, title: str | None = None, probe: bool = True,
            feed_id: str | None = None, language: str | None = None, check: bool = True) -> FeedInfo:
        """Subscribe to a feed (or the feed an HTML page advertises); refuses unsafe and duplicate URLs."""
        url = (url or "").strip()
        if not url:
            raise FeedError("a feed needs a URL")
        seconds = self._interval(interval)
        resolved = self._check(url) if check else False
        if probe and resolved:
            url, title = self._discover(url, title)
        states = self._state()
        norm = normalise_url(url)
        for s in states.values():
            if not s.removed and normalise_url(s.url) == norm:
                raise DuplicateFeed(f"already subscribed to {url} (feed {s.id})")
        fid = feed_id or feed_id_for(url)
        cur = states.get(fid)
        if cur is not None and not cur.removed:
            raise DuplicateFeed(f"feed id {fid!r} is already subscribed (to {cur.url})")
        try:
            self._append(FeedAdded(fid, url, title or "", seconds, language), cur.version if cur else 0)
        except ConcurrencyError:
            raise DuplicateFeed(f"feed {fid!r} was changed by someone else meanwhile; try again") from None
        self._ensure_health([fid], reset=True)
        return self.info(fid)

    def change(self, feed_id: str, *, interval: str | None = None, title: str | None = None) -> FeedInfo:
        """Change a feed's title and/or polling interval; a shorter interval takes effect at once."""
        cur = self._get(feed_id)
        if interval is None and title is None:
            raise FeedError("nothing to change: give an interval or a title")
        seconds = self._interval(interval) if interval is not None else None
        self._append(FeedChanged(feed_id, title, seconds), cur.version)
        if seconds is not None:
            soon = utc_stamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))
            with self.store.write() as conn:
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id == feed_id, HEALTH.c.failures_in_row == 0,
                                                  or_(HEALTH.c.next_poll_at.is_(None), HEALTH.c.next_poll_at > soon))
                             .values(next_poll_at=soon))
        return self.info(feed_id)

    def move(self, feed_id: str, new_url: str, *, status: int = 301) -> FeedInfo:
        """Record that a feed now lives at another URL (a permanent redirect, or the demo server's new port)."""
        cur = self._get(feed_id)
        if cur.url != new_url:
            self._append(FeedMoved(feed_id, cur.url, new_url, status), cur.version)
        return self.info(feed_id)

    def remove(self, feed_id: str) -> None:
        """Unsubscribe; the feed's articles stay in the archive."""
        cur = self._get(feed_id)
        self._append(FeedRemoved(feed_id), cur.version)

    def import_opml(self, data: bytes) -> list[FeedInfo]:
        """Subscribe to every feed of an OPML file not yet subscribed; an unsafe URL refuses the whole file."""
        outlines = parse_opml(data)
        for o in outlines:
            try:
                self._check(o.url)
            except FeedError as e:
                raise BadOPML(f"{o.url}: {e}") from None
        subscribed = {normalise_url(s.url) for s in self._state().values() if not s.removed}
        added = []
        for o in outlines:
            if normalise_url(o.url) not in subscribed:
                added.append(self.add(o.url, title=o.title or None, probe=False, check=False))
                subscribed.add(normalise_url(o.url))
        return added

    def export_opml(self) -> str:
        """The subscriptions as an OPML 2.0 document."""
        return to_opml([Outline(s.url, s.title) for s in self._state().values() if not s.removed])

    def add_defaults(self) -> list[FeedInfo]:
        """Subscribe to the shipped list of auto-industry feeds (skipping those already subscribed)."""
        raw = json.loads(resources.files("feeds").joinpath("data/default_feeds.json").read_text("utf-8"))
        subscribed = {normalise_url(s.url) for s in self._state().values() if not s.removed}
        added = []
        for item in raw:
            if normalise_url(item["url"]) not in subscribed:
                # Shipped, reviewed URLs: no probe and no DNS at add time (works offline); every poll is guarded.
                added.append(self.add(item["url"], title=item.get("title"), language=item.get("language"),
                                      probe=False, check=False))
        return added

    # --- queries ------------------------------------------------------------------------------

    def info(self, feed_id: str) -> FeedInfo:
        s = self._state().get(feed_id)
        if s is None:
            raise UnknownFeed(f"no feed with id {feed_id!r}")
        return self._infos([s])[0]

    def list(self, *, include_removed: bool = False) -> list[FeedInfo]:
        """Every subscribed feed (in the order they were added) with its polling health."""
        return self._infos([s for s in self._state().values() if include_removed or not s.removed])

    def _infos(self, states: Sequence[FeedState]) -> list[FeedInfo]:
        hq = select(HEALTH)
        cq = select(ARTICLES.c.feed_id, func.count(func.distinct(ARTICLES.c.article_key))).group_by(ARTICLES.c.feed_id)
        if len(states) <= 20:  # one feed's info must not scan every feed's rows
            ids = [s.id for s in states]
            hq, cq = hq.where(HEALTH.c.feed_id.in_(ids)), cq.where(ARTICLES.c.feed_id.in_(ids))
        with self.store.engine.connect() as conn:
            health = {r.feed_id: r for r in conn.execute(hq)}
            counts = dict(conn.execute(cq).all())
        out = []
        for s in states:
            h = health.get(s.id)
            out.append(FeedInfo(
                id=s.id, url=s.url, title=s.title, interval_seconds=s.interval_seconds, disabled=s.disabled,
                removed=s.removed, last_polled_at=h.last_polled_at if h else None,
                last_success_at=h.last_success_at if h else None, last_error=h.last_error if h else None,
                last_status=h.last_status if h else None, failures_in_row=h.failures_in_row if h else 0,
                next_poll_at=h.next_poll_at if h else None, articles=int(counts.get(s.id, 0)), language=s.language,
            ))
        return out

    def articles(self, *, feed_url: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Archived articles, newest first, latest version of each; optionally of one feed (by URL)."""
        states = self._state()
        q = select(ARTICLES)
        if feed_url is not None:
            norm = normalise_url(feed_url)
            ids = [s.id for s in states.values() if normalise_url(s.url) == norm]
            if not ids:
                raise UnknownFeed(f"no feed with URL {feed_url!r}")
            q = q.where(ARTICLES.c.feed_id.in_(ids))
        newer = ARTICLES.alias("newer")
        q = q.where(~select(newer.c.id).where(newer.c.article_key == ARTICLES.c.article_key,
                                              newer.c.version > ARTICLES.c.version).exists())
        q = q.order_by(ARTICLES.c.published.desc(), ARTICLES.c.id)
        if limit is not None:
            q = q.limit(limit)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [_article_dict(r, states) for r in rows]

    # --- hand-off to extraction (transactional outbox) ------------------------------------------

    def pending_articles(self, limit: int = 500) -> list[dict[str, Any]]:
        """Articles stored but not yet marked extracted, in the order they were stored."""
        q = (select(ARTICLES).join(OUTBOX, OUTBOX.c.article_id == ARTICLES.c.id)
             .where(OUTBOX.c.processed_at.is_(None)).order_by(OUTBOX.c.seq).limit(limit))
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        states = self._state()
        return [_article_dict(r, states) for r in rows]

    def mark_extracted(self, article_ids: Iterable[str]) -> None:
        """Mark articles as handed to extraction; marking twice is harmless."""
        ids = list(dict.fromkeys(article_ids))
        stamp = utc_stamp(datetime.now(timezone.utc))
        with self.store.write() as conn:
            for i in range(0, len(ids), _CHUNK):
                conn.execute(update(OUTBOX).where(OUTBOX.c.article_id.in_(ids[i:i + _CHUNK]),
                                                  OUTBOX.c.processed_at.is_(None)).values(processed_at=stamp))

    def hand_off(self, callback: ArticleCallback, *, batch: int = 500) -> tuple[int, str | None]:
        """Give pending articles to `callback` batch by batch, marking each batch after it returns.

        Returns (articles handed off, error text); a raising callback leaves its batch pending.
        """
        done = 0
        while True:
            pending = self.pending_articles(batch)
            if not pending:
                return done, None
            try:
                callback(pending)
            except Exception as e:  # noqa: BLE001 - the batch stays pending and is offered again next time
                log.exception("article hand-off failed; %d articles stay pending", len(pending))
                return done, f"{type(e).__name__}: {e}"
            self.mark_extracted(a["id"] for a in pending)
            done += len(pending)

    # --- polling ------------------------------------------------------------------------------

    def poll(self, *, all: bool = False, now: datetime | None = None,  # noqa: A002 - the CLI's word
             on_articles: ArticleCallback | None = None, only: Collection[str] | None = None) -> PollSummary:
        """Poll the due feeds (or all active ones; or just `only`) with bounded concurrency, archive, hand off."""
        started = time.monotonic()
        states = {fid: s for fid, s in self._state().items() if s.active and (only is None or fid in only)}
        self._ensure_health(states)
        claimed = self._claim(states, now or datetime.now(timezone.utc), due_only=not all)
        polled = not_modified = new = moved = disabled = 0
        errors: list[tuple[str, str]] = []
        try:
            for batch in self._fetch_batches(claimed, states):
                items = [(states[f.feed_id], claimed[f.feed_id], parse_fetched(f)) for f in batch]
                for (state, _, fetched), (n, verdict) in zip(items, self._record(items, now)):
                    polled += 1
                    new += n
                    not_modified += fetched.result.not_modified
                    if verdict.error:
                        errors.append((fetched.url, verdict.error))
                    moved += verdict.moved_to is not None and verdict.moved_to != state.url
                    disabled += verdict.gone
        finally:
            self._release(claimed)  # a crash mid-run must not leave leases for the next tick to wait out
        handed, handoff_error = self.hand_off(on_articles) if on_articles is not None else (0, None)
        held, freed = self._lease_news
        return PollSummary(polled, not_modified, new, len(errors), errors, moved, disabled, handed, handoff_error,
                           time.monotonic() - started, tuple(held), tuple(freed))

    def _fetch_batches(self, claimed: dict[str, _Health], states: dict[str, FeedState]) -> Iterator[list[Fetched]]:
        """Fetch in a thread pool, yielding whatever has finished as one batch; at most 2x concurrency in flight."""
        if not claimed:
            return
        todo = iter(claimed.items())
        parser = None
        if self.parse_processes > 0 and len(claimed) >= PROCESS_POOL_MIN_FEEDS:
            try:
                parser = ProcessPoolExecutor(self.parse_processes, mp_context=_parser_context())
            except (OSError, ValueError) as e:
                log.warning("no parser processes (%s); parsing in-process", e)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(claimed)), thread_name_prefix="poll") as pool, \
                parser or contextlib.nullcontext():
            running: set[Future[Fetched]] = set()
            while True:
                while len(running) < 2 * self.concurrency:
                    item = next(todo, None)
                    if item is None:
                        break
                    fid, h = item
                    running.add(pool.submit(fetch_only, self.fetcher, fid, states[fid].url, h.etag, h.last_modified,
                                            parser))
                if not running:
                    return
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                yield [fut.result() for fut in finished]

    def _record(self, items: Sequence[tuple[FeedState, _Health, Fetched]], now: datetime | None) -> list[tuple[int, Verdict]]:
        """Store a batch of poll outcomes in one transaction (articles + outbox, health, log), then feed events."""
        at = now or datetime.now(timezone.utc)
        stamp = utc_stamp(at)
        verdicts = [judge(f, failures_in_row=h.failures_in_row, interval_seconds=s.interval_seconds, now=at,
                          jitter=self._jitter()) for s, h, f in items]
        fresh = [s.id for (s, _, f), v in zip(items, verdicts)
                 if v.ok and f.parsed is not None and not f.result.not_modified]
        counts: list[int] = []
        with self.store.write() as conn:
            known = known_for_feeds(conn, fresh)
            rows: list[dict[str, Any]] = []
            for s, _, f in items:
                index = known.get(s.id)
                new_rows = article_rows(s.id, plan(s.id, f.parsed.entries, index), at) if index and f.parsed else []
                counts.append(len(new_rows))
                rows += new_rows
            insert_articles(conn, rows)
            conn.execute(_HEALTH_UPDATE, [{
                "b_fid": s.id, "b_etag": v.etag, "b_lm": v.last_modified, "b_next": utc_stamp(v.next_poll_at),
                "b_fail": v.failures_in_row, "b_polled": stamp, "b_err": v.error, "b_status": f.result.status,
                "b_success": stamp if v.ok else h.last_success_at,
            } for (s, h, f), v in zip(items, verdicts)])
            conn.execute(insert(POLL_LOG), [{
                "feed_id": s.id, "url": f.url, "polled_at": stamp, "status": f.result.status,
                "elapsed_ms": round(f.result.elapsed_ms, 2), "not_modified": f.result.not_modified,
                "new_entries": n, "error": v.error,
            } for (s, _, f), v, n in zip(items, verdicts, counts)])
        for (s, _, f), v in zip(items, verdicts):
            try:
                if v.moved_to and v.moved_to != s.url:
                    self._append(FeedMoved(s.id, s.url, v.moved_to), s.version)
                elif v.gone:
                    self._append(FeedDisabled(s.id, f"HTTP 410 Gone at {f.url}"), s.version)
            except ConcurrencyError:
                log.info("feed %s changed while it was polled; its next poll will see the change", s.id)
        return list(zip(counts, verdicts))

    # --- health rows and leases (several workers may share one PostgreSQL) ------------------------

    def _ensure_health(self, feed_ids: Iterable[str], *, reset: bool = False) -> None:
        """Create missing health rows (due at once); `reset` clears an old row on re-subscription."""
        ids = list(feed_ids)
        if not ids:
            return
        dialect = postgresql if self.store.is_postgres else sqlite
        with self.store.write() as conn:
            if reset:
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(ids)).values(
                    etag=None, last_modified=None, next_poll_at=None, failures_in_row=0, last_error=None,
                    last_status=None))
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                have = set(conn.execute(select(HEALTH.c.feed_id).where(HEALTH.c.feed_id.in_(chunk))).scalars())
                missing = [{"feed_id": f, "failures_in_row": 0} for f in chunk if f not in have]
                if missing:
                    conn.execute(dialect.insert(HEALTH).on_conflict_do_nothing(), missing)

    def _claim(self, states: dict[str, FeedState], now: datetime, *, due_only: bool) -> dict[str, _Health]:
        """Lease the feeds to poll now so that another worker skips them (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
        wall = datetime.now(timezone.utc)
        q = select(HEALTH.c.feed_id, HEALTH.c.etag, HEALTH.c.last_modified, HEALTH.c.failures_in_row,
                   HEALTH.c.last_success_at).where(
            or_(HEALTH.c.lease_until.is_(None), HEALTH.c.lease_until < utc_stamp(wall)))
        if due_only:
            q = q.where(or_(HEALTH.c.next_poll_at.is_(None), HEALTH.c.next_poll_at <= utc_stamp(now)))
        if self.store.is_postgres:
            q = q.with_for_update(skip_locked=True)
        with self.store.write() as conn:
            freed = leases.release_dead(conn, HEALTH)  # a poller killed on this host holds nothing any more
            rows = [r for r in conn.execute(q) if r.feed_id in states]
            ids = [r.feed_id for r in rows]
            self._lease_news = (leases.held(conn, HEALTH, utc_stamp(wall), states, mine=self.worker_id), freed)
            for i in range(0, len(ids), _CHUNK):
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(ids[i:i + _CHUNK]))
                             .values(lease_owner=self.worker_id, lease_until=utc_stamp(wall + self.lease)))
        return {r.feed_id: _Health(r.etag, r.last_modified, r.failures_in_row, r.last_success_at) for r in rows}

    def _release(self, claimed: dict[str, _Health]) -> None:
        """Drop this worker's leases that are still held (the normal path clears each as it records)."""
        if not claimed:
            return
        ids = [*claimed]
        with self.store.write() as conn:
            for i in range(0, len(ids), _CHUNK):
                conn.execute(update(HEALTH).where(HEALTH.c.feed_id.in_(ids[i:i + _CHUNK]),
                                                  HEALTH.c.lease_owner == self.worker_id)
                             .values(lease_owner=None, lease_until=None))

    def poll_log(self, feed_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest poll outcomes, newest first."""
        q = select(POLL_LOG).order_by(POLL_LOG.c.id.desc()).limit(limit)
        if feed_id is not None:
            q = q.where(POLL_LOG.c.feed_id == feed_id)
        with self.store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]


def _parser_context() -> multiprocessing.context.BaseContext:
    """Parser processes forked from a clean server that imported only feeds.parse (not fork: we have threads;
    not spawn: that would re-import the whole application in every parser process)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["feeds.parse"])
    return ctx


def _article_dict(row: Any, states: dict[str, FeedState]) -> dict[str, Any]:
    """The hand-off / JSON shape of one archived article."""
    s = states.get(row["feed_id"])
    return {
        "id": row["id"], "feed_id": row["feed_id"], "feed_url": s.url if s else None,
        "feed_title": s.title if s else None, "url": row["url"], "title": row["title"], "summary": row["summary"],
        "content": row["content"], "lang": row["lang"], "published": row["published"],
        "published_estimated": bool(row["published_estimated"]), "fetched_at": row["fetched_at"],
        "version": row["version"], "content_hash": row["content_hash"],
    }
