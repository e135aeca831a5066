"""The pipeline's service side: poll once (poll, then ingest what the outbox holds), the ingest job, the review
queue's commands and registry aliases. Every decision is made by pure code in feeds/; this module reads the
state it needs, appends each batch's events in one transaction and advances the projections once per batch."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from events.envelope import NewEvent
from events.projections.alliance import AllianceState
from events.store import EventStore
from events.types import AliasAdded, AliasRemoved, DealConfirmed, DealRejected
from events.values import KINDS, STAGES, FuzzyDate
from feeds import decide as decider
from feeds.alias_rules import alias_problem
from feeds.archive import Archive
from feeds.clock import Clock
from feeds.folded import TableReader, own_reader
from feeds.ingest import Article, decide_all, party_sets
from feeds.learned import Learned, LearnedReader
from feeds.poller import Poller, PollSummary
from feeds.pools import Pools
from feeds.registry import Company, Registry, company_id
from feeds.review import Candidate, stored_review_queue
from feeds.sources import FeedState

if TYPE_CHECKING:
    from feeds.extract import Deal

__all__ = ["ExtractSummary", "Ingestor", "ReviewService", "poll_once"]

log = logging.getLogger(__name__)
BATCH = 500
Progress = Callable[[int, int], None]  # (done so far, total): long commands draw a bar with it


@dataclass
class ExtractSummary:
    """What one ingest run did."""

    articles: int = 0
    deals: int = 0
    events: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: ExtractSummary) -> None:
        self.articles += other.articles
        self.deals += other.deals
        self.events += other.events
        self.queued += other.queued
        self.errors += other.errors

    def as_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "deals": self.deals, "events": self.events, "queued": self.queued,
                "errors": self.errors}


@dataclass
class Ports:
    """What the ingest job reads and advances (one object, so tests and the composition root wire it alike)."""

    store: EventStore
    archive: Archive
    feeds: Callable[[], Mapping[str, FeedState]]  # subscriptions, to label articles with their feed
    learned: LearnedReader  # the registry the log has taught (table `learned_companies`)
    # the alliances as they stand that have one of these party sets (by canonical id or by parties)
    alliances: Callable[[Iterable[frozenset[str]]], Mapping[str, AllianceState]]
    advance: Callable[[], object]  # bring the projections up to the log


class Ingestor:
    """Articles -> extraction (in the process pool) -> decisions -> one append per batch -> projections."""

    def __init__(self, ports: Ports, pools: Pools, clock: Clock, *, threshold: float = decider.DEFAULT_THRESHOLD,
                 batch: int = BATCH) -> None:
        self.ports = ports
        self.pools = pools
        self.clock = clock
        self.threshold = threshold
        self.batch = batch
        self._lock = threading.Lock()  # one ingest at a time per process: each batch sees the last one's events

    def learned(self) -> Learned:
        """The registry with everything the log taught it, and the companies the log has registered."""
        return self.ports.learned.state()

    def registry(self) -> Registry:
        return self.learned().registry

    def ingest(self, articles: Sequence[Article], progress: Progress | None = None) -> ExtractSummary:
        """Extract, decide and append, batch by batch; within a batch each decision sees the earlier ones."""
        batches = [articles[i:i + self.batch] for i in range(0, len(articles), self.batch)]
        done = 0

        def tick(batch: Sequence[Article], _summary: ExtractSummary) -> None:
            nonlocal done
            done += len(batch)
            if progress is not None:
                progress(done, len(articles))

        return self._run(iter(batches), tick)

    def drain(self, progress: Progress | None = None) -> tuple[int, str | None]:
        """Ingest the outbox batch by batch, marking each batch after its events are appended.

        Returns (articles ingested, error text); a failing batch stays pending and is offered again next time.
        """
        summary, error = self.drain_all(progress)
        return summary.articles, error

    def drain_all(self, progress: Progress | None = None, *,
                  whole_batches_while: Callable[[], bool] | None = None) -> tuple[ExtractSummary, str | None]:
        """`drain`, returning what the ingested batches did (deals, new events, queued) with the error text
        (`whole_batches_while`: only whole batches, and only while it answers True; the rest is for later)."""
        total = ExtractSummary()
        waiting = self.ports.archive.pending_count() if progress is not None and whole_batches_while is None else 0

        def mark(batch: Sequence[Article], summary: ExtractSummary) -> None:
            self.ports.archive.mark_processed((a.id for a in batch), self.clock())
            total.add(summary)
            if progress is not None:
                progress(total.articles, max(waiting, total.articles))

        try:
            self._run(self._outbox(whole_batches_while), mark)
        except Exception as e:  # noqa: BLE001 - the batch stays pending (idempotency keys make a repeat harmless)
            log.exception("ingest failed; the articles of the failed batch stay pending")
            self._give_back()
            return total, f"{type(e).__name__}: {e}"
        return total, None

    def _give_back(self) -> None:
        """Free this worker's claims on the failed batch, so the next drain (here or elsewhere) retries it."""
        try:
            self.ports.archive.release()
        except Exception:  # noqa: BLE001 - the claims lapse on their own after the lease
            log.exception("could not give back the outbox claims; they lapse after the lease")

    def reextract(self, since: date | None = None, progress: Progress | None = None) -> ExtractSummary:
        """Run the current extractor over the archive; only what is new is appended."""
        articles = [a for a in self.ports.archive.articles(self.ports.feeds())
                    if since is None or (a.day or "") >= since.isoformat()]
        return self.ingest(articles, progress)

    def _outbox(self, whole_batches_while: Callable[[], bool] | None = None) -> Iterator[list[Article]]:
        """Pending articles in outbox order, a claimed batch at a time (claimed, so other workers skip it and a
        batch can be read ahead); with `whole_batches_while`, only while it holds and a whole batch is there."""
        more = whole_batches_while
        while more is None or (more() and self.ports.archive.claimable(self.batch) >= self.batch):
            page = self.ports.archive.claim(self.ports.feeds(), self.batch)
            if not page:
                return
            yield page

    def _run(self, batches: Iterator[Sequence[Article]],
             done: Callable[[Sequence[Article], ExtractSummary], None]) -> ExtractSummary:
        """Each batch is extracted while the one before it is decided, appended and projected."""
        total = ExtractSummary()
        with self._lock:
            batch = next(batches, None)
            deals = self.pools.extract(batch, self.registry()) if batch else None
            while batch is not None and deals is not None:
                following = next(batches, None)
                ahead = self.pools.extract(following, self.registry()) if following else None
                summary = self._decide(batch, deals())
                total.add(summary)
                done(batch, summary)
                batch, deals = following, ahead
        return total

    def _decide(self, articles: Sequence[Article], deals: list[list[Deal]]) -> ExtractSummary:
        """Decide and append under a lock all workers share: each decision sees every earlier batch's events,
        wherever they were appended (extraction, the costly part, runs outside it)."""
        with self.ports.store.exclusive("ingest-decide"):
            learned = self.learned()
            wanted = self.ports.alliances(party_sets(articles, deals))
            decided = decide_all(articles, deals, learned.registry, wanted, self.clock().date(),
                                 companies=learned.registered, threshold=self.threshold)
            before = self.ports.store.last_position()
            stored = self.ports.store.append(decided.events)
        self.ports.advance()
        return ExtractSummary(len(articles), decided.deals, sum(1 for r in stored if r.position > before),
                              decided.queued)


