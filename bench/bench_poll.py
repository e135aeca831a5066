"""Polling throughput (fetch, parse, archive; no extraction): N local feeds of M items on loopback, first pass
(all new) and second pass (304s).

The feed server runs in a child process, as a remote server would. Beside it, feedparser-only parsing of the
same bytes in the same run, and the process's peak RSS.
Usage: python bench/bench_poll.py [--feeds 1000] [--items 20] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import feedparser  # noqa: E402
from newsfeeds import serve_bodies  # noqa: E402

from events.engine import make_engine  # noqa: E402
from events.envelope import NewEvent  # noqa: E402
from events.store import EventStore  # noqa: E402
from events.types import FeedAdded  # noqa: E402
from service.bootstrap import bootstrap  # noqa: E402
from service.config import Settings  # noqa: E402

WORDS = (
    "battery platform partnership software chip driver assistance joint venture plant export "
    "电池 平台 合作 软件 芯片 智能驾驶 合资 工厂 出口"
).split()


def make_feed(n: int, items: int) -> bytes:
    """A plausible RSS document: each item has guid, link, title, an HTML description and a date."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    out = [
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://bench.example/{n}/</link><description>bench feed {n}</description>"
    ]
    for i in range(items):
        words = " ".join(WORDS[(n + i + k) % len(WORDS)] for k in range(60))
        when = format_datetime(base + timedelta(hours=n * items + i), usegmt=True)
        out.append(
            f"<item><guid>urn:bench:{n}:{i}</guid><link>https://bench.example/{n}/{i}</link>"
            f"<title>Item {i} of feed {n}: {words[:60]}</title>"
            f"<description>&lt;p&gt;{words}&lt;/p&gt;&lt;p&gt;{words}&lt;/p&gt;</description>"
            f"<pubDate>{when}</pubDate></item>"
        )
    out.append("</channel></rss>")
    return "".join(out).encode("utf-8")


def serve(feeds: int, items: int, ports: multiprocessing.Queue[int]) -> None:
    """The feed server, in its own process as a remote server would be (its CPU is not the poller's)."""
    serve_bodies({f"/f/{n}.xml": make_feed(n, items) for n in range(feeds)}, ports)


def run_passes(port: int, feeds: int, concurrency: int, parse_processes: int) -> tuple[float, float, Any, Any]:
    """Subscribe to every feed in a fresh database, then time a first (all new) and a second (304) pass."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        settings = Settings(data_dir=Path(tmp), database_url=url, allow_private_urls=True, poll_concurrency=concurrency)
        tracker = bootstrap(settings, store=EventStore(make_engine(url))).open()
        tracker.pools.processes = parse_processes
        tracker.store.append(
            [NewEvent(FeedAdded(f"bench-{n}", f"http://127.0.0.1:{port}/f/{n}.xml", f"Feed {n}")) for n in range(feeds)]
        )  # subscriptions in one batch; the polls are what is measured
        t = time.perf_counter()
        first = tracker.poller.poll(all=True)
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        second = tracker.poller.poll(all=True)
        second_s = time.perf_counter() - t
        tracker.close()
    return first_s, second_s, first, second


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument(
        "--parse-processes",
        type=int,
        default=2,
        help="also run with parsing in N processes (0: only parse in the polling thread)",
    )
    args = ap.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=serve, args=(args.feeds, args.items, ports), daemon=True)
    server.start()
    port = ports.get(timeout=60)

    total_bytes = sum(len(make_feed(n, args.items)) for n in range(args.feeds))

    def feedparser_only() -> float:
        """feedparser alone on the same bytes (made afresh, so they do not sit in memory during the passes)."""
        bodies = [make_feed(n, args.items) for n in range(args.feeds)]
        t = time.perf_counter()
        for body in bodies:
            feedparser.parse(io.BytesIO(body))
        return time.perf_counter() - t

    fp_before = feedparser_only()

    n, items = args.feeds, args.feeds * args.items
    print(
        f"feeds: {n} x {args.items} items, {total_bytes / 1e6:.1f} MB of XML, fetch concurrency {args.concurrency},"
        f" server in a child process, {multiprocessing.cpu_count()} CPUs"
    )
    runs = [(procs, run_passes(port, n, args.concurrency, procs)) for procs in sorted({0, args.parse_processes})]
    fp_s = min(fp_before, feedparser_only())  # measured before and after the passes; the faster one is the bar
    print(f"feedparser only (best of 2): {fp_s:6.2f} s  {n / fp_s:7.1f} feeds/s  {items / fp_s:8.1f} articles/s")
    verdicts = []
    for procs, (first_s, second_s, first, second) in runs:
        mode = "parse in poll thread" if procs == 0 else f"parse in {procs} processes"
        print(
            f"first pass, {mode:<20} {first_s:6.2f} s  {n / first_s:7.1f} feeds/s  "
            f"{first.new_articles / first_s:8.1f} articles/s  ({first.new_articles} stored, {first.errors} errors)"
            f"  = {100 * fp_s / first_s:.0f}% of feedparser-only"
        )
        print(
            f"second pass (304s):            {second_s:6.2f} s  {n / second_s:7.1f} feeds/s  "
            f"({second.not_modified} not modified, {second.new_articles} new, {second.errors} errors)"
        )
        verdicts.append((mode, fp_s / first_s >= 0.5, n / second_s >= 300))
    server.terminate()
    server.join()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.1f} MB (poller process; largest child, server or parser: {child_mb:.1f} MB)")
    for mode, first_ok, second_ok in verdicts:
        print(
            f"targets ({mode}): first >= 50% of feedparser-only: {'met' if first_ok else 'MISSED'};"
            f" unchanged >= 300 feeds/s: {'met' if second_ok else 'MISSED'};"
            f" RSS <= 200 MB: {'met' if peak_mb <= 200 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
