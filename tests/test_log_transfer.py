"""Moving up from SQLite (issue 11, part 5): `alliances log export` writes every stored column of every event,
`alliances log import` loads it into an empty database of either kind, verifying the chain as it reads and
refusing, with nothing left behind, a tampered line, a file cut short, a file that is not UTF-8 or a target that
is not empty."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import events.store
from events.engine import make_engine
from events.errors import ImportRefused
from events.store import STORED_COLUMNS, EventStore
from service.bootstrap import build
from service.cli import main
from service.config import Settings
from service.migrations import heads
from tests.factories import company
from tests.populate import seed_and_poll

HEADS = " ".join(heads())


def cli(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A seeded and polled SQLite tracker, its export, and what it answers."""
    base = tmp_path_factory.mktemp("source")
    env = {"ALLIANCES_DATA_DIR": str(base / "data"), "ALLIANCES_DATABASE_URL": f"sqlite:///{base / 'source.db'}"}
    t = build(Settings.from_env(env))
    try:
        seed_and_poll(t)
    finally:
        t.close()
    kept = cli(env, "checkpoint", "--json")
    assert kept.exit_code == 0, kept.output
    (base / "checkpoint.json").write_text(kept.output, encoding="utf-8")
    out = cli(env, "log", "export", str(base / "log.jsonl"))
    assert out.exit_code == 0, out.output
    answers = {cmd: cli(env, *cmd.split()).output for cmd in ("verify", "state --json", "events --json")}
    return {"file": base / "log.jsonl", "env": env, "answers": answers, "stdout": cli(env, "log", "export").output}


@pytest.fixture
def target(tmp_path: Path, db_url: str) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url}


def _lines(exported: dict[str, Any]) -> list[bytes]:
    return exported["file"].read_bytes().splitlines(keepends=True)


def _write(tmp_path: Path, lines: list[bytes]) -> str:
    path = tmp_path / "edited.jsonl"
    path.write_bytes(b"".join(lines))
    return str(path)


def _empty(env: dict[str, str]) -> bool:
    return json.loads(cli(env, "events", "--json").output) == []


def test_the_export_holds_every_stored_column_and_ends_with_the_count_and_head(exported):
    lines = [json.loads(x) for x in _lines(exported)]
    header, rows, end = lines[0], lines[1:-1], lines[-1]
    assert header == {"format": "alliances-log", "version": 1, "columns": list(STORED_COLUMNS)}
    assert all(list(r) == list(STORED_COLUMNS) for r in rows)
    assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    assert end == {"end": "alliances-log", "events": len(rows), "head_hash": rows[-1]["hash"]}
    assert {r["type"] for r in rows} > {"CompanyRegistered", "AllianceReported", "FeedAdded"}  # seeded and polled


def test_export_without_a_file_writes_the_same_lines_to_stdout(exported):
    assert exported["stdout"].encode("utf-8") == exported["file"].read_bytes()


def test_a_polled_sqlite_tracker_moves_to_either_database_unchanged(exported, target):
    out = cli(target, "log", "import", str(exported["file"]))
    assert out.exit_code == 0, out.output
    assert out.output.startswith("log import: ") and "chain verified" in out.output and "rebuilt" in out.output
    for cmd, answer in exported["answers"].items():
        assert cli(target, *cmd.split()).output == answer, cmd
    assert f"db current: {HEADS} (head)" in cli(target, "db", "current").output


def test_checkpoints_signed_before_the_move_still_match_the_moved_log(exported, target):
    assert cli(target, "log", "import", str(exported["file"])).exit_code == 0
    out = cli(target, "verify", "--checkpoint", str(exported["file"].parent / "checkpoint.json"))
    assert out.exit_code == 0 and "1 checkpoint(s) match" in out.output, out.output


def test_a_tampered_line_is_refused_naming_its_position_and_nothing_stays(exported, target, tmp_path):
    lines = _lines(exported)
    row = json.loads(lines[5])
    row["payload"] = row["payload"].replace("Audi", "Audi Sport") if "Audi" in row["payload"] else row["payload"] + " "
    lines[5] = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    out = cli(target, "log", "import", _write(tmp_path, lines))
    assert out.exit_code == 2 and out.output.count("\n") == 1
    assert "import refused at position 5: content does not match its hash (nothing was imported)" in out.output
    assert _empty(target)


