"""Where notifications go: signed webhooks (httpx, pinned to SSRF-checked addresses) and apprise URLs.

Both kinds of target pass the feeds' SSRF guard when a subscription is made and again at every send
(DNS may change in between). An apprise URL must use a scheme on the allowlist; for those whose host
is a server of the subscriber's choosing (mail, ntfy, Matrix) that host is checked too, while Slack,
Telegram and Discord always talk to their fixed public APIs.
"""
from __future__ import annotations

import email.utils
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from feeds.urlguard import PinnedTransport, UnsafeURLError, check_url

__all__ = ["APPRISE_SCHEMES", "Guard", "Outcome", "Sender", "mask", "retry_after_seconds"]

# scheme -> which host the guard checks: "smtp" (the mail server), "host" (the URL's host), "fixed" (none)
APPRISE_SCHEMES: Mapping[str, str] = {
    "mailto": "smtp", "mailtos": "smtp", "ntfy": "host", "ntfys": "host", "matrix": "host", "matrixs": "host",
    "slack": "fixed", "tgram": "fixed", "discord": "fixed",
}
EXCERPT = 300
USER_AGENT = "alliance-tracker-notify/1"


class BadTarget(ValueError):
    """A target we refuse to send to (unsafe address, scheme off the allowlist, malformed)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's result as the attempt log keeps it."""

    status: int | None
    latency_ms: float
    excerpt: str
    ok: bool
    retry_after: float | None = None  # seconds the receiver asked us to wait
    gone: bool = False  # 410: stop for good


@dataclass(frozen=True)
class Guard:
    """The SSRF guard with the tracker's settings (ALLIANCES_ALLOW_PRIVATE_URLS lifts it)."""

    allow_private: bool = False

    def webhook(self, url: str) -> list[Any]:
        """The checked addresses of a webhook URL; BadTarget when unsafe or unresolvable."""
        try:
            return check_url(url, allow_private=self.allow_private)
        except UnsafeURLError as e:
            raise BadTarget(str(e)) from None
        except OSError as e:
            raise BadTarget(f"refused: cannot resolve the host of {mask(url)} ({e.strerror or e})") from None

    def apprise(self, url: str) -> Any:
        """The apprise plugin for a URL whose scheme is allowed and whose server passes the guard."""
        import apprise

        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme not in APPRISE_SCHEMES:
            raise BadTarget(f"refused: apprise scheme {scheme or '(none)'!r} is not allowed;"
                            f" one of {', '.join(sorted(APPRISE_SCHEMES))}")
        plugin = apprise.Apprise.instantiate(url.strip())
        if plugin is None:
            raise BadTarget(f"refused: apprise cannot use {mask(url, apprise_url=True)} (malformed URL)")
        host = _apprise_host(APPRISE_SCHEMES[scheme], plugin)
        if host:
            self.webhook(f"http://{host}:{int(getattr(plugin, 'port', None) or 80)}/")
        return plugin


def _apprise_host(rule: str, plugin: Any) -> str | None:
    if rule == "smtp":
        return str(getattr(plugin, "smtp_host", "") or plugin.host or "") or None
    if rule == "host" and getattr(plugin, "mode", "private") not in ("cloud", "t2bot"):
        return str(plugin.host or "") or None
    return None


def mask(url: str, *, apprise_url: bool = False) -> str:
    """The target as the public log may show it: scheme and server, never user, password, path or query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if apprise_url and APPRISE_SCHEMES.get(scheme) == "fixed":
        return f"{scheme}://…"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.username) else ""
    return f"{scheme}://{parts.hostname or ''}{port}{rest}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    v = value.strip()
    if v.isdigit():
        return float(v)
    try:
        when = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Sender:
    """Sends webhook posts and apprise notifications; one per dispatcher (keeps its connections)."""

    def __init__(self, guard: Guard, *, timeout: float = 10.0) -> None:
        self.guard = guard
        self.timeout = timeout
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # headers and body are two writes: no Nagle wait
        self._transport = PinnedTransport(verify=ssl.create_default_context(), socket_options=nodelay)
        self._client = httpx.Client(transport=self._transport, follow_redirects=False, trust_env=False,
                                    headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """POST a signed body; a 2xx is success, anything else (redirects too) a failure to retry."""
        started = time.monotonic()
        try:
            host = (urlsplit(url).hostname or "").encode("idna").decode("ascii")
            self._transport.pin(host, self.guard.webhook(url))
            self._transport.deadline.at = started + self.timeout
            with self._client.stream("POST", url, content=body, headers=dict(headers),
                                     timeout=self.timeout) as r:
                excerpt = _excerpt(r)
        except BadTarget as e:
            return Outcome(None, _ms(started), str(e), False)
        except httpx.TimeoutException:
            return Outcome(None, _ms(started), f"no answer within {self.timeout:g} s (timed out)", False)
        except (httpx.HTTPError, OSError, UnicodeError) as e:
            return Outcome(None, _ms(started), f"no answer: {type(e).__name__}: {e}"[:EXCERPT], False)
        finally:
            self._transport.deadline.at = None
        return Outcome(r.status_code, _ms(started), excerpt, 200 <= r.status_code < 300,
                       retry_after_seconds(r.headers.get("retry-after")), r.status_code == 410)

    def notify(self, url: str, title: str, body: str) -> Outcome:
        """Send through apprise (it reports no status code: its log lines are the excerpt)."""
        import apprise

        started = time.monotonic()
        try:
            plugin = self.guard.apprise(url)
        except BadTarget as e:
            return Outcome(None, _ms(started), str(e), False)
        box = apprise.Apprise()
        box.add(plugin)
        with apprise.LogCapture(level=logging.INFO) as out:  # type: ignore[no-untyped-call]
            ok = bool(box.notify(title=title, body=body))
        lines = [ln.split(" - ", 2)[-1] for ln in out.getvalue().splitlines() if ln.strip()]
        return Outcome(None, _ms(started), " | ".join(lines)[-EXCERPT:] or ("sent" if ok else "failed"), ok)


def _excerpt(r: httpx.Response) -> str:
    got = b""
    for chunk in r.iter_bytes():
        got += chunk
        if len(got) >= EXCERPT:
            break
    return got[:EXCERPT].decode("utf-8", "replace")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
