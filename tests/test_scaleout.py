"""Three `alliances worker` processes on one PostgreSQL database: work divided, never doubled, nothing lost.

300 local feeds on a real HTTP server that counts requests. Cycle 1: every feed is fetched exactly once,
every article is archived and ingested once (the workers' own counts add up to the archive), no alliance is
reported twice, the chain verifies and the projections reach the head. Cycle 2 (new items on every feed):
one worker is killed with SIGKILL while it holds claims; the others take them over and nothing is lost.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bench.newsfeeds import feed_bytes
from events.envelope import NewEvent
from events.types import FeedAdded
from service.bootstrap import Tracker, build
from service.config import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEEDS = 300
WORKERS = 3
ALLIANCES = str(Path(sys.executable).with_name("alliances"))


class CountingFeeds(ThreadingHTTPServer):
    """/f/<n>.xml with `items` items each; counts GETs per path; ETags follow the body (new items: new ETag)."""

    daemon_threads = True
    request_queue_size = 512

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.items = 3
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.bodies: dict[tuple[int, int], bytes] = {}

    def body(self, n: int) -> bytes:
        key = (n, self.items)
        if key not in self.bodies:
            self.bodies[key] = feed_bytes(n, self.items)
        return self.bodies[key]

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/f/{n}.xml"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingFeeds

    def do_GET(self) -> None:  # noqa: N802 - http.server's API
        m = re.fullmatch(r"/f/(\d+)\.xml", self.path)
        with self.server.lock:
            self.server.hits[self.path] += 1
            body = self.server.body(int(m.group(1))) if m else b""
        time.sleep(0.01)  # a little network time, so a cycle lasts long enough to be interrupted
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        status = 404 if not m else 304 if self.headers.get("If-None-Match") == etag else 200
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body) if status == 200 else 0))
        self.end_headers()
        if status == 200:
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def feeds_server() -> Iterator[CountingFeeds]:
    server = CountingFeeds()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Workers:
    """`alliances worker` processes, each in its own process group (so its extraction processes go with it)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int) -> None:
        for i in range(n):
            log = open(self.logs / f"worker{len(self.procs)}-{i}.log", "wb")  # noqa: SIM115 - closed with the process
            self.procs.append(subprocess.Popen([ALLIANCES, "worker"], env=self.env, stdout=log, stderr=log,
                                               start_new_session=True))

    def ingested(self) -> int:
        """Articles the workers say they ingested (each drain logs "ingest: N articles")."""
        return sum(int(n) for f in self.logs.glob("worker*.log")
                   for n in re.findall(r"ingest: (\d+) articles", f.read_text(errors="replace")))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for p in self.procs:  # orphaned extraction processes of a killed worker
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)


def wait_for(cond: Callable[[], bool], timeout: float, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            tails = "\n".join(f.read_text(errors="replace")[-1500:] for f in workers.logs.glob("worker*.log"))
            raise AssertionError(f"timed out waiting for {what}; worker logs:\n{tails}")
        time.sleep(0.2)


def scalar(t: Tracker, sql: str) -> Any:
    with t.store.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def held_by(t: Tracker) -> list[str]:
    """The owners of the feed leases in force now."""
    with t.store.engine.connect() as conn:
        return list(conn.execute(text("SELECT DISTINCT lease_owner FROM feed_health WHERE lease_owner IS NOT NULL"))
                    .scalars())


def settled(t: Tracker, since: str) -> bool:
    """Every feed polled since `since`, the outbox empty, and every projection at the log's head."""
    polled = scalar(t, f"SELECT count(*) FROM feed_health WHERE last_polled_at >= '{since}'")  # noqa: S608
    pending = scalar(t, "SELECT count(*) FROM feed_outbox WHERE processed_at IS NULL")
    head = t.store.tail()
    return polled == FEEDS and pending == 0 and all(p == head for p in t.projector.checkpoints().values())


def assert_nothing_doubled(t: Tracker, articles: int) -> None:
    assert scalar(t, "SELECT count(*) FROM feed_articles") == articles
    assert scalar(t, "SELECT count(DISTINCT article_key) FROM feed_articles") == articles
    assert scalar(t, "SELECT count(*) - count(DISTINCT idempotency_key) FROM events") == 0
    twice = scalar(t, "SELECT count(*) FROM (SELECT stream_id FROM events WHERE type = 'AllianceReported'"
                      " GROUP BY stream_id HAVING count(*) > 1) t")
    assert twice == 0, "an alliance was reported twice"
    check = t.store.verify()
    assert check.ok, check


def test_three_workers_divide_the_work_and_a_killed_one_loses_nothing(
        pg_url: str, tmp_path: Path, feeds_server: CountingFeeds) -> None:
    env = {**os.environ, "ALLIANCES_DATABASE_URL": pg_url, "ALLIANCES_DATA_DIR": str(tmp_path / "data"),
           "ALLIANCES_ALLOW_PRIVATE_URLS": "1", "ALLIANCES_POLL_TICK_SECONDS": "1", "ALLIANCES_LEASE_SECONDS": "30",
           "ALLIANCES_WAKE_FALLBACK_SECONDS": "2", "ALLIANCES_POLL_CONCURRENCY": "4"}
    t = build(Settings.from_env(env))
    t.store.append([NewEvent(FeedAdded(f"f{n}", feeds_server.url(n), f"Wire {n}")) for n in range(FEEDS)])
    workers = Workers(env, tmp_path)
    try:
        start = scalar(t, "SELECT to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS')")
        workers.start(WORKERS)
        wait_for(lambda: settled(t, start), 45, "cycle 1", workers)
        assert set(feeds_server.hits) == {f"/f/{n}.xml" for n in range(FEEDS)}
        assert set(feeds_server.hits.values()) == {1}, "a feed was fetched twice in one cycle"
        assert_nothing_doubled(t, FEEDS * 3)
        assert workers.ingested() == FEEDS * 3, "an article was handed to extraction twice"

        # cycle 2: three new items on every feed; one worker dies with SIGKILL while it holds claims
        feeds_server.items = 6
        with t.store.write() as conn:
            conn.execute(text("UPDATE feed_health SET next_poll_at = NULL"))
        start2 = scalar(t, "SELECT to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
        holders: list[str] = []

        def someone_holds_feeds() -> bool:
            holders[:] = held_by(t)
            return bool(holders)

        wait_for(someone_holds_feeds, 20, "a worker's claims", workers)
        pid = int(holders[0].split(":")[-2])  # owner ids are host:pid:nonce
        victim = next(p for p in workers.procs if p.pid == pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        wait_for(lambda: settled(t, start2), 45, "cycle 2 after the kill", workers)
        assert all(feeds_server.hits[f"/f/{n}.xml"] >= 2 for n in range(FEEDS)), "a feed was lost with the victim"
        assert_nothing_doubled(t, FEEDS * 6)
        assert scalar(t, "SELECT count(*) FROM feed_health WHERE lease_owner IS NOT NULL") == 0
    finally:
        workers.stop()
        t.close()
