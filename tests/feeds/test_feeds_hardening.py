"""Hostile feeds and crashed pollers (issue 10, findings 7, 8 and 10), against real local servers."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from events.store import EventStore
from feeds.leases import holder, pid_alive
from tests.skips import unavailable

from .test_feeds_service import ITEMS, Parts, rss, wire

ALLIANCES = Path(sys.executable).with_name("alliances")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    env.update({"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_ALLOW_PRIVATE_URLS": "1", **extra})
    return env


def run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ALLIANCES), *args], capture_output=True, text=True, env=_env(tmp_path, **extra),
                          timeout=120)


# --- 10: terminal escapes -----------------------------------------------------------------------

HOSTILE_TITLE = "\x1b[31mRed\x1b[0m alert\x07 \x1b]0;owned\x07done \u202eevil"


def test_articles_text_output_carries_no_terminal_control_characters(tmp_path: Path, server: Any) -> None:
    body = rss([{"guid": "urn:x", "link": "https://example.com/x", "title": "&#27;[31mRed&#27;[0m alert&#7; "
                 "&#27;]0;owned&#7;done &#8238;evil", "pubDate": "Mon, 12 Jan 2026 02:00:00 GMT"}], title="T")
    url = server.static("/esc.xml", body=body)
    assert run(tmp_path, "feeds", "add", url).returncode == 0
    assert run(tmp_path, "poll", "--once", "--all").returncode == 0
    stored = json.loads(run(tmp_path, "articles", "--json").stdout)[0]["title"]
    assert "\x1b" in stored or "\x07" in stored, "the archive keeps what the feed said (the test needs it)"
    out = run(tmp_path, "articles")
    assert out.returncode == 0
    assert not any(ch in out.stdout for ch in "\x1b\x07\u202e\x9b")
    assert "Red alert done evil" in out.stdout


def test_json_output_escapes_c1_controls_but_keeps_the_value(tmp_path: Path) -> None:
    from service.terminal import clean, json_safe

    text_ = json.dumps({"t": "a\x9b31mb\u202ec"}, ensure_ascii=False)
    safe = json_safe(text_)
    assert "\x9b" not in safe and "\u202e" not in safe and json.loads(safe) == {"t": "a\x9b31mb\u202ec"}
    assert clean(HOSTILE_TITLE) == "Red alert done evil"


# --- 7: leases after a crash --------------------------------------------------------------------

def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _lease(store: EventStore, feed_id: str, owner: str, minutes: int = 10) -> str:
    from datetime import datetime, timedelta

    from events.store import utc_stamp

    until = utc_stamp(datetime.now(UTC) + timedelta(minutes=minutes))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE feed_health SET lease_owner = :o, lease_until = :u WHERE feed_id = :f"),
                     {"o": owner, "u": until, "f": feed_id})
    return until


@pytest.fixture
def svc(store: EventStore) -> Iterator[Parts]:
    parts = wire(store)
    yield parts
    parts.pools.close()


def test_a_lease_of_a_dead_process_on_this_host_is_released_at_once(svc: Parts, store: EventStore,
                                                                    server: Any) -> None:
    info = svc.subscriptions.add(server.static("/d.xml", body=rss(ITEMS)), probe=False)
    svc.poller.poll(all=True)
    owner = f"{socket.gethostname()}:{_dead_pid()}:abc123"
    _lease(store, info.id, owner)
    s = svc.poller.poll(all=True)
    assert s.polled == 1 and [lease.owner for lease in s.released] == [owner] and s.leased == ()


def test_a_lease_of_a_live_poller_is_kept_and_reported_with_its_end(svc: Parts, store: EventStore,
                                                                   server: Any) -> None:
    info = svc.subscriptions.add(server.static("/l.xml", body=rss(ITEMS)), probe=False)
    svc.poller.poll(all=True)
    owner = f"{socket.gethostname()}:{os.getpid()}:other1"  # this very process: alive
    until = _lease(store, info.id, owner)
    s = svc.poller.poll(all=True)
    assert s.polled == 0 and [(x.feed_id, x.owner, x.until) for x in s.leased] == [(info.id, owner, until)]


def test_a_lease_from_another_host_is_never_released_early(svc: Parts, store: EventStore, server: Any) -> None:
    info = svc.subscriptions.add(server.static("/h.xml", body=rss(ITEMS)), probe=False)
    svc.poller.poll(all=True)
    _lease(store, info.id, f"other-host.example:{_dead_pid()}:abc")
    s = svc.poller.poll(all=True)
    assert s.polled == 0 and len(s.leased) == 1 and s.released == ()


def test_owner_ids_name_host_and_pid() -> None:
    assert holder("box-1:4242:a1b2c3") == ("box-1", 4242)
    assert holder("w1") is None and holder(None) is None
    assert pid_alive(os.getpid()) and not pid_alive(_dead_pid())


def test_after_a_kill_9_mid_poll_the_next_poll_frees_the_lease_and_says_so(tmp_path: Path, server: Any) -> None:
    release = threading.Event()

    def slow(h: Any) -> None:  # holds the first poller in its fetch until the test lets go
        release.wait(20)
        h.reply(200, rss(ITEMS))

    url = server.static("/slow.xml", body=rss(ITEMS))  # `feeds add` probes once: answer it fast
    assert run(tmp_path, "feeds", "add", url).returncode == 0
    server.route("/slow.xml")(slow)
    poller = subprocess.Popen([str(ALLIANCES), "poll", "--once", "--all"], env=_env(tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "data" / "alliances.db"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _leased(db):
            time.sleep(0.1)
        assert _leased(db), "the first poller never leased the feed"
    finally:
        poller.kill()  # SIGKILL: no finally-block runs in the poller
        poller.wait()
        release.set()
    server.static("/slow.xml", body=rss(ITEMS))
    out = run(tmp_path, "poll", "--once", "--all")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("poll: 1 feeds polled"), out.stdout
    assert "its process is gone, lease released" in out.stderr and url in out.stderr


def _leased(db: Path) -> bool:
    import sqlite3

    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return bool(conn.execute("SELECT COUNT(*) FROM feed_health WHERE lease_owner IS NOT NULL").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def test_poll_once_names_feeds_another_live_poller_holds(tmp_path: Path, server: Any) -> None:
    url = server.static("/held.xml", body=rss(ITEMS))
    assert run(tmp_path, "feeds", "add", url).returncode == 0
    from service.bootstrap import build
    from service.config import Settings

    t = build(Settings.from_env(_env(tmp_path)))
    try:
        (feed,) = t.subscriptions.feeds()
        until = _lease(t.store, feed.id, f"{socket.gethostname()}:{os.getpid()}:live01")
    finally:
        t.close()
    out = run(tmp_path, "poll", "--once", "--all")
    assert out.stdout.startswith("poll: 0 feeds polled")
    assert f"{url}: leased by {socket.gethostname()}:{os.getpid()}:live01 until {until}" in out.stderr


# --- 8: one line, never a traceback ------------------------------------------------------------

def test_a_huge_interval_is_one_line(tmp_path: Path) -> None:
    out = run(tmp_path, "feeds", "add", "http://127.0.0.1:9/feed.xml", "--interval", "99999999999d")
    assert out.returncode == 2 and "at most 365d" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def _big_feed(n: int) -> bytes:
    return rss([{"guid": f"urn:{i}", "link": f"https://example.com/{i}", "title": f"Item {i}",
                 "description": "word " * 150, "pubDate": "Mon, 12 Jan 2026 02:00:00 GMT"} for i in range(n)])


def test_a_full_disk_at_the_archive_write_is_one_line_and_loses_nothing(tmp_path: Path, server: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC injected where the archive is written (runs anywhere; the tmpfs test below is the real one)."""
    import sqlite3

    from click.testing import CliRunner
    from sqlalchemy.exc import OperationalError

    import feeds.poller as service_module
    from service.cli import main

    url = server.static("/f.xml", body=rss(ITEMS))
    assert run(tmp_path, "feeds", "add", url).returncode == 0
    from feeds.archive import insert_articles as real

    def full(*_a: Any, **_k: Any) -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(service_module, "insert_articles", full)
    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    r = CliRunner().invoke(main, ["poll", "--once", "--all"])
    assert r.exit_code == 2 and "database or disk is full" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    monkeypatch.setattr(service_module, "insert_articles", real)
    again = run(tmp_path, "poll", "--once", "--all")
    assert again.stdout.startswith("poll: 1 feeds polled, 0 not modified, 2 new articles"), again.stdout + again.stderr


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_really_full_disk_during_poll_is_one_line_and_a_later_poll_recovers(tmp_path: Path, server: Any) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "1200k"):
        unavailable("needs root to mount a small tmpfs (the injected-ENOSPC test above covers the path)")
    try:
        env = {"ALLIANCES_DATA_DIR": str(small / "data")}
        url = server.static("/big.xml", body=_big_feed(1500))
        assert run(tmp_path, "seed", **env).returncode == 0
        assert run(tmp_path, "feeds", "add", url, **env).returncode == 0
        out = run(tmp_path, "poll", "--once", "--all", **env)
        assert out.returncode == 2 and "disk is full" in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        again = run(tmp_path, "poll", "--once", "--all", **env)
        assert again.returncode == 0 and again.stdout.startswith("poll: 1 feeds polled, 0 not modified, 1500 new")
        assert run(tmp_path, "verify", **env).returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)
