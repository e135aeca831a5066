"""HTTP fetching for feed pollers: conditional GETs, redirects checked hop by hop, limits; errors are values.

``Fetcher.fetch`` never raises for network or HTTP problems: every outcome is a ``FetchResult``
the scheduler can store (ETag, Last-Modified, new permanent URL, Retry-After, max-age, error text).

* Redirects are followed by hand (at most ``max_redirects``) so that every hop passes
  ``feeds.urlguard.check_url`` and connects only to the address that was checked.
* Compression: httpx advertises and decodes gzip and deflate, plus br / zstd only when the
  optional ``brotli`` / ``zstandard`` packages are installed; limits apply to decoded bytes.
* Timeouts: connect/read/write per operation, and ``total_timeout`` as a deadline over all hops,
  the response headers and the streamed body: every socket operation is given at most what is
  left of it, so a server that trickles header lines cannot hold a poller past the deadline.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import re
import socket
import ssl
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from feeds.urlguard import PinnedTransport, Resolver, UnsafeURLError, check_url

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_USER_AGENT", "FetchResult", "Fetcher", "parse_max_age", "parse_retry_after"]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "AllianceTracker/0.1 (+https://github.com/alliance-tracker; feed poller)"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Everything the poller needs to store after one fetch, success or not."""

    url: str  # final URL after redirects (or the URL that failed)
    status: int | None = None  # final HTTP status; None when no response arrived
    body: bytes | None = None  # decoded (gunzipped) body of a 2xx response
    headers: dict[str, str] = field(default_factory=dict)  # final response, lower-case names
    etag: str | None = None  # to send back as If-None-Match next time
    last_modified: str | None = None  # to send back as If-Modified-Since next time
    not_modified: bool = False  # 304: nothing to parse
    permanent_redirect_to: str | None = None  # a 301/308 was followed: store this URL instead
    gone: bool = False  # 410: stop polling
    retry_after: float | None = None  # seconds, from Retry-After on 429/503
    max_age: float | None = None  # seconds, from Cache-Control max-age
    error: str | None = None  # one-line human-readable reason when the fetch did not yield a feed
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """True for a usable body or a 304."""
        return self.error is None and (self.not_modified or self.body is not None)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now; accepts delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)


def parse_max_age(cache_control: str | None) -> float | None:
    """Cache-Control max-age in seconds; None when absent or malformed."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def _secs(value: float) -> str:
    """Format a duration for error text: 10 -> '10s', 0.5 -> '0.5s'."""
    return f"{value:g}s"


def _size(n: int) -> str:
    """Format a byte limit for error text: 10485760 -> '10 MB'."""
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    """Exception text squeezed onto one line, falling back to the class name."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class _Failure(Exception):
    """Internal: abort the current fetch with a ready-made error text."""


