"""Backfill: publishers of imported archives, and the indexes that find an article already archived.

Revision ID: feeds_0002
Revises: feeds_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feeds_0002"
down_revision: str | None = "feeds_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    if "archive_sources" not in set(sa.inspect(op.get_bind()).get_table_names()):
        op.create_table(
            "archive_sources",
            sa.Column("feed_id", sa.Text, primary_key=True),
            sa.Column("publisher", sa.Text, nullable=False),
        )
    op.create_index("ix_feed_articles_url", "feed_articles", ["url"], if_not_exists=True)
    op.create_index("ix_feed_articles_content_hash", "feed_articles", ["content_hash"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_feed_articles_content_hash", "feed_articles")
    op.drop_index("ix_feed_articles_url", "feed_articles")
    op.drop_table("archive_sources")
