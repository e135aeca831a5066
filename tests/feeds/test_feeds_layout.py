"""Rules on the feed side's source: the log is read only through the store, and time comes from the clock."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

FEEDS = Path(__file__).resolve().parents[2] / "feeds"
SQL_ON_EVENTS = re.compile(r"(?:\bSELECT\b.*?\bFROM|\bINSERT\s+INTO|\bDELETE\s+FROM|\bUPDATE|\bJOIN)\s+events\b",
                           re.IGNORECASE)
WALL_CLOCK = re.compile(r"\b(?:date\.today|datetime\.now|datetime\.utcnow|time\.time)\(")
CLOCKED = ("archive.py", "decide.py", "health.py", "ingest.py", "poller.py", "subscriptions.py", "learned.py",
           "review.py", "sources.py")


@pytest.mark.parametrize("path", sorted(FEEDS.rglob("*.py")), ids=lambda p: str(p.relative_to(FEEDS)))
def test_feed_code_runs_no_sql_on_the_events_table(path: Path) -> None:
    code = [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith(("from ", "import "))]  # `from events.store import ...` is no SQL
    assert [line for line in code if SQL_ON_EVENTS.search(line)] == []


def test_the_rule_catches_sql_on_events() -> None:
    assert SQL_ON_EVENTS.search('text("SELECT payload FROM events WHERE position > :a")')


@pytest.mark.parametrize("name", CLOCKED)
def test_deciding_and_recording_take_the_time_from_the_injected_clock(name: str) -> None:
    assert not WALL_CLOCK.search((FEEDS / name).read_text(encoding="utf-8"))


def test_the_monolithic_feed_service_is_gone() -> None:
    assert not (FEEDS / "service.py").exists()
