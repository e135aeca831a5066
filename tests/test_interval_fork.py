"""The relational interval tree behind "the history rows valid on D" (events/rows.py `fork`, `fork_path`): every
valid-time interval holding a day has its fork on that day's path, so the ~22 range scans of the path miss no row."""
from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from events.rows import fork, fork_path
from events.schema import END_OF_TIME

DAYS = st.dates(date(1900, 1, 1), date(9999, 12, 29))
LAST = date.fromisoformat(END_OF_TIME)


def _end(start: date, length: int) -> date:
    return date.fromordinal(min(start.toordinal() + length, LAST.toordinal()))


@given(start=DAYS, length=st.integers(1, 4000), offset=st.integers(0, 3999))
def test_the_fork_of_an_interval_holding_a_day_is_on_the_days_path(start, length, offset):
    end = _end(start, length)
    day = date.fromordinal(min(start.toordinal() + offset, end.toordinal() - 1))
    assert fork(start.isoformat(), end.isoformat()) in fork_path(day)


@given(start=DAYS, day=DAYS)
def test_an_interval_open_until_further_notice_is_found_from_every_day_it_holds(start, day):
    if start <= day:
        assert fork(start.isoformat(), END_OF_TIME) in fork_path(day)


@given(start=DAYS, length=st.integers(1, 4000))
def test_the_fork_is_a_day_of_the_interval(start, length):
    end = _end(start, length)
    assert start.toordinal() <= fork(start.isoformat(), end.isoformat()) < end.toordinal()
