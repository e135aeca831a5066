"""Versioned schema (issue 11, part 3), on SQLite and PostgreSQL: a new database is created at head, one created
before migrations (the landed schema, with a seeded and polled log in it) is refused until `alliances db upgrade`
and then loses nothing, the revisions build exactly the tables the code defines, and `--migrate` upgrades at
start-up."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import inspect, text

import feeds.tables  # noqa: F401 - the feed tables on the shared metadata
from events.engine import make_engine
from events.schema import METADATA
from events.store import EventStore
from service.bootstrap import build
from service.cli import main
from service.config import Settings
from service.migrations import SchemaMismatch, _upgrade, ensure, heads, quick_heads, status
from tests.conftest import REPO, _pg_admin
from tests.populate import seed_and_poll

LANDED = REPO / "tests" / "fixtures" / "landed"
HEADS = " ".join(heads())  # events_0001 feeds_0001, and more as revisions are added


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": url}


def cli(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    name = f"alliances_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{db_url.rsplit('/', 1)[0]}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema_of(url: str) -> set[tuple[Any, ...]]:
    """Everything that makes up the schema (tables, columns, keys, indexes, triggers), order aside."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master")
                # whitespace aside: a column added by ALTER TABLE is written on the line before the constraints
                return {(t, n, tb, " ".join(sql.split()) if sql else sql) for t, n, tb, sql in rows}
            queries = (
                "SELECT table_name, column_name, data_type, is_nullable, column_default"
                " FROM information_schema.columns WHERE table_schema = 'public'",
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
                "SELECT conname, contype, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace",
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
                "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
            )
            return {(i, *r) for i, q in enumerate(queries) for r in conn.exec_driver_sql(q)}
    finally:
        engine.dispose()


def _landed(url: str) -> None:
    """The schema exactly as main created it before migrations existed (frozen from its DDL)."""
    engine = make_engine(url)
    ddl = (LANDED / f"schema.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.executescript(ddl)  # type: ignore[union-attr]
        else:
            raw.driver_connection.execute(ddl)  # type: ignore[union-attr]
            raw.commit()
    finally:
        raw.close()
        engine.dispose()


def test_a_new_database_is_created_at_head_and_stamped(db_url, tmp_path):
    t = build(Settings.from_env(_env(tmp_path, db_url)))
    try:
        with t.store.engine.connect() as conn:
            s = status(conn)
        assert s.at_head and s.current == heads() and len(s.current) == 3  # events, feeds, notify
    finally:
        t.close()
    out = cli(_env(tmp_path, db_url), "db", "current")
    assert (out.exit_code, out.output) == (0, f"db current: {HEADS} (head)\n")


def test_created_at_head_equals_every_revision_run_from_an_empty_database(db_url, other_url):
    created = EventStore(make_engine(db_url))
    ensure(created)  # empty: straight from the table definitions, then stamped
    upgraded = EventStore(make_engine(other_url))
    with upgraded.write() as conn:
        _upgrade(conn)  # the revisions themselves, one after the other
    created.engine.dispose()
    upgraded.engine.dispose()
    assert schema_of(db_url) == schema_of(other_url)


def test_processes_starting_at_once_on_an_empty_database_create_it_once(db_url):
    """Web and worker processes may open a new database together: one creates it, the others find it at head."""
    stores = [EventStore(make_engine(db_url)) for _ in range(3)]
    results: list[Any] = []

    def start(store: EventStore) -> None:
        try:
            results.append(ensure(store)[1])
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            results.append(e)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for s in stores:
        s.engine.dispose()
    assert [getattr(r, "at_head", r) for r in results] == [True, True, True]


def test_the_revisions_build_exactly_the_tables_the_code_defines(db_url):
    """A change to a table definition without a revision fails here (and `alembic check` says what is missing)."""
    store = EventStore(make_engine(db_url))
    try:
        with store.write() as conn:
            _upgrade(conn)
            assert compare_metadata(MigrationContext.configure(conn), METADATA) == []
    finally:
        store.engine.dispose()


def test_alembic_ini_reads_the_same_revisions_as_the_tracker():
    ini = ScriptDirectory.from_config(Config(str(REPO / "alembic.ini")))
    assert tuple(sorted(ini.get_heads())) == heads()


def _landed_tracker_with_history(tmp_path: Path, url: str, scratch: str) -> dict[str, Any]:
    """A landed-schema database holding a seeded and polled history; what a tracker answered about it.

    The history is made by today's code in `scratch` (a database at head), then every row is copied into the
    landed tables, column by column as the landed schema has them: the data main would have written."""
    t = build(Settings.from_env(_env(tmp_path / "scratch", scratch)))
    try:
        seed_and_poll(t)
        before = {"verify": t.store.verify(), "state": json.loads(json.dumps(t.queries.alliances())),
                  "events": [r.to_json() for r in t.store.read()], "articles": t.archive.counts()}
    finally:
        t.close()
    _landed(url)
    _copy_landed_rows(scratch, url)
    return before


def _copy_landed_rows(source: str, target: str) -> None:
    """Every row of every table the target has, restricted to the target's columns."""
    src, dst = make_engine(source), make_engine(target)
    try:
        with src.connect() as a, dst.begin() as b:
            for table in inspect(b).get_table_names():
                cols = [c["name"] for c in inspect(b).get_columns(table)]
                rows = [dict(r) for r in a.execute(text(f"SELECT {', '.join(cols)} FROM {table}")).mappings()]
                if rows:
                    b.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES"
                                   f" ({', '.join(':' + c for c in cols)})"), rows)
            if dst.dialect.name == "postgresql":  # sequences follow the copied keys
                for table, col in (("feed_outbox", "seq"), ("feed_poll_log", "id")):
                    if table in inspect(b).get_table_names():
                        b.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'),"
                                       f" COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)"))
    finally:
        src.dispose()
        dst.dispose()


