"""Operational tables of the feed poller: per-feed health, the poll log, the article archive and its outbox.

Subscriptions themselves are events (see feeds/sources.py); these tables hold what changes on every
poll. Times are ISO strings in UTC ("...Z"), like the event store's, so they compare as text on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, Table, Text, UniqueConstraint
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

from events.schema import METADATA

__all__ = [
    "ArchiveSourceRow",
    "ArticleRow",
    "FEED_STATE",
    "FeedHealthRow",
    "LEARNED_COMPANIES",
    "OutboxRow",
    "PollLogRow",
    "REVIEW_QUEUE",
    "TABLES",
    "keyed_table",
    "create",
    "migrate",
]

assert METADATA is SQLModel.metadata  # our tables live beside the store's


class FeedHealthRow(SQLModel, table=True):
    """How polling a feed is going; one row per feed, updated on every poll (and leased while polled)."""

    __tablename__ = "feed_health"
    feed_id: str = Field(sa_column=Column(Text, primary_key=True))
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = Field(default=None, sa_column=Column(Text))
    next_poll_at: str | None = Field(default=None, sa_column=Column(Text, index=True))  # NULL: due now
    failures_in_row: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_polled_at: str | None = Field(default=None, sa_column=Column(Text))
    last_success_at: str | None = Field(default=None, sa_column=Column(Text))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_status: int | None = Field(default=None, sa_column=Column(Integer))
    lease_owner: str | None = Field(default=None, sa_column=Column(Text))  # worker that claimed the feed
    lease_until: str | None = Field(default=None, sa_column=Column(Text))  # the claim lapses after this


class PollLogRow(SQLModel, table=True):
    """One row per poll of one feed: what happened and how long it took."""

    __tablename__ = "feed_poll_log"
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    feed_id: str = Field(sa_column=Column(Text, nullable=False, index=True))
    url: str = Field(sa_column=Column(Text, nullable=False))
    polled_at: str = Field(sa_column=Column(Text, nullable=False))
    status: int | None = Field(default=None, sa_column=Column(Integer))
    elapsed_ms: float = Field(default=0.0, sa_column=Column(Float, nullable=False, default=0.0))
    not_modified: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    new_entries: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    error: str | None = Field(default=None, sa_column=Column(Text))


class ArticleRow(SQLModel, table=True):
    """One version of one feed entry; a changed entry is a new row (UPDATE is refused by a trigger)."""

    __tablename__ = "feed_articles"
    __table_args__ = (
        UniqueConstraint("article_key", "version", name="uq_feed_articles_key_version"),
        Index("ix_feed_articles_feed_fetched", "feed_id", "fetched_at"),
        Index("ix_feed_articles_url", "url"),  # an imported archive's dedupe across every feed
        Index("ix_feed_articles_content_hash", "content_hash"),
    )
    id: str = Field(sa_column=Column(Text, primary_key=True))  # "<article_key>-v<version>"
    article_key: str = Field(sa_column=Column(Text, nullable=False))  # the entry's identity across versions
    version: int = Field(sa_column=Column(Integer, nullable=False))
    feed_id: str = Field(sa_column=Column(Text, nullable=False))
    entry_id: str | None = Field(default=None, sa_column=Column(Text))
    url: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lang: str | None = Field(default=None, sa_column=Column(Text))
    published: str = Field(sa_column=Column(Text, nullable=False))
    published_estimated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    fetched_at: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(sa_column=Column(Text, nullable=False))


class OutboxRow(SQLModel, table=True):
    """An article waiting for extraction; written in the same transaction as the article row."""

    __tablename__ = "feed_outbox"
    seq: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    article_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    created_at: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: str | None = Field(default=None, sa_column=Column(Text, index=True))
    claim_owner: str | None = Field(default=None, sa_column=Column(Text))  # the worker extracting it now
    claim_until: str | None = Field(default=None, sa_column=Column(Text))  # its claim lapses after this


class ArchiveSourceRow(SQLModel, table=True):
    """A publisher whose past articles were imported (`alliances import`): the pseudo-feed they are filed under."""

    __tablename__ = "archive_sources"
    feed_id: str = Field(sa_column=Column(Text, primary_key=True))  # "archive-<slug>-<hash>", never subscribed
    publisher: str = Field(sa_column=Column(Text, nullable=False))


def keyed_table(name: str) -> Table:
    """A read model kept by a runner subscriber: one JSON document per key, in first-seen log order."""
    return Table(
        name,
        METADATA,
        Column("key", Text, primary_key=True),
        Column("position", BigInteger, nullable=False, index=True),  # where the key was first seen
        Column("doc", Text, nullable=False),
    )


FEED_STATE = keyed_table("feed_state")  # projection "feed-state": every feed ever added, by id
REVIEW_QUEUE = keyed_table("review_queue")  # projection "review-queue": queued deals and their decisions
LEARNED_COMPANIES = keyed_table("learned_companies")  # projection "company-registry": companies the log taught

# SQLModel classes: tables
_ROW_MODELS: tuple[Any, ...] = (FeedHealthRow, PollLogRow, ArticleRow, OutboxRow, ArchiveSourceRow)
TABLES = tuple(m.__table__ for m in _ROW_MODELS) + (
    FEED_STATE,
    REVIEW_QUEUE,
    LEARNED_COMPANIES,
)

_SQLITE_GUARDS = (
    """CREATE TRIGGER IF NOT EXISTS feed_articles_no_update BEFORE UPDATE ON feed_articles
       BEGIN SELECT RAISE(ABORT, 'feed_articles is append-only: UPDATE refused'); END""",
)
_POSTGRES_GUARDS = (
    """CREATE OR REPLACE FUNCTION feed_articles_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'feed_articles is append-only: %% refused', TG_OP; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS feed_articles_no_update ON feed_articles",
    """CREATE TRIGGER feed_articles_no_update BEFORE UPDATE ON feed_articles
       FOR EACH ROW EXECUTE FUNCTION feed_articles_append_only()""",
)




def migrate(engine: Engine) -> None:
    """Create the feed tables and the archive's guard on a new database (tests); existing databases are upgraded by
    the versioned revisions (`feeds/migrations`)."""
    with engine.begin() as conn:
        create(conn)


def create(conn: Connection) -> None:
    """The feed tables at their current shape and the archive's append-only guard, inside `conn`'s transaction."""
    METADATA.create_all(conn, tables=list(TABLES))
    for stmt in _POSTGRES_GUARDS if conn.dialect.name == "postgresql" else _SQLITE_GUARDS:
        conn.exec_driver_sql(stmt)
