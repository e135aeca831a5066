"""Issue 11 (scale-out), the read side: a 1M-event log appended and every projection rebuilt, then time travel
served by two web processes on the same database under load. PostgreSQL and SQLite side by side.

Usage: python bench/bench_scaleout_read.py [--backends sqlite,postgres] [--events 1000000] [--alliances 10000]
                                           [--clients 8] [--seconds 20] [--threads 8] [--skip-web]
       python bench/bench_scaleout_read.py --web-only URL DATA_DIR [--seconds 40]  (step 3 only, existing database)
1. appends a synthetic log (bench/synth.py, chronological dates, batches of 1,000) through the wired tracker's
   store: appends/s, wall and CPU time of this process;
2. rebuilds every replayable projection as `alliances rebuild` does (`tracker.projector.rebuild()`: chain
   verification, reset, the subscriber runner's catch-up): events/s, wall and CPU of this process (on
   PostgreSQL the server's CPU is not in it); then table sizes and read-model rows;
3. starts two real `alliances serve --no-pollers` processes (waitress) on that database and loads
   `/api/alliances?as_of=D` and `/?as_of=D` (D a random day of 2015-2026 per request, from a wrk Lua script)
   first on one process with all the clients, then on both at once with the clients split between them:
   p50/p99 per process, requests/s, and the servers' CPU over the run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_readmodel import _drop, _pg_database  # noqa: E402
from bench.bench_web import _ms, free_port, wait_up  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
ALLIANCES_BIN = Path(sys.executable).with_name("alliances")
LUA = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  path = args[1]
  math.randomseed(id * 7919 + tonumber(args[2]))
end
function request()
  local day = os.date("!%Y-%m-%d", 1420070400 + math.random(0, 4380) * 86400)
  return wrk.format("GET", path .. "?as_of=" .. day)
end
"""


def _env(url: str, data_dir: str) -> dict[str, str]:
    return {
        "ALLIANCES_DATABASE_URL": url,
        "ALLIANCES_DATA_DIR": data_dir,
        "ALLIANCES_NO_DEMO_FEED": "1",
        "ALLIANCES_ADMIN_PASSWORD": "bench",
    }


def build(url: str, data_dir: str, events: int, alliances: int) -> None:
    """Append the log, then rebuild as `alliances rebuild` does."""
    from bench.synth import synthetic
    from service.bootstrap import build as build_tracker
    from service.config import Settings

    tracker = build_tracker(Settings.from_env(_env(url, data_dir)))
    t0, c0 = time.perf_counter(), time.process_time()
    batch: list[Any] = []
    for ev in synthetic(events, alliances, dates="chronological"):
        batch.append(ev)
        if len(batch) == 1000:
            tracker.store.append(batch)
            batch = []
    if batch:
        tracker.store.append(batch)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"append: {events:,} events over {alliances:,} alliances in batches of 1,000: {events / dt:,.0f} events/s"
        f" (wall {dt:.1f} s, CPU of this process {cpu:.1f} s, synthesis included)",
        flush=True,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    n = tracker.projector.rebuild()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"rebuild (tracker.projector.rebuild(), every replayable projection, chain verification included):"
        f" {n / dt:,.0f} events/s (wall {dt:.1f} s, CPU of this process {cpu:.1f} s)",
        flush=True,
    )
    sizes(tracker.store.engine, url)
    tracker.close()


