"""The one error tree of the events package.

    EventsError
     +-- ConcurrencyError      expected stream version did not match; nothing written
     +-- UnknownEventType      no class registered for a stored type name/version
     +-- MalformedEvent        a payload that does not fit its event type
     +-- BadDate               a date or timestamp that cannot be read
     +-- StoreUnavailable      the database could not be reached or opened
     +-- ChainBroken           a stored event does not fit the hash chain (tampering or corruption)
     +-- ImportRefused         a log to import does not fit (a break in its chain, a bad row, a target not empty)
"""
from __future__ import annotations


class EventsError(Exception):
    """Root of every error this package raises on purpose."""


class ConcurrencyError(EventsError):
    """Another writer appended to the stream first; the caller should re-read and retry."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, expected {expected}; nothing was written"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class UnknownEventType(EventsError):
    """A stored event names a type (or schema version) this code does not know."""


class MalformedEvent(EventsError):
    """A payload that does not fit its event type."""


class BadDate(EventsError, ValueError):
    """A date, fuzzy date or timestamp that cannot be read."""


class StoreUnavailable(EventsError):
    """The database could not be reached, opened or migrated."""


class ChainBroken(EventsError):
    """A stored event does not fit the hash chain: what was read cannot be trusted."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"the hash chain is broken at position {position}: {reason}")
        self.position, self.reason = position, reason


class ImportRefused(EventsError):
    """A log to import was refused: nothing of it was stored."""

    def __init__(self, reason: str, *, position: int | None = None, line: int | None = None) -> None:
        where = f" at position {position}" if position is not None else f" at line {line}" if line is not None else ""
        super().__init__(f"import refused{where}: {reason} (nothing was imported)")
        self.position, self.line, self.reason = position, line, reason
