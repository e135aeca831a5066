"""The extractor's output record."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Deal"]


@dataclass(frozen=True, slots=True)
class Deal:
    """One partnership event reported by a news item."""

    parties: tuple[str, ...]  # canonical English names, sorted
    kind: str
    stage: str
    loi: bool
    date: str | None  # "YYYY" | "YYYY-MM" | "YYYY-MM-DD"
    confidence: float
    evidence: str  # the sentence or clause the deal was read from
