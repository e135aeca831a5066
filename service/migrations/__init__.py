"""Versioned schema: which revisions a database is at, and bringing it to the newest ones (Alembic).

Each package keeps the revisions of its own tables in a branch of its own (`events/migrations`, `feeds/migrations`;
a new package adds its directory to LOCATIONS), so events/ still imports nothing of ours. What a database may be:

- empty (none of our tables): created at the newest shape and stamped, so a new tracker works out of the box;
- at head: nothing to do;
- behind (an older revision, or created before migrations, with no revision at all): refused in one line naming
  `alliances db upgrade`, unless the caller asked to migrate (`db upgrade`, `serve --migrate`, `worker --migrate`);
- at a revision this code does not know (a newer version migrated it): always refused.

Changes take a lock first (PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE) and run in one
transaction, so two processes starting at once do the work once and a failed upgrade leaves the schema as it was.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

import events.migrations
import feeds.migrations
import notify.migrations
from events.schema import METADATA
from events.store import EventStore
from feeds import tables as feed_tables
from notify import tables as notify_tables

from ..config import ConfigError

if TYPE_CHECKING:  # Alembic is imported where it runs: a command at head (nearly every start) never loads it
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

__all__ = ["LOCATIONS", "SchemaMismatch", "Status", "ensure", "heads", "status"]

HERE = Path(__file__).resolve().parent
# every package's revisions; a package with tables of its own adds its migrations package here
LOCATIONS: tuple[Path, ...] = tuple(
    Path(m.__file__ or "").resolve().parent for m in (events.migrations, feeds.migrations, notify.migrations)
)
_SCHEMA_LOCK = 0x616C6D67  # "almg": one schema change at a time


class SchemaMismatch(ConfigError):
    """The database's revisions are not the ones this code runs on (one line that names the way out)."""


@cache
def script() -> ScriptDirectory:
    """The revisions of every package (parsed once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(HERE), version_locations=[str(p) for p in LOCATIONS])


_REVISION = re.compile(r'^revision\b[^=\n]*=\s*"([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision\b[^=\n]*=\s*"([^"]+)"', re.M)


@cache
def quick_heads() -> tuple[str, ...]:
    """The heads read from the revision files' own `revision` / `down_revision` lines, without Alembic (about
    0.2 s a command). Only for the quick look at start-up; tests/test_migrations.py holds it equal to `heads()`."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (f for location in LOCATIONS for f in location.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        revisions.update(m.group(1) for m in _REVISION.finditer(text))
        parents.update(m.group(1) for m in _DOWN.finditer(text))
    return tuple(sorted(revisions - parents))


def _stored_at_head(conn: Connection) -> Status | None:
    """The status when the database holds exactly the heads this code knows (read without Alembic), else None."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    current = tuple(sorted(r for (r,) in conn.exec_driver_sql("SELECT version_num FROM alembic_version")))
    return Status(current, current, empty=False) if set(current) == set(quick_heads()) else None


def heads() -> tuple[str, ...]:
    """The newest revision of each branch."""
    return tuple(sorted(script().get_heads()))


@dataclass(frozen=True, slots=True)
class Status:
    """Where a database stands against the revisions this code knows."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    empty: bool  # none of our tables exist

    @property
    def at_head(self) -> bool:
        return not self.empty and set(self.current) == set(self.heads)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Revisions stored in the database that no package here defines (a newer version wrote them)."""
        known = {r.revision for r in script().walk_revisions()}
        return tuple(r for r in self.current if r not in known)

    @property
    def behind(self) -> bool:
        return not self.empty and not self.at_head and not self.unknown

    def names(self) -> str:
        return " ".join(self.current) or "no revision"

    def line(self) -> str:
        """One line: the revisions and whether they are the head."""
        want = " ".join(self.heads)
        if self.empty:
            return f"no tables yet (an empty database; it is created at head {want} when first opened)"
        if self.at_head:
            return f"{self.names()} (head)"
        if self.unknown:
            return (f"{self.names()}: not a revision this version knows ({' '.join(self.unknown)});"
                    " a newer version of alliances migrated this database")
        older = "created before migrations, " if not self.current else ""
        return f"{self.names()} ({older}behind head {want}: run `alliances db upgrade`)"


def status(conn: Connection) -> Status:
    """Read the stored revisions (table `alembic_version`) and whether any of our tables exist."""
    from alembic.runtime.migration import MigrationContext

    tables = set(inspect(conn).get_table_names())
    current = MigrationContext.configure(conn).get_current_heads() if "alembic_version" in tables else ()
    return Status(tuple(sorted(current)), heads(), empty=not (tables & set(METADATA.tables)))


def ensure(store: EventStore, *, migrate: bool = False) -> tuple[Status, Status]:
    """Make the database usable by this code, or refuse in one line; returns (before, after).

    Empty: created at head. Behind: upgraded when `migrate`, else refused. A quick look without the lock first:
    at head (every start but the first) costs one read."""
    with store.engine.connect() as conn:
        quick = _stored_at_head(conn)
        if quick is not None:
            return quick, quick
        before = status(conn)
    if before.at_head:
        return before, before
    _refuse_unless(before, migrate)
    with store.write() as conn:
        if store.is_postgres:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
        before = status(conn)  # another process may have done it meanwhile
        _refuse_unless(before, migrate)
        if before.empty:
            _create_at_head(store, conn)
        elif before.behind:
            _upgrade(conn)
        after = status(conn)
    return before, after


def _refuse_unless(s: Status, migrate: bool) -> None:
    if s.unknown:
        raise SchemaMismatch(f"the database schema is at {s.names()}: {' '.join(s.unknown)} is not a revision this"
                             f" version knows (its head is {' '.join(s.heads)}); a newer version of alliances"
                             " migrated this database: run that one")
    if s.behind and not migrate:
        older = "was created before schema migrations" if not s.current else f"is at {s.names()}"
        raise SchemaMismatch(f"the database schema {older}, behind head {' '.join(s.heads)}:"
                             " run `alliances db upgrade` (or start serve/worker with --migrate)")


def _create_at_head(store: EventStore, conn: Connection) -> None:
    """The newest shape straight from the table definitions, then stamped with every branch's head."""
    store.create_schema(conn)
    feed_tables.create(conn)
    METADATA.create_all(conn, tables=list(notify_tables.TABLES))
    from alembic.runtime.migration import MigrationContext

    MigrationContext.configure(conn).stamp(script(), "heads")


def _upgrade(conn: Connection, to: str = "heads") -> None:
    """Run every revision between the stored ones and `to` (every head), inside `conn`'s transaction."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    sd = script()

    def steps(rev: Any, _context: MigrationContext) -> list[Any]:
        return sd._upgrade_revs(to, rev)  # what `alembic upgrade <to>` runs (rev: the stored heads)

    with EnvironmentContext(Config(), sd, fn=steps, destination_rev=to) as env:
        env.configure(connection=conn, target_metadata=METADATA)
        with env.begin_transaction():
            env.run_migrations()


def upgrade_engine(engine: Engine) -> None:
    """Upgrade a database reached by `engine` (the `alembic` command line's env.py uses this)."""
    ensure(EventStore(engine), migrate=True)
