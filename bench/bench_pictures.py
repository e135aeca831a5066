"""The pictures at scale: /timeline and /network over 10,000 synthetic alliances (SQLite), one client.

Usage: python bench/bench_pictures.py [--alliances 10000] [--events 30000] [--runs 20]
Builds the store as bench_web.py does, then times requests through Flask's test client (no HTTP, no
concurrency: what rendering a page costs). The first request of each page builds the status snapshot
(shared with `/`) and is reported apart. Prints p50/p95 and the page size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["/timeline", "/timeline?page=100", "/timeline?stage=production", "/timeline?per=200",
         "/timeline?as_of=2024-06-30", "/network"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=30_000)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    from bench.bench_web import build_store
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    with tempfile.TemporaryDirectory() as tmp:
        build_store(Path(tmp), args.alliances, args.events)
        tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": tmp, "ALLIANCES_NO_DEMO_FEED": "1"}))
        client = web_app(tracker, testing=True).test_client()
        for path in PAGES:
            t0 = time.perf_counter()
            first = client.get(path)
            cold = time.perf_counter() - t0
            assert first.status_code == 200, (path, first.status_code)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - t0)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{path:32} first {cold * 1000:7.1f} ms  p50 {statistics.median(times) * 1000:7.1f} ms"
                  f"  p95 {p95 * 1000:7.1f} ms  {len(first.data) / 1024:7.1f} KiB")
        tracker.close()


if __name__ == "__main__":
    main()
