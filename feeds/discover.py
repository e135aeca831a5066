"""Find feed URLs advertised by an HTML page (<link rel="alternate" type="application/rss+xml">)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["FEED_TYPES", "discover_feed_urls"]

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",  # JSON Feed 1.0 sites often advertise plain application/json
        "application/xml",
        "text/xml",
        "application/x.atom+xml",
        "application/x-atom+xml",
        "application/x-rss+xml",
    }
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._-]+)", re.IGNORECASE)


class _LinkCollector(HTMLParser):
    """Collects <base href> and feed <link> hrefs in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            mime = values.get("type", "").split(";", 1)[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and mime in FEED_TYPES and href:
                self.hrefs.append(href)

    handle_startendtag = handle_starttag


def _decode(html: bytes) -> str:
    """Decode using a <meta charset> when present; URLs are ASCII in practice, so errors are replaced."""
    match = _META_CHARSET.search(html[:4096])
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return html.decode(encoding, errors="replace")
    except LookupError:  # <meta charset="bogus">
        return html.decode("utf-8", errors="replace")


def discover_feed_urls(html: bytes, base_url: str) -> list[str]:
    """Absolute http(s) feed URLs advertised by the page, first-listed first, without duplicates."""
    parser = _LinkCollector()
    try:
        parser.feed(_decode(html))
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient, but a broken page must not crash discovery
        pass
    base = urljoin(base_url, parser.base) if parser.base else base_url
    found: list[str] = []
    for href in parser.hrefs:
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme.lower() in ("http", "https") and absolute not in found:
            found.append(absolute)
    return found
