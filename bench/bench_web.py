"""Status page under load: 10,000 synthetic alliances, waitress, 20 concurrent clients.

Usage: python bench/bench_web.py [--alliances 10000] [--events 30000] [--clients 20] [--seconds 10]
Builds a SQLite store from bench/synth.py (batches of 1000), serves the app with waitress in a
subprocess on 127.0.0.1 and loads `/` with a real HTTP load generator: wrk (Debian: apt-get
install wrk), else hey or oha; only if none is installed, an httpx thread pool (said so in the
output). Prints p50/p99 latency and req/s. Target: p50 <= 100 ms, p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_store(data_dir: Path, n_alliances: int, n_events: int) -> None:
    from bench.synth import synthetic
    from service.bootstrap import build
    from service.config import Settings

    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(data_dir), "ALLIANCES_NO_DEMO_FEED": "1"}))
    t0 = time.perf_counter()
    batch = []
    for ev in synthetic(n_events, n_alliances):
        batch.append(ev)
        if len(batch) == 1000:
            tracker.store.append(batch)
            batch = []
    tracker.store.append(batch)
    tracker.projector.catch_up()  # as `alliances seed` and the worker do: the read model is current
    print(
        f"store and read model: {n_events:,} events over {n_alliances:,} alliances in {time.perf_counter() - t0:.1f} s"
    )
    tracker.close()


def serve(data_dir: str, port: int, threads: int) -> None:
    """Subprocess entry: the app under waitress (as `alliances serve` runs it, without pollers)."""
    import logging

    import waitress

    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is the point here
    tracker = build(
        Settings.from_env(
            {"ALLIANCES_DATA_DIR": data_dir, "ALLIANCES_ADMIN_PASSWORD": "bench", "ALLIANCES_NO_DEMO_FEED": "1"}
        )
    )
    waitress.serve(
        web_app(tracker),
        host="127.0.0.1",
        port=port,
        threads=threads,
        ident="bench",
        connection_limit=1000,
        backlog=2048,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 120) -> float:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            r = httpx.get(url, timeout=60)
            if r.status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not come up at {url}")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def run_wrk(url: str, clients: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(clients, 4)),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "5s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, flags=re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",  # type: ignore[dict-item]
    }


def run_hey(url: str, clients: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(clients), url], capture_output=True, text=True, check=True
    ).stdout
    pct = dict(re.findall(r"(\d+)%% in ([\d.]+) secs".replace("%%", "%"), out))
    return {
        "p50": float(pct["50"]) * 1000,
        "p99": float(pct["99"]) * 1000,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
    }


def run_oha(url: str, clients: int, seconds: int) -> dict[str, float]:
    import json

    out = subprocess.run(
        ["oha", "-z", f"{seconds}s", "-c", str(clients), "--no-tui", "-j", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    d = json.loads(out)
    return {
        "p50": d["latencyPercentiles"]["p50"] * 1000,
        "p99": d["latencyPercentiles"]["p99"] * 1000,
        "rps": d["summary"]["requestsPerSec"],
    }


def run_httpx(url: str, clients: int, seconds: int) -> dict[str, float]:
    import httpx

    lat: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        with httpx.Client(timeout=10) as c:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                c.get(url).raise_for_status()
                with lock:
                    lat.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(lat, n=100)
    return {"p50": q[49], "p99": q[98], "rps": len(lat) / (time.perf_counter() - t0)}


def load(url: str, clients: int, seconds: int) -> tuple[str, dict[str, float]]:
    for tool, fn in (("wrk", run_wrk), ("hey", run_hey), ("oha", run_oha)):
        if shutil.which(tool):
            return tool, fn(url, clients, seconds)
    return "httpx thread pool (no wrk/hey/oha installed)", run_httpx(url, clients, seconds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=30_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(a.serve[0], int(a.serve[1]), a.threads)
        return
    with tempfile.TemporaryDirectory() as d:
        build_store(Path(d), a.alliances, max(a.events, a.alliances))
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", d, str(port), "--threads", str(a.threads)], env=env
        )
        try:
            base = f"http://127.0.0.1:{port}"
            print(
                f"server: waitress, {a.threads} threads, first page (builds the status snapshot from the read model)"
                f" in {wait_up(base + '/'):.1f} s"
            )
            targets = [
                ("/", "status page, first 200 rows (the target)"),
                ("/?stage=production&sort=updated&order=desc&page=3", "filtered + sorted, page 3"),
                ("/?q=c12", "text search"),
            ]
            import httpx

            for path, label in targets:
                for _ in range(3):
                    wait_up(base + path)  # warm the per-query caches
                page = httpx.get(base + path, timeout=60)
                rows = page.text.count('class="alliance-link"')
                print(f"{path}: {len(page.content) // 1024} KiB, {rows} table rows")
                if path == "/" and rows != min(200, a.alliances):
                    raise SystemExit(f"expected {min(200, a.alliances)} rows on /, got {rows}")
                tool, r = load(base + path, a.clients, a.seconds)
                ok = "OK" if r["p50"] <= 100 and r["p99"] <= 300 else "MISSED"
                extra = "".join(f", {k} {v}" for k, v in r.items() if k in ("non_2xx", "socket_errors"))
                print(
                    f"{path:<55} {label}: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, {r['rps']:.0f} req/s "
                    f"[{tool}, {a.clients} clients, {a.seconds} s{extra}]  target p50<=100 ms p99<=300 ms: {ok}"
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
