"""The one pipeline: articles -> extraction -> decisions -> events -> projections, and the review queue."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable

from events.envelope import NewEvent
from events.types import AliasAdded, DealConfirmed, DealRejected
from events.values import KINDS, STAGES
from feeds import decide as decider
from feeds import review as review_fold
from feeds.extract import Deal, extract
from feeds.registry import Company, Registry, company_id

if TYPE_CHECKING:
    from .bootstrap import Tracker


@dataclass
class ExtractSummary:
    """What one extraction run did."""

    articles: int = 0
    deals: int = 0
    events: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "deals": self.deals, "events": self.events, "queued": self.queued,
                "errors": self.errors}


class Pipeline:
    """Extraction and decision over archived articles, appending to the log."""

    def __init__(self, tracker: "Tracker") -> None:
        self.tracker = tracker
        self._registry: tuple[int, Registry] | None = None
        self._lock = threading.Lock()

    def registry(self) -> Registry:
        """The shipped registry plus every company and alias the log has learned (events win)."""
        version = self.tracker.queries.version()
        if self._registry and self._registry[0] == version:
            return self._registry[1]
        reg = Registry.default()
        for cid, c in self.tracker.queries.company_docs().items():
            known = reg.get(cid)
            if known is None:
                reg = reg.with_company(Company(cid, c["name"], c["name_zh"], tuple(c["aliases"]), c["country"], c["sector"]))
                continue
            for alias in c["aliases"]:
                if alias not in known.aliases and alias not in (known.name, known.name_zh):
                    reg = reg.with_alias(cid, alias)
        self._registry = (version, reg)
        return reg

    def _names(self, registry: Registry) -> dict[str, str]:
        return {c.id: c.name for c in registry.companies()}

    def extract_articles(self, articles: Iterable[dict[str, Any]]) -> ExtractSummary:
        """Extract, decide and append, article by article, so each decision sees the last."""
        summary = ExtractSummary()
        with self._lock:
            registry = self.registry()
            names = self._names(registry)
            threshold = self.tracker.settings.review_threshold
            for article in articles:
                summary.articles += 1
                item = {"id": article.get("id"), "published": _day(article.get("published")),
                        "title": article.get("title") or "", "summary": article.get("summary") or "",
                        "content": article.get("content") or "", "lang": article.get("lang")}
                deals = extract(item, registry)
                summary.deals += len(deals)
                if not deals:
                    continue
                model = self.tracker.queries.current()
                events = decider.decide(deals, article, alliances=model.alliances, known_companies=set(model.companies),
                                        registry=registry, threshold=threshold, names=names)
                before = self.tracker.store.last_position()
                self.tracker.store.append(events)
                summary.events += self.tracker.store.last_position() - before
                summary.queued += sum(1 for e in events if e.event.type_name == "DealQueued")
        self.tracker.projector.catch_up()
        return summary

    def reextract(self, since: date | None = None) -> ExtractSummary:
        """Run the current extractor over the archive; only what is new is appended."""
        articles = [a for a in self.tracker.feeds.articles()
                    if since is None or (_day(a.get("published")) or "") >= since.isoformat()]
        return self.extract_articles(articles)

    def poll_once(self, *, all: bool = False) -> dict[str, Any]:
        """Fetch, archive, extract, append, project — all before returning."""
        result = self.tracker.feeds.poll(all=all, on_articles=self.extract_articles)
        self.tracker.projector.catch_up()
        return result


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


class ReviewService:
    """The review queue's commands and listing; every decision is an event."""

    def __init__(self, tracker: "Tracker", pipeline: Pipeline) -> None:
        self.tracker = tracker
        self.pipeline = pipeline

    def _candidates(self) -> dict[str, review_fold.Candidate]:
        return review_fold.replay(self.tracker.store.read())

    def list(self, *, status: str = "pending") -> list[dict[str, Any]]:
        """Candidates with their evidence, newest first."""
        companies = self.tracker.queries.company_docs()
        names = {c.id: c for c in self.pipeline.registry().companies()}
        out = []
        for c in sorted(self._candidates().values(), key=lambda c: -c.position):
            if status != "all" and c.status != status:
                continue
            q = c.queued
            out.append({
                "candidate_id": c.candidate_id, "status": c.status,
                "parties": [_party(p, companies, names) for p in q.parties],
                "kind": q.kind, "stage": q.stage, "loi": q.loi, "date": q.date, "valid": c.valid,
                "confidence": q.confidence, "article_id": q.article_id,
                "citation": {k: getattr(q.citation, k) for k in ("publisher", "title", "url", "published", "evidence")},
            })
        return out

    def _pending(self, candidate_id: str) -> review_fold.Candidate:
        c = self._candidates().get(candidate_id)
        if c is None:
            raise ValueError(f"no candidate {candidate_id!r} in the review queue")
        if c.status != "pending":
            raise ValueError(f"candidate {candidate_id!r} was already {c.status}")
        return c

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        """Confirm (optionally corrected): the decision and the alliance event land in one append."""
        c = self._pending(candidate_id)
        registry = self.pipeline.registry()
        ids = tuple(sorted(self._resolve(p, registry) for p in parties)) if parties else c.queued.parties
        if len(set(ids)) < 2:
            raise ValueError("a deal needs two or more distinct parties")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {sorted(KINDS)}")
        if stage is not None and stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; one of {sorted(STAGES)}")
        q = c.queued
        valid = decider.FuzzyDate.parse(c.valid) if c.valid else None
        claim = decider.Claim(ids, kind or q.kind, stage or q.stage, q.loi, valid, 1.0, q.citation,  # type: ignore[arg-type]
                              f"{candidate_id}:confirmed", q.date is not None)
        model = self.tracker.queries.current()
        events: list[NewEvent] = [NewEvent(DealConfirmed(candidate_id, ids if parties else None, kind, stage, by),
                                           idempotency_key=f"review:{candidate_id}:decided")]
        events += decider.registrations(ids, set(model.companies), registry)
        events += decider.alliance_events(claim, model.alliances, self.pipeline._names(registry))
        self.tracker.store.append(events)
        self.tracker.projector.catch_up()

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        """Reject a candidate; nothing about any alliance changes."""
        self._pending(candidate_id)
        self.tracker.store.append([NewEvent(DealRejected(candidate_id, reason, by),
                                            idempotency_key=f"review:{candidate_id}:decided")])

    @staticmethod
    def _resolve(name_or_id: str, registry: Registry) -> str:
        cid = company_id(name_or_id)
        if registry.get(cid) is None:
            raise ValueError(f"unknown company {name_or_id!r}; add it to the registry first")
        return cid


def _party(cid: str, companies: dict[str, Any], registry: dict[str, Company]) -> dict[str, str]:
    c = companies.get(cid)
    if c is not None:
        return {"id": cid, "name": c["name"], "name_zh": c["name_zh"]}
    r = registry.get(cid)
    return {"id": cid, "name": r.name if r else cid, "name_zh": r.name_zh if r else ""}


def add_alias(tracker: "Tracker", pipeline: Pipeline, company: str, alias: str) -> None:
    """Teach the registry another name; extraction uses it from the next article on."""
    registry = pipeline.registry()
    cid = company_id(company)
    if registry.get(cid) is None:
        raise ValueError(f"unknown company {company!r}")
    events = decider.registrations([cid], set(tracker.queries.company_docs()), registry)
    events.append(NewEvent(AliasAdded(cid, alias.strip())))
    tracker.store.append(events)
    tracker.projector.catch_up()


__all__ = ["Pipeline", "ReviewService", "ExtractSummary", "add_alias", "Deal"]
