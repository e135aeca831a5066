"""Baseline: the tables of feeds/ as they were when migrations began.

Revision ID: feeds_0001
Revises: (none)

An empty database gets every table; one created before migrations keeps its rows and gets only what it lacks
(a table, an index, the archive's append-only guard).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feeds_0001"
down_revision: str | None = None
branch_labels = ("feeds",)
depends_on: str | None = None


def _keyed(md: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name, md,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False, index=True),
        sa.Column("doc", sa.Text, nullable=False),
    )


def _tables(md: sa.MetaData) -> list[sa.Table]:
    return [
        sa.Table(
            "feed_health", md,
            sa.Column("feed_id", sa.Text, primary_key=True),
            sa.Column("etag", sa.Text),
            sa.Column("last_modified", sa.Text),
            sa.Column("next_poll_at", sa.Text, index=True),
            sa.Column("failures_in_row", sa.Integer, nullable=False),
            sa.Column("last_polled_at", sa.Text),
            sa.Column("last_success_at", sa.Text),
            sa.Column("last_error", sa.Text),
            sa.Column("last_status", sa.Integer),
            sa.Column("lease_owner", sa.Text),
            sa.Column("lease_until", sa.Text),
        ),
        sa.Table(
            "feed_poll_log", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("feed_id", sa.Text, nullable=False, index=True),
            sa.Column("url", sa.Text, nullable=False),
            sa.Column("polled_at", sa.Text, nullable=False),
            sa.Column("status", sa.Integer),
            sa.Column("elapsed_ms", sa.Float, nullable=False),
            sa.Column("not_modified", sa.Boolean, nullable=False),
            sa.Column("new_entries", sa.Integer, nullable=False),
            sa.Column("error", sa.Text),
        ),
        sa.Table(
            "feed_articles", md,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("article_key", sa.Text, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("feed_id", sa.Text, nullable=False),
            sa.Column("entry_id", sa.Text),
            sa.Column("url", sa.Text),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("summary", sa.Text, nullable=False),
            sa.Column("content", sa.Text, nullable=False),
            sa.Column("lang", sa.Text),
            sa.Column("published", sa.Text, nullable=False),
            sa.Column("published_estimated", sa.Boolean, nullable=False),
            sa.Column("fetched_at", sa.Text, nullable=False),
            sa.Column("content_hash", sa.Text, nullable=False),
            sa.UniqueConstraint("article_key", "version", name="uq_feed_articles_key_version"),
            sa.Index("ix_feed_articles_feed_fetched", "feed_id", "fetched_at"),
        ),
        sa.Table(
            "feed_outbox", md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("article_id", sa.Text, nullable=False, unique=True),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("processed_at", sa.Text, index=True),
        ),
        _keyed(md, "feed_state"),
        _keyed(md, "review_queue"),
        _keyed(md, "learned_companies"),
    ]


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


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in _tables(sa.MetaData()):
        if table.name not in existing:
            table.create(bind)
            continue
        for index in table.indexes:
            index.create(bind, checkfirst=True)
    for stmt in _POSTGRES_GUARDS if bind.dialect.name == "postgresql" else _SQLITE_GUARDS:
        bind.exec_driver_sql(stmt)


def downgrade() -> None:
    raise NotImplementedError("the baseline is where the feed tables begin")
