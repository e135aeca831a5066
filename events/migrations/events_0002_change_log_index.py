"""The change log reads alliance versions by the log position at which they began.

Revision ID: events_0002
Revises: events_0001
"""

from __future__ import annotations

from alembic import op

revision = "events_0002"
down_revision: str | None = "events_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_alliance_now_from", "alliance_now", ["recorded_from"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_alliance_now_from", "alliance_now")
