"""Alembic's entry point for its own command line (`alembic revision --autogenerate`, `alembic heads`); the
tracker itself upgrades through `service.migrations.ensure` (`alliances db upgrade`), which takes a lock first.

The database is `-x url=...` or the one the ALLIANCES_* environment configures.
"""
from __future__ import annotations

from alembic import context

import feeds.tables  # noqa: F401 - registers the feed tables on the shared metadata
from events.engine import make_engine
from events.schema import METADATA
from service.config import Settings

url = context.get_x_argument(as_dictionary=True).get("url") or Settings.from_env().database_url
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=METADATA,
                      render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
