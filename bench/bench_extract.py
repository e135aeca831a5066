"""Throughput of feeds.extract.extract on generated Chinese and English items.

Plain script: `python bench/bench_extract.py [N]` builds N items (default 100,000) from
templates filled with registry names, runs extract on each and prints items/s.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.extract import extract  # noqa: E402
from feeds.registry import Registry  # noqa: E402

ZH = [
    ("{a}与{b}签署战略合作协议", "{a}与{b}{d}日签署战略合作协议，双方将在智能驾驶领域联合开发新车型。"),
    ("{a}入股{b}", "{a}宣布将投资约{n}亿元收购{b}约{p}%的股份，成为其重要股东。"),
    ("{a}与{b}合资工厂投产", "{a}与{b}的合资工厂上个月正式投产，首款车型下线。"),
    ("{a}否认与{b}洽谈合作", "针对外界传闻，{a}表示公司目前并未与{b}洽谈新的合作项目。"),
    ("{a}{m}月销量同比增长", "{a}公布{m}月销量数据，同比增长{p}%，超过{b}。"),
]
EN = [
    (
        "{a} and {b} form joint venture",
        "{a} said on Tuesday it will form a joint venture with {b} to develop driver-assistance systems.",
    ),
    ("{a} to use {b} chips", "{a} said its new models will use chips supplied by {b}, starting next year."),
    ("{a} and {b} extend partnership", "{a} and {b} last week agreed to extend their strategic partnership to 2030."),
    (
        "Report: {a} could team up with {b}",
        "{a} is weighing a tie-up with {b}, a report said, though neither company commented.",
    ),
    ("{a} recalls cars", "{a} will recall {n},000 cars in China to fix a software fault, while {b} said sales rose."),
]


def make_items(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    companies = Registry.default().companies()
    items = []
    for i in range(n):
        a, b = rng.sample(companies, 2)
        if i % 2:
            title, summary = rng.choice(ZH)
            names = {"a": a.name_zh or a.name, "b": b.name_zh or b.name}
        else:
            title, summary = rng.choice(EN)
            names = {"a": a.name, "b": b.name}
        fill = dict(names, d=rng.randint(1, 28), n=rng.randint(2, 90), p=rng.randint(2, 49), m=rng.randint(1, 12))
        items.append(
            {"id": f"B{i}", "published": "2025-06-18", "title": title.format(**fill), "summary": summary.format(**fill)}
        )
    return items


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    items = make_items(n)
    extract(items[0])  # build the registry and automaton outside the timed loop
    started, cpu = time.perf_counter(), time.process_time()
    deals = sum(len(extract(item)) for item in items)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU time is what one core spends; wall time also counts waiting for a core on a shared machine
    print(f"{n} items, {deals} deals, {elapsed:.2f} s, {n / elapsed:,.0f} items/s wall, "
          f"{n / cpu:,.0f} items per CPU-second")


if __name__ == "__main__":
    main()
