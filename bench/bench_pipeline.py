"""The whole pipeline as a user runs it, beside lemon24/reader and feedparser, in one run.

`alliances poll --once --all` as a whole process over N local feeds x M news items (fetch, parse, archive,
extract, decide, append, project), first pass (everything new) and second pass (every feed answers 304);
the same feeds through reader 3.x's `update_feeds(scheduled=False)` (every feed, like `--all`; a whole process
too, installed from PyPI into a venv of its own, bench/.venv-reader; reader does no extraction); and feedparser
alone parsing the same bytes in one process (best of two). Subscribing is done before each timed process and is
not measured.

Usage: python bench/bench_pipeline.py [--feeds 300] [--items 20] [--profile FILE.prof] [--no-reader] [--checkout DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import feedparser  # noqa: E402
from newsfeeds import feed_bytes, serve  # noqa: E402

READER_VENV = HERE / ".venv-reader"
READER_REQ = ("reader>=3,<4", "sgmllib3k")  # its vendored feedparser imports sgmllib
READER_ADD = """
import sys
from reader import make_reader
r = make_reader(sys.argv[1])
for url in sys.argv[2:]:
    r.add_feed(url)
r.close()
"""
READER_UPDATE = """
import sys
from reader import make_reader
r = make_reader(sys.argv[1])
r.update_feeds(scheduled=False)  # every feed, as `poll --all` (by default reader 3.21+ skips feeds not yet due)
print(r.get_entry_counts().total)
r.close()
"""


def reader_python() -> Path:
    """The reader venv's interpreter, created and filled from PyPI on first use."""
    py = READER_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(READER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *READER_REQ], check=True)
    return py