def test_a_file_cut_in_the_middle_of_a_line_is_refused_naming_the_line(exported, target, tmp_path):
    lines = _lines(exported)
    cut = [*lines[:40], lines[40][:30]]
    out = cli(target, "log", "import", _write(tmp_path, cut))
    assert out.exit_code == 2 and "import refused at line 41: not a JSON value" in out.output
    assert _empty(target)


def test_a_file_cut_at_a_line_boundary_is_refused_by_its_missing_closing_line(exported, target, tmp_path):
    out = cli(target, "log", "import", _write(tmp_path, _lines(exported)[:40]))
    assert out.exit_code == 2
    assert "import refused at line 40: the file ends after 39 events without its closing line" in out.output
    assert _empty(target)


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(exported, target, tmp_path):
    lines = _lines(exported)
    lines[3] = lines[3].replace(b'"stream_id"', b'"stream\xff_id"')
    out = cli(target, "log", "import", _write(tmp_path, lines))
    assert out.exit_code == 2 and "import refused at line 4: not UTF-8" in out.output
    assert _empty(target)


def test_a_target_that_is_not_empty_is_refused_and_kept_as_it_was(exported, target):
    cli(target, "seed")
    before = cli(target, "events", "--json").output
    out = cli(target, "log", "import", str(exported["file"]))
    assert out.exit_code == 2 and "the target already holds 72 events: import needs an empty log" in out.output
    assert cli(target, "events", "--json").output == before


def test_a_file_that_is_no_export_is_refused_at_line_1(target, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "x", "title": "not a log"}\n', encoding="utf-8")
    out = cli(target, "log", "import", str(path))
    assert out.exit_code == 2 and "import refused at line 1: not an export of `alliances log export`" in out.output


def test_a_break_after_rows_were_written_rolls_all_of_them_back(store, monkeypatch):
    """The store writes in chunks; a break further on leaves none of the earlier chunks behind."""
    rows = _chain_of(30)
    monkeypatch.setattr(events.store, "_IMPORT_CHUNK", 5)
    bad = [*rows[:24], {**rows[24], "hash": "0" * 64}, *rows[25:]]
    with pytest.raises(ImportRefused, match="at position 25: content does not match its hash"):
        store.import_raw(iter(bad))
    assert store.count() == 0
    assert store.import_raw(iter(rows)) == 30 and store.verify().ok


def test_a_row_with_a_missing_or_mistyped_column_is_refused_naming_its_position(store):
    rows = _chain_of(3)
    with pytest.raises(ImportRefused, match="at position 2: a row must hold exactly the columns"):
        store.import_raw([rows[0], {k: v for k, v in rows[1].items() if k != "provenance"}])
    with pytest.raises(ImportRefused, match="at position 3: column 'stream_version' must be an integer"):
        store.import_raw([rows[0], rows[1], {**rows[2], "stream_version": "1"}])
    assert store.count() == 0


def _chain_of(n: int) -> list[dict[str, Any]]:
    """n stored rows of a real chain (written by a throwaway in-memory store)."""
    scratch = EventStore(make_engine("sqlite://"))
    scratch.migrate()
    scratch.append([company(f"c{i}") for i in range(n)])
    rows = list(scratch.read_stored())
    scratch.engine.dispose()
    return rows


def test_control_characters_are_escaped_in_the_file_and_come_back_the_same(tmp_path):
    """A feed-borne C1 control or bidi override cannot drive a terminal showing the export, and is not lost."""
    source = {"ALLIANCES_DATA_DIR": str(tmp_path / "a"), "ALLIANCES_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    t = build(Settings.from_env(source))
    try:
        t.store.append([company("evil", "Evil\u009b31m \u202eCo")])
    finally:
        t.close()
    out = cli(source, "log", "export")
    assert "\u009b" not in out.output and "\u202e" not in out.output and "\\u009b" in out.output
    path = tmp_path / "log.jsonl"
    path.write_text(out.output, encoding="utf-8")
    target = {"ALLIANCES_DATA_DIR": str(tmp_path / "b"), "ALLIANCES_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    assert cli(target, "log", "import", str(path)).exit_code == 0
    assert cli(target, "events", "--json").output == cli(source, "events", "--json").output
    assert cli(target, "verify").output == "verify: ok, 1 events chained\n"
