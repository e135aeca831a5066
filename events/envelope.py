"""The envelope around an event: what the store adds (position, times, hashes, provenance)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .types import Event, stream_of
from .values import FuzzyDate


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event on its way into the store.

    `valid` is when the fact happened (None for facts about the log itself, such as a
    retraction, which hold at every valid time). `idempotency_key` names the claim, so the
    same news seen twice is stored once.
    """

    event: Event
    valid: FuzzyDate | None = None
    idempotency_key: str | None = None
    stream_id: str | None = None

    @property
    def stream(self) -> str:
        return self.stream_id or stream_of(self.event)


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as stored: immutable, positioned, chained."""

    position: int
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    event: Event
    valid: FuzzyDate | None
    recorded_at: str  # UTC, ISO-8601 with microseconds and "Z"
    idempotency_key: str
    provenance: dict[str, Any] | None
    prev_hash: str
    hash: str

    @property
    def valid_end(self) -> date | None:
        return self.valid.end if self.valid else None

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of a stored event (`alliances events --json`, the API)."""
        from .types import to_payload

        return {
            "position": self.position,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "type": self.type,
            "schema_version": self.schema_version,
            "payload": to_payload(self.event),
            "valid": str(self.valid) if self.valid else None,
            "valid_precision": self.valid.precision.value if self.valid else None,
            "recorded_at": self.recorded_at,
            "idempotency_key": self.idempotency_key,
            "provenance": self.provenance,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