class Fetcher:
    """Fetches feed URLs politely and safely; one instance is shared by all poller threads."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        total_timeout: float = 30.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = socket.getaddrinfo,
        private_hosts: Collection[str] = frozenset(),
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``transport`` replaces the pinned transport (tests only: the SSRF check still runs, pinning does not)."""
        self.allow_private = allow_private
        self.user_agent = user_agent
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver
        self.private_hosts = frozenset(h.lower().rstrip(".") for h in private_hosts)
        self._transport = transport
        self._verify = verify  # the SSL context (it reads the CA bundle) is made on the first fetch, not here

    # -- public API ---------------------------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET one feed URL with conditional headers; never raises for network/HTTP problems."""
        started = time.monotonic()
        state = _State(url=url, etag=etag, last_modified=last_modified)
        # A fresh pinned transport per fetch: pins never leak between feeds or threads.
        pinned: PinnedTransport | None = None
        transport: httpx.BaseTransport
        if self._transport is None:
            pinned = transport = PinnedTransport(verify=self._ssl)
            pinned.deadline.at = started + self.total_timeout  # bounds connect, headers and body alike
        else:
            transport = _Borrowed(self._transport)
        try:
            with httpx.Client(
                transport=transport,
                headers={"User-Agent": self.user_agent, "Accept": ACCEPT},
                follow_redirects=False,
                trust_env=False,
            ) as client:
                return self._follow(client, pinned, state, started)
        except _Failure as exc:
            return state.result(started, error=str(exc))

    # -- internals ----------------------------------------------------------------------------

    @functools.cached_property
    def _ssl(self) -> ssl.SSLContext:
        """One SSL context for every fetch, made when the first fetch needs it."""
        v = self._verify
        return v if isinstance(v, ssl.SSLContext) else httpx.create_ssl_context(verify=v)

    def _timeout(self, deadline: float) -> httpx.Timeout:
        """Per-hop timeouts, never longer than what is left of the total budget."""
        left = max(0.001, deadline - time.monotonic())

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        t = self.timeout
        return httpx.Timeout(connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool))

    def _follow(
        self, client: httpx.Client, pinned: PinnedTransport | None, state: _State, started: float
    ) -> FetchResult:
        """Walk the redirect chain manually so that every hop passes the SSRF guard."""
        deadline = started + self.total_timeout
        hops = 0
        permanent_run = True  # only a leading run of 301/308 hops is a permanent move
        while True:
            try:
                target = httpx.URL(state.url)
            except (httpx.InvalidURL, ValueError, TypeError) as exc:
                raise _Failure(f"invalid URL {state.url!r}: {_one_line(exc)}") from None
            state.response = None  # a failure on this hop must not report the previous hop's status
            self._guard(target, pinned)
            timeout = self._timeout(deadline)
            headers = {}
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
            try:
                with client.stream("GET", target, headers=headers, timeout=timeout) as response:
                    state.response = response
                    status = response.status_code
                    if status in _REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise _Failure(f"HTTP {status} without a Location header")
                        if hops >= self.max_redirects:
                            raise _Failure(f"too many redirects ({self.max_redirects})")
                        hops += 1
                        try:
                            next_url = str(target.join(location.strip()))
                        except (httpx.InvalidURL, ValueError) as exc:
                            raise _Failure(f"invalid redirect Location {location!r}: {_one_line(exc)}") from None
                        # A 301 then 302 means: the feed moved for good to hop 1's target, which is
                        # itself temporarily elsewhere. Store the last URL of the leading permanent run.
                        if status in _PERMANENT and permanent_run:
                            state.permanent_to = next_url
                        else:
                            permanent_run = False
                        state.url = next_url
                        continue
                    body = self._read_body(response, deadline) if 200 <= status < 300 else None
                    return state.result(started, body=body)
            except httpx.TimeoutException as exc:
                raise _Failure(self._timeout_text(exc, timeout, deadline)) from None
            except httpx.DecodingError as exc:
                raise _Failure(f"bad content encoding: {_one_line(exc)}") from None
            except httpx.HTTPError as exc:
                raise _Failure(_one_line(exc)) from None
            except (OSError, ssl.SSLError) as exc:
                raise _Failure(f"network error: {_one_line(exc)}") from None

    def _guard(self, target: httpx.URL, pinned: PinnedTransport | None) -> None:
        """Run the SSRF check for one hop and pin the checked addresses for the connection."""
        try:
            addresses = check_url(
                str(target), allow_private=self.allow_private, resolver=self.resolver, private_hosts=self.private_hosts
            )
        except UnsafeURLError as exc:
            raise _Failure(str(exc)) from None
        except OSError as exc:
            raise _Failure(f"DNS lookup failed for {target.host!r}: {_one_line(exc)}") from None
        if pinned is not None:
            pinned.pin(target.raw_host.decode("ascii"), addresses)

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        """Stream the body, stopping as soon as the size limit or the total deadline is crossed."""
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _Failure(f"body exceeds {_size(self.max_bytes)} (Content-Length {declared})")
        chunks: list[bytes] = []
        size = 0
        # iter_bytes() yields decoded bytes, so the limit also bounds a gzip bomb's expansion
        # (to one network chunk's worth beyond the limit).
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise _Failure(f"body exceeds {_size(self.max_bytes)}")
            if time.monotonic() > deadline:
                raise _Failure(f"total timeout after {_secs(self.total_timeout)}")
            chunks.append(chunk)
        return b"".join(chunks)

    def _timeout_text(self, exc: httpx.TimeoutException, timeout: httpx.Timeout, deadline: float) -> str:
        """Name the timeout that fired; the total budget wins when it is what shortened the wait."""
        if time.monotonic() >= deadline - 0.01:
            return f"total timeout after {_secs(self.total_timeout)}"
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connect timeout after {_secs(timeout.connect or 0)}"
        if isinstance(exc, httpx.WriteTimeout):
            return f"write timeout after {_secs(timeout.write or 0)}"
        if isinstance(exc, httpx.PoolTimeout):
            return f"pool timeout after {_secs(timeout.pool or 0)}"
        return f"timeout after {_secs(timeout.read or 0)}"


class _Borrowed(httpx.BaseTransport):
    """Wraps an injected transport so that closing a per-fetch Client does not close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


@dataclass(slots=True)
class _State:
    """Mutable per-fetch bookkeeping, turned into a frozen FetchResult at the end."""

    url: str
    etag: str | None
    last_modified: str | None
    permanent_to: str | None = None
    response: httpx.Response | None = None

    def result(self, started: float, *, body: bytes | None = None, error: str | None = None) -> FetchResult:
        """Build the FetchResult from the last response seen (if any)."""
        elapsed_ms = (time.monotonic() - started) * 1000.0
        response = self.response
        if response is None:
            return FetchResult(
                url=self.url,
                etag=self.etag,
                last_modified=self.last_modified,
                error=error,
                elapsed_ms=elapsed_ms,
            )
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        retry_after = parse_retry_after(headers.get("retry-after")) if status in (429, 503) else None
        max_age = parse_max_age(headers.get("cache-control"))
        if error is None and status >= 400:
            reason = response.reason_phrase or ""
            error = f"HTTP {status} {reason}".strip()
        elif error is None and status not in (304,) and not 200 <= status < 300:
            error = f"unexpected HTTP {status}"
        not_modified = status == 304 and error is None
        # Keep the validators we already had when a 304 (or a server that omits them) does not resend them.
        etag = headers.get("etag") or (self.etag if not_modified or status >= 300 else None)
        last_modified = headers.get("last-modified") or (self.last_modified if not_modified or status >= 300 else None)
        return FetchResult(
            url=str(response.request.url) if response.request is not None else self.url,
            status=status,
            body=body if error is None else None,
            headers=headers,
            etag=etag,
            last_modified=last_modified,
            not_modified=not_modified,
            # Only a chain that ended well is worth re-subscribing to (a 301 into a loop is not).
            permanent_redirect_to=self.permanent_to if error is None else None,
            gone=status == 410,
            retry_after=retry_after,
            max_age=max_age,
            error=error,
            elapsed_ms=elapsed_ms,
        )
