"""Signed checkpoints (issue 10, finding 4): a kept checkpoint detects tail truncation and whole-chain rewrites.

Run on SQLite and PostgreSQL; the attacks drop the append-only guard first, as a database owner could.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from events.anchor import CheckpointLog, SignedCheckpoint, mismatch, signature_ok
from events.codec import GENESIS, V2_COLUMNS, chain_hash_v2
from service.bootstrap import build
from service.checkpoints import key_path, load_key, write_checkpoint
from service.config import Settings
from tests.factories import company

ALLIANCES = str(Path(sys.executable).parent / "alliances")




def _guards_off(conn, store) -> None:  # type: ignore[no-untyped-def]
    if store.is_postgres:
        conn.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))


def _truncate_tail(store, keep: int) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        _guards_off(conn, store)
        conn.execute(text("DELETE FROM events WHERE position > :k"), {"k": keep})


def _rewrite_from(store, position: int) -> None:  # type: ignore[no-untyped-def]
    """Change one event and recompute every later hash: the chain itself verifies again."""
    with store.engine.begin() as conn:
        _guards_off(conn, store)
        rows = conn.execute(text(f"SELECT {', '.join(V2_COLUMNS)}, prev_hash FROM events ORDER BY position"
                                 )).mappings().all()
        prev = GENESIS
        for r in rows:
            row = dict(r)
            if row["position"] == position:
                row["payload"] = row["payload"].replace('"name":"', '"name":"Fake ')
            if row["position"] >= position:
                h = chain_hash_v2(prev, [row[c] for c in V2_COLUMNS])
                conn.execute(text("UPDATE events SET payload = :pl, prev_hash = :prev, hash = :h WHERE position = :p"),
                             {"pl": row["payload"], "prev": prev, "h": h, "p": row["position"]})
                prev = h
            else:
                q = text("SELECT hash FROM events WHERE position = :p")
                prev = conn.execute(q, {"p": row["position"]}).scalar()


def test_a_checkpoint_signs_position_head_and_time_with_a_key_outside_the_database(tracker):
    tracker.store.append([company(f"c{i}") for i in range(5)])
    cp = write_checkpoint(tracker)
    assert cp is not None and cp.position == 5 and cp.head_hash == tracker.store.hash_at(5)
    assert signature_ok(cp) and key_path(tracker).is_file()
    assert key_path(tracker).stat().st_mode & 0o077 == 0
    assert CheckpointLog(tracker.store).latest() == [cp]
    forged = SignedCheckpoint(cp.position, "0" * 64, cp.signed_at, cp.public_key, cp.signature)
    assert not signature_ok(forged)


def test_a_kept_checkpoint_detects_tail_truncation(tracker):
    tracker.store.append([company(f"c{i}") for i in range(5)])
    kept = write_checkpoint(tracker)
    assert kept is not None
    _truncate_tail(tracker.store, 3)
    assert tracker.store.verify().ok  # the chain alone cannot tell
    assert "events were removed" in (mismatch(tracker.store, kept) or "")


def test_a_kept_checkpoint_detects_a_whole_chain_rewrite(tracker):
    tracker.store.append([company(f"c{i}") for i in range(5)])
    kept = write_checkpoint(tracker)
    assert kept is not None
    _rewrite_from(tracker.store, 2)
    assert tracker.store.verify().ok  # recomputed hashes fit together again
    assert "rewritten" in (mismatch(tracker.store, kept) or "")


def test_a_log_that_only_grew_still_matches_an_old_checkpoint(tracker):
    tracker.store.append([company("a")])
    kept = write_checkpoint(tracker)
    assert kept is not None
    tracker.store.append([company("b")])
    assert mismatch(tracker.store, kept) is None
    assert mismatch(tracker.store, kept, trusted_key="ab" * 32) is not None  # another key is not ours


def test_a_broken_chain_is_never_signed(tracker):
    from events.errors import ChainBroken

    tracker.store.append([company("a"), company("b")])
    with tracker.store.engine.begin() as conn:
        _guards_off(conn, tracker.store)
        conn.execute(text("UPDATE events SET valid_from = '2030-01-01' WHERE position = 2"))
    with pytest.raises(ChainBroken, match="position 2"):
        write_checkpoint(tracker)
    assert CheckpointLog(tracker.store).latest() == []


def test_an_unusable_key_file_is_one_clear_error(tmp_path):
    from service.config import ConfigError

    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_key(bad)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALLIANCES, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_cli_checkpoint_then_verify_against_the_kept_file(tmp_path, db_url):
    key = tmp_path / "elsewhere" / "signing.pem"
    env = {"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url,
           "ALLIANCES_CHECKPOINT_KEY": str(key)}
    assert _run(env, "seed").returncode == 0
    made = _run(env, "checkpoint", "--json")
    assert made.returncode == 0, made.stderr
    kept = tmp_path / "kept.json"
    kept.write_text(made.stdout)
    assert key.is_file() and json.loads(made.stdout)["position"] == 72
    ok = _run(env, "verify", "--checkpoint", str(kept))
    assert ok.returncode == 0 and "1 checkpoint(s) match" in ok.stdout, ok.stderr
    t = build(Settings.from_env(env))
    try:
        _truncate_tail(t.store, 70)
    finally:
        t.close()
    assert _run(env, "verify").returncode == 0
    caught = _run(env, "verify", "--checkpoint", str(kept))
    assert caught.returncode == 1 and "ends at position 70" in caught.stderr


@pytest.mark.parametrize("content, message", [
    ("not json", "is not JSON"), ("[]", "holds no checkpoint"), ('{"position": 1}', "a checkpoint is an object"),
])
def test_cli_verify_with_a_bad_checkpoint_file_is_one_line(tmp_path, content, message):
    env = {"ALLIANCES_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "cp.json").write_text(content)
    out = _run(env, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_checkpoints_are_published_at_the_api_and_verify_reads_them_by_url(tmp_path):
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from service.webapp import web_app

    env = {"ALLIANCES_DATA_DIR": str(tmp_path / "data")}
    assert _run(env, "seed").returncode == 0
    assert _run(env, "checkpoint").returncode == 0
    t = build(Settings.from_env(env))

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = make_server("127.0.0.1", 0, web_app(t), handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/api/checkpoints"
        client = web_app(t).test_client()
        published = client.get("/api/checkpoints").get_json()
        assert [c["position"] for c in published] == [72] and signature_ok(SignedCheckpoint.from_json(published[0]))
        out = _run(env, "verify", "--checkpoint", url)
        assert out.returncode == 0 and "1 checkpoint(s) match" in out.stdout, out.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.close()


def test_the_scheduler_writes_checkpoints_periodically(tmp_path):
    from service.checkpoints import CHECKPOINT_SECONDS
    from service.scheduler import start_background

    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path / "data")}))
    try:
        t.store.append([company("a")])
        handle = start_background(t, tick_seconds=3600)
        try:
            job = handle.scheduler.get_job("checkpoint")
            assert job.trigger.interval.total_seconds() == CHECKPOINT_SECONDS
            job.func(*job.args)  # what the scheduler runs at each interval
        finally:
            handle.stop()
        assert [c.position for c in CheckpointLog(t.store).latest()] == [1]
    finally:
        t.close()
