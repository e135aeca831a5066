"""Deciding what an extracted deal means for the log: a pure function from claims and state to events.

new parties            -> AllianceReported (a new alliance)
known parties, news    -> StageChanged (a new stage or a new kind of cooperation)
known parties, same    -> AllianceCorroborated (a further source, never a second alliance)
known, earlier stage   -> AllianceCorroborated, marked as a report of an earlier stage: stages never
                          silently go backwards ("agreement signed" after "established")
known, ended           -> StageChanged to "ended" on an explicit reversal ("talks collapsed", 终止)
contradiction          -> DealQueued: a live stage reported for an alliance that has ended
same article again     -> nothing (the idempotency keys derive from the article and the claim)
an alliance's own name -> AllianceNamed (HIMA/鸿蒙智行, Horse Powertrain), once per alliance and name
low confidence         -> DealQueued (the review queue; no alliance changes until a person decides)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from events.envelope import NewEvent
from events.projections.alliance import AllianceState
from events.types import (
    AllianceCorroborated,
    AllianceNamed,
    AllianceReported,
    CompanyRegistered,
    DealQueued,
    StageChanged,
)
from events.values import Citation, FuzzyDate, Precision

from .registry import Registry, company_id

if TYPE_CHECKING:  # extraction is imported only where it runs (a poll of unchanged feeds needs none)
    from .extract import Deal

DEFAULT_THRESHOLD = 0.6
# How far along its life an alliance is; expansion and production both come after establishment.
_PROGRESS = {"talks": 0, "agreement_signed": 1, "established": 2, "production": 3, "expanded": 3, "ended": 4}


def is_earlier_stage(stage: str, current: str | None) -> bool:
    """A live stage before the alliance's current live stage: news of the past, not a move back."""
    if current is None or current == "ended" or stage == "ended":
        return False
    return _PROGRESS.get(stage, 0) < _PROGRESS.get(current, 0)


def contradicts(stage: str, current: str | None) -> bool:
    """A live stage reported for an alliance that has ended: a revival or a mistake, for a person to say."""
    return current == "ended" and stage != "ended"


@dataclass(frozen=True, slots=True)
class Claim:
    """A deal in the log's vocabulary: company ids, a fuzzy date and its source."""

    parties: tuple[str, ...]
    kind: str
    stage: str
    loi: bool
    valid: FuzzyDate
    confidence: float
    citation: Citation
    key: str  # stable identity of (article, claim)
    date_given: bool = True


def citation_for(article: Mapping[str, Any], evidence: str) -> Citation:
    """Cite an archived article: publisher (feed title or host), title, URL, date, evidence."""
    url = article.get("url") or None
    publisher = article.get("feed_title") or (urlsplit(url).hostname if url else None) or "unknown source"
    return Citation(
        publisher=publisher,
        title=article.get("title") or "(untitled)",
        url=url,
        published=_day(article.get("published")),
        evidence=evidence[:400] or None,
        feed=article.get("feed_url") or None,
    )


