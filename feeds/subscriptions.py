"""Feed subscriptions: commands in, feed events out; the subscribed feeds with their polling health."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from events.envelope import NewEvent
from events.errors import ConcurrencyError
from events.store import EventStore
from events.types import Event, FeedAdded, FeedChanged, FeedDisabled, FeedMoved, FeedPaused, FeedRemoved, FeedResumed

from .archive import Archive
from .discover import discover_feed_urls
from .errors import BadOPML, DuplicateFeed, FeedError, UnknownFeed
from .fetch import Fetcher
from .folded import TableReader, own_reader
from .health import Health
from .opml import Outline, parse_opml, to_opml
from .parse import parse_feed
from .politeness import parse_interval
from .poll import looks_like_html
from .sources import FeedState, feed_id_for, normalise_url, stored_feed_states
from .urlguard import UnsafeURLError, check_url, origin_of

__all__ = ["DEFAULT_INTERVAL", "FeedInfo", "Subscriptions"]

DEFAULT_INTERVAL = "30m"


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
    paused: bool = False

    @property
    def failing(self) -> bool:
        return self.failures_in_row > 0

    @property
    def status(self) -> str:
        """One word: gone (410), paused, failing, new (never polled) or ok."""
        if self.disabled:
            return "gone"
        if self.paused:
            return "paused"
        if self.failing:
            return "failing"
        return "ok" if self.last_polled_at else "new"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (`alliances feeds list --json`)."""
        return {
            "id": self.id, "url": self.url, "title": self.title, "language": self.language,
            "interval_seconds": self.interval_seconds, "disabled": self.disabled, "removed": self.removed,
            "failing": self.failing, "failures_in_row": self.failures_in_row, "last_status": self.last_status,
            "last_error": self.last_error, "last_polled_at": self.last_polled_at,
            "last_success_at": self.last_success_at, "next_poll_at": self.next_poll_at, "articles": self.articles,
            "paused": self.paused, "status": self.status,
        }


