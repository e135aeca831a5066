"""Shared fixtures: real databases (SQLite files and throwaway PostgreSQL databases)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.skips import unavailable

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_ADMIN_URL = os.environ.get("ALLIANCES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=3)


def pg_available() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    try:
        with _pg_admin() as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(e).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL; in CI its absence is a failure, not a skip."""
    why = pg_available()
    if why:
        unavailable(why)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"alliances_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'alliances.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alliances.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    from events.engine import make_engine
    from events.store import EventStore

    s = EventStore(make_engine(db_url))
    s.migrate()
    yield s
    s.engine.dispose()


@pytest.fixture
def tracker(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """A wired tracker on each backend (a module may define its own)."""
    from service.bootstrap import build
    from service.config import Settings

    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url}))
    yield t
    t.close()


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the clone; absent: a skip with the reason locally, a failure under CI."""
    if not SHARED.is_dir():
        unavailable(f"{SHARED} is absent (it sits beside the clone in CI)")
    return SHARED


def _hypothesis_profile() -> None:
    """No example database on disk: every run (and CI) starts from the same clean slate."""
    from hypothesis import settings

    settings.register_profile("project", database=None, deadline=None)
    settings.load_profile("project")


_hypothesis_profile()
