"""The bitemporal read model at scale: rebuild speed, and time travel from a freshly started process.

Usage: python bench/bench_readmodel.py [--db sqlite|postgres] [--events 1000000] [--alliances 10000]
                                       [--dates chronological|random] [--queries 200] [--keep DIR]
1. writes a synthetic log (bench/synth.py, batches of 1,000);
2. rebuilds every projection through the subscriber runner (read, fold, write the read model): events/s;
3. starts a fresh Python process that answers "alliances as of D" (the full `state --json` rows of every
   alliance) for random dates, then "known at T" and both: first answer and p50/p95;
4. starts a fresh web process (the Flask app, no pollers) and loads `/`, `/?as_of=`, `/api/alliances?as_of=`,
   `/network`, `/changes` (WEB_PAGES), each body read to its end, then reports its RSS after each page and its
   peak RSS (`--web URL` runs only this step against a database kept by an earlier run; `--serve URL` loads the
   same pages from a real `alliances serve --no-pollers` process: waitress's threads, the start-up catch-up).
Targets (issue 8): rebuild >= 150,000 events/s (SQLite); first as-of answer within 1 s and p50 <= 20 ms on
SQLite and PostgreSQL; the web process under 150 MB RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("ALLIANCES_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGETED = ("as of D", "as of D, JSON text")  # the answers issue 8's p50 target is about


def _store(url: str):  # type: ignore[no-untyped-def]
    from events.engine import make_engine
    from events.store import EventStore
    from service.migrations import ensure

    store = EventStore(make_engine(url))
    ensure(store)  # created at head, as the product creates it: the web process below refuses anything else
    return store


def build(url: str, events: int, alliances: int, dates: str) -> None:
    from bench.synth import synthetic
    from events.subscribers import REGISTRY

    store = _store(url)
    t0 = time.perf_counter()
    batch = []
    for ev in synthetic(events, alliances, dates=dates):
        batch.append(ev)
        if len(batch) == 1000:
            store.append(batch)
            batch = []
    store.append(batch)
    print(
        f"log: {events:,} events over {alliances:,} alliances ({dates} dates) written in"
        f" {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    n = REGISTRY.runner(store, batch=100_000).rebuild()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"rebuild of every projection (runner: read, fold, write the bitemporal tables): {n / dt:,.0f} events/s"
        f" ({dt:.1f} s); {n / cpu:,.0f} events per CPU-second of this process ({cpu:.1f} s; on SQLite all of"
        f" the work, on PostgreSQL without the server's)  target >= 150,000",
        flush=True,
    )
    with store.engine.connect() as conn:
        counts = {
            t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one()
            for t in ("alliance_now", "alliance_history", "alliance_entries", "company_now")
        }
    print(f"read-model rows: {counts}", flush=True)
    store.engine.dispose()


def _ms(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
    return f"p50 {statistics.median(samples):.1f} ms, p95 {q[94]:.1f} ms"


def probe(url: str, queries: int) -> None:
    """A fresh process: connect, answer, measure (nothing folded, nothing cached beforehand)."""
    t_start = time.perf_counter()
    import orjson

    from events.queries import Queries
    from events.values import parse_instant

    store = _store(url)
    q = Queries(store)
    rng = random.Random(1)

    def day() -> date:
        return date(2015, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))

    t0 = time.perf_counter()
    answer = q.alliances_json(as_of=day()) if hasattr(q, "alliances_json") else q.alliances(as_of=day())
    first = time.perf_counter() - t0
    rows, kind = (orjson.loads(answer), "JSON text") if isinstance(answer, bytes) else (answer, "full JSON rows")
    print(
        f"fresh process: first as-of answer ({len(rows):,} alliances, {kind}) in {first * 1000:.0f} ms"
        f" ({time.perf_counter() - t_start:.2f} s since the process started, imports included)  target <= 1 s"
    )
    recorded = [r.recorded_at for r in store.read(limit=1)] + [
        r.recorded_at for r in store.read(after=store.tail() - 1)
    ]
    t_lo, t_hi = parse_instant(recorded[0]).timestamp(), parse_instant(recorded[-1]).timestamp()

    def instant():  # type: ignore[no-untyped-def]
        from datetime import datetime

        return datetime.fromtimestamp(rng.uniform(t_lo, t_hi), UTC)

    text = hasattr(q, "alliances_json")  # the JSON text answer (`state --json`, the API), where the code has it
    for label, ask in (
        ("as of D", lambda: q.alliances(as_of=day())),
        ("as of D, documents only", lambda: q.alliance_docs(as_of=day())),
        ("known at T", lambda: q.alliances(known_at=instant())),
        ("as of D known at T", lambda: q.alliances(as_of=day(), known_at=instant())),
        *(
            (("as of D, JSON text", lambda: q.alliances_json(as_of=day())),
             ("known at T, JSON text", lambda: q.alliances_json(known_at=instant())),
             ("as of D known at T, JSON text", lambda: q.alliances_json(as_of=day(), known_at=instant())))
            if text else ()
        ),
    ):
        lat, cpu = [], []
        for _ in range(queries):
            t0, c0 = time.perf_counter(), time.process_time()
            ask()
            lat.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        print(
            f"{label} (random dates, cache misses): {_ms(lat)}; CPU of this process p50"
            f" {statistics.median(cpu):.1f} ms" + ("  target p50 <= 20 ms" if label in TARGETED else "")
        )
    print(f"probe process peak RSS: {_peak_rss():.0f} MB")


WEB_PAGES = (
    "/",
    "/?as_of=2020-06-30",
    "/api/alliances?as_of=2019-01-01",
    "/?as_of=2023-03-31&sort=updated",
    "/network?as_of=2021-12-31",
    "/changes?from=2020-01-01&to=2021-01-01",
    "/",
)


def web(url: str) -> None:
    """A fresh web process (no pollers): a few pages with and without time travel, then its peak RSS.

    Each body is read to its end a chunk at a time, as the server writes a streamed page to its socket
    (a page's transients count; the test client's own copy of a whole body does not)."""
    print(f"web process: after start {_rss()}", flush=True)
    from service.bootstrap import build as build_tracker
    from service.config import Settings
    from service.webapp import web_app

    with tempfile.TemporaryDirectory() as d:
        tracker = build_tracker(Settings.from_env({"ALLIANCES_DATABASE_URL": url, "ALLIANCES_DATA_DIR": d}))
        client = web_app(tracker, testing=True).test_client()
        print(f"web process: imports and wiring {_rss()}", flush=True)
        first = 0.0
        for path in WEB_PAGES:
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.get(path)
            assert resp.status_code == 200, path
            size = sum(len(chunk) for chunk in resp.iter_encoded())
            resp.close()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            first = first or wall
            print(f"  {path:42} {size / 1e6:5.2f} MB body, {wall * 1000:5.0f} ms (CPU {cpu * 1000:4.0f} ms);"
                  f" {_rss()}", flush=True)
        print(
            f"web process: first '/' in {first * 1000:.0f} ms; peak RSS after 7 pages (3 time-travel dates,"
            f" network, changes) {_peak_rss():.0f} MB  target < 150 MB"
        )
        tracker.close()


def serve(url: str) -> None:
    """The same pages from a real `alliances serve --no-pollers` process (waitress, 8 threads, as deployed), its
    RSS read from /proc after each: what the in-process step cannot show (threads, the start-up catch-up)."""
    import re
    import urllib.request

    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "ALLIANCES_DATABASE_URL": url, "ALLIANCES_DATA_DIR": d}
        cmd = [sys.executable, "-m", "service.cli", "serve", "--no-pollers", "--port", "0"]
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            base = ""
            while not base:
                line = proc.stdout.readline()
                assert line, "alliances serve stopped before it listened"
                found = re.search(r"(http://\S+/) \(waitress", line)
                base = found.group(1).rstrip("/") if found else ""
            print(f"served process: after start {_rss(proc.pid)}", flush=True)
            for path in WEB_PAGES:
                t0 = time.perf_counter()
                size = 0
                with urllib.request.urlopen(base + path) as resp:
                    while chunk := resp.read(65536):
                        size += len(chunk)
                print(f"  {path:42} {size / 1e6:5.2f} MB body, {(time.perf_counter() - t0) * 1000:5.0f} ms;"
                      f" {_rss(proc.pid)}", flush=True)
            print(f"served process: peak RSS after 7 pages {_rss(proc.pid).split('peak ')[1].rstrip(')')}"
                  "  target < 150 MB")
        finally:
            proc.terminate()
            proc.wait()


def _rss(pid: int | str = "self") -> str:
    """VmRSS now and VmHWM so far of a process (this one by default), in MB."""
    found = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    now, peak = (int(found[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
    return f"RSS {now:.0f} MB (peak {peak:.0f})"


def _peak_rss() -> float:
    """VmHWM of this process in MB (ru_maxrss would include the parent's peak, inherited across fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pg_database() -> tuple[str, str]:
    import psycopg

    name = f"alliances_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--dates", choices=("chronological", "random"), default="chronological")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--url", help="measure an existing database (built by an earlier run with --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    ap.add_argument("--web", help=argparse.SUPPRESS)
    ap.add_argument("--serve", help="only the pages from a real `alliances serve --no-pollers` over this database URL")
    a = ap.parse_args()
    if a.probe:
        return probe(a.probe, a.queries)
    if a.web:
        return web(a.web)
    if a.serve:
        return serve(a.serve)
    if a.url:
        for flag in ("--probe", "--web"):
            subprocess.run([sys.executable, __file__, flag, a.url, "--queries", str(a.queries)], check=True)
        return
    tmp = tempfile.mkdtemp(prefix="bench-readmodel-")
    pg_name = None
    if a.db == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        pg_name, url = _pg_database()
    try:
        build(url, a.events, a.alliances, a.dates)
        for flag in ("--probe", "--web"):
            subprocess.run([sys.executable, __file__, flag, url, "--queries", str(a.queries)], check=True)
    finally:
        if a.keep:
            print(f"kept: {url}")
        else:
            if pg_name:
                _drop(pg_name)
            subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