class Subscriptions:
    """Subscribe, change, move, unsubscribe (each an event); list the feeds with their health."""

    def __init__(self, store: EventStore, fetcher: Fetcher, health: Health, archive: Archive,
                 states: TableReader[FeedState] | None = None) -> None:
        self.store = store
        self.fetcher = fetcher
        self.health = health
        self.archive = archive
        self.read_model = states or own_reader(store, stored_feed_states())  # table `feed_state`, kept by the runner

    # --- state -------------------------------------------------------------------------------

    def states(self) -> dict[str, FeedState]:
        """Every feed ever added, by id, in the order they were added (the projection caught up first)."""
        return self.read_model.state()

    def _get(self, feed_id: str) -> FeedState:
        s = self.states().get(feed_id)
        if s is None or s.removed:
            raise UnknownFeed(f"no feed with id {feed_id!r} (see `alliances feeds list`)")
        return s

    def _subscribed(self) -> set[str]:
        return {normalise_url(s.url) for s in self.states().values() if not s.removed}

    def _append(self, event: Event, version: int) -> None:
        """Append one feed event, expecting the stream at `version`; the key makes a retry harmless."""
        fid = event.feed_id  # type: ignore[attr-defined]  # every feed event has one
        key = f"{event.type_name}:{fid}:{version + 1}"
        self.store.append([NewEvent(event, idempotency_key=key)], expected={f"feed-{fid}": version})

    # --- commands ----------------------------------------------------------------------------

    def allow_origin(self, url: str) -> None:
        """Let one exact origin (scheme, host, port) resolve to a private address (the local demo feed)."""
        self.fetcher.private_hosts = self.fetcher.private_hosts | {origin_of(url)}

    def add(self, url: str, *, interval: str | None = None, title: str | None = None, probe: bool = True,
            feed_id: str | None = None, language: str | None = None, check: bool = True) -> FeedInfo:
        """Subscribe to a feed (or the feed an HTML page advertises); refuses unsafe and duplicate URLs."""
        url = (url or "").strip()
        if not url:
            raise FeedError("a feed needs a URL")
        seconds = _seconds(interval)
        resolved = self._check(url) if check else False
        if probe and resolved:
            url, title = self._discover(url, title)
        states = self.states()
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
        self.health.ensure([fid], reset=True)
        return self.feed(fid)

    def change(self, feed_id: str, *, interval: str | None = None, title: str | None = None) -> FeedInfo:
        """Change a feed's title and/or polling interval; a shorter interval takes effect at once."""
        cur = self._get(feed_id)
        if interval is None and title is None:
            raise FeedError("nothing to change: give an interval or a title")
        seconds = _seconds(interval) if interval is not None else None
        self._append(FeedChanged(feed_id, title, seconds), cur.version)
        if seconds is not None:
            self.health.reschedule(feed_id, seconds)
        return self.feed(feed_id)

    def move(self, feed_id: str, new_url: str, *, status: int = 301) -> FeedInfo:
        """Record that a feed now lives at another URL (a permanent redirect, or the demo server's new port)."""
        cur = self._get(feed_id)
        if cur.url != new_url:
            self._append(FeedMoved(feed_id, cur.url, new_url, status), cur.version)
        return self.feed(feed_id)

    def moved(self, state: FeedState, new_url: str) -> None:
        """Record a permanent redirect seen while polling `state` (expects the feed unchanged since)."""
        self._append(FeedMoved(state.id, state.url, new_url), state.version)

    def disable(self, state: FeedState, reason: str) -> None:
        """Record that the server said the feed is gone for good (410)."""
        self._append(FeedDisabled(state.id, reason), state.version)

    def remove(self, feed_id: str) -> None:
        """Unsubscribe; the feed's articles stay in the archive."""
        self._append(FeedRemoved(feed_id), self._get(feed_id).version)

    def pause(self, feed_id: str) -> FeedInfo:
        """Stop polling a feed without unsubscribing (an event); its articles and health stay."""
        cur = self._get(feed_id)
        if cur.paused:
            raise FeedError(f"feed {feed_id!r} is already paused")
        self._append(FeedPaused(feed_id), cur.version)
        return self.feed(feed_id)

    def resume(self, feed_id: str) -> FeedInfo:
        """Poll a paused feed again (an event); it is due at once if its next poll time has passed."""
        cur = self._get(feed_id)
        if not cur.paused:
            raise FeedError(f"feed {feed_id!r} is not paused")
        self._append(FeedResumed(feed_id), cur.version)
        return self.feed(feed_id)

    def import_opml(self, data: bytes) -> list[FeedInfo]:
        """Subscribe to every feed of an OPML file not yet subscribed; an unsafe URL refuses the whole file."""
        outlines = parse_opml(data)
        for o in outlines:
            try:
                self._check(o.url)
            except FeedError as e:
                raise BadOPML(f"{o.url}: {e}") from None
        subscribed, added = self._subscribed(), []
        for o in outlines:
            if normalise_url(o.url) not in subscribed:
                added.append(self.add(o.url, title=o.title or None, probe=False, check=False))
                subscribed.add(normalise_url(o.url))
        return added

    def export_opml(self) -> str:
        """The subscriptions as an OPML 2.0 document."""
        return to_opml([Outline(s.url, s.title) for s in self.states().values() if not s.removed])

    def add_defaults(self) -> list[FeedInfo]:
        """Subscribe to the shipped list of auto-industry feeds (skipping those already subscribed)."""
        raw = json.loads(resources.files("feeds").joinpath("data/default_feeds.json").read_text("utf-8"))
        subscribed = self._subscribed()
        # Shipped, reviewed URLs: no probe and no DNS at add time (works offline); every poll is guarded.
        return [self.add(item["url"], title=item.get("title"), language=item.get("language"), probe=False,
                         check=False) for item in raw if normalise_url(item["url"]) not in subscribed]

    # --- queries -----------------------------------------------------------------------------

    def feed(self, feed_id: str) -> FeedInfo:
        """One feed (also a removed one) with its health."""
        s = self.states().get(feed_id)
        if s is None:
            raise UnknownFeed(f"no feed with id {feed_id!r}")
        return self._infos([s])[0]

    def feeds(self, *, include_removed: bool = False) -> list[FeedInfo]:
        """Every subscribed feed (in the order they were added) with its polling health."""
        return self._infos([s for s in self.states().values() if include_removed or not s.removed])

    def feed_ids_for(self, url: str) -> list[str]:
        """The feeds (also removed ones) ever subscribed at this URL."""
        norm = normalise_url(url)
        ids = [s.id for s in self.states().values() if normalise_url(s.url) == norm]
        if not ids:
            raise UnknownFeed(f"no feed with URL {url!r}")
        return ids

    def _infos(self, states: Sequence[FeedState]) -> list[FeedInfo]:
        ids = [s.id for s in states] if len(states) <= 20 else None  # one feed's info must not scan every row
        health, counts = self.health.rows(ids), self.archive.counts(ids)
        return [_info(s, health.get(s.id), counts.get(s.id, 0)) for s in states]

    # --- network checks ----------------------------------------------------------------------

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


def _seconds(interval: str | None) -> int:
    try:
        return max(1, int(parse_interval(interval or DEFAULT_INTERVAL).total_seconds()))
    except ValueError as e:
        raise FeedError(str(e)) from None


def _info(s: FeedState, h: Any, articles: int) -> FeedInfo:
    return FeedInfo(
        id=s.id, url=s.url, title=s.title, interval_seconds=s.interval_seconds, disabled=s.disabled,
        removed=s.removed, last_polled_at=h.last_polled_at if h else None,
        last_success_at=h.last_success_at if h else None, last_error=h.last_error if h else None,
        last_status=h.last_status if h else None, failures_in_row=h.failures_in_row if h else 0,
        next_poll_at=h.next_poll_at if h else None, articles=articles, language=s.language, paused=s.paused)
