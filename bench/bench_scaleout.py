"""Several workers on one database: one poll cycle over N local feeds by 1 and by 3 worker processes (the speed-up
and the CPU each feed costs), and the projections' lag behind the log head while 3 workers poll and ingest.
PostgreSQL and SQLite side by side.

Workers are processes started together behind a barrier (start-up, including their parse/extract processes, is
not timed: a worker lives long), each one wired tracker as `alliances worker` builds it. CPU is the workers' own
and their parse/extract processes' (from /proc), not the database server's. The feed server runs in a child
process, as a remote server would.
Usage: python bench/bench_scaleout.py [--feeds 3000] [--items 5] [--workers 1,3] [--backends sqlite,postgres]
       [--parse-processes default,2] [--control] [--skip-lag]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from newsfeeds import serve  # noqa: E402

from events.envelope import NewEvent  # noqa: E402
from events.types import FeedAdded  # noqa: E402
from service.bootstrap import build  # noqa: E402
from service.config import Settings  # noqa: E402

PG_ADMIN = os.environ.get("ALLIANCES_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree_cpu(tracker: Any) -> float:
    """CPU seconds of this process and of its pool's parse/extract processes (read before the pool stops)."""
    pool = tracker.pools._cpu
    pids = list(pool._processes) if pool is not None else []
    return _cpu_of(os.getpid()) + sum(_cpu_of(p) for p in pids)


def worker(settings: Settings, ingest: bool, processes: int | None, ready: Any, go: Any, out: Any) -> None:
    """One worker: wire, wait for the others, then one cycle (poll; with `ingest`, also extract and append)."""
    tracker = build(settings.for_worker())  # as `alliances worker` builds it
    if processes is not None:
        tracker.pools.processes = processes
    pool = tracker.pools.cpu(1, 0)  # warm, as in a worker that has run for a while: its processes are up
    if pool is not None:
        list(pool.map(time.sleep, [0.5] * tracker.pools.processes))
    ready.put(os.getpid())
    go.wait()
    t, cpu = time.perf_counter(), _tree_cpu(tracker)  # imports and wiring are not the cycle's cost
    summary = tracker.poll_once() if ingest else tracker.poller.poll()
    wall = time.perf_counter() - t
    out.put({"polled": summary.polled, "new": summary.new_articles, "handed": summary.handed_off,
             "errors": summary.errors, "wall": wall, "cpu": _tree_cpu(tracker) - cpu})
    tracker.close()


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database of this kind, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"alliances_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_ADMIN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_cycle(url: str, port: int, feeds: int, workers: int, *, ingest: bool, processes: int | None = None,
              sample_lag: bool = False) -> dict[str, Any]:
    """Subscribe to every feed in a fresh database, then one cycle by `workers` processes started together."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, allow_private_urls=True, poll_concurrency=8)
        main = build(settings)
        main.store.append([NewEvent(FeedAdded(f"w{n}", f"http://127.0.0.1:{port}/f/{n}.xml", f"Wire {n}"))
                           for n in range(feeds)])
        main.projector.catch_up()
        ctx = multiprocessing.get_context("spawn")
        ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=worker, args=(settings, ingest, processes, ready, go, out)) for _ in range(workers)]
        for p in procs:
            p.start()
        for _ in procs:
            ready.get(timeout=300)
        lags: list[int] = []
        t = time.perf_counter()
        go.set()
        results: list[dict[str, Any]] = []
        while len(results) < workers:
            if sample_lag:
                head, checkpoints = main.store.tail(), main.projector.checkpoints().values()
                lags.append(head - min(checkpoints))
            while not out.empty():
                results.append(out.get())
            time.sleep(0.1)
        wall = time.perf_counter() - t
        for p in procs:
            p.join()
        check = main.store.verify()
        head = main.store.tail()
        main.close()
    return {"wall": wall, "polled": sum(r["polled"] for r in results), "new": sum(r["new"] for r in results),
            "handed": sum(r["handed"] for r in results), "errors": sum(r["errors"] for r in results),
            "cpu": sum(r["cpu"] for r in results), "lags": lags, "chain_ok": check.ok, "head": head}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=3000)
    ap.add_argument("--items", type=int, default=5)
    ap.add_argument("--workers", default="1,3")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--skip-lag", action="store_true", help="only the poll cycles")
    ap.add_argument("--ingest-workers", default="3", help="worker counts for the poll+ingest cycle (lag sampled)")
    ap.add_argument("--parse-processes", default="default",
                    help="comma-separated: 'default' (as `alliances worker` does) and/or a number (0: in-process)")
    ap.add_argument("--control", action="store_true",
                    help="also 1 worker beside busy processes (as many as the extra workers): how much of the CPU per"
                         " feed that 3 workers add is the cores being shared, not the work")
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ports: Any = ctx.Queue()
    server = ctx.Process(target=serve, args=(args.feeds, args.items, ports), daemon=True)
    server.start()
    port = ports.get(timeout=120)
    counts = [int(w) for w in args.workers.split(",")]
    print(f"{args.feeds} feeds x {args.items} items on loopback, {multiprocessing.cpu_count()} CPUs; workers {counts}")
    for backend in args.backends.split(","):
        for mode in args.parse_processes.split(","):
            processes = None if mode == "default" else int(mode)
            base: float | None = None
            for n in counts:
                with database(backend) as url:
                    r = run_cycle(url, port, args.feeds, n, ingest=False, processes=processes)
                base = base or r["wall"]
                print(f"{backend:8} parse={mode:7} poll cycle, {n} worker(s): {r['wall']:6.2f} s"
                      f"  {args.feeds / r['wall']:7.1f} feeds/s  speed-up {base / r['wall']:4.2f}x"
                      f"  CPU {1000 * r['cpu'] / args.feeds:5.2f} ms/feed"
                      f"  (polled {r['polled']}, {r['new']} articles, {r['errors']} errors)", flush=True)
            if args.control:
                with database(backend) as url, busy(ctx, max(counts) - 1):
                    r = run_cycle(url, port, args.feeds, 1, ingest=False, processes=processes)
                print(f"{backend:8} parse={mode:7} poll cycle, 1 worker beside {max(counts) - 1} busy processes:"
                      f" {r['wall']:6.2f} s  CPU {1000 * r['cpu'] / args.feeds:5.2f} ms/feed", flush=True)
        if args.skip_lag:
            continue
        for n in [int(w) for w in args.ingest_workers.split(",")]:
            with database(backend) as url:
                r = run_cycle(url, port, args.feeds, n, ingest=True, sample_lag=True)
            _lag_line(backend, n, r)
    server.terminate()
    server.join()


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy(ctx: Any, n: int) -> Iterator[None]:
    """n processes that only burn CPU, as n other workers' share of the cores would be taken."""
    procs = [ctx.Process(target=_spin, daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
            p.join()


def _lag_line(backend: str, n: int, r: dict[str, Any]) -> None:
    lags = r["lags"] or [0]
    print(f"{backend:8} {n} worker(s) poll+ingest: {r['wall']:6.2f} s, {r['new']} articles, {r['handed']} ingested,"
          f" head {r['head']}, chain {'ok' if r['chain_ok'] else 'BROKEN'}; projection lag behind head"
          f" (every 0.1 s): median {statistics.median(lags):.0f}, p95 {_p95(lags):.0f}, max {max(lags)} events",
          flush=True)


def _p95(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))])


if __name__ == "__main__":
    main()
