"""The company registry as the log has taught it: the shipped registry plus registered companies and aliases."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from events.envelope import Recorded
from events.types import AliasAdded, AliasRemoved, CompanyRegistered

from .folded import Folded, Stored, TableReader
from .registry import Company, Registry
from .tables import LEARNED_COMPANIES

__all__ = ["LEARNED_EVENT_TYPES", "Learned", "LearnedReader", "Taught", "fold_log", "fold_taught", "learned_registry",
           "stored_learned"]

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


@dataclass(frozen=True, slots=True)
class Taught:
    """One company as the log left it: its record (None: never known), registered by the log, aliases withdrawn."""

    company: Company | None
    registered: bool = False
    removed: frozenset[str] = frozenset()


def _learned(taught: Mapping[str, Taught]) -> Learned:
    """The shipped registry with every taught company's record in place of the shipped one."""
    base = Registry.default().companies()
    return Learned(Registry([*base, *(t.company for t in taught.values() if t.company is not None)]),
                   frozenset(cid for cid, t in taught.items() if t.registered),
                   frozenset((cid, a) for cid, t in taught.items() for a in t.removed))


def fold_taught(before: Mapping[str, Taught], records: Iterable[Recorded]) -> dict[str, Taught]:
    """`fold_log` restricted to the companies these events touch (each event names one company)."""
    records = list(records)
    after = fold_log(_learned(before), records)
    keys = set(before) | {k for r in records if (k := _company_key(r)) is not None}
    return {cid: Taught(after.registry.get(cid), cid in after.registered,
                        frozenset(a for c, a in after.removed if c == cid)) for cid in keys}


def _company_key(rec: Recorded) -> str | None:
    return getattr(rec.event, "company_id", None)


def _taught_doc(t: Taught) -> dict[str, Any]:
    return {"company": asdict(t.company) if t.company else None, "registered": t.registered,
            "removed": sorted(t.removed)}


def _taught_from(doc: dict[str, Any]) -> Taught:
    company = Company.from_dict(doc["company"]) if doc["company"] else None
    return Taught(company, doc["registered"], frozenset(doc["removed"]))


def stored_learned() -> Stored[Taught]:
    """The company registry on the runner: table `learned_companies`, one row per company an event named."""
    return Stored("company-registry", LEARNED_EVENT_TYPES, LEARNED_COMPANIES, _company_key, fold_taught,
                  (_taught_doc, _taught_from))


class LearnedReader:
    """The learned registry from its table; the same `Learned` while the rows stay the same, so extraction's
    matcher cache (per registry instance) holds across batches that teach nothing."""

    def __init__(self, reader: TableReader[Taught]) -> None:
        self.reader = reader
        self.model = reader.model
        self._lock = threading.Lock()
        self._cached: tuple[dict[str, Taught], Learned] | None = None

    def state(self) -> Learned:
        rows = self.reader.state()
        with self._lock:
            if self._cached is None or self._cached[0] != rows:
                self._cached = (rows, _learned(rows))
            return self._cached[1]
