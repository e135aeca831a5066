"""Baseline: the notification tables (subscriptions read model, vault, outbox, message entries, attempt log).

Revision ID: notify_0001
Revises: (none)

Frozen: plain SQLAlchemy columns, never the live table definitions. A database that already has a table
(created by a version that made them on start-up) keeps it and its rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notify_0001"
down_revision: str | None = None
branch_labels = ("notify",)
depends_on: str | None = None


def _tables(md: sa.MetaData) -> list[sa.Table]:
    return [
        sa.Table(
            "notify_subscriptions", md,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("position", sa.BigInteger, nullable=False, index=True),
            sa.Column("doc", sa.Text, nullable=False),
        ),
        sa.Table(
            "notify_vault", md,
            sa.Column("subscription_id", sa.Text, primary_key=True),
            sa.Column("target", sa.Text, nullable=False),
            sa.Column("secrets", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Text, nullable=False),
        ),
        sa.Table(
            "notify_deliveries", md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("id", sa.Text, nullable=False, unique=True),
            sa.Column("subscription_id", sa.Text, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("change_id", sa.Text, nullable=False),
            sa.Column("position", sa.BigInteger, nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("entries", sa.Text, nullable=False),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", sa.Text),
            sa.Column("lease_owner", sa.Text),
            sa.Column("lease_until", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("digest_day", sa.Text),
            sa.UniqueConstraint("subscription_id", "change_id", name="uq_notify_deliveries_sub_change"),
            sa.Index("ix_notify_deliveries_due", "state", "next_attempt_at"),
            sa.Index("ix_notify_deliveries_sub", "subscription_id", "state", "seq"),
        ),
        sa.Table(
            "notify_entries", md,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("entry", sa.Text, nullable=False),
        ),
        sa.Table(
            "notify_attempts", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("delivery_id", sa.Text, nullable=False, index=True),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("status", sa.Integer),
            sa.Column("latency_ms", sa.Float, nullable=False),
            sa.Column("excerpt", sa.Text, nullable=False),
            sa.Column("ok", sa.Boolean, nullable=False),
        ),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    md = sa.MetaData()
    for table in _tables(md):
        if table.name not in existing:
            table.create(op.get_bind())


def downgrade() -> None:
    for name in ("notify_attempts", "notify_entries", "notify_deliveries", "notify_vault", "notify_subscriptions"):
        op.drop_table(name)
