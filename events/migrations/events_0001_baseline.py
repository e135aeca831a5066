"""Baseline: the tables of events/ as they were when migrations began.

Revision ID: events_0001
Revises: (none)

It brings any database to that shape: an empty one gets every table, a database created before migrations
existed keeps its tables and rows and gets only what it lacks (a table, an index, the `hash_version` column of
logs older than hash versions, the append-only guards). It never drops or rewrites a row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision: str | None = None
branch_labels = ("events",)
depends_on: str | None = None


def _bounds() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("recorded_from", sa.BigInteger, nullable=False),
            sa.Column("recorded_to", sa.BigInteger, nullable=False)]


def _tables(md: sa.MetaData) -> list[sa.Table]:
    return [
        sa.Table(
            "events", md,
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("stream_id", sa.Text, nullable=False, index=True),
            sa.Column("stream_version", sa.Integer, nullable=False),
            sa.Column("type", sa.Text, nullable=False, index=True),
            sa.Column("schema_version", sa.Integer, nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("valid", sa.Text),
            sa.Column("valid_from", sa.Text),
            sa.Column("valid_to", sa.Text, index=True),
            sa.Column("valid_precision", sa.Text),
            sa.Column("recorded_at", sa.Text, nullable=False, index=True),
            sa.Column("provenance", sa.Text),
            sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
            sa.Column("prev_hash", sa.Text, nullable=False),
            sa.Column("hash", sa.Text, nullable=False),
            sa.Column("hash_version", sa.Integer, nullable=False, server_default=sa.text("1")),
            sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
        ),
        sa.Table(
            "alliance_now", md,
            sa.Column("alliance_id", sa.Text), *_bounds(), sa.Column("doc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("alliance_id", "recorded_from"),
            sa.Index("ix_alliance_now_open", "recorded_to", "alliance_id"),
        ),
        sa.Table(
            "alliance_history", md,
            sa.Column("alliance_id", sa.Text), sa.Column("valid_from", sa.Text),
            sa.Column("valid_to", sa.Text, nullable=False), *_bounds(), sa.Column("doc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("alliance_id", "valid_from", "recorded_from"),
            sa.Index("ix_alliance_history_open", "alliance_id", "recorded_to", "valid_from"),
        ),
        sa.Table(
            "alliance_entries", md,
            sa.Column("alliance_id", sa.Text), sa.Column("position", sa.BigInteger), sa.Column("raw_end", sa.Text),
            *_bounds(), sa.Column("doc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("alliance_id", "position", "recorded_from"),
        ),
        sa.Table(
            "company_now", md,
            sa.Column("company_id", sa.Text), *_bounds(), sa.Column("doc", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("company_id", "recorded_from"),
            sa.Index("ix_company_now_open", "recorded_to", "company_id"),
        ),
        sa.Table(
            "checkpoints", md,
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("position", sa.BigInteger, nullable=False),
        ),
        sa.Table(
            "chain_checkpoints", md,
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("head_hash", sa.Text, nullable=False),
            sa.Column("signed_at", sa.Text, nullable=False),
            sa.Column("public_key", sa.Text, nullable=False),
            sa.Column("signature", sa.Text, nullable=False),
        ),
    ]


_SQLITE_GUARDS = (
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events
       WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
         OR EXISTS (SELECT 1 FROM events WHERE idempotency_key = NEW.idempotency_key)
         OR EXISTS (SELECT 1 FROM events WHERE stream_id = NEW.stream_id AND stream_version = NEW.stream_version)
       BEGIN SELECT RAISE(ABORT, 'events are append-only: an INSERT colliding with a stored event is refused'); END""",
)
_POSTGRES_GUARDS = (
    """CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'events are append-only: %% refused', TG_OP; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS events_no_update ON events",
    """CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    "DROP TRIGGER IF EXISTS events_no_truncate ON events",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
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
    if "hash_version" not in {c["name"] for c in sa.inspect(bind).get_columns("events")}:
        # logs older than hash versions: their rows stay version 1 (history is not rewritten)
        bind.exec_driver_sql("ALTER TABLE events ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1")
    for stmt in _POSTGRES_GUARDS if bind.dialect.name == "postgresql" else _SQLITE_GUARDS:
        bind.exec_driver_sql(stmt)


def downgrade() -> None:
    raise NotImplementedError("the baseline is where the log begins: no migration drops the log")
