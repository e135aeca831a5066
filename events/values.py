"""Value objects shared by events and projections: fuzzy dates, kinds, stages, citations."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum

from .errors import BadDate


class Precision(str, Enum):
    """How much of a date the source actually gives."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Kind(str, Enum):
    """What sort of partnership an alliance is."""

    JOINT_VENTURE = "joint_venture"
    STRATEGIC_COOPERATION = "strategic_cooperation"
    EQUITY_INVESTMENT = "equity_investment"
    TECHNOLOGY_SUPPLY = "technology_supply"
    CO_DEVELOPMENT = "co_development"
    LICENSING = "licensing"
    ACQUISITION = "acquisition"


class Stage(str, Enum):
    """Where an alliance stands; ordered roughly by maturity."""

    TALKS = "talks"
    AGREEMENT_SIGNED = "agreement_signed"
    ESTABLISHED = "established"
    PRODUCTION = "production"
    EXPANDED = "expanded"
    ENDED = "ended"


KINDS = frozenset(k.value for k in Kind)
STAGES = frozenset(s.value for s in Stage)

_FUZZY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class FuzzyDate:
    """A date known to a day, a month or a year.

    `start` and `end` are the first and last day the text allows; the time-travel rule
    (events/timeline.py) compares `end`, so an imprecise fact counts only once it has
    certainly happened.
    """

    start: date
    precision: Precision = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> FuzzyDate:
        """Read "YYYY", "YYYY-MM" or "YYYY-MM-DD" into a date with its precision."""
        m = _FUZZY.match(text.strip()) if isinstance(text, str) else None
        if not m:
            raise BadDate(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
        y, mo, d = m.groups()
        try:
            if d:
                return cls(date(int(y), int(mo), int(d)), Precision.DAY)
            if mo:
                return cls(date(int(y), int(mo), 1), Precision.MONTH)
            return cls(date(int(y), 1, 1), Precision.YEAR)
        except ValueError as e:
            raise BadDate(f"not a date: {text!r} ({e})") from e

    @property
    def end(self) -> date:
        """The last day this date could mean."""
        s = self.start
        if self.precision is Precision.DAY:
            return s
        if self.precision is Precision.MONTH:
            return date(s.year, s.month, calendar.monthrange(s.year, s.month)[1])
        return date(s.year, 12, 31)

    def __str__(self) -> str:
        s = self.start
        if self.precision is Precision.DAY:
            return s.isoformat()
        if self.precision is Precision.MONTH:
            return f"{s.year:04d}-{s.month:02d}"
        return f"{s.year:04d}"


def parse_day(text: str) -> date:
    """Read a full YYYY-MM-DD date (the `--as-of` argument)."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as e:
        raise BadDate(f"not a date: {text!r} (use YYYY-MM-DD)") from e


def parse_instant(text: str) -> datetime:
    """Read an ISO-8601 timestamp; a naive one is taken as UTC."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError) as e:
        raise BadDate(f"not a timestamp: {text!r} (use ISO-8601, e.g. 2026-05-05T12:00:00Z)") from e
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a fact comes from: enough for a reader to find the words again."""

    publisher: str
    title: str
    url: str | None = None
    published: str | None = None  # YYYY-MM-DD or ISO timestamp
    paragraph: int | None = None
    evidence: str | None = None
    feed: str | None = None

    def key(self) -> tuple[str, str]:
        """Identity of the source document, for counting distinct sources."""
        return (self.url, "") if self.url else (self.publisher, self.title)
