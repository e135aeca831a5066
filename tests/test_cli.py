"""The `alliances` CLI contract, driven as a user (and outside checks) would drive it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main

ALLIANCES = str(Path(sys.executable).parent / "alliances")


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALLIANCES, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def cli(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_seed_then_state_json_lists_alliances_in_the_contract_shape(env):
    assert run(env, "seed").returncode == 0
    out = run(env, "state", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) >= 10
    for r in rows:
        assert {"id", "parties", "kinds", "stage", "since", "updated", "events", "sources"} <= set(r)
        assert all({"id", "name", "name_zh"} <= set(p) for p in r["parties"])
        assert isinstance(r["kinds"], list) and r["events"] >= 1 and r["sources"] >= 1


def test_seed_twice_equals_seed_once(env):
    cli(env, "seed")
    first = json.loads(cli(env, "events", "--json").output)
    second_run = cli(env, "seed")
    assert "0 new events" in second_run.output
    assert json.loads(cli(env, "events", "--json").output) == first


def test_events_json_is_in_position_order_with_envelope_fields(env):
    cli(env, "seed")
    events = json.loads(cli(env, "events", "--json").output)
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    e = next(e for e in events if e["type"] == "AllianceReported")
    assert {"stream_id", "stream_version", "schema_version", "payload", "valid", "valid_precision", "recorded_at",
            "idempotency_key", "provenance", "prev_hash", "hash"} <= set(e)


def test_state_as_of_a_past_date_shows_fewer_alliances(env):
    cli(env, "seed")
    now = json.loads(cli(env, "state", "--json").output)
    past = json.loads(cli(env, "state", "--json", "--as-of", "2022-01-01").output)
    assert 0 < len(past) < len(now)
    assert all(r["since"] <= "2022" for r in past)


def test_state_known_at_before_the_seed_was_loaded_is_empty(env):
    cli(env, "seed")
    assert json.loads(cli(env, "state", "--json", "--known-at", "2000-01-01T00:00:00Z").output) == []


def test_state_known_at_now_equals_current_state(env):
    cli(env, "seed")
    now = json.loads(cli(env, "state", "--json").output)
    known = json.loads(cli(env, "state", "--json", "--known-at", "2999-01-01T00:00:00Z").output)
    assert known == now


def test_as_of_and_known_at_combine(env):
    cli(env, "seed")
    both = json.loads(cli(env, "state", "--json", "--as-of", "2025-06-30", "--known-at", "2999-01-01T00:00:00Z").output)
    only = json.loads(cli(env, "state", "--json", "--as-of", "2025-06-30").output)
    assert both == only


def test_rebuild_gives_the_same_state(env):
    cli(env, "seed")
    before = json.loads(cli(env, "state", "--json").output)
    assert "folded" in cli(env, "rebuild").output
    assert json.loads(cli(env, "state", "--json").output) == before


def test_rebuild_of_one_named_projection_keeps_every_answer(env):
    cli(env, "seed")
    before = json.loads(cli(env, "state", "--json", "--as-of", "2025-06-30").output)
    assert "folded" in cli(env, "rebuild", "history").output
    assert json.loads(cli(env, "state", "--json", "--as-of", "2025-06-30").output) == before


def test_rebuild_of_an_unknown_projection_is_one_line_and_exit_2(env):
    cli(env, "seed")
    out = run(env, "rebuild", "nope")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "no projection named 'nope'" in out.stderr and "alliances" in out.stderr


def test_verify_reports_an_intact_chain(env):
    cli(env, "seed")
    out = run(env, "verify")
    assert out.returncode == 0 and "ok" in out.stdout


def test_diff_lists_alliances_added_between_two_dates(env):
    cli(env, "seed")
    d = json.loads(cli(env, "diff", "--from", "2025-06-30", "--to", "2025-12-31", "--json").output)
    assert {"added", "changed", "ended"} <= set(d)
    assert any({p["name"] for p in a["parties"]} == {"Mercedes-Benz", "ByteDance"} for a in d["added"])


@pytest.mark.parametrize("args,needle", [
    (("state", "--json", "--as-of", "2025-13-45"), "not a date"),
    (("state", "--json", "--known-at", "yesterday"), "not a timestamp"),
    (("diff", "--from", "2025-01-01", "--to", "nope"), "not a date"),
])
def test_bad_dates_get_one_line_and_a_non_zero_exit(env, args, needle):
    out = run(env, *args)
    assert out.returncode != 0 and needle in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) <= 3


def test_unreachable_database_gets_one_line_and_a_non_zero_exit(tmp_path):
    out = run({"ALLIANCES_DATA_DIR": str(tmp_path),
               "ALLIANCES_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "state", "--json")
    assert out.returncode != 0 and "cannot reach the database" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_malformed_database_url_gets_one_line(tmp_path):
    out = run({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_DATABASE_URL": "not a url"}, "state", "--json")
    assert out.returncode != 0 and "ALLIANCES_DATABASE_URL" in out.stderr and "Traceback" not in out.stderr


def test_verify_exits_1_and_names_the_first_bad_position(tmp_path):
    import sqlite3

    env = {"ALLIANCES_DATA_DIR": str(tmp_path)}
    assert run(env, "seed").returncode == 0
    db = sqlite3.connect(tmp_path / "alliances.db")
    db.execute("DROP TRIGGER events_no_update")  # what an attacker with file access could do
    db.execute("UPDATE events SET payload = replace(payload, '\"name\":\"', '\"name\":\"Fake ') WHERE position = 5")
    db.commit()
    db.close()
    out = run(env, "verify")
    assert out.returncode == 1 and "BROKEN at position 5" in out.stderr


def test_events_without_json_prints_one_line_per_event(env):
    cli(env, "seed")
    out = cli(env, "events")
    lines = out.output.splitlines()
    assert out.exit_code == 0 and len(lines) == 72 and "CompanyRegistered" in lines[0]


def test_state_and_diff_without_json_print_readable_lines(env):
    cli(env, "seed")
    state = cli(env, "state")
    assert state.exit_code == 0 and "audi--saic-motor" in state.output and "Audi + SAIC Motor" in state.output
    diff = cli(env, "diff", "--from", "2025-06-30", "--to", "2025-12-31")
    assert diff.exit_code == 0 and diff.output.startswith("added: ") and "bytedance--mercedes-benz" in diff.output
