"""One poll of one feed: fetch and parse (in a worker thread), then a pure verdict on what to record."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .fetch import Fetcher, FetchResult
from .parse import ParsedFeed, parse_feed
from .politeness import next_poll_at

log = logging.getLogger(__name__)

__all__ = ["Fetched", "Verdict", "fetch_only", "judge", "looks_like_html", "parse_fetched"]

_HTML_MARKERS = (b"<!doctype html", b"<html")


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetch and, when it brought a body, its parse."""

    feed_id: str
    url: str
    result: FetchResult
    parsed: ParsedFeed | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one fetch means for the feed's health and its subscription."""

    ok: bool
    error: str | None
    failures_in_row: int
    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    moved_to: str | None  # append FeedMoved
    gone: bool  # append FeedDisabled


def looks_like_html(result: FetchResult) -> bool:
    """An HTML page rather than a feed (for autodiscovery at add time)."""
    ctype = result.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return True
    head = (result.body or b"")[:512].lstrip().lower()
    return head.startswith(_HTML_MARKERS)


def fetch_only(fetcher: Fetcher, feed_id: str, url: str, etag: str | None, last_modified: str | None) -> Fetched:
    """Fetch one feed conditionally (runs in a worker thread); the body is parsed elsewhere (`parse_fetched`, or
    the pools' parser processes)."""
    try:
        result = fetcher.fetch(url, etag=etag, last_modified=last_modified)
    except Exception as exc:  # noqa: BLE001 - errors are values at the network edge
        result = FetchResult(url=url, etag=etag, last_modified=last_modified, error=f"internal error: {exc!r}")
    return Fetched(feed_id, url, result, None)


def parse_fetched(fetched: Fetched) -> Fetched:
    """Parse a fetched body (CPU-bound: worth no thread under the GIL); never raises."""
    r = fetched.result
    if r.body is None or fetched.parsed is not None:
        return fetched
    return replace(fetched, parsed=parse_feed(r.body, headers=r.headers, url=r.url))


def judge(fetched: Fetched, *, failures_in_row: int, interval_seconds: int, now: datetime, jitter: float) -> Verdict:
    """Pure: success or failure, the next poll time (backoff, Retry-After, max-age), and subscription changes."""
    r = fetched.result
    error = r.error
    if error is None and not r.not_modified:
        p = fetched.parsed
        if p is None:
            error = "empty response"
        elif p.error:
            error = f"not a feed: {p.error}"
    ok = error is None
    failures = 0 if ok else failures_in_row + 1
    when = next_poll_at(now, interval=timedelta(seconds=max(1, interval_seconds)), failures_in_row=failures,
                        retry_after=r.retry_after, max_age=r.max_age, jitter=jitter)
    keep = ok or r.status is None or r.status >= 300  # never revalidate a 2xx body we could not use
    return Verdict(ok=ok, error=error, failures_in_row=failures, next_poll_at=when,
                   etag=r.etag if keep else None, last_modified=r.last_modified if keep else None,
                   moved_to=r.permanent_redirect_to if ok else None, gone=r.gone)
