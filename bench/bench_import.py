"""`alliances import` as a user runs it: a whole process over an archive of N past articles, first (everything new)
and again (everything already archived: the dedupe alone), on SQLite and optionally PostgreSQL.

The archive repeats the shipped sample's reports with distinct URLs and a numbered sentence added, so every line
is a new article that reports a known deal (extraction, decisions and corroborations all run).

Usage: python bench/bench_import.py [--items 3000] [--postgres postgresql+psycopg://postgres@127.0.0.1/DBNAME]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "service" / "data" / "sample_archive.jsonl"
ALLIANCES = str(Path(sys.executable).parent / "alliances")


def archive(n: int, path: Path) -> None:
    base = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            item = dict(base[i % len(base)])
            item["id"] = f"bench-{i}"
            item["url"] = f"{item['url']}-{i}"
            item["summary"] = f"{item['summary']} Report number {i} of the archive."
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run([ALLIANCES, *args], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, out.stdout.strip()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=3000)
    p.add_argument("--postgres", help="a PostgreSQL URL of an empty database to measure too")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.jsonl"
        archive(a.items, path)
        urls = [("SQLite", None)] + ([("PostgreSQL", a.postgres)] if a.postgres else [])
        for name, url in urls:
            env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
            env["ALLIANCES_DATA_DIR"] = str(Path(tmp) / name)
            if url:
                env["ALLIANCES_DATABASE_URL"] = url
            timed(env, "seed")
            first, line = timed(env, "import", str(path))
            again, line2 = timed(env, "import", str(path))
            print(f"{name}: {a.items} articles: first import {first:.1f} s ({a.items / first:,.0f} articles/s), "
                  f"again {again:.1f} s ({a.items / again:,.0f} lines/s)")
            print(f"  {line}\n  {line2}")


if __name__ == "__main__":
    main()
