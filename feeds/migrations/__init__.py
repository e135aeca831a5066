"""Schema revisions of the tables feeds/ owns (Alembic branch `feeds`): feed health and leases, the poll log, the
article archive and its outbox, and the tables of the feed read models.

Like every revision, these are frozen: Alembic's `op` and plain SQLAlchemy, never the live table definitions.
"""