def test_a_landed_database_is_refused_then_upgraded_without_losing_an_event(db_url, other_url, tmp_path):
    before = _landed_tracker_with_history(tmp_path, db_url, other_url)
    env = _env(tmp_path, db_url)
    refused = cli(env, "state", "--json")
    assert refused.exit_code == 2 and refused.output.count("\n") == 1
    assert "created before schema migrations" in refused.output and "alliances db upgrade" in refused.output
    assert "created before migrations, behind head" in cli(env, "db", "current").output

    upgraded = cli(env, "db", "upgrade")
    assert (upgraded.exit_code, upgraded.output) == (0, f"db upgrade: no revision -> {HEADS} (head)\n")
    assert cli(env, "verify").output == f"verify: ok, {before['verify'].checked} events chained\n"
    assert json.loads(cli(env, "state", "--json").output) == before["state"]
    assert json.loads(cli(env, "events", "--json").output) == before["events"]
    t = build(Settings.from_env(env))
    try:
        assert t.archive.counts() == before["articles"] and sum(before["articles"].values()) > 0
    finally:
        t.close()
    assert cli(env, "db", "upgrade").output == f"db upgrade: already at head {HEADS}\n"


def test_the_baselines_equal_the_landed_schema(db_url, other_url):
    """The baseline revisions run on an empty database make what main created before migrations (plus the
    version table)."""
    _landed(db_url)
    baseline = EventStore(make_engine(other_url))
    with baseline.write() as conn:
        for revision in ("events_0001", "feeds_0001"):
            _upgrade(conn, to=revision)
    baseline.engine.dispose()
    made = {r for r in schema_of(other_url) if "alembic_version" not in " ".join(map(str, r))}
    assert schema_of(db_url) == made


def test_the_landed_schema_upgraded_is_the_schema_of_head(db_url, other_url):
    _landed(db_url)
    ensure(EventStore(make_engine(db_url)), migrate=True)
    ensure(EventStore(make_engine(other_url)))
    assert schema_of(db_url) == schema_of(other_url)


def test_without_migrate_a_database_behind_head_is_refused_and_left_as_it_was(db_url, tmp_path):
    _landed(db_url)
    before = schema_of(db_url)
    with pytest.raises(SchemaMismatch, match=r"run `alliances db upgrade` \(or start serve/worker with --migrate\)"):
        build(Settings.from_env(_env(tmp_path, db_url)))
    assert schema_of(db_url) == before


class _Server:
    """Stands in for waitress's server: records how it was made, serves nothing."""

    made: dict[str, Any] = {}

    def __init__(self, app: Any, **kw: Any) -> None:
        _Server.made.update(kw)

    def run(self) -> None: ...

    def close(self) -> None: ...


def test_serve_migrate_upgrades_at_start_up(sqlite_url, tmp_path, monkeypatch):
    import waitress.server

    _landed(sqlite_url)
    served = _Server.made
    served.clear()
    monkeypatch.setattr(waitress.server, "create_server", _Server)
    env = _env(tmp_path, sqlite_url)
    assert cli(env, "serve", "--no-pollers").exit_code == 2 and not served  # refused before listening
    out = cli(env, "serve", "--migrate", "--no-pollers", "--port", "0")
    assert out.exit_code == 0, out.output
    assert served["threads"] == 8 and "UI only: no pollers" in out.output
    assert cli(env, "db", "current").output == f"db current: {HEADS} (head)\n"


