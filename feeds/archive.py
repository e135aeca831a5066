"""The article archive: pure dedupe decisions, the writes that store a new entry with its outbox row, and
the outbox that hands each stored article to ingest exactly once."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from events.store import EventStore, utc_stamp

from . import leases
from .backfill import ArchiveItem, archive_rows, split_new
from .clock import Clock, utc_now
from .ingest import Article
from .parse import ParsedEntry
from .sources import FeedState
from .tables import ArchiveSourceRow, ArticleRow, OutboxRow

__all__ = [
    "ARTICLES_CHANNEL",
    "Archive",
    "Decision",
    "Known",
    "KnownIndex",
    "article_key",
    "article_rows",
    "decide",
    "insert_articles",
    "known_for_feeds",
    "plan",
]

_CHUNK = 500

ARTICLES = ArticleRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
SOURCES = ArchiveSourceRow.__table__  # type: ignore[attr-defined]
ARTICLES_CHANNEL = "alliances_articles"  # NOTIFY channel: articles committed to the outbox (payload: how many)


@dataclass(frozen=True, slots=True)
class Known:
    """The latest stored version of one article, as far as deduplication cares."""

    article_key: str
    version: int
    entry_id: str | None
    link: str | None
    content_hash: str


@dataclass(slots=True)
class KnownIndex:
    """Lookup of a feed's stored articles by entry id, link and content hash."""

    by_id: dict[str, Known] = field(default_factory=dict)
    by_link: dict[str, Known] = field(default_factory=dict)
    by_hash: dict[str, Known] = field(default_factory=dict)

    @classmethod
    def of(cls, known: Iterable[Known]) -> KnownIndex:
        index = cls()
        for k in known:
            index.add(k)
        return index

    def add(self, k: Known) -> None:
        """Index a (newer) version; later versions replace earlier ones."""
        if k.entry_id:
            self.by_id[k.entry_id] = k
        if k.link:
            self.by_link[k.link] = k
        self.by_hash[k.content_hash] = k


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one parsed entry: store it as a new article, as a new version, or skip it."""

    action: Literal["new", "version", "skip"]
    article_key: str
    version: int


def article_key(feed_id: str, entry: ParsedEntry) -> str:
    """A stable identity for a new entry: its id, else its link, else its content hash, within its feed."""
    ident = (
        f"id:{entry.entry_id}"
        if entry.entry_id
        else f"link:{entry.link}"
        if entry.link
        else f"hash:{entry.content_hash}"
    )
    return hashlib.sha256(f"{feed_id}\x1f{ident}".encode()).hexdigest()[:20]


def decide(feed_id: str, entry: ParsedEntry, index: KnownIndex) -> Decision:
    """Dedupe by entry id, then link, then content hash; same identity with new content is a new version."""
    match = (index.by_id.get(entry.entry_id) if entry.entry_id else None) or (
        index.by_link.get(entry.link) if entry.link else None
    )
    if match is not None:
        if match.content_hash == entry.content_hash:
            return Decision("skip", match.article_key, match.version)
        return Decision("version", match.article_key, match.version + 1)
    same = index.by_hash.get(entry.content_hash)
    if same is not None:  # same text under a new id and link (a feed that regenerates guids)
        return Decision("skip", same.article_key, same.version)
    return Decision("new", article_key(feed_id, entry), 1)


def plan(feed_id: str, entries: Sequence[ParsedEntry], index: KnownIndex) -> list[tuple[ParsedEntry, Decision]]:
    """Decisions for a whole document, oldest entry first; duplicates within the document are skipped too."""
    out: list[tuple[ParsedEntry, Decision]] = []
    for entry in reversed(entries):  # feeds list newest first: store in publication order
        d = decide(feed_id, entry, index)
        if d.action != "skip":
            index.add(Known(d.article_key, d.version, entry.entry_id, entry.link, entry.content_hash))
            out.append((entry, d))
    return out


def known_for_feeds(conn: Connection, feed_ids: Sequence[str]) -> dict[str, KnownIndex]:
    """The dedupe indexes of some feeds, from their stored rows (one query per 500 feeds)."""
    out = {fid: KnownIndex() for fid in feed_ids}
    ids = list(feed_ids)
    for i in range(0, len(ids), 500):
        q = (
            select(
                ARTICLES.c.feed_id,
                ARTICLES.c.article_key,
                ARTICLES.c.version,
                ARTICLES.c.entry_id,
                ARTICLES.c.url,
                ARTICLES.c.content_hash,
            )
            .where(ARTICLES.c.feed_id.in_(ids[i : i + 500]))
            .order_by(ARTICLES.c.version)
        )
        for fid, *known in conn.execute(q):
            out[fid].add(Known(*known))
    return out


def article_rows(
    feed_id: str, planned: Sequence[tuple[ParsedEntry, Decision]], fetched_at: datetime
) -> list[dict[str, Any]]:
    """The archive rows for planned entries (pure); a missing date becomes the fetch time, flagged as estimated."""
    stamp = utc_stamp(fetched_at)
    return [
        {
            "id": f"{d.article_key}-v{d.version}",
            "article_key": d.article_key,
            "version": d.version,
            "feed_id": feed_id,
            "entry_id": entry.entry_id,
            "url": entry.link,
            "title": entry.title,
            "summary": entry.summary,
            "content": entry.content,
            "lang": entry.language,
            "published": utc_stamp(entry.published) if entry.published else stamp,
            "published_estimated": entry.published is None,
            "fetched_at": stamp,
            "content_hash": entry.content_hash,
        }
        for entry, d in planned
    ]


def insert_articles(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert article rows and their outbox rows in the caller's transaction (so neither exists without the other).

    On PostgreSQL the same transaction notifies ARTICLES_CHANNEL, so a waiting ingest job wakes when it commits."""
    if rows:
        conn.execute(insert(ARTICLES), list(rows))
        conn.execute(insert(OUTBOX), [{"article_id": r["id"], "created_at": r["fetched_at"]} for r in rows])
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_notify(ARTICLES_CHANNEL, str(len(rows)))))


