"""A feed's poll error in plain words: what went wrong and what it usually means.

The poller stores one technical line per failure ("DNS lookup failed for 'x': [Errno -2] Name or service not
known", "HTTP 503 Service Unavailable", "not a feed: ..."); people get a sentence, the raw line stays at hand
(the pages fold it away in <details>). Pure: text in, text out.
"""
from __future__ import annotations

import re

__all__ = ["explain"]

_HTTP = re.compile(r"\bHTTP (\d{3})\b")

# (pattern in the raw text, sentence); the first that matches wins, so the specific ones come first
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.I), s) for p, s in (
    (r"name or service not known|nodename nor servname|no address associated|getaddrinfo failed|"
     r"name does not resolve|non-existent domain",
     "the feed's host name could not be found: check the address for typos, or the site may be gone"),
    (r"temporary failure in name resolution|dns lookup failed",
     "the feed's host name could not be looked up (a DNS problem, often temporary)"),
    (r"certificate|\bssl\b|\btls\b|handshake",
     "a secure (TLS) connection could not be made: the site's certificate was not accepted"),
    (r"connect timeout",
     "the feed's server did not accept a connection in time (it may be down or blocking us)"),
    (r"timeout|timed out",
     "the feed's server took too long to answer"),
    (r"connection refused",
     "the feed's server refused the connection (nothing is listening at that address)"),
    (r"connection reset|network is unreachable|no route to host|network error|remote ?protocol|disconnected",
     "the connection to the feed's server broke off"),
    (r"body exceeds",
     "the feed is too large: it is over the size limit (10 MB)"),
    (r"too many redirects",
     "the feed's address redirects too many times"),
    (r"without a location header|invalid redirect",
     "the feed's server sent a broken redirect"),
    (r"^refused:|private|loopback|not allowed",
     "the address is not allowed: it points to a private or local network, or is not an http(s) URL"),
    (r"invalid url",
     "the feed's address is not a valid URL"),
    (r"^not a feed",
     "the address answered, but not with a news feed (RSS or Atom): it may be a web page"),
    (r"empty response",
     "the feed's server sent an empty answer"),
    (r"bad content encoding",
     "the feed's server sent a compressed answer that could not be unpacked"),
))

_STATUS = {
    401: "the feed needs a login (HTTP 401)",
    403: "the feed's server refused access (HTTP 403): it may block automated readers",
    404: "the feed was not found at this address (HTTP 404): it may have moved",
    410: "the feed is gone for good (HTTP 410): it is no longer polled",
    429: "the feed's server asked us to slow down (HTTP 429): polling backs off",
}


def _status_words(code: int) -> str:
    if code in _STATUS:
        return _STATUS[code]
    if code >= 500:
        return f"the feed's server had an error (HTTP {code}); this is usually temporary"
    if code >= 400:
        return f"the feed's server refused the request (HTTP {code})"
    return f"the feed's server gave an unexpected answer (HTTP {code})"


def explain(error: str | None, status: int | None = None) -> str | None:
    """One sentence for people about a poll error (None when there was no error)."""
    if not error:
        return None
    m = _HTTP.search(error)
    if m and error.lstrip().upper().startswith(("HTTP", "UNEXPECTED HTTP")):
        return _status_words(int(m.group(1)))
    for pattern, sentence in _PATTERNS:
        if pattern.search(error):
            return sentence
    if status is not None and status >= 400:
        return _status_words(status)
    return "polling the feed failed"
