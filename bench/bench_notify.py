"""Notifications at scale: matching and enqueueing, then one dispatcher against a local receiver.

Usage: python bench/bench_notify.py [--db sqlite|postgres] [--events 10000] [--alliances 2000]
                                    [--subscriptions 100] [--deliver 2000]
1. writes a synthetic log (bench/synth.py) after 100 subscriptions (10 with no filter, 50 following a company,
   30 a kind, 10 new alliances only) and brings every projection up to it;
2. times the notification subscriber alone: read the change log, match every change against every
   subscription, write the outbox rows (deliveries/s);
3. points every subscription at one local receiver (ThreadingHTTPServer, 200 OK) and times one dispatcher
   delivering `--deliver` rows: lease, sign, POST, log the attempt (deliveries/s).
Targets (issue 9): matching and enqueueing >= 5,000 deliveries/s; one dispatcher >= 200 deliveries/s.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("ALLIANCES_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def receiver() -> tuple[str, Any]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a proxy would
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stalls

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", server


def subscriptions(n: int) -> list[Any]:
    from bench.synth import KINDS
    from notify.model import Filters

    out = []
    for i in range(n):
        share = i * 100 // n
        if share < 10:
            out.append(Filters())
        elif share < 60:
            out.append(Filters(companies=(f"c{i}",)))
        elif share < 90:
            out.append(Filters(kinds=(KINDS[i % len(KINDS)],)))
        else:
            out.append(Filters(new_only=True))
    return out


def run(url: str, events: int, alliances: int, n_subs: int, deliver: int) -> None:
    from sqlalchemy import func, select, update

    from bench.synth import synthetic
    from notify.tables import ATTEMPTS, DELIVERIES
    from service.bootstrap import build
    from service.config import Settings

    hook, server = receiver()
    data = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(data), "ALLIANCES_DATABASE_URL": url,
                                 "ALLIANCES_ALLOW_PRIVATE_URLS": "1"}))
    t.notifications.known_companies = lambda: {f"c{i}" for i in range(n_subs)}
    for f in subscriptions(n_subs):
        t.notifications.subscribe("webhook", hook, f)
    batch: list[Any] = []
    for ev in synthetic(events, alliances, dates="chronological"):
        batch.append(ev)
        if len(batch) == 1000:
            t.store.append(batch)
            batch = []
    t.store.append(batch)
    others = [n for n in t.projector.names() if n != "notifications"]
    t.projector.catch_up(others)
    t0 = time.perf_counter()
    t.projector.catch_up(["notifications"])
    took = time.perf_counter() - t0
    with t.store.engine.connect() as conn:
        rows = int(conn.execute(select(func.count()).select_from(DELIVERIES)).scalar_one())
    print(f"match+enqueue: {events:,} events x {n_subs} subscriptions -> {rows:,} deliveries in {took:.2f} s:"
          f" {rows / took:,.0f} deliveries/s", flush=True)

    with t.store.write() as conn:  # deliver only the first `deliver` rows: the rest wait for a later pass
        edge = conn.execute(select(DELIVERIES.c.seq).order_by(DELIVERIES.c.seq).offset(deliver).limit(1)).scalar()
        if edge is not None:
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.seq >= edge).values(next_attempt_at="9999"))
    t0 = time.perf_counter()
    summary = t.notifications.dispatcher().run_once()
    took = time.perf_counter() - t0
    with t.store.engine.connect() as conn:
        latency = conn.execute(select(func.avg(ATTEMPTS.c.latency_ms))).scalar_one()
    print(f"dispatch: {summary.delivered:,} delivered ({summary.attempts:,} attempts) by one dispatcher in"
          f" {took:.2f} s: {summary.delivered / took:,.0f} deliveries/s (receiver latency {latency:.1f} ms)",
          flush=True)
    t.close()
    server.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--alliances", type=int, default=2_000)
    ap.add_argument("--subscriptions", type=int, default=100)
    ap.add_argument("--deliver", type=int, default=2_000)
    a = ap.parse_args()
    if a.db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-notify-db-')}/alliances.db"
        run(url, a.events, a.alliances, a.subscriptions, a.deliver)
        return
    import psycopg

    name = f"bench_notify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        run(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", a.events, a.alliances, a.subscriptions,
            a.deliver)
    finally:
        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
