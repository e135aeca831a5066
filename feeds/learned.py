"""The company registry as the log has taught it: the shipped registry plus registered companies and aliases."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from events.envelope import Recorded
from events.types import AliasAdded, CompanyRegistered

from .folded import Folded
from .registry import Company, Registry

__all__ = ["LEARNED_EVENT_TYPES", "Learned", "fold_log", "learned_registry"]

LEARNED_EVENT_TYPES = frozenset({"CompanyRegistered", "AliasAdded"})


@dataclass(frozen=True, slots=True)
class Learned:
    """The registry extraction uses, and the companies the log has registered (events win over shipped data)."""

    registry: Registry = field(default_factory=Registry.default)
    registered: frozenset[str] = frozenset()


def _teach(registry: Registry, cid: str, alias: str) -> Registry:
    known = registry.get(cid)
    if known is None or alias in known.aliases or alias in (known.name, known.name_zh):
        return registry
    return registry.with_alias(cid, alias)


def fold_log(state: Learned, records: Iterable[Recorded]) -> Learned:
    """Apply CompanyRegistered / AliasAdded events in log order (pure; other types are ignored)."""
    registry, registered = state.registry, set(state.registered)
    for rec in records:
        ev = rec.event
        if isinstance(ev, CompanyRegistered):
            registered.add(ev.company_id)
            if registry.get(ev.company_id) is None:
                registry = registry.with_company(Company(ev.company_id, ev.name, ev.name_zh, tuple(ev.aliases),
                                                         ev.country, ev.sector))
            for alias in ev.aliases:
                registry = _teach(registry, ev.company_id, alias)
        elif isinstance(ev, AliasAdded):
            registered.add(ev.company_id)
            registry = _teach(registry, ev.company_id, ev.alias)
    return Learned(registry, frozenset(registered))


def learned_registry() -> Folded[Learned]:
    """The registry read model, caught up from the log on demand."""
    return Folded("company-registry", LEARNED_EVENT_TYPES, fold_log, Learned)