class Archive:
    """Reads of the archive and its outbox (writes of new articles happen in the poller's transaction).

    Several workers may drain one outbox: each claims a batch (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
    the write lock on SQLite) for `lease_seconds`, so no batch goes to extraction twice while its holder
    lives; a dead holder's claims lapse (at once when it ran on this host) and another worker takes them.
    """

    def __init__(self, store: EventStore, *, worker_id: str | None = None, lease_seconds: float = 600.0,
                 clock: Clock = utc_now) -> None:
        self.store = store
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    def articles(
        self, feeds: Mapping[str, FeedState], *, feed_ids: Sequence[str] | None = None, limit: int | None = None,
        offset: int = 0,
    ) -> list[Article]:
        """Archived articles, newest first, the latest version of each; optionally of some feeds only, paged."""
        newer = ARTICLES.alias("newer")
        q = select(ARTICLES).where(
            ~select(newer.c.id)
            .where(newer.c.article_key == ARTICLES.c.article_key, newer.c.version > ARTICLES.c.version)
            .exists()
        )
        if feed_ids is not None:
            q = q.where(ARTICLES.c.feed_id.in_(list(feed_ids)))
        q = q.order_by(ARTICLES.c.published.desc(), ARTICLES.c.id)
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        feeds = self.with_sources(feeds)
        with self.store.engine.connect() as conn:
            return [to_article(r, feeds) for r in conn.execute(q).mappings()]

    def counts(self, feed_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Distinct articles per feed (all feeds, or the few asked for: one feed must not scan every row)."""
        q = select(ARTICLES.c.feed_id, func.count(func.distinct(ARTICLES.c.article_key))).group_by(ARTICLES.c.feed_id)
        if feed_ids is not None:
            q = q.where(ARTICLES.c.feed_id.in_(list(feed_ids)))
        with self.store.engine.connect() as conn:
            return {fid: int(n) for fid, n in conn.execute(q)}

    def pending(self, feeds: Mapping[str, FeedState], limit: int = 500, *, after: int = 0) -> list[tuple[int, Article]]:
        """(outbox seq, article) not yet ingested, in the order they were stored, after outbox seq `after`."""
        q = (
            select(OUTBOX.c.seq, ARTICLES)
            .join(OUTBOX, OUTBOX.c.article_id == ARTICLES.c.id)
            .where(OUTBOX.c.processed_at.is_(None), OUTBOX.c.seq > after)
            .order_by(OUTBOX.c.seq)
            .limit(limit)
        )
        feeds = self.with_sources(feeds)
        with self.store.engine.connect() as conn:
            return [(r["seq"], to_article(r, feeds)) for r in conn.execute(q).mappings()]

    def pending_count(self) -> int:
        """Articles waiting for extraction."""
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.processed_at.is_(None)))
                       .scalar_one())

    def claimable(self, at_most: int) -> int:
        """Pending articles nobody holds, counted up to `at_most` (is there a whole batch to claim?)."""
        free = or_(OUTBOX.c.claim_until.is_(None), OUTBOX.c.claim_until < utc_stamp(self.clock()))
        waiting = select(OUTBOX.c.seq).where(OUTBOX.c.processed_at.is_(None), free).limit(at_most).subquery()
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(waiting)).scalar_one())

    def with_sources(self, feeds: Mapping[str, FeedState]) -> Mapping[str, FeedState]:
        """The subscriptions plus the publishers of imported archives (so their articles cite the publisher)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(SOURCES.c.feed_id, SOURCES.c.publisher)).all()
        if not rows:
            return feeds
        return {**{fid: FeedState(fid, "", publisher) for fid, publisher in rows}, **feeds}

    def import_items(self, items: Sequence[ArchiveItem], at: datetime) -> tuple[list[ArchiveItem], list[ArchiveItem]]:
        """Archive the items whose URL and text no feed's article has yet, with their outbox rows and publishers,
        in one transaction; returns (new, already archived). Importing the same file twice adds nothing."""
        with self.store.write() as conn:
            urls, hashes = _known(conn, [it.url for it in items], [it.content_hash for it in items])
            new, known = split_new(items, urls, hashes)
            have = set(conn.execute(select(SOURCES.c.feed_id)).scalars())
            sources = {it.feed_id: it.publisher for it in new if it.feed_id not in have}
            if sources:
                conn.execute(insert(SOURCES), [{"feed_id": f, "publisher": p} for f, p in sources.items()])
            insert_articles(conn, archive_rows(new, at))
        return new, known
    def claim(self, feeds: Mapping[str, FeedState], limit: int = 500) -> list[Article]:
        """Claim the oldest pending articles nobody holds, in outbox order, for this worker."""
        now = self.clock()
        free = or_(OUTBOX.c.claim_until.is_(None), OUTBOX.c.claim_until < utc_stamp(now))
        q = select(OUTBOX.c.seq).where(OUTBOX.c.processed_at.is_(None), free).order_by(OUTBOX.c.seq).limit(limit)
        if self.store.is_postgres:
            q = q.with_for_update(skip_locked=True)
        with self.store.write() as conn:
            _release_dead(conn)
            seqs = list(conn.execute(q).scalars())
            if not seqs:
                return []
            conn.execute(update(OUTBOX).where(OUTBOX.c.seq.in_(seqs))
                         .values(claim_owner=self.worker_id, claim_until=utc_stamp(now + self.lease)))
            rows = conn.execute(select(ARTICLES).join(OUTBOX, OUTBOX.c.article_id == ARTICLES.c.id)
                                .where(OUTBOX.c.seq.in_(seqs)).order_by(OUTBOX.c.seq)).mappings().all()
        feeds = self.with_sources(feeds)  # imported archives cite their publisher
        return [to_article(r, feeds) for r in rows]

    def release(self) -> int:
        """Give back this worker's claims on articles it has not ingested (a failed batch); returns how many."""
        with self.store.write() as conn:
            done = conn.execute(update(OUTBOX).where(OUTBOX.c.claim_owner == self.worker_id,
                                                     OUTBOX.c.processed_at.is_(None))
                                .values(claim_owner=None, claim_until=None))
        return int(done.rowcount or 0)

    def backlog(self) -> int:
        """Articles waiting for extraction (claimed or not)."""
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(OUTBOX)
                                    .where(OUTBOX.c.processed_at.is_(None))).scalar_one())

    def mark_processed(self, article_ids: Iterable[str], at: datetime) -> None:
        """Take articles off the outbox; marking twice is harmless."""
        ids, stamp = list(dict.fromkeys(article_ids)), utc_stamp(at)
        with self.store.write() as conn:
            for i in range(0, len(ids), _CHUNK):
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.article_id.in_(ids[i : i + _CHUNK]), OUTBOX.c.processed_at.is_(None))
                    .values(processed_at=stamp)
                )


