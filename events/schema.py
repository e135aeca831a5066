"""Tables of the event store and its read models, and the guards the database enforces.

Times and dates are stored as ISO strings: they compare correctly as text on both
SQLite and PostgreSQL, and the hash chain needs the exact stored spelling.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

METADATA = SQLModel.metadata


class EventRow(SQLModel, table=True):
    """One immutable row per event; UPDATE and DELETE are refused by triggers."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),)

    position: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    stream_id: str = Field(sa_column=Column(Text, nullable=False, index=True))
    stream_version: int = Field(sa_column=Column(Integer, nullable=False))
    type: str = Field(sa_column=Column(Text, nullable=False, index=True))
    schema_version: int = Field(sa_column=Column(Integer, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    valid: str | None = Field(default=None, sa_column=Column(Text))  # fuzzy date as written
    valid_from: str | None = Field(default=None, sa_column=Column(Text))
    valid_to: str | None = Field(default=None, sa_column=Column(Text, index=True))
    valid_precision: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: str = Field(sa_column=Column(Text, nullable=False, index=True))
    provenance: str | None = Field(default=None, sa_column=Column(Text))
    idempotency_key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    prev_hash: str = Field(sa_column=Column(Text, nullable=False))
    hash: str = Field(sa_column=Column(Text, nullable=False))
    # which chain_hash wrote `hash` (events/codec.py); rows from before the column existed are version 1
    hash_version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default=text("1")))


OPEN = 2**62  # recorded_to of a row the log still says: "until further notice"
END_OF_TIME = "9999-12-31"  # valid_to of the last valid-time interval


def _bounds() -> tuple[Column, Column]:  # type: ignore[type-arg]
    return Column("recorded_from", BigInteger, nullable=False), Column("recorded_to", BigInteger, nullable=False)


# The bitemporal read model. Every row is true for log positions recorded_from <= P < recorded_to
# (transaction time as positions); history rows also for valid dates valid_from <= D < valid_to.
ALLIANCE_NOW = Table(
    "alliance_now",
    METADATA,
    Column("alliance_id", Text),
    *_bounds(),
    Column("doc", Text, nullable=False),
    # the alliance's party set as a canonical alliance id ("a--b"): the decider finds an alliance by its parties
    Column("party_key", Text),
    PrimaryKeyConstraint("alliance_id", "recorded_from"),
    Index("ix_alliance_now_open", "recorded_to", "alliance_id"),
    Index("ix_alliance_now_from", "recorded_from"),  # the change log reads versions by the position they began
    Index("ix_alliance_now_parties", "party_key", "recorded_to"),
)
ALLIANCE_HISTORY = Table(
    "alliance_history",
    METADATA,
    Column("alliance_id", Text),
    Column("valid_from", Text),
    Column("valid_to", Text, nullable=False),
    *_bounds(),
    Column("doc", Text, nullable=False),
    # the interval's node in a virtual binary tree over days (`rows.fork`): "the rows valid on D" is a few range scans
    Column("fork", BigInteger),
    PrimaryKeyConstraint("alliance_id", "valid_from", "recorded_from"),
    Index("ix_alliance_history_open", "alliance_id", "recorded_to", "valid_from"),
    Index("ix_alliance_history_fork", "fork", "recorded_to", "valid_from", "valid_to", "recorded_from"),
)
ALLIANCE_ENTRIES = Table(
    "alliance_entries",
    METADATA,
    Column("alliance_id", Text),
    Column("position", BigInteger),
    Column("raw_end", Text),
    *_bounds(),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("alliance_id", "position", "recorded_from"),
)
COMPANY_NOW = Table(
    "company_now",
    METADATA,
    Column("company_id", Text),
    *_bounds(),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("company_id", "recorded_from"),
    Index("ix_company_now_open", "recorded_to", "company_id"),
)


class Checkpoint(SQLModel, table=True):
    """How far each projector has read; written in the same transaction as its rows."""

    __tablename__ = "checkpoints"
    name: str = Field(sa_column=Column(Text, primary_key=True))
    position: int = Field(sa_column=Column(BigInteger, nullable=False))


SQLITE_GUARDS = (
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END""",
    # INSERT OR REPLACE deletes the row it collides with, and SQLite fires no DELETE trigger for that (unless
    # recursive_triggers is on): refuse any insert that collides with a stored event before conflict handling.
    """CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events
       WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
         OR EXISTS (SELECT 1 FROM events WHERE idempotency_key = NEW.idempotency_key)
         OR EXISTS (SELECT 1 FROM events WHERE stream_id = NEW.stream_id AND stream_version = NEW.stream_version)
       BEGIN SELECT RAISE(ABORT, 'events are append-only: an INSERT colliding with a stored event is refused'); END""",
)

POSTGRES_GUARDS = (
    """CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'events are append-only: %% refused', TG_OP; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS events_no_update ON events",
    """CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    "DROP TRIGGER IF EXISTS events_no_truncate ON events",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
)


class SignedCheckpointRow(SQLModel, table=True):
    """A signed anchor of the chain: (position, head hash, time), Ed25519-signed with a key kept outside the
    database."""

    __tablename__ = "chain_checkpoints"
    position: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    head_hash: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: str = Field(sa_column=Column(Text, nullable=False))
    public_key: str = Field(sa_column=Column(Text, nullable=False))  # hex of the raw 32-byte Ed25519 key
    signature: str = Field(sa_column=Column(Text, nullable=False))  # hex
