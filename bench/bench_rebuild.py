"""Rebuild and time-travel speed over a large synthetic log (SQLite, in-process).

Usage: python bench/bench_rebuild.py [--events 1000000] [--alliances 10000] [--queries 200]
Prints: events/s for `Projector.rebuild()` (read + decode + fold + write the read models), for the
pure fold alone, and p50/p95 latency of "alliances as of a random date" through `Queries`.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth import synthetic  # noqa: E402
from events.engine import make_engine  # noqa: E402
from events.landscape import Landscape  # noqa: E402
from events.projector import Projector  # noqa: E402
from events.queries import Queries  # noqa: E402
from events.store import EventStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = EventStore(make_engine(f"sqlite:///{d}/bench.db"))
        store.migrate()
        t0 = time.perf_counter()
        batch = []
        for ev in synthetic(a.events, a.alliances):
            batch.append(ev)
            if len(batch) == 1000:
                store.append(batch)
                batch = []
        store.append(batch)
        print(f"log: {a.events:,} events over {a.alliances:,} alliances written in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        n = Projector(store).rebuild()
        dt = time.perf_counter() - t0
        print(f"rebuild (read + decode + fold + write read models): {n / dt:,.0f} events/s ({dt:.1f} s)  target >= 100,000")

        for label, rows in (("plain", store.read_rows), ("verifying the chain", store.read_rows_verified)) * 2:
            t0 = time.perf_counter()
            k = sum(1 for _ in rows())
            dt = time.perf_counter() - t0
            print(f"read rows, {label}: {k / dt:,.0f} events/s")  # twice each, interleaved: the machine is shared

        records = list(store.read(batch=50_000))
        t0 = time.perf_counter()
        Landscape().apply_all(records)
        dt = time.perf_counter() - t0
        print(f"pure fold of decoded events: {len(records) / dt:,.0f} events/s")
        del records

        q = Queries(store)
        t0 = time.perf_counter()
        q.current()
        print(f"queries warm-up (fold the log in-process): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        q.views(as_of=date(2020, 1, 1))
        print(f"time index build (first as-of query): {time.perf_counter() - t0:.1f} s")
        rng = random.Random(1)
        lat, lat_json = [], []
        for _ in range(a.queries):
            day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))
            t0 = time.perf_counter()
            _, views = q.views(as_of=day)
            lat.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            q.alliances(as_of=day)
            lat_json.append((time.perf_counter() - t0) * 1000)
        qs = statistics.quantiles(lat, n=100)
        qj = statistics.quantiles(lat_json, n=100)
        print(f"as-of a random date, states ({len(views):,} alliances last): p50 {statistics.median(lat):.1f} ms,"
              f" p95 {qs[94]:.1f} ms  target p50 <= 50 ms")
        print(f"as-of a random date, full JSON rows: p50 {statistics.median(lat_json):.1f} ms, p95 {qj[94]:.1f} ms")


if __name__ == "__main__":
    main()
