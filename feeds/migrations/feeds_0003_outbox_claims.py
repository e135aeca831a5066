"""Several workers: an outbox row is claimed by one worker at a time, and the claim lapses.

Revision ID: feeds_0003
Revises: feeds_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feeds_0003"
down_revision: str | None = "feeds_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("feed_outbox")}
    for name in ("claim_owner", "claim_until"):
        if name not in have:
            op.add_column("feed_outbox", sa.Column(name, sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("feed_outbox", "claim_until")
    op.drop_column("feed_outbox", "claim_owner")
