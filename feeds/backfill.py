"""Backfill: an archive of past news (JSON Lines) read into archive rows, so it takes the polled articles' path.

Each line is the `alliances extract` input (`id`, `published`, `title`, `summary`, optional `content`, `lang`) plus
the article's `url` and `publisher`. Pure: lines in, items and one message per bad line out; items in, rows out.
Imported articles belong to one pseudo-feed per publisher (`archive-...`, never subscribed, never polled) whose
name the archive keeps in `archive_sources`, so extraction cites the publisher as it cites a feed's title.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from events.store import utc_stamp

from .parse import content_hash, guess_language

__all__ = ["ArchiveItem", "Read", "archive_rows", "read_archive", "source_id", "split_new"]

MAX_TEXT = 200_000  # characters per field: an archive line is one article, not a dump
_SLUG = re.compile(r"[^a-z0-9]+")
_URL = re.compile(r"https?://[^/\s]+\S*")


@dataclass(frozen=True, slots=True)
class ArchiveItem:
    """One good line: an article of the past, with where it was published."""

    line: int
    url: str
    publisher: str
    title: str
    summary: str
    content: str
    lang: str | None
    published: datetime  # UTC, midnight when only the day was given
    item_id: str | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.summary, self.content)

    @property
    def feed_id(self) -> str:
        return source_id(self.publisher)


@dataclass(frozen=True, slots=True)
class Read:
    """What a file held: the good items, one message per bad line, how many lines were not blank."""

    items: list[ArchiveItem]
    errors: list[str]
    lines: int


def source_id(publisher: str) -> str:
    """The pseudo-feed of a publisher's archived articles: a readable slug plus 8 hex digits of the name."""
    name = " ".join(publisher.split())
    slug = _SLUG.sub("-", name.lower()).strip("-")[:24].strip("-") or "source"
    return f"archive-{slug}-{hashlib.sha256(name.casefold().encode()).hexdigest()[:8]}"


def read_archive(lines: Iterable[bytes], today: date) -> Read:
    """Every line checked on its own: a bad line costs only itself."""
    items: list[ArchiveItem] = []
    errors: list[str] = []
    count = 0
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        count += 1
        try:
            items.append(parse_line(n, raw, today))
        except ValueError as e:
            errors.append(f"line {n}: {e}")
    return Read(items, errors, count)


def parse_line(n: int, raw: bytes, today: date) -> ArchiveItem:
    """One line as an item; ValueError with the reason (for people) when it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte {e.start + 1})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    if not isinstance(doc, dict):
        raise ValueError("expected a JSON object with url, publisher, published, title, summary")
    url = _text(doc, "url", required=True).strip()
    if not _URL.fullmatch(url):
        raise ValueError(f"url must be an http(s) URL, got {url[:80]!r}")
    publisher = " ".join(_text(doc, "publisher", required=True).split())
    title = _text(doc, "title", required=True).strip()
    summary, content = _text(doc, "summary"), _text(doc, "content")
    lang = _text(doc, "lang").strip().lower() or guess_language(f"{title} {summary} {content}")
    item_id = doc.get("id")
    return ArchiveItem(n, url, publisher, title, summary, content, lang, _published(doc.get("published"), today),
                       str(item_id) if item_id is not None else None)


def _text(doc: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = doc.get(key)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"no {key}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{key} is longer than {MAX_TEXT} characters")
    return value


def _published(value: Any, today: date) -> datetime:
    """YYYY-MM-DD or an ISO-8601 time; never after today (an archive holds the past)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("no published date (YYYY-MM-DD)")
    text = value.strip()
    try:
        when = (datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text
                else datetime.combine(date.fromisoformat(text), datetime.min.time()))
    except ValueError:
        raise ValueError(f"published must be a date YYYY-MM-DD, got {text[:40]!r}") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when.date() > today:
        raise ValueError(f"published {text!r} is in the future")
    return when


def article_key(url: str) -> str:
    """An imported article's identity: its URL (a second import of the same URL is the same article)."""
    return hashlib.sha256(f"archive\x1furl:{url}".encode()).hexdigest()[:20]


def archive_rows(items: Sequence[ArchiveItem], fetched_at: datetime) -> list[dict[str, Any]]:
    """The archive rows of new items (pure), in the shape `insert_articles` writes."""
    stamp = utc_stamp(fetched_at)
    return [
        {
            "id": f"{article_key(it.url)}-v1", "article_key": article_key(it.url), "version": 1,
            "feed_id": it.feed_id, "entry_id": it.item_id, "url": it.url, "title": it.title, "summary": it.summary,
            "content": it.content, "lang": it.lang, "published": utc_stamp(it.published),
            "published_estimated": False, "fetched_at": stamp, "content_hash": it.content_hash,
        }
        for it in items
    ]


def split_new(items: Sequence[ArchiveItem], urls: set[str], hashes: set[str]) -> tuple[list[ArchiveItem],
                                                                                      list[ArchiveItem]]:
    """(new, already archived): an item whose URL or text the archive (or an earlier line) holds is not new."""
    seen_urls, seen_hashes = set(urls), set(hashes)
    new, known = [], []
    for it in items:
        if it.url in seen_urls or it.content_hash in seen_hashes:
            known.append(it)
            continue
        seen_urls.add(it.url)
        seen_hashes.add(it.content_hash)
        new.append(it)
    return new, known
