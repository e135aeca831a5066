"""Append throughput: one event per call, batches of 100, and the raw executemany ceiling.

Usage: python bench/bench_append.py [--n 100000] [--backend sqlite|postgres|both]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench.synth import synthetic  # noqa: E402
from events.engine import make_engine  # noqa: E402
from events.store import EventStore  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_db():  # type: ignore[no-untyped-def]
    import psycopg

    name = f"alliances_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def _fresh(backend: str, tmp: Path):  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        return f"sqlite:///{tmp / (uuid.uuid4().hex + '.db')}", lambda: None
    return _pg_db()


def measure(backend: str, n: int) -> dict[str, float]:
    events = list(synthetic(n, max(1, n // 100)))
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for label, batch in (("batch100", 100), ("single", 1)):
            url, drop = _fresh(backend, tmp)
            store = EventStore(make_engine(url))
            store.migrate()
            count = n if batch > 1 else min(n, 20_000 if backend == "sqlite" else 10_000)
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, count, batch):
                store.append(events[i : i + batch])
            out[label] = count / (time.perf_counter() - t0)
            out[f"{label}_cpu"] = count / (time.process_time() - c0)
            out[f"{label}_n"] = count
            if label == "batch100":
                rows = [tuple(r) for r in _rows(store)]
            store.engine.dispose()
            drop()
        url, drop = _fresh(backend, tmp)
        store = EventStore(make_engine(url))
        store.migrate()
        insert = store._insert_sql  # the same statement, driven by the DB-API's executemany
        t0 = time.perf_counter()
        with store.engine.begin() as conn:
            for i in range(0, len(rows), 100):
                conn.exec_driver_sql(insert, rows[i : i + 100])
        out["raw_executemany_batch100_one_tx"] = len(rows) / (time.perf_counter() - t0)
        url2, drop2 = _fresh(backend, tmp)
        store2 = EventStore(make_engine(url2))
        store2.migrate()
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, len(rows), 100):
            with store2.engine.begin() as conn:
                conn.exec_driver_sql(insert, rows[i : i + 100])
        out["raw_executemany_batch100_tx_each"] = len(rows) / (time.perf_counter() - t0)
        out["raw_cpu"] = len(rows) / (time.process_time() - c0)
        store.engine.dispose()
        store2.engine.dispose()
        drop()
        drop2()
    return out


def _rows(store: EventStore):  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        from events.store import _COLUMNS

        return conn.execute(text(f"SELECT hash_version, {_COLUMNS} FROM events ORDER BY position")).all()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--backend", default="both", choices=["sqlite", "postgres", "both"])
    a = ap.parse_args()
    for backend in (["sqlite", "postgres"] if a.backend == "both" else [a.backend]):
        r = measure(backend, a.n)
        ceiling = r["raw_executemany_batch100_tx_each"]
        print(f"[{backend}] n={a.n}")
        print(f"  append, one event per call : {r['single']:>10,.0f} events/s  (over {int(r['single_n']):,} events)")
        print(f"  append, batches of 100     : {r['batch100']:>10,.0f} events/s")
        print(f"  raw executemany, 100/tx    : {ceiling:>10,.0f} rows/s   (same rows, one transaction per 100)")
        print(f"  raw executemany, 1 tx      : {r['raw_executemany_batch100_one_tx']:>10,.0f} rows/s")
        print(f"  batched / raw ceiling      : {r['batch100'] / ceiling:>10.0%}  (target >= 50%)")
        if backend == "sqlite":  # all the work is in this process: CPU time is what a loaded machine cannot skew
            print(f"  same, in CPU time          : {r['batch100_cpu'] / r['raw_cpu']:>10.0%}"
                  f"  ({r['batch100_cpu']:,.0f} against {r['raw_cpu']:,.0f} events per CPU-second)")


if __name__ == "__main__":
    main()
