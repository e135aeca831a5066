"""The notification tables: the subscriptions read model, the vault of secrets, the outbox and its attempt log.

Only `notify_subscriptions` is a projection of the log. The vault holds what must never enter the public
log (webhook secrets, apprise URLs with passwords and tokens); the outbox and the attempt log are
operational state written by the notification subscriber and the dispatcher.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, Table, Text, UniqueConstraint
from sqlalchemy.engine import Engine

from events.schema import METADATA
from feeds.tables import keyed_table

__all__ = ["ATTEMPTS", "DELIVERIES", "SUBSCRIPTIONS", "TABLES", "VAULT", "migrate"]

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
    Column("entries", Text, nullable=False),  # JSON list of change entries (one, or a digest's)
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

TABLES = (SUBSCRIPTIONS, VAULT, DELIVERIES, ATTEMPTS)


def migrate(engine: Engine) -> None:
    """Create the notification tables; safe on every start."""
    METADATA.create_all(engine, tables=list(TABLES))
