"""Polling policy: doubling backoff with a cap, Retry-After, max-age, jitter bounds, interval parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.politeness import next_poll_at, parse_interval

NOW = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def after(**kwargs: object) -> timedelta:
    args = {"interval": HOUR, "failures_in_row": 0, "retry_after": None, "max_age": None, "jitter": 0.5, **kwargs}
    return next_poll_at(NOW, **args) - NOW  # type: ignore[arg-type]


def test_success_uses_interval() -> None:
    assert after() == HOUR


@pytest.mark.parametrize(("failures", "hours"),
                         [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 24), (7, 24), (10_000, 24)])
def test_failure_backoff_doubles_and_caps(failures: int, hours: int) -> None:
    assert after(failures_in_row=failures) == timedelta(hours=hours)


def test_custom_cap() -> None:
    assert after(failures_in_row=5, cap=timedelta(hours=3)) == timedelta(hours=3)


def test_retry_after_wins_when_later() -> None:
    assert after(retry_after=7200.0) == timedelta(hours=2)
    assert after(retry_after=60.0) == HOUR  # earlier than the normal schedule: ignored
    assert after(failures_in_row=3, retry_after=5 * 3600.0) == timedelta(hours=5)
    assert after(retry_after=10 * 86400.0) == timedelta(hours=24)  # hostile value capped


def test_max_age_respected_on_success_only() -> None:
    assert after(max_age=3 * 3600.0) == timedelta(hours=3)
    assert after(max_age=3 * 3600.0, jitter=0.0) == timedelta(hours=3)  # jitter never undercuts max-age
    assert after(max_age=3 * 3600.0, jitter=1.0) == timedelta(hours=3.3)
    assert after(max_age=60.0) == HOUR
    assert after(failures_in_row=1, max_age=3 * 3600.0) == HOUR


def test_jitter_bounds() -> None:
    assert after(jitter=0.0) == timedelta(minutes=54)
    assert after(jitter=1.0) == timedelta(minutes=66)


@settings(database=None)
@given(jitter=st.floats(0, 1), failures=st.integers(0, 50), minutes=st.integers(1, 3000))
def test_jitter_stays_within_ten_percent_and_cap(jitter: float, failures: int, minutes: int) -> None:
    interval = timedelta(minutes=minutes)
    base = timedelta(seconds=min(interval.total_seconds() * 2.0 ** max(failures - 1, 0), 86400.0))
    delay = after(interval=interval, failures_in_row=failures, jitter=jitter)
    assert delay <= timedelta(hours=24)
    assert base * 0.9 - timedelta(seconds=1) <= delay <= base * 1.1 + timedelta(seconds=1)


@pytest.mark.parametrize("kwargs", [{"jitter": 1.5}, {"jitter": -0.1}, {"failures_in_row": -1},
                                    {"interval": timedelta(0)}])
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        after(**kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("90s", timedelta(seconds=90)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        (" 15M ", timedelta(minutes=15)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_parse_interval_good(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "30", "m", "5x", "-5m", "0m", "1 hour", "h1", "30m junk"])
def test_parse_interval_bad(text: str) -> None:
    with pytest.raises(ValueError, match="invalid interval"):
        parse_interval(text)
