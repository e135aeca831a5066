"""Synthetic event logs for the benchmarks: many alliances, realistic event mix."""
from __future__ import annotations

import random
from typing import Iterator

from events.envelope import NewEvent
from events.types import AllianceCorroborated, AllianceReported, Event, StageChanged
from events.values import Citation, FuzzyDate

STAGES = ["talks", "agreement_signed", "established", "production", "expanded"]
KINDS = ["joint_venture", "strategic_cooperation", "technology_supply", "co_development", "equity_investment"]


def _date(rng: random.Random) -> FuzzyDate:
    y, m, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
    p = rng.random()
    return FuzzyDate.parse(f"{y}-{m:02d}-{d:02d}" if p < 0.6 else f"{y}-{m:02d}" if p < 0.9 else f"{y}")


def synthetic(n_events: int, n_alliances: int, seed: int = 7) -> Iterator[NewEvent]:
    """`n_events` events over `n_alliances` alliances; every alliance is reported first."""
    rng = random.Random(seed)
    for i in range(n_events):
        aid = f"a{i % n_alliances}"
        cite = Citation("Synthetic Wire", f"Story {i}", url=f"https://news.example/{i % (n_alliances * 7)}")
        ev: Event
        if i < n_alliances:
            ev = AllianceReported(aid, (f"c{i % 997}", f"c{(i * 7 + 1) % 997}x"), rng.choice(KINDS), rng.choice(STAGES), cite)
        elif rng.random() < 0.6:
            ev = StageChanged(aid, rng.choice(STAGES), cite, kind=rng.choice(KINDS) if rng.random() < 0.2 else None)
        else:
            ev = AllianceCorroborated(aid, cite)
        yield NewEvent(ev, _date(rng), f"synthetic:{seed}:{i}")
