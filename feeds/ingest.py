"""Batched ingest: archived articles in, the events they mean out. Pure: no I/O, no clock.

    extract_all(articles, registry)             -> deals per article (the CPU-heavy part; parallelisable)
    decide_all(articles, deals, registry, ...)  -> events, each decision seeing the earlier ones of the batch
    ingest(articles, registry, alliances, today) = decide_all over extract_all

The caller appends a whole batch in one transaction and advances the projections once per batch;
the idempotency keys (derived from article and claim) make a repeated batch harmless.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from events.envelope import NewEvent, Recorded
from events.projections import alliance as alliance_proj
from events.projections.alliance import AllianceState

from . import decide as decider
from .registry import Registry, company_id

if TYPE_CHECKING:
    from .extract import Deal

__all__ = ["Article", "Ingested", "decide_all", "extract_all", "ingest", "party_sets"]


@dataclass(frozen=True, slots=True)
class Article:
    """One archived article version, as extraction and the CLI see it."""

    id: str
    feed_id: str
    url: str | None
    title: str
    summary: str
    content: str
    lang: str | None
    published: str  # UTC ISO stamp; the fetch time when the feed gave none (then `published_estimated`)
    fetched_at: str
    version: int = 1
    content_hash: str = ""
    published_estimated: bool = False
    feed_url: str | None = None
    feed_title: str | None = None

    @property
    def day(self) -> str | None:
        """The publication day, YYYY-MM-DD."""
        return self.published[:10] or None

    def item(self) -> dict[str, Any]:
        """The extractor's input shape."""
        return {"id": self.id, "published": self.day, "title": self.title, "summary": self.summary,
                "content": self.content, "lang": self.lang}

    def source(self) -> dict[str, Any]:
        """What the decider cites (feed title or host as publisher, title, URL, date) and reads for venture names."""
        return {"id": self.id, "url": self.url, "title": self.title, "published": self.published,
                "feed_title": self.feed_title, "feed_url": self.feed_url, "summary": self.summary,
                "content": self.content}

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (`alliances articles --json`)."""
        return {"id": self.id, "feed_id": self.feed_id, "feed_url": self.feed_url, "feed_title": self.feed_title,
                "url": self.url, "title": self.title, "summary": self.summary, "content": self.content,
                "lang": self.lang, "published": self.published, "published_estimated": self.published_estimated,
                "fetched_at": self.fetched_at, "version": self.version, "content_hash": self.content_hash}


@dataclass(frozen=True, slots=True)
class Ingested:
    """A batch's outcome before it is appended."""

    events: list[NewEvent]
    deals: int

    @property
    def queued(self) -> int:
        return sum(1 for n in self.events if n.event.type_name == "DealQueued")


def extract_all(articles: Iterable[Article], registry: Registry) -> list[list[Deal]]:
    """The deals each article reports (pure; the order of `articles` is kept)."""
    from .extract import extract  # imported on first use: compiling the lexicons costs start-up time

    return [extract(a.item(), registry) for a in articles]


def decide_all(articles: Sequence[Article], deals: Sequence[Sequence[Deal]], registry: Registry,
               alliances: Mapping[str, AllianceState], today: date, *, companies: Collection[str] = (),
               threshold: float = decider.DEFAULT_THRESHOLD) -> Ingested:
    """Events for a batch, article by article; each decision sees the alliances as the earlier ones left them."""
    working = _Working(alliances)
    known = set(companies)
    names = {c.id: c.name for c in registry.companies()}
    out: list[NewEvent] = []
    for article, found in zip(articles, deals, strict=True):
        if not found:  # no deal, but it may still name a known venture (HIMA, 零跑国际)
            named = decider.name_events(article.source(), working.view())
            working.absorb(named)
            out += named
            continue
        events = decider.decide(found, article.source(), alliances=working.relevant(found), known_companies=known,
                                registry=registry, threshold=threshold, names=names, today=today)
        working.absorb(events)
        out += events
    return Ingested(out, sum(len(d) for d in deals))


def party_sets(articles: Sequence[Article], deals: Sequence[Sequence[Deal]]) -> set[frozenset[str]]:
    """Every party set a batch's decisions can look up: `decide_all` needs only the alliances with these sets
    (by canonical id or by parties), not every alliance."""
    out: set[frozenset[str]] = set()
    for article, found in zip(articles, deals, strict=True):
        out |= decider.party_sets(found, article.source())
    return out


def ingest(articles: Sequence[Article], registry: Registry, alliances: Mapping[str, AllianceState], today: date,
           *, companies: Collection[str] = (), threshold: float = decider.DEFAULT_THRESHOLD) -> list[NewEvent]:
    """The new events a batch of articles means, given the alliances as they stand and today's date."""
    found = extract_all(articles, registry)
    return decide_all(articles, found, registry, alliances, today, companies=companies, threshold=threshold).events


class _Working:
    """The alliances as the batch so far leaves them: emitted alliance events folded with the projection's own
    fold, at provisional positions (a key already folded in this batch is not folded twice).

    The decider only ever looks at the alliance with a deal's canonical id or with exactly its parties, so it is
    handed just those (an index by party set), not a copy of every alliance per article."""

    def __init__(self, alliances: Mapping[str, AllianceState]) -> None:
        self.alliances = alliances
        self.changed: dict[str, AllianceState] = {}
        self._view = ChainMap(self.changed, cast("dict[str, AllianceState]", alliances))  # read-only use, no copy
        self._by_parties: dict[frozenset[str], set[str]] = {}
        for aid, st in alliances.items():
            self._by_parties.setdefault(frozenset(st.parties), set()).add(aid)
        self._keys: set[str] = set()
        self._position = 1 << 60  # after anything stored; only the order within the batch matters

    def get(self, aid: str) -> AllianceState | None:
        return self.changed.get(aid) or self.alliances.get(aid)

    def view(self) -> Mapping[str, AllianceState]:
        """Every alliance as the batch leaves it (for the rare full lookups: names of ventures)."""
        return self._view

    def relevant(self, deals: Iterable[Deal]) -> dict[str, AllianceState]:
        """Every alliance the decider could match for these deals (canonical id or same party set)."""
        out: dict[str, AllianceState] = {}
        for deal in deals:
            ids = frozenset(company_id(p) for p in deal.parties)
            for aid in (decider.alliance_id_for(ids), *self._by_parties.get(ids, ())):
                st = self.get(aid)
                if st is not None:
                    out[aid] = st
        return out

    def absorb(self, events: Iterable[NewEvent]) -> None:
        for n in events:
            aid = getattr(n.event, "alliance_id", None)
            if aid is None or n.event.type_name not in alliance_proj.ALLIANCE_EVENT_TYPES:
                continue
            key = n.idempotency_key or f"{n.event.type_name}:{id(n)}"
            if key in self._keys:
                continue
            self._keys.add(key)
            self._position += 1
            before = self.get(aid)
            after = self.changed[aid] = alliance_proj.fold(before, self._recorded(n, key))
            if before is not None and before.parties != after.parties:
                self._by_parties.get(frozenset(before.parties), set()).discard(aid)
            self._by_parties.setdefault(frozenset(after.parties), set()).add(aid)

    def _recorded(self, n: NewEvent, key: str) -> Recorded:
        return Recorded(self._position, n.stream, 0, n.event.type_name, n.event.schema_version, n.event, n.valid,
                        "", key, None, "", "")
