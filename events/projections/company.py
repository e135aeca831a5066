"""The company projection: names, aliases and milestones, folded purely."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..envelope import Recorded
from ..types import AliasAdded, AliasRemoved, CompanyMilestone, CompanyRegistered, to_payload

COMPANY_EVENT_TYPES = frozenset({"CompanyRegistered", "AliasAdded", "AliasRemoved", "CompanyMilestone"})


@dataclass(frozen=True, slots=True)
class Milestone:
    position: int
    valid: str | None
    end: str | None
    milestone: str
    description: str
    citation: dict[str, Any] | None
    alliance_id: str | None


@dataclass(frozen=True, slots=True)
class CompanyState:
    """What the log says about one company."""

    company_id: str
    name: str = ""
    name_zh: str = ""
    aliases: tuple[str, ...] = ()
    country: str = ""
    sector: str = ""
    milestones: tuple[Milestone, ...] = ()
    removed_aliases: tuple[str, ...] = ()  # withdrawn names, also those of the shipped registry


def fold(state: CompanyState | None, rec: Recorded) -> CompanyState:
    """Apply one stored company event."""
    ev = rec.event
    state = state or CompanyState(company_id=ev.company_id)  # type: ignore[attr-defined]
    if isinstance(ev, CompanyRegistered):
        aliases = tuple(a for a in dict.fromkeys((*state.aliases, *ev.aliases)) if a not in state.removed_aliases)
        return replace(state, name=ev.name, name_zh=ev.name_zh, aliases=aliases,
                       country=ev.country or state.country, sector=ev.sector or state.sector)
    if isinstance(ev, AliasAdded):
        removed = tuple(a for a in state.removed_aliases if a != ev.alias)
        aliases = state.aliases if ev.alias in state.aliases else (*state.aliases, ev.alias)
        return replace(state, aliases=aliases, removed_aliases=removed)
    if isinstance(ev, AliasRemoved):
        removed = state.removed_aliases if ev.alias in state.removed_aliases else (*state.removed_aliases, ev.alias)
        return replace(state, aliases=tuple(a for a in state.aliases if a != ev.alias), removed_aliases=removed)
    if isinstance(ev, CompanyMilestone):
        v = rec.valid
        m = Milestone(rec.position, str(v) if v else None, v.end.isoformat() if v else None, ev.milestone,
                      ev.description, to_payload(ev)["citation"] if ev.citation else None, ev.alliance_id)
        return replace(state, milestones=(*state.milestones, m))
    raise TypeError(f"{rec.type} is not a company event")
