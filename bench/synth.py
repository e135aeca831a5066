"""Synthetic event logs for the benchmarks: many alliances, realistic event mix."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from events.envelope import NewEvent
from events.types import AllianceCorroborated, AllianceReported, Event, StageChanged
from events.values import Citation, FuzzyDate

STAGES = ["talks", "agreement_signed", "established", "production", "expanded"]
KINDS = ["joint_venture", "strategic_cooperation", "technology_supply", "co_development", "equity_investment"]


def _date(rng: random.Random) -> FuzzyDate:
    y, m, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
    p = rng.random()
    return FuzzyDate.parse(f"{y}-{m:02d}-{d:02d}" if p < 0.6 else f"{y}-{m:02d}" if p < 0.9 else f"{y}")


def _chronological(rng: random.Random, step: int, per_alliance: int) -> FuzzyDate:
    """News as it comes: the step-th event of an alliance dates from about step/per_alliance of the way
    through 2015-2026 (give or take three weeks), at day, month or year precision."""
    day = date(2015, 1, 1) + timedelta(days=int(step * 4000 / max(1, per_alliance)) + rng.randint(-20, 20))
    p = rng.random()
    return FuzzyDate.parse(day.isoformat() if p < 0.6 else day.isoformat()[:7] if p < 0.9 else day.isoformat()[:4])


def synthetic(n_events: int, n_alliances: int, seed: int = 7, dates: str = "random") -> Iterator[NewEvent]:
    """`n_events` events over `n_alliances` alliances; every alliance is reported first.

    `dates`: "random" draws each event's date anywhere in 2015-2026 (every report may be old news:
    the worst case for the valid-time history); "chronological" dates news roughly as it comes.
    """
    rng = random.Random(seed)
    per = max(1, n_events // max(1, n_alliances))
    for i in range(n_events):
        aid = f"a{i % n_alliances}"
        cite = Citation("Synthetic Wire", f"Story {i}", url=f"https://news.example/{i % (n_alliances * 7)}")
        ev: Event
        if i < n_alliances:
            ev = AllianceReported(
                aid, (f"c{i % 997}", f"c{(i * 7 + 1) % 997}x"), rng.choice(KINDS), rng.choice(STAGES), cite
            )
        elif rng.random() < 0.6:
            ev = StageChanged(aid, rng.choice(STAGES), cite, kind=rng.choice(KINDS) if rng.random() < 0.2 else None)
        else:
            ev = AllianceCorroborated(aid, cite)
        when = _date(rng) if dates == "random" else _chronological(rng, i // n_alliances, per)
        yield NewEvent(ev, when, f"synthetic:{seed}:{i}")
