"""One clear line, a non-zero exit and no traceback for every bad input and environment (issue 10, finding 8)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ALLIANCES = str(Path(sys.executable).parent / "alliances")


def run(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    return subprocess.run([ALLIANCES, *args], env={**base, **env}, input=stdin, capture_output=True, timeout=120)


def one_line(out: subprocess.CompletedProcess[bytes], message: str) -> None:
    err = out.stderr.decode("utf-8", "replace")
    assert out.returncode != 0, err
    assert "Traceback" not in err and message in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data")}


def test_events_after_a_position_beyond_64_bits(env):
    one_line(run(env, "events", "--after", "99999999999999999999999"), "--after must be a position from 0 to")


@pytest.mark.parametrize("how", ["file", "stdin", "score"])
def test_extract_with_input_that_is_not_utf8(env, tmp_path, how):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'\xff\xfe{"id": 1, "title": "x"}\n')
    args = {"file": ("extract", str(bad)), "stdin": ("extract",), "score": ("extract", "--score", str(bad))}[how]
    out = run(env, *args, stdin=bad.read_bytes() if how == "stdin" else b"")
    one_line(out, "line 1: not UTF-8")
    assert out.returncode == 1


def test_extract_keeps_the_good_lines_around_a_bad_one(env, tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b'{"id": "a", "title": "Nissan and Momenta sign a deal"}\n\xff\n{"id": "b", "title": "x"}\n')
    out = run(env, "extract", str(mixed))
    assert out.stdout.decode().count('"id"') == 2 and b"line 2: not UTF-8" in out.stderr


@pytest.mark.parametrize("url, message", [
    ("mysql://user@host/db", "'mysql' databases are not supported"),
    ("sqlite:////nonexistent/dir/x.db", "no directory '/nonexistent/dir'"),
])
def test_database_urls_we_cannot_use(env, url, message):
    one_line(run({**env, "ALLIANCES_DATABASE_URL": url}, "state"), message)
    assert not Path("/nonexistent").exists()  # no directory was created on the way


def test_a_sqlite_url_pointing_at_a_file_that_is_not_a_database(env, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("shopping list\n" * 100)
    one_line(run({**env, "ALLIANCES_DATABASE_URL": f"sqlite:///{f}"}, "state"), "file is not a database")
    assert f.read_text() == "shopping list\n" * 100


def _read_only_dir(tmp_path: Path) -> Path:
    """A directory nobody may write into: a read-only tmpfs as root, mode 0555 otherwise."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        return ro
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True).returncode:
        return tmp_path / "a-file" / "under-it"  # no mount allowed: a parent that is a file fails the same way
    return ro


def test_a_data_directory_under_a_read_only_parent(tmp_path):
    parent = _read_only_dir(tmp_path)
    if parent.name == "under-it":
        (tmp_path / "a-file").write_text("x")
    try:
        one_line(run({"ALLIANCES_DATA_DIR": str(parent / "data")}, "state"), "cannot create the data directory")
    finally:
        subprocess.run(["umount", str(parent)], capture_output=True)


@pytest.mark.parametrize("name, value, message", [
    ("ALLIANCES_PORT", "abc", "ALLIANCES_PORT must be a whole number from 1 to 65535, got 'abc'"),
    ("ALLIANCES_PORT", "70000", "ALLIANCES_PORT must be a whole number"),
    ("ALLIANCES_REVIEW_THRESHOLD", "nan", "ALLIANCES_REVIEW_THRESHOLD must be a number"),
    ("ALLIANCES_REVIEW_THRESHOLD", "-1", "ALLIANCES_REVIEW_THRESHOLD must be a number"),
    ("ALLIANCES_POLL_CONCURRENCY", "0", "ALLIANCES_POLL_CONCURRENCY must be a whole number"),
    ("ALLIANCES_CHANNEL_TIMEOUT", "soon", "ALLIANCES_CHANNEL_TIMEOUT must be a whole number"),
    ("ALLIANCES_CONNECTION_LIMIT", "0", "ALLIANCES_CONNECTION_LIMIT must be a whole number"),
    ("ALLIANCES_LEASE_SECONDS", "0", "ALLIANCES_LEASE_SECONDS must be a whole number from 1 to 86400"),
    ("ALLIANCES_POLL_TICK_SECONDS", "1.5", "ALLIANCES_POLL_TICK_SECONDS must be a whole number"),
    ("ALLIANCES_WAKE_FALLBACK_SECONDS", "-3", "ALLIANCES_WAKE_FALLBACK_SECONDS must be a whole number"),
    ("ALLIANCES_READY_MAX_LAG", "many", "ALLIANCES_READY_MAX_LAG must be a whole number"),
    ("ALLIANCES_METRICS_PORT", "65536", "ALLIANCES_METRICS_PORT must be a whole number from 0 to 65535"),
    ("ALLIANCES_CPU_PROCESSES", "-1", "ALLIANCES_CPU_PROCESSES must be a whole number from 0 to 64"),
])
def test_bad_numbers_in_the_environment_name_their_variable(env, name, value, message):
    one_line(run({**env, name: value}, "state"), message)


def test_serve_on_a_taken_port_is_one_line(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run({**env, "ALLIANCES_NO_DEMO_FEED": "1"}, "serve", "--port", str(port))
    err = out.stderr.decode()
    assert out.returncode == 2 and "Traceback" not in err
    assert f"alliances: error: cannot listen on 127.0.0.1:{port}: Address already in use" in err


def test_worker_metrics_on_a_taken_port_is_one_line(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run({**env, "ALLIANCES_METRICS_PORT": str(port)}, "worker")
    err = out.stderr.decode()
    assert out.returncode == 2 and "Traceback" not in err
    assert f"cannot listen on 127.0.0.1:{port} for metrics (ALLIANCES_METRICS_PORT): Address already in use" in err


def test_a_reader_that_goes_away_ends_the_output_quietly(env):
    """`alliances events --json | head -c 100`: the closed pipe is no error and prints nothing on stderr."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    assert run(env, "seed").returncode == 0
    proc = subprocess.Popen([ALLIANCES, "events", "--json"], env={**base, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100).startswith(b"[")
    proc.stdout.close()  # the reader stops early, as `head` does
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=120) == 141 and err == ""
