"""One way to open the database for the store, SQLite or PostgreSQL.

SQLite gets WAL (readers never block the writer), a busy timeout, and `BEGIN IMMEDIATE`
for write transactions so two writers queue instead of failing half-way.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from .errors import StoreUnavailable

SQLITE_DEFAULT_CACHE = -2000  # SQLite's own default page cache (2 MB); negative: in KiB


def make_engine(url: str) -> Engine:
    """Create the engine for `url`; errors become StoreUnavailable with one readable line."""
    try:
        if url.startswith("sqlite"):
            return _sqlite_engine(url)
        engine = create_engine(url, pool_pre_ping=True, future=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as e:
        raise StoreUnavailable(f"bad database URL {_redact(url)!r}: {e}") from e
    return engine


def _sqlite_parent(url: str) -> Path | None:
    """The directory a SQLite file URL names; None for memory and URI forms."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        return Path(path).expanduser().parent
    return None


def _wal(cur: Any) -> None:
    """Switch to WAL. On a new file opened by several processes at once the switch can meet another's lock and
    fail at once (SQLite skips the busy handler where waiting could deadlock): try again for up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        _wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # back in the pool with SQLite's own page cache: a catch-up's 128 MB (events/runner.py) must not stay on a
        # connection that then serves page reads, where a scan of the history fills it (+90 MB in a web process)
        if dbapi_conn is not None:
            dbapi_conn.execute(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def check_connection(engine: Engine) -> None:
    """Fail early, in one line, when the database cannot be reached (start-up I/O, never in a constructor)."""
    parent = _sqlite_parent(str(engine.url)) if engine.dialect.name == "sqlite" else None
    if parent is not None and not parent.is_dir():  # a typo must not silently create directories and an empty log
        raise StoreUnavailable(f"no directory {str(parent)!r} for the SQLite database {str(engine.url)!r}")
    try:
        with engine.connect() as conn:
            # SQLite reads the file header only when a statement touches the schema: a file that is
            # not a database must fail here, in one line, not at the first query
            conn.exec_driver_sql("PRAGMA schema_version" if engine.dialect.name == "sqlite" else "SELECT 1")
    except DatabaseError as e:
        raise StoreUnavailable(f"cannot reach the database {_redact(str(engine.url))!r}: {_first_line(e)}") from e


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


def _first_line(e: Exception) -> str:
    text = str(getattr(e, "orig", e) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__
