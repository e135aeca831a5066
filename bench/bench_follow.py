"""Following changes: Atom feed build time, cached and 304 answers, and the live stream's delivery latency.

The seed log plus `--changes` stage changes (alternating stages over the seed alliances) on SQLite, served by
the real app; feeds through Flask's test client, the stream through waitress on loopback read with httpx.

Usage: python bench/bench_follow.py [--changes 2000] [--rounds 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from events.seed import load_seed  # noqa: E402
from events.values import Citation  # noqa: E402
from service.bootstrap import build  # noqa: E402
from service.config import Settings  # noqa: E402
from service.webapp import web_app  # noqa: E402
from tests.factories import reported, staged  # noqa: E402
from tests.web.conftest import LiveServer  # noqa: E402

STAGES = ("production", "expanded")
COUNTER = iter(range(10**9))


def change(alliance: str, stage: str):  # type: ignore[no-untyped-def]
    """A stage change with its own source (the store drops an exact repeat as idempotent)."""
    n = next(COUNTER)
    return staged(alliance, stage, "2026-11", cite=Citation(publisher="Bench Wire", title=f"report {n}",
                                                             url=f"https://bench.example/{n}"))


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": tmp}))
        load_seed(tracker.store)
        ids = [a["id"] for a in tracker.queries.alliances()]
        events = [change(ids[i % len(ids)], STAGES[(i // len(ids)) % 2]) for i in range(args.changes)]
        for i in range(0, len(events), 500):
            tracker.store.append(events[i:i + 500])
        app = web_app(tracker)
        client = app.test_client()
        client.get("/")  # warm the catalog
        n = len(tracker.queries.changes(limit=100_000))
        print(f"log: {tracker.store.last_position()} events, {n} changes, {len(ids)} alliances")

        def fresh(url: str):  # type: ignore[no-untyped-def]
            def run() -> None:
                tracker.store.append([change(ids[0], STAGES[next(COUNTER) % 2])])
                assert client.get(url).status_code == 200
            return run

        for label, url in (("all changes", "/feed.atom"), ("status filter", "/feed.atom?stage=production"),
                           ("one alliance", f"/alliances/{ids[1]}/feed.atom"),
                           ("one company", "/companies/stellantis/feed.atom")):
            print(f"{label:14} built (log moved): {ms(timed(fresh(url), args.rounds))}")
        etag = client.get("/feed.atom").headers["ETag"]
        cached = timed(lambda: client.get("/feed.atom"), args.rounds * 10)
        not_modified = timed(lambda: client.get("/feed.atom", headers={"If-None-Match": etag}), args.rounds * 10)
        print(f"all changes    cached 200: {ms(cached)}; 304: {ms(not_modified)}")
        app.config.update(ALLIANCES_STREAM_SECONDS=600, ALLIANCES_STREAM_POLL_SECONDS=0.1)
        with LiveServer(app) as srv, httpx.stream("GET", f"{srv.url}/api/stream", timeout=60) as r:
            lines = r.iter_lines()
            next(lines)
            latency = []
            for i in range(args.rounds):
                t = time.perf_counter()
                tracker.store.append([reported(f"bench-{i}", ("audi", "momenta"), "2026-12")])  # always news
                while not next(lines).startswith("data:"):
                    pass
                latency.append(time.perf_counter() - t)
            print(f"stream         append -> event (poll 0.1 s): {ms(latency)}")
            app.config.update(ALLIANCES_STREAM_SECONDS=0)
        tracker.close()


if __name__ == "__main__":
    main()
