"""The company registry as the log has taught it: the shipped registry plus registered companies and aliases."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from events.envelope import Recorded
from events.types import AliasAdded, AliasRemoved, CompanyRegistered

from .folded import Folded
from .registry import Company, Registry

__all__ = ["LEARNED_EVENT_TYPES", "Learned", "fold_log", "learned_registry"]

LEARNED_EVENT_TYPES = frozenset({"CompanyRegistered", "AliasAdded", "AliasRemoved"})


@dataclass(frozen=True, slots=True)
class Learned:
    """The registry extraction uses, and the companies the log has registered (events win over shipped data)."""

    registry: Registry = field(default_factory=Registry.default)
    registered: frozenset[str] = frozenset()
    removed: frozenset[tuple[str, str]] = frozenset()  # (company, alias) withdrawn, shipped names included


def _teach(registry: Registry, cid: str, alias: str, removed: set[tuple[str, str]]) -> Registry:
    known = registry.get(cid)
    if (cid, alias) in removed or known is None or alias in known.aliases or alias in (known.name, known.name_zh):
        return registry
    return registry.with_alias(cid, alias)


def fold_log(state: Learned, records: Iterable[Recorded]) -> Learned:
    """Apply CompanyRegistered / AliasAdded / AliasRemoved events in log order (pure; other types are ignored)."""
    registry, registered, removed = state.registry, set(state.registered), set(state.removed)
    for rec in records:
        ev = rec.event
        if isinstance(ev, CompanyRegistered):
            registered.add(ev.company_id)
            if registry.get(ev.company_id) is None:
                registry = registry.with_company(Company(ev.company_id, ev.name, ev.name_zh, tuple(ev.aliases),
                                                         ev.country, ev.sector))
            for alias in ev.aliases:
                registry = _teach(registry, ev.company_id, alias, removed)
        elif isinstance(ev, AliasAdded):
            registered.add(ev.company_id)
            removed.discard((ev.company_id, ev.alias))
            registry = _teach(registry, ev.company_id, ev.alias, removed)
        elif isinstance(ev, AliasRemoved):
            removed.add((ev.company_id, ev.alias))
            registry = registry.without_alias(ev.company_id, ev.alias)  # the shipped data file's names too
    return Learned(registry, frozenset(registered), frozenset(removed))


def learned_registry() -> Folded[Learned]:
    """The registry read model, caught up from the log on demand."""
    return Folded("company-registry", LEARNED_EVENT_TYPES, fold_log, Learned)