def _day(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return text[:10]


def claim_of(deal: Deal, article: Mapping[str, Any], today: date | None = None) -> Claim:
    """Translate an extracted deal; a deal without a date is dated by its article (as of publication), an
    undated article by `today` (from the caller's injected clock)."""
    ids = tuple(sorted(company_id(p) for p in deal.parties))
    published = _day(article.get("published")) or (today.isoformat() if today else None)
    if published is None:
        raise ValueError("an article without a publication date needs today's date (pass `today`)")
    valid = FuzzyDate.parse(deal.date) if deal.date else FuzzyDate(date.fromisoformat(published), Precision.DAY)
    ident = "|".join((str(article.get("id")), ",".join(ids), deal.kind, deal.stage, str(deal.loi), deal.date or ""))
    key = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return Claim(
        ids,
        deal.kind,
        deal.stage,
        deal.loi,
        valid,
        deal.confidence,
        citation_for(article, deal.evidence),
        key,
        deal.date is not None,
    )


def registrations(parties: Iterable[str], known: set[str], registry: Registry) -> list[NewEvent]:
    """CompanyRegistered for parties the log does not know yet (from the registry's data)."""
    out = []
    for cid in parties:
        c = registry.get(cid)
        if cid in known or c is None:
            continue
        ev = CompanyRegistered(
            cid, c.name, c.name_zh, tuple(dict.fromkeys((*c.aliases, *c.brands))), c.country, c.sector
        )
        out.append(NewEvent(ev, idempotency_key=f"registry:company:{cid}"))
        known.add(cid)
    return out


def find_alliance(parties: tuple[str, ...], alliances: Mapping[str, AllianceState]) -> AllianceState | None:
    """The reported alliance with exactly these parties (the canonical id first)."""
    canonical = alliances.get(alliance_id_for(parties))
    if canonical is not None and canonical.reported:
        return canonical
    wanted = set(parties)
    for st in alliances.values():
        if st.reported and set(st.parties) == wanted:
            return st
    return None


def alliance_id_for(parties: Iterable[str]) -> str:
    return "--".join(sorted(set(parties)))


def _summary(c: Claim, names: Mapping[str, str]) -> str:
    who = " and ".join(names.get(p, p) for p in c.parties)
    what = c.kind.replace("_", " ")
    stage = "letter of intent signed" if c.loi and c.stage == "agreement_signed" else c.stage.replace("_", " ")
    when = "" if c.date_given else " (no date in the text; dated by publication)"
    return f"{who}: {what}, {stage}, per {c.citation.publisher}{when}"


def alliance_events(
    c: Claim, alliances: Mapping[str, AllianceState], names: Mapping[str, str] | None = None
) -> list[NewEvent]:
    """The alliance event a confident claim becomes, given the alliances as they stand."""
    names = names or {}
    existing = find_alliance(c.parties, alliances)
    summary = _summary(c, names)
    if existing is None:
        ev: Any = AllianceReported(
            alliance_id_for(c.parties),
            c.parties,
            c.kind,
            c.stage,
            c.citation,
            loi=c.loi,
            confidence=c.confidence,
            summary=summary,
        )
        return [NewEvent(ev, c.valid, f"claim:{c.key}:reported")]
    if any(e.citation and c.citation.url and e.citation.get("url") == c.citation.url for e in existing.entries):
        same = [e for e in existing.entries if e.citation and e.citation.get("url") == c.citation.url]
        if any(e.stage == c.stage and (e.kind in (None, c.kind)) for e in same):
            return []  # this source already said exactly this
    latest = max((e for e in existing.entries if e.stage), key=lambda e: e.sort_key, default=None)
    if c.stage == existing.stage and c.kind in existing.kinds and c.loi == existing.loi:
        ev = AllianceCorroborated(
            existing.alliance_id, c.citation, corroborates=latest.key if latest else None, summary=summary
        )
        return [NewEvent(ev, c.valid, f"claim:{c.key}:corroborated")]
    if is_earlier_stage(c.stage, existing.stage):
        note = (
            f"{summary} — reports an earlier stage ({c.stage.replace('_', ' ')}) than the alliance's "
            f"current one ({(existing.stage or '').replace('_', ' ')}): recorded as a corroboration; the stage stays"
        )
        ev = AllianceCorroborated(
            existing.alliance_id, c.citation, corroborates=latest.key if latest else None, summary=note
        )
        return [NewEvent(ev, c.valid, f"claim:{c.key}:corroborated")]
    ev = StageChanged(
        existing.alliance_id,
        c.stage,
        c.citation,
        loi=c.loi,
        kind=None if c.kind in existing.kinds else c.kind,
        confidence=c.confidence,
        summary=summary,
    )
    return [NewEvent(ev, c.valid, f"claim:{c.key}:stage")]


def queued(c: Claim, article_id: str | None) -> NewEvent:
    """A claim below the confidence threshold, waiting for a person."""
    ev = DealQueued(
        candidate_id=c.key,
        parties=c.parties,
        kind=c.kind,
        stage=c.stage,
        citation=c.citation,
        loi=c.loi,
        date=str(c.valid) if c.date_given else None,
        confidence=c.confidence,
        article_id=article_id,
    )
    return NewEvent(ev, c.valid, f"claim:{c.key}:queued")


def _names(article: Mapping[str, Any]) -> tuple[tuple[str, frozenset[str]], ...]:
    return _names_in(" ".join(str(article.get(k) or "") for k in ("title", "summary", "content")))


@lru_cache(maxsize=1024)
def _names_in(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Asked twice per article (the party sets to look up, then the name events): answered once."""
    from .extract import alliance_names  # imported where it runs, like the rest of extraction
    from .extract.normalize import normalize

    return tuple(alliance_names(normalize(text)))


def party_sets(deals: Iterable[Deal], article: Mapping[str, Any]) -> set[frozenset[str]]:
    """The party sets (company ids) a decision about this article can look up: its deals' and those of the
    alliance names it uses. The caller hands the decider the alliances with exactly these sets."""
    found = {frozenset(company_id(p) for p in d.parties) for d in deals}
    return found | {frozenset(parties) for _, parties in _names(article)}


def name_events(article: Mapping[str, Any], alliances: Mapping[str, AllianceState]) -> list[NewEvent]:
    """AllianceNamed for each alliance name the article uses whose alliance (exactly its parties)
    is in the log and does not carry that name yet."""
    out = []
    for name, parties in _names(article):
        st = find_alliance(tuple(sorted(parties)), alliances)
        if st is None or name in st.names:
            continue
        ev = AllianceNamed(st.alliance_id, name, citation_for(article, name))
        out.append(NewEvent(ev, None, f"alliance-name:{st.alliance_id}:{name.casefold()}"))
    return out


def decide(
    deals: Iterable[Deal],
    article: Mapping[str, Any],
    *,
    alliances: Mapping[str, AllianceState],
    known_companies: set[str],
    registry: Registry,
    threshold: float = DEFAULT_THRESHOLD,
    names: Mapping[str, str] | None = None,
    today: date | None = None,
) -> list[NewEvent]:
    """Events for one article's deals. Pure: the caller appends them and folds before the next article."""
    out: list[NewEvent] = []
    working = dict(alliances)
    for deal in deals:
        c = claim_of(deal, article, today)
        out += registrations(c.parties, known_companies, registry)
        existing = find_alliance(c.parties, working)
        if c.confidence < threshold or (existing is not None and contradicts(c.stage, existing.stage)):
            out.append(queued(c, str(article.get("id")) if article.get("id") is not None else None))
            continue
        evs = alliance_events(c, working, names)
        out += evs
        for n in evs:  # a second deal of the same article must see the first
            if isinstance(n.event, AllianceReported):
                working[n.event.alliance_id] = AllianceState(
                    n.event.alliance_id,
                    parties=n.event.parties,
                    kinds=(n.event.kind,),
                    stage=n.event.stage,
                    reported=True,
                )
    return out + name_events(article, working)
