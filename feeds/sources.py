"""Feed subscriptions as a pure fold of the feed events: what is subscribed, where, and how often."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from events.envelope import Recorded
from events.types import Event, FeedAdded, FeedChanged, FeedDisabled, FeedMoved, FeedPaused, FeedRemoved, FeedResumed

from .folded import Folded, Stored
from .tables import FEED_STATE

__all__ = [
    "FEED_EVENT_TYPES",
    "FeedState",
    "apply",
    "feed_id_for",
    "fold",
    "feed_states",
    "fold_log",
    "normalise_url",
    "stored_feed_states",
]

FEED_EVENT_TYPES = ("FeedAdded", "FeedChanged", "FeedMoved", "FeedDisabled", "FeedRemoved", "FeedPaused", "FeedResumed")
DEFAULT_INTERVAL = 1800
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class FeedState:
    """One feed as the events say it is now."""

    id: str
    url: str
    title: str = ""
    interval_seconds: int = DEFAULT_INTERVAL
    language: str | None = None
    disabled: bool = False
    disabled_reason: str = ""
    removed: bool = False
    version: int = 0  # stream version folded so far (for optimistic appends)
    paused: bool = False  # a person paused it: subscribed, but not polled

    @property
    def active(self) -> bool:
        """Polled by the scheduler: neither removed, nor gone (410), nor paused."""
        return not (self.removed or self.disabled or self.paused)


def normalise_url(url: str) -> str:
    """Compare URLs as the server would: lower-case scheme and host, no fragment, no default port."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    scheme = parts.scheme.lower()
    netloc = host if host.count(":") == 0 else f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc += f":{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def feed_id_for(url: str) -> str:
    """A short stable id from the first URL: a readable host slug plus 8 hex digits of its hash."""
    norm = normalise_url(url)
    host = (urlsplit(norm).hostname or "feed").removeprefix("www.")
    slug = _SLUG.sub("-", host.lower()).strip("-")[:24].strip("-") or "feed"
    return f"{slug}-{hashlib.sha256(norm.encode()).hexdigest()[:8]}"


def apply(cur: FeedState | None, event: Event, version: int = 0) -> FeedState | None:
    """One feed's state after one of its events (pure)."""
    if isinstance(event, FeedAdded):  # also a re-subscription after FeedRemoved
        return FeedState(event.feed_id, event.url, event.title, event.interval_seconds, event.language, version=version)
    if cur is None:
        return None  # an event for a feed never added: nothing to change
    if isinstance(event, FeedChanged):
        return replace(
            cur,
            title=cur.title if event.title is None else event.title,
            interval_seconds=event.interval_seconds or cur.interval_seconds,
            version=version,
        )
    if isinstance(event, FeedMoved):
        return replace(cur, url=event.new_url, version=version)
    if isinstance(event, FeedDisabled):
        return replace(cur, disabled=True, disabled_reason=event.reason, version=version)
    if isinstance(event, FeedRemoved):
        return replace(cur, removed=True, version=version)
    if isinstance(event, (FeedPaused, FeedResumed)):
        return replace(cur, paused=isinstance(event, FeedPaused), version=version)
    return cur


def fold(events: Iterable[tuple[Event, int]], start: Mapping[str, FeedState] | None = None) -> dict[str, FeedState]:
    """Fold (event, stream version) pairs in log order into the map of feeds by id (pure)."""
    feeds: dict[str, FeedState] = dict(start or {})
    for event, version in events:
        fid = getattr(event, "feed_id", None)
        if fid is None:
            continue
        new = apply(feeds.get(fid), event, version)
        if new is not None:
            feeds[fid] = new
    return feeds


def fold_log(start: Mapping[str, FeedState], records: Iterable[Recorded]) -> dict[str, FeedState]:
    """Fold stored feed events (a batch, in log order) into the map of feeds by id (pure)."""
    return fold(((r.event, r.stream_version) for r in records), start)


def feed_states() -> Folded[dict[str, FeedState]]:
    """The subscriptions read model: every feed ever added, by id."""
    return Folded("feed-state", FEED_EVENT_TYPES, fold_log, dict)


def _feed_key(rec: Recorded) -> str | None:
    return getattr(rec.event, "feed_id", None)


def _feed_doc(state: FeedState) -> dict[str, Any]:
    return asdict(state)


def stored_feed_states() -> Stored[FeedState]:
    """The subscriptions read model on the runner: table `feed_state`, one row per feed ever added."""
    return Stored(
        "feed-state", FEED_EVENT_TYPES, FEED_STATE, _feed_key, fold_log, (_feed_doc, lambda d: FeedState(**d))
    )
