"""As-of answers find the history rows valid on a day by range scans: `alliance_history.fork` and its index.

Revision ID: events_0004
Revises: events_0003

`fork` is each valid-time interval's node in a virtual binary tree over day numbers (events/rows.py `fork`); the
rows valid on a day D are those whose fork is one of D's ~22 ancestors, one index range scan each. Rows written
before have no fork, so the "history" projection is emptied and its checkpoint dropped: the runner replays it
from the log on next use (a read model, never the log, is rewritten).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0004"
down_revision: str | None = "events_0003"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    if "fork" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("alliance_history")}:
        op.add_column("alliance_history", sa.Column("fork", sa.BigInteger, nullable=True))
    op.create_index("ix_alliance_history_fork", "alliance_history",
                    ["fork", "recorded_to", "valid_from", "valid_to", "recorded_from"], if_not_exists=True)
    op.execute("DELETE FROM alliance_history")
    op.execute("DELETE FROM checkpoints WHERE name = 'history'")


def downgrade() -> None:
    op.drop_index("ix_alliance_history_fork", "alliance_history")
    op.drop_column("alliance_history", "fork")
