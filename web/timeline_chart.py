"""Geometry of the landscape timeline: one bar per alliance, in segments by stage, on a year axis (pure)."""
from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .ports import StageSpan

WIDTH = 1000
LABEL_WIDTH = 290  # the alliance names on the left
RIGHT_PAD = 16
AXIS_HEIGHT = 30
ROW_HEIGHT = 26
BAR_HEIGHT = 14
MIN_LABEL_GAP = 44  # px between year labels (a year's band stays clickable when its label is left out)
MAX_YEARS = 16  # the axis shows at most this many years; older bars begin at its left edge, marked as earlier


@dataclass(frozen=True, slots=True)
class Segment:
    x: float
    width: float
    stage: str
    start: date
    end: date | None  # None: still at this stage
    written: str = ""  # the start as the news gave it (2024-05), for words
    earlier: bool = False  # began before the axis does (drawn from its left edge)


@dataclass(frozen=True, slots=True)
class Bar:
    alliance_id: str
    title: str
    label: str  # what fits on the left of the bar
    y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    x: float
    width: float
    labelled: bool


@dataclass(frozen=True, slots=True)
class Chart:
    bars: tuple[Bar, ...]
    years: tuple[Year, ...]
    width: int
    height: int
    now_x: float
    bar_height: int = BAR_HEIGHT
    label_width: int = LABEL_WIDTH
    axis_height: int = AXIS_HEIGHT


def year_fraction(d: date) -> float:
    """A day as a fractional year (2024-07-02 -> about 2024.5), the axis's unit."""
    days = 366 if calendar.isleap(d.year) else 365
    return d.year + (d.timetuple().tm_yday - 1) / days


def stage_runs(spans: Sequence[StageSpan], until: date) -> list[tuple[date, date | None, str, str]]:
    """Runs of one stage that began by `until`: (start, exclusive end or None while still open at `until`,
    stage, the start as written)."""
    out: list[tuple[date, date | None, str, str]] = []
    for s in spans:
        start = date.fromisoformat(s.start)
        if start > until:
            break
        end = date.fromisoformat(s.end) if s.end < "9999" else None
        end = end if end is not None and end <= until else None
        stage = s.stage or "unknown"
        if out and out[-1][2] == stage and out[-1][1] == start:  # a new source, not a new stage: one segment
            out[-1] = (out[-1][0], end, stage, out[-1][3])
        else:
            out.append((start, end, stage, s.written or s.start))
    return out


def chart(rows: Sequence[Mapping[str, Any]], spans: Mapping[str, Sequence[StageSpan]], until: date,
          title_of: Callable[[Mapping[str, Any]], str], label_of: Callable[[Mapping[str, Any]], str],
          width: int = WIDTH) -> Chart:
    """Bars for `rows` (in the order given) from their stage spans, on an axis from the first year any
    of them was reported to the end of `until`'s year; a bar ends at `until` (the date shown)."""
    cut = {r["id"]: stage_runs(spans.get(r["id"], ()), until) for r in rows}
    starts = [c[0][0] for c in cut.values() if c]
    last = until.year
    first = max(min(starts).year if starts else last, last - MAX_YEARS + 1)
    axis_start = date(first, 1, 1)
    x0, x1 = float(LABEL_WIDTH), float(width - RIGHT_PAD)
    per_year = (x1 - x0) / (last - first + 1)

    def x_of(d: date) -> float:
        return round(x0 + (year_fraction(d) - first) * per_year, 1)

    step = max(1, -(-MIN_LABEL_GAP // int(per_year)) if per_year >= 1 else MIN_LABEL_GAP)
    years = tuple(Year(y, round(x0 + (y - first) * per_year, 1), round(per_year, 1), (last - y) % step == 0)
                  for y in range(first, last + 1))
    end_x = x_of(until + timedelta(days=1))

    def segment(start: date, end: date | None, stage: str, written: str) -> Segment:
        left = x_of(max(start, axis_start))  # a run older than the axis starts at its edge
        right = x_of(end) if end else end_x
        return Segment(left, round(max(right - left, 1.5), 1), stage, start, end, written, start < axis_start)

    bars = []
    for i, r in enumerate(rows):
        segs = tuple(segment(*run) for run in cut[r["id"]] if run[1] is None or run[1] > axis_start)
        bars.append(Bar(r["id"], title_of(r), label_of(r), AXIS_HEIGHT + 8 + i * ROW_HEIGHT, segs))
    height = AXIS_HEIGHT + 8 + len(rows) * ROW_HEIGHT + 8
    return Chart(tuple(bars), years, width, height, end_x)
