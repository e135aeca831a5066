"""Schema revisions of the notification tables (an Alembic branch of its own, labelled "notify")."""