def poll_once(poller: Poller, pipeline: Ingestor, *, all: bool = False,  # noqa: A002 - the CLI's word
              only: Collection[str] | None = None, polled: Progress | None = None,
              extracted: Progress | None = None) -> PollSummary:
    """The whole pipeline once: fetch and archive, ingest what the outbox holds, project (reporting progress
    of each step to `polled` and `extracted`, if given). Whole batches are ingested while the poll goes on."""
    started = time.monotonic()
    with _Draining(pipeline, extracted) as draining:
        summary = poller.poll(all=all, only=only, progress=draining.heard(polled))
    handed, error = draining.rest()
    pipeline.ports.advance()
    return replace(summary, handed_off=handed, handoff_error=error, elapsed_s=time.monotonic() - started)


class _Draining:
    """Ingests the outbox a whole batch at a time while a poll archives articles (a thread woken after each stored
    round of fetches), then the rest when the poll is over: deciding, appending and projecting a batch overlap
    the fetching and parsing of later feeds instead of waiting for the last of them.

    An in-memory SQLite database is one connection per thread, invisible to another: there the outbox is
    ingested only after the poll, in the caller's thread. A failing batch stops the ingest (it stays pending)."""

    def __init__(self, pipeline: Ingestor, progress: Progress | None) -> None:
        self.pipeline = pipeline
        self.progress = progress
        self.total = ExtractSummary()
        self.error: str | None = None
        self._wake = threading.Event()
        self._polling = True
        self._thread: threading.Thread | None = None
        if _shared(pipeline.ports.store):
            self._thread = threading.Thread(target=self._follow, name="ingest-while-polling", daemon=True)

    def __enter__(self) -> _Draining:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._polling = False
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def heard(self, polled: Progress | None) -> Progress:
        """The poll's progress callback: passes the news on, and wakes the ingest (another round is stored)."""
        def tell(done: int, of: int) -> None:
            self._wake.set()
            if polled is not None:
                polled(done, of)

        return tell

    def _follow(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if not self._polling:
                return
            self._drain(lambda: self._polling)  # stops between batches once the poll is over
            if self.error is not None:
                return

    def _drain(self, whole_batches_while: Callable[[], bool] | None) -> None:
        base = self.total.articles

        def moved(done: int, of: int) -> None:
            if self.progress is not None:
                self.progress(base + done, base + of)

        summary, self.error = self.pipeline.drain_all(moved if self.progress else None,
                                                      whole_batches_while=whole_batches_while)
        self.total.add(summary)

    def rest(self) -> tuple[int, str | None]:
        """After the poll: ingest what is left (unless a batch failed), then (articles ingested, error text)."""
        if self.error is None:
            self._drain(None)
        return self.total.articles, self.error


def _shared(store: EventStore) -> bool:
    """Whether every connection of the store sees the same database (not an in-memory SQLite one)."""
    if store.is_postgres:
        return True
    path = store.engine.url.database
    return bool(path) and path != ":memory:" and not str(path).startswith("file:")


class ReviewService:
    """The review queue's commands and listing; every decision is an event."""

    def __init__(self, pipeline: Ingestor, companies: Callable[[], Mapping[str, Any]],
                 queue: TableReader[Candidate] | None = None) -> None:
        self.pipeline = pipeline
        self.ports = pipeline.ports
        self.companies = companies  # the log's companies by id, for names (states or read-model documents)
        self.queue = queue or own_reader(self.ports.store, stored_review_queue())  # table `review_queue`

    def _candidates(self) -> dict[str, Candidate]:
        return self.queue.state()

    def candidates(self, *, status: str = "pending") -> list[dict[str, Any]]:
        """Candidates with their evidence, newest first ('all' for every status)."""
        companies, registry = self.companies(), self.pipeline.registry()
        found = sorted(self._candidates().values(), key=lambda c: -c.position)
        return [_candidate_json(c, companies, registry) for c in found if status == "all" or c.status == status]

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        """Confirmed and rejected candidates, the latest decision first: who decided what, when."""
        companies, registry = self.companies(), self.pipeline.registry()
        decided = sorted((c for c in self._candidates().values() if c.status != "pending"),
                         key=lambda c: -c.decided_position)[:limit]
        return [_candidate_json(c, companies, registry) for c in decided]

    def _pending(self, candidate_id: str) -> Candidate:
        c = self.queue.get(candidate_id)
        if c is None:
            raise ValueError(f"no candidate {candidate_id!r} in the review queue")
        if c.status != "pending":
            raise ValueError(f"candidate {candidate_id!r} was already {c.status}")
        return c

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        """Confirm (optionally corrected): the decision and the alliance event land in one append."""
        c = self._pending(candidate_id)
        learned = self.pipeline.learned()
        ids = tuple(sorted(_resolve(p, learned.registry) for p in parties)) if parties else c.queued.parties
        _check_correction(ids, kind, stage)
        q = c.queued
        valid = FuzzyDate.parse(c.valid) if c.valid else None
        claim = decider.Claim(ids, kind or q.kind, stage or q.stage, q.loi, valid, 1.0, q.citation,  # type: ignore[arg-type]
                              f"{candidate_id}:confirmed", q.date is not None)
        names = {co.id: co.name for co in learned.registry.companies()}
        events: list[NewEvent] = [NewEvent(DealConfirmed(candidate_id, ids if parties else None, kind, stage, by),
                                           idempotency_key=f"review:{candidate_id}:decided")]
        events += decider.registrations(ids, set(learned.registered), learned.registry)
        events += decider.alliance_events(claim, self.ports.alliances([frozenset(ids)]), names)
        self.ports.store.append(events)
        self.ports.advance()

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        """Reject a candidate; nothing about any alliance changes."""
        self._pending(candidate_id)
        self.ports.store.append([NewEvent(DealRejected(candidate_id, reason, by),
                                          idempotency_key=f"review:{candidate_id}:decided")])


def add_alias(pipeline: Ingestor, company: str, alias: str) -> None:
    """Teach the registry another name (an AliasAdded event); extraction uses it from the next batch on.

    Common words and too-short names are refused (ValueError): an alias matches in every article.
    """
    learned = pipeline.learned()
    cid = _known_company(learned.registry, company)
    problem = alias_problem(alias, cid, learned.registry)
    if problem:
        raise ValueError(problem)
    _append_alias_event(pipeline, learned, cid, AliasAdded(cid, " ".join(alias.split())))


def remove_alias(pipeline: Ingestor, company: str, alias: str) -> None:
    """Withdraw a name from the registry (an AliasRemoved event); extraction stops using it at once."""
    learned = pipeline.learned()
    cid = _known_company(learned.registry, company)
    name = " ".join(alias.split())
    known = learned.registry.get(cid)
    if not (known and (name in known.aliases or name in known.brands)):
        raise ValueError(f"{name!r} is not an alias of {company!r}")
    _append_alias_event(pipeline, learned, cid, AliasRemoved(cid, name))


def _known_company(registry: Registry, company: str) -> str:
    cid = company_id(company)
    if registry.get(cid) is None:
        raise ValueError(f"unknown company {company!r}")
    return cid


def _append_alias_event(pipeline: Ingestor, learned: Learned, cid: str, event: AliasAdded | AliasRemoved) -> None:
    events = decider.registrations([cid], set(learned.registered), learned.registry)
    events.append(NewEvent(event))
    pipeline.ports.store.append(events)
    pipeline.ports.advance()



def _resolve(name_or_id: str, registry: Registry) -> str:
    cid = company_id(name_or_id)
    if registry.get(cid) is None:
        raise ValueError(f"unknown company {name_or_id!r}; add it to the registry first")
    return cid


def _check_correction(ids: tuple[str, ...], kind: str | None, stage: str | None) -> None:
    if len(set(ids)) < 2:
        raise ValueError("a deal needs two or more distinct parties")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {sorted(KINDS)}")
    if stage is not None and stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {sorted(STAGES)}")


def _candidate_json(c: Candidate, companies: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    q = c.queued
    return {
        "candidate_id": c.candidate_id, "status": c.status,
        "parties": [_party(p, companies, registry) for p in q.parties],
        "kind": q.kind, "stage": q.stage, "loi": q.loi, "date": q.date, "valid": c.valid,
        "confidence": q.confidence, "article_id": q.article_id,
        "citation": {k: getattr(q.citation, k) for k in ("publisher", "title", "url", "published", "evidence")},
        "decided_by": c.decided_by or None, "decided_at": c.decided_at or None, "reason": c.reason or None,
        "corrected": _corrected(c.corrected, companies, registry),
    }


def _corrected(fixes: Mapping[str, Any] | None, companies: Mapping[str, Any], registry: Registry) -> Any:
    """A confirmation's corrections, corrected parties with their names."""
    if not fixes:
        return None
    out = dict(fixes)
    if "parties" in out:
        out["parties"] = [_party(p, companies, registry) for p in out["parties"]]
    return out


def _party(cid: str, companies: Mapping[str, Any], registry: Registry) -> dict[str, str]:
    c = companies.get(cid)  # a company state or a read-model document
    if c is not None:
        doc = c if isinstance(c, Mapping) else {"name": c.name, "name_zh": c.name_zh}
        return {"id": cid, "name": doc["name"], "name_zh": doc["name_zh"]}
    r: Company | None = registry.get(cid)
    return {"id": cid, "name": r.name if r else cid, "name_zh": r.name_zh if r else ""}
