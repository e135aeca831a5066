"""Small builders for events in tests."""
from __future__ import annotations

from events.envelope import NewEvent
from events.types import AllianceReported, CompanyRegistered, StageChanged
from events.values import Citation, FuzzyDate

CITE = Citation(publisher="Test Wire", title="A report", published="2026-01-02", paragraph=1)


def company(cid: str, name: str | None = None, zh: str = "") -> NewEvent:
    return NewEvent(CompanyRegistered(cid, name or cid.title(), zh or cid))


def reported(aid: str, parties: tuple[str, ...], when: str = "2024-05", stage: str = "agreement_signed",
             kind: str = "strategic_cooperation", cite: Citation = CITE, key: str | None = None) -> NewEvent:
    return NewEvent(AllianceReported(aid, parties, kind, stage, cite), FuzzyDate.parse(when), key)


def staged(aid: str, stage: str, when: str, kind: str | None = None, cite: Citation = CITE,
           key: str | None = None) -> NewEvent:
    return NewEvent(StageChanged(aid, stage, cite, kind=kind), FuzzyDate.parse(when), key)
