"""Moving a log between databases: `alliances log export` from SQLite, `alliances log import` into a new SQLite
and a new PostgreSQL database (the chain verified row by row as it is read). Read-model rebuilds after the import
are measured by bench_readmodel.py.

Usage: python bench/bench_log_transfer.py [--n 100000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_append import _fresh  # noqa: E402
from bench.synth import synthetic  # noqa: E402
from events.engine import make_engine  # noqa: E402
from events.store import EventStore  # noqa: E402
from service.logfile import read_log, write_log  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000, help="events in the log")
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        source = EventStore(make_engine(f"sqlite:///{tmp / 'source.db'}"))
        source.migrate()
        events = list(synthetic(n, max(1, n // 100)))
        for i in range(0, n, 1000):
            source.append(events[i : i + 1000])
        file = tmp / "log.jsonl"
        t = time.perf_counter()
        with file.open("w", encoding="utf-8") as out:
            written = write_log(source.read_stored(), out)
        rows = [("export from SQLite", written, time.perf_counter() - t)]
        for backend in ("sqlite", "postgres"):
            url, drop = _fresh(backend, tmp)
            try:
                target = EventStore(make_engine(url))
                target.migrate()
                t = time.perf_counter()
                with file.open("rb") as lines:
                    imported = target.import_raw(read_log(lines))
                rows.append((f"import into {backend}", imported, time.perf_counter() - t))
                target.engine.dispose()
            finally:
                drop()
        print(f"{n:,} events, file {file.stat().st_size / 1e6:.1f} MB")
        print("| step | events | seconds | events/s |\n|---|---|---|---|")
        for label, count, secs in rows:
            print(f"| {label} | {count:,} | {secs:.2f} | {count / secs:,.0f} |")


if __name__ == "__main__":
    main()
