"""Appends against the `eventsourcing` library (9.5), same machine, same run, alternating.

Usage: python bench/bench_vs_eventsourcing.py [--n 20000] [--single 2000] [--rounds 2] [--backend sqlite|postgres|both]
The library is installed in a venv of its own (bench/.venv-es, created on first use with pip) and runs
in a child process (bench/_es_child.py); ours runs in this process. Both spread events over 1,000
streams/aggregates with payloads of the same size; 100 events per transaction, then 1 per transaction.
Ours keeps its hash chain, idempotency keys and stream-version checks. Target: ours >= theirs.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV = ROOT / "bench" / ".venv-es"
PIN = "eventsourcing[postgres]==9.5.6"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def venv_python() -> str:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", PIN], check=True)
    return str(py)


def _pg_db() -> str:
    import psycopg

    name = f"alliances_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def theirs(backend: str, n: int, batch: int, tmp: Path) -> float:
    db = str(tmp / f"{uuid.uuid4().hex}.db") if backend == "sqlite" else _pg_db()
    try:
        out = subprocess.run([venv_python(), str(ROOT / "bench" / "_es_child.py"), backend, db, str(n), str(batch)],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])["events_per_s"]
    finally:
        if backend == "postgres":
            _drop(db)


def ours(backend: str, n: int, batch: int, tmp: Path) -> float:
    from bench.synth import synthetic
    from events.engine import make_engine
    from events.store import EventStore

    name = _pg_db() if backend == "postgres" else None
    url = f"sqlite:///{tmp / (uuid.uuid4().hex + '.db')}" if name is None else \
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        store = EventStore(make_engine(url))
        store.migrate()
        events = list(synthetic(1000 + n, 1000))
        for i in range(0, 1000, 100):  # the streams exist (their first report), as the library's aggregates do
            store.append(events[i : i + 100])
        t0 = time.perf_counter()
        for i in range(1000, 1000 + n, batch):
            store.append(events[i : i + batch])
        rate = n / (time.perf_counter() - t0)
        store.engine.dispose()
        return rate
    finally:
        if name:
            _drop(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000, help="events at 100 per transaction")
    ap.add_argument("--single", type=int, default=2_000, help="events at 1 per transaction")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    a = ap.parse_args()
    venv_python()
    backends = ("sqlite", "postgres") if a.backend == "both" else (a.backend,)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for backend in backends:
            for batch, n in ((100, a.n), (1, a.single)):
                mine, lib = [], []
                for _ in range(a.rounds):  # alternate, so both see the same machine load
                    mine.append(ours(backend, n, batch, tmp))
                    lib.append(theirs(backend, n, batch, tmp))
                m, t = max(mine), max(lib)
                print(f"{backend:<8} {batch:>3} per tx, {n:,} events: ours {m:,.0f}/s, eventsourcing 9.5 {t:,.0f}/s"
                      f" -> {m / t:.2f}x  (best of {a.rounds}; all: ours {[round(x) for x in mine]},"
                      f" theirs {[round(x) for x in lib]})", flush=True)


if __name__ == "__main__":
    main()
