"""The notification tables: the subscriptions read model, the vault of secrets, the outbox and its attempt log.

Only `notify_subscriptions` is a projection of the log. The vault holds what must never enter the public
log (webhook secrets, apprise URLs with passwords and tokens); the outbox and the attempt log are
operational state written by the notification subscriber and the dispatcher.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, Table, Text, UniqueConstraint, select
from sqlalchemy.engine import Connection, Engine

from events.schema import METADATA
from feeds.tables import keyed_table

__all__ = ["ATTEMPTS", "DELIVERIES", "ENTRIES", "SUBSCRIPTIONS", "TABLES", "VAULT", "entries_of", "migrate"]

SUBSCRIPTIONS = keyed_table("notify_subscriptions")  # projection "subscriptions": one row per subscription

VAULT = Table(
    "notify_vault", METADATA,
    Column("subscription_id", Text, primary_key=True),
    Column("target", Text, nullable=False),  # the full URL, credentials included
    Column("secrets", Text, nullable=False, default="[]"),  # JSON [[secret, valid-until ISO or null], ...]
    Column("updated_at", Text, nullable=False),
)

DELIVERIES = Table(
    "notify_deliveries", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # enqueue order = log order per subscription
    Column("id", Text, nullable=False, unique=True),  # also the webhook-id: the same on every retry
    Column("subscription_id", Text, nullable=False),
    Column("kind", Text, nullable=False),  # "change" | "digest" | "test"
    Column("change_id", Text, nullable=False),  # "<position>-<alliance>", "digest-<day>", "test-<n>"
    Column("position", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("entries", Text, nullable=False),  # JSON list of entry ids in notify_entries (one, or a digest's)
    Column("state", Text, nullable=False),  # "pending" | "delivered" | "dead"
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Text),  # UTC ISO; NULL once delivered or dead
    Column("lease_owner", Text),
    Column("lease_until", Text),
    Column("created_at", Text, nullable=False),
    Column("digest_day", Text),  # a digest still collecting its day's changes until it is due
    UniqueConstraint("subscription_id", "change_id", name="uq_notify_deliveries_sub_change"),
    Index("ix_notify_deliveries_due", "state", "next_attempt_at"),
    Index("ix_notify_deliveries_sub", "subscription_id", "state", "seq"),
)

ENTRIES = Table(  # the message content, once per change however many subscriptions it goes to
    "notify_entries", METADATA,
    Column("id", Text, primary_key=True),  # the change id ("<position>-<alliance>"), or "test-<message id>"
    Column("entry", Text, nullable=False),  # the change-log entry (events.queries.change_json), JSON
)

ATTEMPTS = Table(
    "notify_attempts", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Text, nullable=False, index=True),
    Column("at", Text, nullable=False),
    Column("status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("excerpt", Text, nullable=False),
    Column("ok", Boolean, nullable=False),
)

TABLES = (SUBSCRIPTIONS, VAULT, DELIVERIES, ENTRIES, ATTEMPTS)


def entries_of(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The entries with these ids."""
    wanted, out = sorted(set(ids)), {}
    for i in range(0, len(wanted), 500):
        for k, v in conn.execute(select(ENTRIES.c.id, ENTRIES.c.entry).where(ENTRIES.c.id.in_(wanted[i:i + 500]))):
            out[k] = orjson.loads(v)
    return out


def migrate(engine: Engine) -> None:
    """Create the notification tables; safe on every start."""
    METADATA.create_all(engine, tables=list(TABLES))