def test_worker_migrate_upgrades_at_start_up(sqlite_url, tmp_path, monkeypatch):
    import service.scheduler

    _landed(sqlite_url)
    ran: list[Any] = []
    monkeypatch.setattr(service.scheduler, "run_forever", lambda tracker, demo=False: ran.append(tracker))
    env = _env(tmp_path, sqlite_url)
    assert cli(env, "worker").exit_code == 2 and not ran
    assert cli(env, "worker", "--migrate").exit_code == 0 and len(ran) == 1
    assert cli(env, "db", "current").output == f"db current: {HEADS} (head)\n"


def test_a_worker_parses_in_process_unless_told_otherwise(sqlite_url, tmp_path, monkeypatch):
    import service.scheduler

    ran: list[Any] = []
    monkeypatch.setattr(service.scheduler, "run_forever", lambda tracker, demo=False: ran.append(tracker))
    env = _env(tmp_path, sqlite_url)
    assert cli(env, "worker", "--migrate").exit_code == 0
    assert cli({**env, "ALLIANCES_CPU_PROCESSES": "3"}, "worker").exit_code == 0
    assert [t.pools.processes for t in ran] == [0, 3]


def test_a_database_migrated_by_a_newer_version_is_refused_even_with_migrate(db_url, tmp_path):
    t = build(Settings.from_env(_env(tmp_path, db_url)))
    with t.store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'events_9999' WHERE version_num LIKE 'events%'"))
    t.close()
    env = _env(tmp_path, db_url)
    out = cli(env, "db", "upgrade")
    assert out.exit_code == 2 and "events_9999 is not a revision this version knows" in out.output
    assert "not a revision this version knows (events_9999)" in cli(env, "db", "current").output


def test_the_quick_heads_read_from_the_revision_files_are_alembics_heads():
    assert quick_heads() == heads()


def test_a_command_on_a_database_at_head_does_not_load_alembic(tmp_path):
    """The start-up check at head reads `alembic_version` itself: Alembic costs ~0.2 s of every command's start."""
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    build(Settings.from_env(env)).close()  # created at head
    code = ("import sys; from service.bootstrap import build; from service.config import Settings;"
            f" build(Settings.from_env({env!r})).close(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False", out.stderr



def _downgrade(conn: Any, to: str) -> None:
    """What `alliances db upgrade` undoes: the revisions after `to`, run backwards inside `conn`'s transaction."""
    from alembic.runtime.environment import EnvironmentContext

    from service.migrations import script

    sd = script()
    with EnvironmentContext(Config(), sd, fn=lambda rev, _ctx: sd._downgrade_revs(to, rev), destination_rev=to) as env:
        env.configure(connection=conn, target_metadata=METADATA)
        with env.begin_transaction():
            env.run_migrations()


def test_upgrading_to_the_interval_tree_computes_every_history_rows_fork_in_place(db_url, tmp_path):
    """events_0004 fills `fork` from each row's own bounds: the history is neither emptied nor replayed, and the
    rows, the checkpoint and the as-of answers are what a database made at head holds."""
    env = _env(tmp_path, db_url)
    t = build(Settings.from_env(env))
    try:
        seed_and_poll(t)
        t.queries.version()
    finally:
        t.close()
    rows = "SELECT alliance_id, valid_from, recorded_from, fork FROM alliance_history ORDER BY 1, 2, 3"
    checkpoint = "SELECT position FROM checkpoints WHERE name = 'history'"
    store = EventStore(make_engine(db_url))
    with store.engine.connect() as conn:
        before, mark = conn.execute(text(rows)).all(), conn.execute(text(checkpoint)).scalar_one()
    answers = {d: cli(env, "state", "--json", "--as-of", d).output for d in ("2019-06-30", "2024-01-01", "2026-05-04")}
    assert json.loads(answers["2026-05-04"])
    with store.write() as conn:
        _downgrade(conn, "events_0003")
    assert "fork" not in {c["name"] for c in inspect(store.engine).get_columns("alliance_history")}
    assert cli(env, "db", "upgrade").exit_code == 0
    with store.engine.connect() as conn:
        assert conn.execute(text(rows)).all() == before and len(before) > 10
        assert conn.execute(text(checkpoint)).scalar_one() == mark
    assert {d: cli(env, "state", "--json", "--as-of", d).output for d in answers} == answers
    store.engine.dispose()
