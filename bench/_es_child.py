"""Runs inside bench/.venv-es (the `eventsourcing` library only): appends N events, prints events/s as JSON.

Usage: python _es_child.py sqlite|postgres DBNAME N BATCH
Events go to 1,000 aggregates round-robin (as bench/synth.py spreads ours over streams), each with a
payload of the size of ours (a summary and a citation); BATCH events are saved per transaction.
"""
from __future__ import annotations

import json
import sys
import time

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Alliance(Aggregate):
    @event("Reported")
    def __init__(self, name: str) -> None:
        self.name = name
        self.notes = 0

    @event("Noted")
    def note(self, stage: str, summary: str, citation: dict) -> None:
        self.notes += 1


def main() -> None:
    backend, dbname, n, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    env = ({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": dbname} if backend == "sqlite" else
           {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname, "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "x", "CREATE_TABLE": "y"})
    app = Application(env=env)
    aggs = [Alliance(f"a{i}") for i in range(1000)]
    app.save(*aggs)  # not timed: the aggregates exist, as our streams do after their first report
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        touched = {}
        for i in range(start, min(n, start + batch)):
            a = aggs[i % 1000]
            a.note("production", f"Story {i}: a partnership moved to production",
                   {"publisher": "Synthetic Wire", "title": f"Story {i}", "url": f"https://news.example/{i}"})
            touched[id(a)] = a
        app.save(*touched.values())
    dt = time.perf_counter() - t0
    print(json.dumps({"events_per_s": n / dt, "n": n}))


if __name__ == "__main__":
    main()
