"""The analyst's view at scale: conditional GET, the Latest page, the marks, CSV, search folding.

Usage: python bench/bench_web_latest.py [--alliances 10000] [--events 30000] [--repeat 50]
Builds a SQLite store from bench/synth.py, then times requests in-process (Flask's test client, one
thread: the server's own cost, no network): each page answered in full (200) and answered 304 to its
own ETag, the status page for a returning visitor with 1,000 changes since the last visit (words for
every mark), the whole status table as CSV, and the first status snapshot (every name folded for
search: NFKC and OpenCC).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(data_dir: Path, n_alliances: int, n_events: int) -> Any:
    from bench.synth import synthetic
    from service.bootstrap import build as build_tracker
    from service.config import Settings

    tracker = build_tracker(Settings.from_env({"ALLIANCES_DATA_DIR": str(data_dir), "ALLIANCES_NO_DEMO_FEED": "1"}))
    batch = []
    for ev in synthetic(n_events, n_alliances):
        batch.append(ev)
        if len(batch) == 1000:
            tracker.store.append(batch)
            batch = []
    tracker.store.append(batch)
    tracker.projector.catch_up()
    return tracker


def timed(client: Any, path: str, repeat: int, headers: dict[str, str] | None = None) -> tuple[float, int]:
    samples = []
    status = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers or {})
        samples.append((time.perf_counter() - t0) * 1000)
        status = r.status_code
    return statistics.median(samples), status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=30_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    from events.envelope import NewEvent
    from events.types import StageChanged
    from events.values import Citation, FuzzyDate
    from service.webapp import web_app

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        tracker = build(Path(tmp), args.alliances, args.events)
        print(f"store: {args.events:,} events over {args.alliances:,} alliances in {time.perf_counter() - t0:.1f} s")
        client = web_app(tracker, testing=True).test_client()
        t0 = time.perf_counter()
        client.get("/")
        print(f"first status page (snapshot built, every name folded): {(time.perf_counter() - t0) * 1000:.0f} ms")
        print("| request | 200 (p50) | 304 to its ETag (p50) |\n|---|---|---|")
        for path in ("/", "/?q=a12", "/api/alliances", "/api/alliances?stage=production", "/latest",
                     "/api/latest", "/alliances/a1"):
            full, code = timed(client, path, args.repeat)
            etag = client.get(path).headers["ETag"]
            cond, code304 = timed(client, path, args.repeat, {"If-None-Match": etag})
            assert (code, code304) == (200, 304), (path, code, code304)
            print(f"| `{path}` | {full:.1f} ms | {cond:.1f} ms |")
        cite = Citation("Synthetic Wire", "Later news")
        tracker.store.append([NewEvent(StageChanged(f"a{i}", "expanded", cite), FuzzyDate.parse("2026-06"))
                              for i in range(1000)])
        marked, _ = timed(client, "/", args.repeat)
        print(f"status page, returning visitor, 1,000 changes since the last visit: {marked:.1f} ms (p50)")
        csv_ms, _ = timed(client, "/?format=csv", max(5, args.repeat // 10))
        print(f"status as CSV, all {args.alliances:,} rows: {csv_ms:.0f} ms (p50)")
        tracker.close()


if __name__ == "__main__":
    main()