def _known(conn: Connection, urls: Sequence[str], hashes: Sequence[str]) -> tuple[set[str], set[str]]:
    """Of these URLs and content hashes, those some archived article (of any feed) already has."""
    found_urls: set[str] = set()
    found_hashes: set[str] = set()
    for i in range(0, max(len(urls), len(hashes)), _CHUNK):
        u, h = list(urls[i : i + _CHUNK]), list(hashes[i : i + _CHUNK])
        q = select(ARTICLES.c.url, ARTICLES.c.content_hash).where(
            or_(ARTICLES.c.url.in_(u), ARTICLES.c.content_hash.in_(h)))
        for url, digest in conn.execute(q):
            found_urls.add(url)
            found_hashes.add(digest)
    return found_urls, found_hashes
def _release_dead(conn: Connection) -> None:
    """Free the outbox claims of workers of this host that no longer exist (killed mid-batch)."""
    owners = conn.execute(select(OUTBOX.c.claim_owner).distinct()
                          .where(OUTBOX.c.processed_at.is_(None), OUTBOX.c.claim_owner.is_not(None))).scalars()
    host = socket.gethostname()
    for owner in list(owners):
        h = leases.holder(owner)
        if h and h[0] == host and not leases.pid_alive(h[1]):
            conn.execute(update(OUTBOX).where(OUTBOX.c.claim_owner == owner, OUTBOX.c.processed_at.is_(None))
                         .values(claim_owner=None, claim_until=None))


def to_article(row: Mapping[str, Any] | RowMapping, feeds: Mapping[str, FeedState]) -> Article:
    """An archive row as an Article, labelled with its feed's current URL and title."""
    s = feeds.get(row["feed_id"])
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        content=row["content"],
        lang=row["lang"],
        published=row["published"],
        fetched_at=row["fetched_at"],
        version=row["version"],
        content_hash=row["content_hash"],
        published_estimated=bool(row["published_estimated"]),
        feed_url=s.url if s else None,
        feed_title=s.title if s else None,
    )
