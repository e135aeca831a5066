"""Atom documents of the change log (feedgen writes the XML; this module only decides what goes in).

feedgen (with lxml and dateutil, ~6 MB) is imported by the first feed asked for, not when the web starts.

Entry ids are `urn:uuid:` names derived from the change's stable id (log position + alliance), so the
same change has the same id in every feed that carries it, on every request and after every rebuild.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from .ports import Json

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

NAMESPACE = uuid.UUID("6c1f8e2a-54d4-4a53-9a4e-0d6b7e1f3a90")  # ours: only stability matters
EMPTY_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)  # a fixed date for a feed with no entries (stable bytes)


def urn(kind: str, key: str) -> str:
    """A stable URN for a change ("change", its id) or a feed ("feed", its path and filters)."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def instant(text: str) -> datetime:
    """The log's ISO-8601 UTC text ('...Z') as an aware datetime."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def linkable(url: object) -> str | None:
    """Only web addresses become links (a citation may carry none, or something else)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def source_html(source: Json | None) -> Markup:
    """The change's source cited in words, linked when it has a web address."""
    if not source:
        return Markup("<p>Source: not recorded.</p>")
    publisher, title, url = source.get("publisher") or "", source.get("title") or "", linkable(source.get("url"))
    cited = escape(title or publisher)
    if url:
        cited = Markup('<a href="{}">{}</a>').format(url, cited)
    who = Markup("{}: ").format(publisher) if publisher and title else Markup("")
    when = Markup(" ({})").format(source["published"]) if source.get("published") else Markup("")
    return Markup("<p>Source: {}{}{}</p>").format(who, cited, when)


@cache
def entry_links() -> type:
    """The feedgen entry extension writing an entry's links with their rel, type and title: feedgen 1.0 writes
    only the href of entry links (its loop variable shadows the link it reads). Made on first use, with feedgen."""
    from feedgen.ext.base import BaseEntryExtension
    from feedgen.util import xml_elem

    class EntryLinks(BaseEntryExtension):  # type: ignore[misc]
        def __init__(self) -> None:
            self.links: list[dict[str, str]] = []

        def extend_atom(self, entry: object) -> object:
            for attrs in self.links:
                xml_elem("link", entry, **attrs)
            return entry

    return EntryLinks


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What identifies one feed: its key (for the id), title, own URL and the page it mirrors."""

    key: str
    title: str
    self_url: str
    page_url: str


def atom(info: FeedInfo, changes: Sequence[Json], entry_url: Callable[[Json], str]) -> bytes:
    """The Atom document for `changes` (newest first); `entry_url` gives each change's page."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(urn("feed", info.key))
    fg.title(info.title)
    fg.author({"name": "Alliance Tracker"})
    fg.link(href=info.self_url, rel="self", type="application/atom+xml")
    fg.link(href=info.page_url, rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("Alliance Tracker (feedgen)")
    fg.updated(instant(changes[0]["recorded_at"]) if changes else EMPTY_UPDATED)
    for c in reversed(changes):  # feedgen puts each new entry first: add oldest first
        _entry(fg, c, entry_url(c))
    out: bytes = fg.atom_str(pretty=True)
    return out


def _entry(fg: FeedGenerator, c: Json, page: str) -> None:
    fe = fg.add_entry()
    fe.id(urn("change", c["id"]))
    fe.title(c["title"])
    fe.updated(instant(c["recorded_at"]))
    fe.published(instant(c["recorded_at"]))
    fe.register_extension("links", entry_links(), atom=True, rss=False)
    links: list[dict[str, str]] = fe.links.links
    links.append({"href": page, "rel": "alternate", "type": "text/html"})
    source = c.get("source") or {}
    if url := linkable(source.get("url")):
        links.append({"href": url, "rel": "related", "title": source.get("title") or source.get("publisher") or url})
    fe.summary(f"{c['title']}. Source: {source.get('publisher') or 'not recorded'}")
    body = Markup("<p>{}</p>").format(c["summary"] or c["title"]) + source_html(c.get("source"))
    fe.content(str(body), type="html")
