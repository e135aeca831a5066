"""Schema revisions of the tables events/ owns (Alembic branch `events`): the log and its guards, the subscriber
checkpoints, the signed checkpoints and the bitemporal read model.

The files here import nothing of ours: a revision is a frozen record of a change, written with Alembic's `op` and
plain SQLAlchemy, never with the live table definitions (which move on). `service/migrations` runs them.
"""