CPU: dict[str, float] = {}  # CPU seconds (user + system) of the last timed process and all its descendants
# Runs a command and reports its wall time and the CPU time of it and every process it started, on stderr's last
# line. A subreaper (Linux): the pool's processes are children of multiprocessing's forkserver, which no one waits
# for; orphaned, they are reparented here and waited for, so their CPU time is counted too.
MEASURE = """
import ctypes, os, resource, subprocess, sys, time
try:
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except (OSError, AttributeError):
    pass
t = time.perf_counter()
rc = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - t
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, r.ru_utime + r.ru_stime, file=sys.stderr)
sys.exit(rc)
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time of a whole process, and its stdout (its CPU time and its descendants' in CPU["last"]); a failing
    process stops the benchmark."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd[:6])}...\n{done.stderr[-3000:]}")
    wall, cpu = done.stderr.strip().splitlines()[-1].split()
    CPU["last"] = float(cpu)
    return float(wall), done.stdout


def feedparser_only(feeds: int, items: int) -> tuple[float, float]:
    """feedparser alone on the same bytes, in one process (bytes made before the clock starts): wall and CPU."""
    bodies = [feed_bytes(n, items) for n in range(feeds)]
    t, c = time.perf_counter(), time.process_time()
    for body in bodies:
        feedparser.parse(io.BytesIO(body), response_headers={"content-type": "application/rss+xml; charset=utf-8"})
    return time.perf_counter() - t, time.process_time() - c


def extraction_only(feeds: int, items: int) -> float:
    """CPU seconds of extraction alone over the same items in one process (the floor extraction puts under the
    pipeline: it runs in the worker processes, so at best this divided by their number)."""
    from feeds.extract import extract
    from feeds.parse import parse_feed
    from feeds.registry import Registry

    registry = Registry.default()
    docs = [
        {
            "id": f"{n}:{i}",
            "published": "2026-01-02",
            "title": e.title,
            "summary": e.summary,
            "content": e.content,
            "lang": e.language,
        }
        for n in range(feeds)
        for i, e in enumerate(parse_feed(feed_bytes(n, items)).entries)
    ]
    extract(docs[0], registry)
    t = time.process_time()
    for d in docs:
        extract(d, registry)
    return time.process_time() - t


def opml(urls: list[str]) -> bytes:
    lines = [f'<outline type="rss" text="wire {i}" xmlUrl="{u}"/>' for i, u in enumerate(urls)]
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>'
        + "".join(lines)
        + "</body></opml>"
    ).encode()


class Ours:
    """`alliances` in a fresh data directory with the feeds subscribed (by OPML import, not timed)."""

    def __init__(self, tmp: Path, urls: list[str], profile: str | None, checkout: Path) -> None:
        self.db = tmp / "alliances.db"
        self.env = {
            **os.environ,
            "ALLIANCES_DATA_DIR": str(tmp),
            "ALLIANCES_DATABASE_URL": f"sqlite:///{self.db}",
            "ALLIANCES_ALLOW_PRIVATE_URLS": "1",
        }
        self.cli = str(checkout / ".venv" / "bin" / "alliances")
        self.python = str(checkout / ".venv" / "bin" / "python")
        self.profile = profile
        (tmp / "feeds.opml").write_bytes(opml(urls))
        timed([self.cli, "feeds", "import", str(tmp / "feeds.opml")], self.env)

    def poll(self, profiled: bool = False) -> tuple[float, float, dict[str, object]]:
        cmd = [self.cli, "poll", "--once", "--all", "--json"]
        if profiled:
            cmd = [self.python, "-m", "cProfile", "-o", str(self.profile), "-m", "service.entry", *cmd[1:]]
        elapsed, out = timed(cmd, self.env)
        return elapsed, CPU["last"], json.loads(out)

    def events(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


class Reader:
    """reader 3.x in its own venv and database, the feeds added beforehand (not timed)."""

    def __init__(self, tmp: Path, urls: list[str]) -> None:
        self.py = str(reader_python())
        self.db = str(tmp / "reader.sqlite")
        timed([self.py, "-c", READER_ADD, self.db, *urls])

    def update(self) -> tuple[float, float, int]:
        elapsed, out = timed([self.py, "-c", READER_UPDATE, self.db])
        return elapsed, CPU["last"], int(out.strip() or 0)


def start_server(feeds: int, items: int) -> tuple[multiprocessing.process.BaseProcess, int]:
    ctx = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    server = ctx.Process(target=serve, args=(feeds, items, ports), daemon=True)
    server.start()
    return server, ports.get(timeout=120)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def compiled(checkout: Path) -> None:
    """Byte-compile our packages first, as `pip install .` does for an installed copy (reader is measured as pip
    installed it): from an editable checkout under PYTHONDONTWRITEBYTECODE every run would compile ~80 modules."""
    import compileall

    for package in ("events", "feeds", "notify", "service", "web"):
        compileall.compile_dir(str(checkout / package), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--profile", metavar="FILE", help="run one of our passes under cProfile, stats to FILE")
    ap.add_argument("--profile-pass", type=int, choices=(1, 2), default=1, help="which pass --profile profiles")
    ap.add_argument("--no-reader", action="store_true", help="skip reader (no venv, no PyPI)")
    ap.add_argument("--checkout", type=Path, default=HERE.parent,
                    help="measure the `alliances` of this checkout (its .venv), e.g. an older commit's worktree")
    args = ap.parse_args()

    compiled(args.checkout.resolve())
    server, port = start_server(args.feeds, args.items)
    urls = [f"http://127.0.0.1:{port}/f/{n}.xml" for n in range(args.feeds)]
    size = sum(len(feed_bytes(n, args.items)) for n in range(args.feeds))
    print(
        f"{args.feeds} feeds x {args.items} news items, {size / 1e6:.1f} MB of RSS on loopback (server in a child"
        f" process), {os.cpu_count()} CPUs; whole processes, wall time"
    )
    fp = [feedparser_only(args.feeds, args.items)]
    with tempfile.TemporaryDirectory() as tmp:
        ours = Ours(Path(tmp), urls, args.profile, args.checkout.resolve())
        reader = None if args.no_reader else Reader(Path(tmp), urls)
        first_s, first_cpu, first = ours.poll(profiled=args.profile_pass == 1 and bool(args.profile))
        r_first = reader.update() if reader else None
        second_s, second_cpu, second = ours.poll(profiled=args.profile_pass == 2 and bool(args.profile))
        r_second = reader.update() if reader else None
        events = ours.events()
    fp.append(feedparser_only(args.feeds, args.items))
    server.terminate()
    server.join()
    ex_s = extraction_only(args.feeds, args.items)

    fp_s, fp_cpu = min(fp)
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print(f"feedparser parse only (best of 2):                 {fp_s:6.2f} s  cpu {fp_cpu:5.2f} s")
    print(f"extraction alone, one process (CPU):               {ex_s:6.2f} s  (runs in the worker processes)")
    print("wall time, then CPU time of the process and every process it started")
    print(
        f"alliances poll --once --all, first:                {first_s:6.2f} s  cpu {first_cpu:5.2f} s"
        f"  = {first_s / fp_s:4.1f}x feedparser  ({first['new_articles']} articles, {first['handed_off']} handed to"
        f" extraction, {events} events in the log, {first['errors']} errors)"
    )
    if r_first:
        print(
            f"reader update_feeds(scheduled=False), first:       {r_first[0]:6.2f} s  cpu {r_first[1]:5.2f} s"
            f"  = {r_first[0] / fp_s:4.1f}x feedparser  ({r_first[2]} entries)   ours/reader {first_s / r_first[0]:.2f}"
        )
    print(
        f"alliances poll --once --all, again:                {second_s:6.2f} s  cpu {second_cpu:5.2f} s"
        f"  ({second['not_modified']} not modified, {second['new_articles']} new)"
    )
    if r_second:
        print(
            f"reader update_feeds(scheduled=False), again:       {r_second[0]:6.2f} s  cpu {r_second[1]:5.2f} s"
            f"   ours/reader {second_s / r_second[0]:.2f}"
        )
    print(
        f"targets: first <= 2.5x feedparser: {verdict(first_s <= 2.5 * fp_s)} (aim 2.0x:"
        f" {verdict(first_s <= 2.0 * fp_s)})",
        end="",
    )
    if r_first and r_second:
        print(
            f"; first faster than reader: {verdict(first_s < r_first[0])};"
            f" unchanged faster than reader: {verdict(second_s < r_second[0])}"
        )
    else:
        print()
    if args.profile:
        import pstats

        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
