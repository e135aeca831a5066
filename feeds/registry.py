"""Company registry: canonical names, Chinese names, aliases and brands.

Kept separate from the extractor so the event store can add aliases at run time
(each alias arrives as an event) without touching the shipped data file.
"""
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Company", "Registry", "company_id"]

_SLUG_RUN = re.compile(r"[\W_]+")


def company_id(name: str) -> str:
    """Stable slug for a company name: 'SAIC Motor' -> 'saic-motor', 'Pony.ai' -> 'pony-ai'."""
    return _SLUG_RUN.sub("-", name.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Company:
    """One real company; `brands` are names (both languages) that resolve to it as owner."""

    id: str
    name: str
    name_zh: str
    aliases: tuple[str, ...]
    country: str
    sector: str
    brands: tuple[str, ...] = ()

    def surfaces(self) -> Iterator[str]:
        """Every string that names this company in text (name, Chinese name, aliases, brands)."""
        yield self.name
        if self.name_zh:
            yield self.name_zh
        yield from self.aliases
        yield from self.brands

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Company:
        return cls(
            id=raw.get("id") or company_id(raw["name"]),
            name=raw["name"],
            name_zh=raw.get("name_zh", ""),
            aliases=tuple(raw.get("aliases", ())),
            country=raw.get("country", ""),
            sector=raw.get("sector", ""),
            brands=tuple(raw.get("brands", ())),
        )


class Registry:
    """An immutable collection of companies; 'with_*' methods return new registries.

    The mention matcher built from a registry is cached per instance (weakly, see
    feeds.extract.mentions), so a registry is cheap to reuse and safe to share.
    """

    __slots__ = ("_by_id", "__weakref__")

    def __init__(self, companies: Iterable[Company]) -> None:
        by_id: dict[str, Company] = {}
        for company in companies:
            by_id[company.id] = company
        self._by_id = by_id

    @classmethod
    def default(cls) -> Registry:
        """The registry shipped in feeds/data/companies.json (loaded once per process)."""
        return _default_registry()

    @classmethod
    def from_json(cls, text: str) -> Registry:
        return cls(Company.from_dict(raw) for raw in json.loads(text))

    def with_alias(self, company_id: str, alias: str) -> Registry:
        """A new registry in which `alias` also names `company_id`."""
        company = self._by_id.get(company_id)
        if company is None:
            raise KeyError(company_id)
        if alias in company.aliases:
            return self
        updated = dataclasses.replace(company, aliases=company.aliases + (alias,))
        return Registry({**self._by_id, company_id: updated}.values())

    def without_alias(self, company_id: str, alias: str) -> Registry:
        """A new registry in which `alias` (an alias or brand) no longer names `company_id`."""
        company = self._by_id.get(company_id)
        if company is None or (alias not in company.aliases and alias not in company.brands):
            return self
        updated = dataclasses.replace(company, aliases=tuple(a for a in company.aliases if a != alias),
                                      brands=tuple(b for b in company.brands if b != alias))
        return Registry({**self._by_id, company_id: updated}.values())

    def with_company(self, company: Company) -> Registry:
        """A new registry with `company` added (or replacing the record with the same id)."""
        return Registry({**self._by_id, company.id: company}.values())

    def get(self, company_id: str) -> Company | None:
        return self._by_id.get(company_id)

    def companies(self) -> list[Company]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, company_id: object) -> bool:
        return company_id in self._by_id


@cache
def _default_registry() -> Registry:
    text = resources.files("feeds").joinpath("data/companies.json").read_text(encoding="utf-8")
    return Registry.from_json(text)
