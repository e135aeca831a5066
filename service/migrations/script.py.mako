"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}

Frozen: write the change with `op` and plain SQLAlchemy, never with the live table definitions, and keep every
row (a revision on `events` adds; it never rewrites what the chain covers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: tuple[str, ...] | None = ${repr(branch_labels)}
depends_on: str | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
