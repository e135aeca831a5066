"""The clock is injected: a callable returning an aware UTC datetime (tests pass a fixed or stepping one)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC: the default for every injected clock."""
    return datetime.now(UTC)
