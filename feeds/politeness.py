"""Pure polling policy: when to poll a feed next, given how the last fetch went."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

__all__ = ["JITTER_FRACTION", "next_poll_at", "parse_interval"]

JITTER_FRACTION = 0.10  # ±10% spreads feeds added at the same moment apart
_MAX_DOUBLINGS = 40  # 2**40 intervals is far beyond any cap; avoids float overflow on long outages


def next_poll_at(
    now: datetime,
    *,
    interval: timedelta,
    failures_in_row: int,
    retry_after: float | None,
    max_age: float | None,
    jitter: float,
    cap: timedelta = timedelta(hours=24),
) -> datetime:
    """Next poll time: interval (not before max-age) on success, doubling backoff on failure, Retry-After wins.

    ``jitter`` is a random number in [0, 1] supplied by the caller so this function stays pure;
    0.5 means no jitter, 0 means -10%, 1 means +10%; on success max-age is a hard floor (jitter
    only spreads upwards from it).  Everything, Retry-After included, is capped
    at ``cap`` so that one hostile header cannot freeze a feed for a year.
    """
    if interval <= timedelta(0):
        raise ValueError(f"interval must be positive, got {interval}")
    if failures_in_row < 0:
        raise ValueError(f"failures_in_row must be >= 0, got {failures_in_row}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter}")
    cap_s = cap.total_seconds()
    base = interval.total_seconds()
    backoff = base * 2.0 ** min(failures_in_row - 1, _MAX_DOUBLINGS) if failures_in_row else 0.0
    delay = backoff if failures_in_row else max(base, max_age or 0.0)
    delay *= 1.0 + JITTER_FRACTION * (2.0 * jitter - 1.0)
    if not failures_in_row and max_age:
        delay = max(delay, max_age)  # polling before max-age expires would only fetch the cached copy
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return now + timedelta(seconds=min(delay, cap_s))


MAX_INTERVAL_S = 365 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
_WHOLE = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*[smhd]\s*)+", re.IGNORECASE)


def parse_interval(text: str) -> timedelta:
    """Parse a human poll interval such as '30m', '2h', '90s', '1d' or '1h30m'."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text):
        raise ValueError(
            f"invalid interval {text!r}: expected a number followed by s, m, h or d, e.g. '90s', '30m', '2h', '1d'"
        )
    seconds = sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"invalid interval {text!r}: must be longer than zero")
    if seconds > MAX_INTERVAL_S:  # also keeps timedelta and the scheduler's arithmetic from overflowing
        raise ValueError(f"invalid interval {text!r}: at most 365d")
    return timedelta(seconds=seconds)
