"""The decider finds alliances by their party set: `alliance_now.party_key` ("a--b", sorted) and its index.

Revision ID: events_0003
Revises: events_0002

Rows written before have no party key, so the "alliances" projection is emptied and its checkpoint dropped:
the runner replays it from the log on next use (a read model, never the log, is rewritten).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0003"
down_revision: str | None = "events_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    if "party_key" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("alliance_now")}:
        op.add_column("alliance_now", sa.Column("party_key", sa.Text, nullable=True))
    op.create_index("ix_alliance_now_parties", "alliance_now", ["party_key", "recorded_to"], if_not_exists=True)
    op.execute("DELETE FROM alliance_now")
    op.execute("DELETE FROM alliance_entries")
    op.execute("DELETE FROM checkpoints WHERE name = 'alliances'")


def downgrade() -> None:
    op.drop_index("ix_alliance_now_parties", "alliance_now")
    op.drop_column("alliance_now", "party_key")