def sizes(engine: Any, url: str) -> None:
    with engine.connect() as conn:
        counts = {
            t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one()
            for t in ("events", "alliance_now", "alliance_history", "alliance_entries", "company_now")
        }
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1]
            total = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
            try:
                rows = conn.exec_driver_sql(
                    "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12"
                ).all()
            except Exception as e:  # dbstat is a compile-time option of SQLite
                rows = [("(dbstat unavailable)", str(e)[:60])]
        else:
            total = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            rows = conn.exec_driver_sql(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r'"
                " AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8"
            ).all()
    print(f"rows: {counts}", flush=True)
    print(f"database size: {total / 2**20:,.0f} MB", flush=True)
    unit = "indexes separate" if url.startswith("sqlite") else "with indexes and TOAST"
    print(
        f"largest tables ({unit}): "
        + ", ".join(
            f"{name} {int(size) / 2**20:,.0f} MB" if str(size).isdigit() else f"{name} {size}" for name, size in rows
        ),
        flush=True,
    )


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def start_server(url: str, data_dir: str, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(ALLIANCES_BIN),
            "serve",
            "--no-pollers",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--threads",
            str(threads),
        ],
        env={**os.environ, **_env(url, data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=open(Path(data_dir) / f"serve-{port}.log", "wb"),  # noqa: SIM115 (lives as long as the server; queue-depth warnings are the point here)
    )
    return proc, f"http://127.0.0.1:{port}"


def wrk(base: str, path: str, clients: int, seconds: int, script: str, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "wrk",
            "-t",
            str(min(clients, 2)),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            script,
            base,
            "--",
            path,
            str(seed),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def parse(out: str) -> dict[str, Any]:
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, flags=re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "n": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "errors": (f"non-2xx {non2xx.group(1)}" if non2xx else "") + (f" socket {sock.group(1)}" if sock else ""),
    }


def settle(servers: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    """Wait until the servers are idle: wrk stops, but waitress still answers the requests it had queued."""
    for _ in range(60):
        cpu0 = [_cpu_of(p.pid) for p, _ in servers]
        time.sleep(1)
        if all(_cpu_of(p.pid) - c < 0.05 for (p, _), c in zip(servers, cpu0, strict=True)):
            return


def load(
    servers: list[tuple[subprocess.Popen[bytes], str]], path: str, clients: int, seconds: int, script: str
) -> None:
    settle(servers)
    per = max(1, clients // len(servers))
    cpu0 = [_cpu_of(p.pid) for p, _ in servers]
    runs = [wrk(base, path, per, seconds, script, seed=i + 1) for i, (_, base) in enumerate(servers)]
    results = [parse(r.communicate()[0]) for r in runs]
    cpu = [_cpu_of(p.pid) - c for (p, _), c in zip(servers, cpu0, strict=True)]
    total = sum(r["rps"] for r in results)
    each = "; ".join(
        f"process {i + 1}: p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms, {r['rps']:.1f} req/s ({r['n']} requests,"
        f" server CPU {c / seconds:.0%} of a core){' ' + r['errors'] if r['errors'] else ''}"
        for i, (r, c) in enumerate(zip(results, cpu, strict=True))
    )
    print(
        f"{path}?as_of=<random day> on {len(servers)} process(es), {per} clients each, {seconds} s:"
        f" {total:.1f} req/s in all; {each}",
        flush=True,
    )


def web(url: str, data_dir: str, clients: int, seconds: int, threads: int) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    script = str(Path(data_dir) / "as_of.lua")
    Path(script).write_text(LUA)
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for i in range(2):  # one after the other: started at once, the second can read the secret key half-written
            servers.append(start_server(url, data_dir, threads))
            print(f"server {i + 1}: up in {wait_up(servers[-1][1] + '/', timeout=300):.1f} s", flush=True)
        for path in ("/api/alliances", "/"):
            for _, base in servers:  # one warm-up request each (imports, first snapshot); then only cache misses
                wait_up(f"{base}{path}?as_of=2020-01-01", timeout=300)
            load(servers[:1], path, clients, seconds, script)
            load(servers, path, clients, seconds, script)
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--skip-web", action="store_true")
    ap.add_argument("--web-only", nargs=2, metavar=("URL", "DATA_DIR"), help="load an existing database only")
    a = ap.parse_args()
    if a.web_only:
        return web(a.web_only[0], a.web_only[1], a.clients, a.seconds, a.threads)
    for backend in a.backends.split(","):
        print(f"== {backend}", flush=True)
        tmp = tempfile.mkdtemp(prefix="bench-scaleout-read-")
        pg_name = None
        if backend == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        else:
            pg_name, url = _pg_database()
        try:
            build(url, tmp, a.events, a.alliances)
            if not a.skip_web:
                web(url, tmp, a.clients, a.seconds, a.threads)
        finally:
            if pg_name:
                _drop(pg_name)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
