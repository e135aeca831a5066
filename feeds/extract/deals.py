"""Turn a news item into deals: mentions -> party groups per clause/sentence -> cues -> Deal.

Pairing: parties are grouped per clause when a clause names two or more companies
("Mercedes with Momenta, Volkswagen with Horizon" gives two deals), otherwise per
sentence. A group that is just the union of smaller groups found elsewhere in the item
(a headline listing everyone) is dropped in favour of the smaller ones. Sentences that
name fewer than two companies but refer back to them ("双方", "the venture") lend their
cues to the nearest group.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from feeds.registry import Registry
from . import lexicon
from .dates import EventDate, find_dates
from .hedges import veto
from .mentions import Mention, matcher_for
from .model import Deal
from .normalize import normalize
from .segment import Span, clauses, sentences

__all__ = ["extract"]

_STAGE_RANK = {s: i for i, s in enumerate(lexicon.STAGES)}
_KIND_RANK = {k: i for i, k in enumerate(lexicon.KINDS)}


@dataclass(slots=True)
class _Unit:
    """A clause or sentence that carries evidence, with its cues and dates."""

    span: Span
    sentence: int
    title: bool
    cues: lexicon.UnitCues
    dates: list[EventDate]
    parties: frozenset[str]


@dataclass(slots=True)
class _Group:
    """Candidate deal: a set of parties and the units that speak about them."""

    parties: frozenset[str]
    units: list[_Unit] = field(default_factory=list)
    same_clause: bool = False
    background: bool = False  # formed only in sentences recalling earlier history


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _ids(mentions: list[Mention], span: Span) -> frozenset[str]:
    return frozenset(m.company_id for m in mentions if span.start <= m.start < span.end)


def _clause_spans(text: str, sentence: Span, mentions: list[Mention]) -> list[Span]:
    """Clauses, with bare list items ("Chery, Huawei and CATL") merged into what follows."""
    spans = clauses(text, sentence)
    merged: list[Span] = []
    carry: int | None = None
    for span in spans:
        start = span.start if carry is None else carry
        rest = text[span.start:span.end]
        for m in mentions:
            if span.start <= m.start < span.end:
                rest = rest.replace(m.surface, " ")
        if _ids(mentions, span) and not rest.strip(" 、和与及and&").strip():
            carry = start
            continue
        merged.append(Span(start, span.end))
        carry = None
    if carry is not None:
        merged.append(Span(carry, sentence.end))
    return merged


def _groups_for_sentence(text: str, index: int, title: bool, sentence: Span, mentions: list[Mention],
                         published: dt.date, anchor: str | None) -> tuple[list[_Group], list[_Unit], str | None]:
    """Groups formed in one sentence, plus its party-poor units that may refer back."""
    dates = find_dates(text, sentence.start, sentence.end, published, anchor) if published else []
    if dates:
        anchor = dates[-1].value
    if veto(text[sentence.start:sentence.end]):
        return [], [], anchor
    background = bool(lexicon.BACKGROUND.search(text, sentence.start, sentence.end))
    units = []
    for span in _clause_spans(text, sentence, mentions):
        cues = lexicon.scan(text[span.start:span.end])
        units.append(_Unit(span, index, title, cues, [d for d in dates if span.start <= d.start < span.end],
                           _ids(mentions, span)))
    all_parties = _ids(mentions, sentence)
    hub_pairs = _distributive_pairs(text, sentence, units, mentions, all_parties)
    if hub_pairs:
        groups = [_Group(pair, list(units), False) for pair in hub_pairs]
        for g in groups:
            g.background = background
        return groups, [], anchor
    groups = [_Group(u.parties, [u], True) for u in units if len(u.parties) >= 2]
    if not groups and len(all_parties) >= 2:
        groups = [_Group(all_parties, list(units), False)]
    for g in groups:
        g.background = background
    if groups and not groups[0].same_clause:
        return groups, [], anchor
    subject = next((m.company_id for m in mentions if sentence.start <= m.start < sentence.end), None)
    for unit in units:
        if len(unit.parties) >= 2:
            continue
        owners = [g for g in groups if unit.parties <= g.parties] if unit.parties else groups
        previous = [g for g in groups if g.same_clause and g.units[0].span.start < unit.span.start]
        if not owners and len(unit.parties) == 1 and unit.cues.kinds and previous \
                and lexicon.ALSO.search(text, unit.span.start, unit.span.end):
            # "Nissan will invest in Ampere, and Mitsubishi will also take a stake": the newcomer
            # takes the place of the previous clause's subject.
            before = previous[-1]
            first = next(m.company_id for m in mentions if before.units[0].span.start <= m.start)
            groups.append(_Group((before.parties - {first}) | unit.parties, [unit], True))
            continue
        if not owners and unit.parties and unit.cues.kinds and unit.cues.stages and subject not in unit.parties \
                and not any(u.cues.kinds for g in groups for u in g.units):
            # "Momenta, backed by SAIC and Toyota, signed a deal with Mercedes": the clause's
            # lone party pairs with the sentence subject, not with the appositive's companies.
            pair = _Group(unit.parties | {subject}, [unit], False)
            groups.append(pair)
            continue
        for g in owners:
            g.units.append(unit)
    loose = []
    if not groups:
        sentence_cues = lexicon.scan(text[sentence.start:sentence.end])
        if not sentence_cues.empty and lexicon.REFERENCE.search(text, sentence.start, sentence.end):
            loose.append(_Unit(sentence, index, title, sentence_cues, dates, all_parties))
    return groups, loose, anchor


def _distributive_pairs(text: str, sentence: Span, units: list[_Unit], mentions: list[Mention],
                        parties: frozenset[str]) -> list[frozenset[str]]:
    """'小米的电池分别由宁德时代和弗迪供应' -> Xiaomi-CATL and Xiaomi-BYD, not CATL-BYD."""
    if len(parties) < 3 or not lexicon.DISTRIBUTIVE.search(text, sentence.start, sentence.end):
        return []
    ordered = list(dict.fromkeys(m.company_id for m in mentions if sentence.start <= m.start < sentence.end))
    hub_marker = lexicon.HUB_AFTER.search(text, sentence.start, sentence.end)
    if hub_marker:
        before = list(dict.fromkeys(m.company_id for m in mentions if sentence.start <= m.start < hub_marker.start()))
        after = list(dict.fromkeys(m.company_id for m in mentions if hub_marker.end() <= m.start < sentence.end))
        # "A分别与B、C签署" -> hub A; "A和B分别与C签署" -> hub C
        hub = before[0] if len(before) == 1 else (after[0] if len(after) == 1 else None)
    else:
        marked = next((u for u in units if lexicon.DISTRIBUTIVE.search(text, u.span.start, u.span.end)), None)
        hub = next((p for p in ordered if marked is None or p not in marked.parties), None)
    if hub is None:
        return []
    return [frozenset((hub, p)) for p in ordered if p != hub]


def _merge(groups: list[_Group]) -> list[_Group]:
    by_parties: dict[frozenset[str], _Group] = {}
    for g in groups:
        if g.parties in by_parties:
            kept = by_parties[g.parties]
            kept.units.extend(g.units)
            kept.same_clause = kept.same_clause or g.same_clause
            kept.background = kept.background and g.background
        else:
            by_parties[g.parties] = _Group(g.parties, list(g.units), g.same_clause, g.background)
    merged = [g for g in by_parties.values() if not g.background]
    result = []
    for g in merged:
        subsets = [h.parties for h in merged if h.parties < g.parties]
        if len(subsets) >= 2 and frozenset().union(*subsets) == g.parties:
            continue  # a headline naming everyone; the specific groups carry the deals
        if all(u.title for u in g.units) and any(g.parties < h.parties for h in merged):
            continue  # a headline naming only some of the parties the body lists
        result.append(g)
    return result


def _decide(group: _Group, names: dict[str, str], raw: str) -> Deal | None:
    """The deal a party group reports, or None when nothing names a deal kind."""
    kinds: set[str] = set()
    loi = False
    best_stage: str | None = None
    best_units: list[_Unit] = []
    for unit in group.units:
        kinds |= unit.cues.kinds
        loi = loi or unit.cues.loi
    if not kinds:
        return None
    kind = min(kinds, key=_KIND_RANK.__getitem__)
    kind = "strategic_cooperation" if kind == "strategic_explicit" else kind
    for unit in group.units:
        stages = set(unit.cues.stages)
        if unit.cues.launch:
            stages.add("established" if kind == "joint_venture" else "production")
        for stage in stages:
            if best_stage is None or _STAGE_RANK[stage] < _STAGE_RANK[best_stage]:
                best_stage, best_units = stage, [unit]
            elif stage == best_stage:
                best_units.append(unit)
    stage = best_stage or "agreement_signed"
    ordered = sorted(best_units or group.units, key=lambda u: u.title)  # body before title
    # The date belongs to the clause, else the sentence, that reported the deciding stage;
    # another event's date elsewhere in the item is not this one's.
    date = next((u.dates[0].value for u in ordered if u.dates), None)
    if date is None:
        sentences_of_stage = {u.sentence for u in ordered}
        date = next((u.dates[0].value for u in sorted(group.units, key=lambda u: u.title)
                     if u.dates and u.sentence in sentences_of_stage), None)
    confidence = 0.45
    confidence += 0.2 if kind != "strategic_cooperation" or "strategic_explicit" in kinds else 0.05
    confidence += 0.15 if best_stage else 0.0
    confidence += 0.1 if group.same_clause else 0.0
    confidence += 0.05 if any(not u.title for u in group.units) else 0.0
    evidence = ordered[0].span
    return Deal(
        parties=tuple(sorted(names[p] for p in group.parties)),
        kind=kind,
        stage=stage,
        loi=loi and stage == "agreement_signed",
        date=date,
        confidence=round(min(confidence, 0.98), 2),
        evidence=raw[evidence.start:evidence.end].strip(),
    )


def extract(item: dict, registry: Registry | None = None) -> list[Deal]:
    """Deals reported by one news item (title + summary + optional content)."""
    registry = registry or Registry.default()
    matcher = matcher_for(registry)
    raw_title = item.get("title") or ""
    raw_body = "。".join(part for part in (item.get("summary"), item.get("content")) if part)
    raw = f"{raw_title}\n{raw_body}" if raw_body else raw_title
    text = normalize(raw)  # same length as raw, so spans index both
    mentions = matcher.find(text)
    if len({m.company_id for m in mentions}) < 2:
        return []
    published = _parse_date(item.get("published"))
    title_end = len(raw_title)
    groups: list[_Group] = []
    loose: list[_Unit] = []
    index = 0
    for region_start, region_end, is_title in ((0, title_end, True), (title_end + 1, len(text), False)):
        anchor = None
        for sentence in sentences(text, region_start, region_end):
            found, refers_back, anchor = _groups_for_sentence(text, index, is_title, sentence, mentions, published, anchor)
            groups.extend(found)
            loose.extend(refers_back)
            index += 1
    if not groups:
        return []
    for unit in loose:  # nearest group, preferring one named before the referring sentence
        target = min(groups, key=lambda g: min(abs(u.sentence - unit.sentence) + (0.5 if u.sentence > unit.sentence else 0)
                                               for u in g.units))
        target.units.append(unit)
    decided = (_decide(group, matcher.names, raw) for group in _merge(groups))
    return [deal for deal in decided if deal is not None]
