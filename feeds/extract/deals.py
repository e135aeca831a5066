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
import re
import weakref
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from feeds.registry import Registry

from . import dates as dates_module
from . import discourse, hedges, lexicon
from .dates import EventDate, find_dates
from .gate import Gate, Hits
from .hedges import FLAT_DENIAL, veto
from .mentions import Mention, matcher_for
from .model import Deal
from .normalize import normalize
from .segment import Span, clauses, sentences

__all__ = ["extract"]

_STAGE_RANK = {s: i for i, s in enumerate(lexicon.STAGES)}
# "..., following a similar deal at Ford", "a separate agreement with Honda": the company of another deal.
_OTHER_DEAL_BEFORE = re.compile(r"(?i:\b(?:similar|separate|comparable|the same kind of|parallel|rival|competing) (?:[\w-]+ ){0,2}"
                                r"(?:deals?|agreements?|pacts?|contracts?|arrangements?) (?:at|with|by|for|struck by|signed by|reached (?:at|with|by)) $)")
# One literal prefilter for every pattern run per sentence or clause (see gate.py).
GATE = Gate({**lexicon.PATTERNS, **hedges.PATTERNS, **dates_module.PATTERNS,
             "ACT": lexicon.ACT, "REFERENCE": lexicon.REFERENCE, "VENTURE": lexicon.VENTURE,
             "BACKGROUND": discourse.BACKGROUND, "DESCRIPTION": discourse.DESCRIPTION, "JOINT": discourse.JOINT,
             "DISTRIBUTIVE": lexicon.DISTRIBUTIVE, "FLAT_DENIAL": FLAT_DENIAL, "OWNERS": lexicon.OWNERS,
             "SINCE_YEAR": discourse.SINCE_YEAR, "OTHER_DEAL_BEFORE": _OTHER_DEAL_BEFORE})
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
    role: str = discourse.LEAD  # title | lead | body: where the sentence stands in the article
    shared: bool = False  # read for several party groups at once ("A分别与B、C签约"): their own sentences say more

    @property
    def news(self) -> bool:
        """Headline and lead state the news; the body adds detail."""
        return self.role != discourse.BODY


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


# "A joint venture of Toyota, GAC and Pony.ai": the comma continues a list of companies.
_LIST_JOIN = re.compile(r"\s*(?:,|and|&|与|和|、)\s*")


def _continues_list(text: str, prev: Span, span: Span, mentions: list[Mention]) -> bool:
    inside = [m for m in mentions if span.start <= m.start < span.end]
    before = [m for m in mentions if prev.start <= m.start < prev.end]
    if len(inside) < 2 or not before or text[before[-1].end:prev.end].strip() or text[span.start:inside[0].start].strip():
        return False
    return inside[0].company_id != inside[1].company_id and bool(_LIST_JOIN.fullmatch(text, inside[0].end, inside[1].start))


def _clause_spans(text: str, sentence: Span, mentions: list[Mention]) -> list[Span]:
    """Clauses, with bare list items ("Chery, Huawei and CATL") merged into what follows,
    and a list cut by a comma ("a venture of Toyota, GAC and Pony.ai") kept whole."""
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
        if carry is None and merged and _continues_list(text, merged[-1], span, mentions):
            merged[-1] = Span(merged[-1].start, span.end)
            continue
        merged.append(Span(start, span.end))
        carry = None
    if carry is not None:
        merged.append(Span(carry, sentence.end))
    return merged


_STATE_KINDS = frozenset({"technology_supply", "strategic_cooperation"})


def _acts_outside(text: str, sentence: Span, hits: Hits | None = None) -> bool:
    """An act outside the descriptions: "X, the venture of A and B, started production",
    "CYVN, backed by Abu Dhabi, will invest in NIO"."""
    cues = lexicon.scan(discourse.DESCRIPTION.sub(lambda m: " " * len(m.group(0)), text[sentence.start:sentence.end]), hits, sentence.start)
    return bool(cues.stages or cues.launch or cues.kinds - _STATE_KINDS)


def _background(text: str, sentence: Span, dates: list[EventDate], published: dt.date | None, role: str,
                hits: Hits | None = None) -> bool:
    """A sentence that recalls history, is anchored well before publication, or only describes
    who owns what."""
    news = role != discourse.BODY
    hits = hits or GATE.hits(text)
    if GATE.search(hits, "BACKGROUND", text, sentence.start, sentence.end) or discourse.past_anchored(dates, published, news) \
            or (hits.may("SINCE_YEAR", sentence.start, sentence.end)
                and discourse.since_earlier_year(text, sentence.start, sentence.end, published)):
        return True
    return bool(GATE.search(hits, "DESCRIPTION", text, sentence.start, sentence.end)) and not _acts_outside(text, sentence, hits)


_RELATIVE = tuple(f"date:{kind}" for kind in ("cn_rel_after", "en_rel_later", "cn_same", "next_day", "day_before"))
_SEMICOLON = re.compile(r"[；;]\s*$")
_LOOK_BACK = 800
_BREAK = re.compile(r"[。！？!?\n]")


def _earlier_dates(text: str, sentence: Span, published: dt.date | None, hits: Hits) -> list[EventDate]:
    """The dates the text gives before a sentence that needs them: one counting from an earlier date ("次日",
    "the same day", "六个月后"), or one that goes on after a semicolon. Rare, so read only then."""
    if published is None or sentence.start == 0:
        return []
    live = hits.named_in(sentence.start, sentence.end)
    if any((live is None or k in live) and dates_module.PATTERNS[k].search(text, sentence.start, sentence.end) for k in _RELATIVE):
        # the paragraph before is far enough back for "次日" or "the same day" to count from
        return find_dates(text, max(0, sentence.start - _LOOK_BACK), sentence.start, published, None, hits)
    if not _SEMICOLON.search(text, max(0, sentence.start - 4), sentence.start):
        return []
    chain = max(text.rfind(stop, 0, sentence.start) for stop in "。！？!?.\n") + 1  # where the sentence began
    return find_dates(text, chain, sentence.start, published, None, hits)


def _clause_dates(dates: list[EventDate], span: Span) -> list[EventDate]:
    """The clause's own dates; else the date its sentence gave before it ("东风3月18日分别与两家企业签约：
    一是与A…；二是与B…": both acts are of that day)."""
    own = [d for d in dates if span.start <= d.start < span.end]
    return own or [d for d in dates if d.start < span.start][-1:]


def _groups_for_sentence(text: str, index: int, role: str, sentence: Span, mentions: list[Mention],
                         now: dt.date | None, anchor: str | None, published: dt.date | None, hits: Hits
                         ) -> tuple[list[_Group], list[_Unit], str | None, list[EventDate]]:
    """Groups formed in one sentence, plus its party-poor units that may refer back, the anchor for the next
    sentence and the sentence's dates. `now` is the publication date against which old dates mark background
    (None: no such test)."""
    title = role == discourse.TITLE
    earlier = _earlier_dates(text, sentence, published, hits)
    if earlier:
        anchor = earlier[-1].value
    dates = find_dates(text, sentence.start, sentence.end, published, anchor, hits) if published else []
    if dates:
        anchor = dates[-1].value
    # "东风3月18日分别签约：一是与A…；二是与B…": after a semicolon the sentence goes on, and so does its date
    carried = earlier[-1:] if earlier and _SEMICOLON.search(text, max(0, sentence.start - 4), sentence.start) \
        and not _BREAK.search(text, earlier[-1].start, sentence.start - 1) else []
    if veto(text[sentence.start:sentence.end], hits, sentence.start):
        return [], [], anchor, dates
    if _background(text, sentence, dates, now, role, hits):
        return [], [], anchor, dates
    background = False
    units = []
    for span in _clause_spans(text, sentence, mentions):
        cues = lexicon.scan(text[span.start:span.end], hits, span.start)
        units.append(_Unit(span, index, title, cues, _clause_dates(carried + dates, span), _ids(mentions, span), role))
    all_parties = _ids(mentions, sentence)
    # "closed its purchase of 10% of Horse Powertrain, the business jointly owned by Renault and
    # Geely": the appositive names the owners of the object; they join the buyer's deal.
    appositive: list[_Group] = []
    for prev, unit in pairwise(units):
        if len(unit.parties) >= 2 and prev.parties and not prev.parties <= unit.parties and prev.cues.kinds \
                and lexicon.OWNERS.search(text, unit.span.start, unit.span.end):
            appositive.append(_Group(prev.parties | unit.parties, [prev], True))
            unit.parties = frozenset()
            unit.cues = lexicon.UnitCues(frozenset(), unit.cues.stages, unit.cues.launch, unit.cues.loi)
    hub_pairs = _distributive_pairs(text, sentence, units, mentions, all_parties)
    if hub_pairs:
        shared = [replace(u, shared=True) for u in units]
        groups = [_Group(pair, list(shared), False) for pair in hub_pairs]
        for g in groups:
            g.background = background
        return groups, [], anchor, dates
    unnamed = _ANAPHORIC_SUBJECT.match(text, sentence.start) is not None
    groups = appositive + [g for u in units if len(u.parties) >= 2 and not (unnamed and u.span.start == sentence.start)
                           for g in _clause_groups(text, sentence, u, mentions)]
    partnered = [] if unnamed or title else _partner_clauses(text, sentence, units, mentions)
    # a date the sentence gives once serves each of the subject's acts
    groups += [_Group(pair, [replace(unit, dates=unit.dates or dates)], True) for unit, pair in partnered]
    if not groups and len(all_parties) >= 2 and not unnamed:
        # (not when the subject is a company referred to, not named: "The Chinese robotaxi firm will
        # offer rides through Uber … and mass-produces vehicles developed with Toyota" — it deals with
        # each, and the companies named in its clauses are not partners of each other)
        groups = [_Group(all_parties, list(units), False)]
    for g in groups:
        g.background = background
    if groups and not groups[0].same_clause:
        return groups, [], anchor, dates
    subject = next((m.company_id for m in mentions if sentence.start <= m.start < sentence.end), None)
    taken = {id(unit) for unit, _ in partnered}
    for unit in units:
        if len(unit.parties) >= 2 or id(unit) in taken:
            continue
        owners = [g for g in groups if unit.parties <= g.parties] if unit.parties else groups
        previous = [g for g in groups if g.same_clause and g.units[0].span.start < unit.span.start]
        if not owners and len(unit.parties) == 1 and unit.cues.kinds and previous \
                and _JOINS.search(text, unit.span.start, unit.span.end):
            # "Honda and Nissan agreed ..., and Mitsubishi signed a memorandum to join their
            # partnership": the newcomer joins the previous clause's parties
            groups.append(_Group(previous[-1].parties | unit.parties, [unit], True))
            continue
        if not owners and len(unit.parties) == 1 and unit.cues.kinds and previous \
                and lexicon.ALSO.search(text, unit.span.start, unit.span.end):
            # "Nissan will invest in Ampere, and Mitsubishi will also take a stake": the newcomer
            # takes the place of the previous clause's subject.
            before = previous[-1]
            first = next(m.company_id for m in mentions if before.units[0].span.start <= m.start)
            groups.append(_Group((before.parties - {first}) | unit.parties, [unit], True))
            continue
        if not owners and unit.parties and unit.cues.kinds and unit.cues.stages and subject is not None \
                and subject not in unit.parties \
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
        sentence_cues = lexicon.scan(text[sentence.start:sentence.end], hits, sentence.start)
        if not sentence_cues.empty:
            # "光束汽车 ... 量产下线" refers to the venture whose parents another sentence names
            ventures = lexicon.venture_parents(text, sentence.start, sentence.end)
            if ventures and all_parties <= ventures[0] and sentence_cues.stages & _VENTURE_ACTS:
                # the venture's own name stands for its parents: "光束汽车…量产下线"
                groups.append(_Group(ventures[0], [_Unit(sentence, index, title, sentence_cues, dates, ventures[0], role)], False))
            elif ventures and all_parties <= ventures[0]:
                loose.append(_Unit(sentence, index, title, sentence_cues, dates, ventures[0], role))
            elif lexicon.REFERENCE.search(text, sentence.start, sentence.end):
                loose.append(_Unit(sentence, index, title, sentence_cues, dates, all_parties, role))
    return groups, loose, anchor, dates


# "东风与华为签署协议，同时与宁德时代成立合资公司", "…: one with Huawei …, the other with CATL": a clause opening on
# "with" and its one company continues the sentence's subject, which deals with that company.
_WITH_PARTNER = re.compile(r"[\s:：]*(?:(?:同时|并且|并|另外|另|还|又|此外|以及|一是|二是|三是|其一|其二|(?i:and|while|as well as))[\s:：]*)*"
                          r"(?i:(?:signed|signs|struck|strikes|inked|inks|reached|reaches|agreed|agrees)\s+(?:[\w-]+\s+){0,3}?)?"
                          r"(?:与|和|同|(?i:with)\s)\s*")


def _partner_clauses(text: str, sentence: Span, units: list[_Unit], mentions: list[Mention]) -> list[tuple[_Unit, frozenset[str]]]:
    """Clauses naming one company after "with"/与, with a kind of deal, paired with the sentence's subject."""
    subject = next((m.company_id for m in mentions if sentence.start <= m.start < sentence.end), None)
    found = []
    for unit in units[1:]:
        if len(unit.parties) != 1 or subject in unit.parties or subject is None or not unit.cues.kinds:
            continue
        opening = _WITH_PARTNER.match(text, unit.span.start)
        first = next((m for m in mentions if unit.span.start <= m.start < unit.span.end), None)
        if opening and first is not None and opening.end() == first.start \
                or unit.cues.stages and _SUBJECT_GOES_ON.match(text, unit.span.start):
            found.append((unit, unit.parties | {subject}))
    return found


# "…, and has agreed to expand its WeRide partnership", "…, and separately expanded its partnership with Baidu": a clause
# with no subject of its own whose verb goes on from the sentence's subject.
_SUBJECT_GOES_ON = re.compile(r"\s*(?i:and|while)\s+(?:(?:has|have|had|also|separately|later|then|will|would)\s+)*"
                              r"(?i:[a-z]+ed|signed|agreed|struck|won|took|made|set up)\b")
# A sentence whose subject is a company referred to, not named ("The Chinese robotaxi firm …", "该公司…").
# "分别与Momenta和华为签署协议，前者聚焦智驾，后者将共同开发新车": a clause about one partner of a shared sentence
# says nothing of the other's kind of deal.
_RESPECTIVE = re.compile(r"\s*(?:前者|后者|(?i:the former|the latter)\b)")
_ANAPHORIC_SUBJECT = re.compile(r"\s*(?:(?i:the (?:[\w-]+ ){0,3}(?:firm|company|carmaker|automaker|startup|start-up|group|maker|developer|supplier|operator)\b(?!s|['’]))|该公司|这家公司|该企业|这家企业)")
# A newcomer joining the partnership of the parties just named ("to join their partnership", "加入双方的合作").
_JOINS = re.compile(r"加入(?:双方|两家|二者|其)|(?i:\bjoin(?:s|ed|ing)?\b (?:their|the two companies'|the pair's|both companies') )")
# "… and with Momenta on driver assistance", "…并与宁德时代…": a second partner with no verb of its own.
_ELLIPSIS = re.compile(r"\s*(?:and|并|同时|以及|还)\s*(?:(?i:with)\b|与|和|同)")
# A participle after a comma that comments on the act of the main clause ("…, deepening ties between the two").
_COMMENT = re.compile(r"\s*(?:and\s+)?(?i:deepening|expanding|extending|strengthening|broadening|widening|building on|giving)\b")
_PARTICIPLE = re.compile(r"\s*(?:and\s+)?[a-z]+ing\b")
# "... with Hyundai and extended its licence with Ford": a second verb for the second partner
_AND_THEN = re.compile(r"\band\b|并|同时|还|又|另")


def _clause_groups(text: str, sentence: Span, unit: _Unit, mentions: list[Mention]) -> list[_Group]:
    """One group per clause; but a subject dealing with several others in one clause, with
    nothing joint about it ("CATL signed a supply deal with Hyundai and extended its licence
    with Ford"), deals with each of them."""
    inside = [m for m in mentions if unit.span.start <= m.start < unit.span.end]
    hub = inside[0].company_id if inside else None
    others = [m for m in inside if m.company_id != hub]
    subject = next((m for m in mentions if sentence.start <= m.start < sentence.end), None)
    if len(unit.parties) == 2 and subject is not None and subject.company_id not in unit.parties \
            and _PARTICIPLE.match(text, unit.span.start) and not _LIST_GAP.fullmatch(text, inside[0].end, inside[-1].start) \
            and _AND_THEN.search(text, inside[0].end, inside[-1].start):
        # "Uber struck two deals, launching a service with Pony.ai and expanding its alliance with
        # WeRide": the participles continue the sentence's subject, which deals with each
        hub, others = subject.company_id, [inside[0], inside[-1]]
    elif len(unit.parties) != 3 or discourse.JOINT.search(text, sentence.start, sentence.end) \
            or _LIST_GAP.fullmatch(text, inside[0].end, inside[1].start) \
            or _LIST_GAP.fullmatch(text, others[0].end, others[-1].start) \
            or not _AND_THEN.search(text, others[0].end, others[-1].start):
        return [_Group(unit.parties, [unit], True)]
    # each partner takes its own half of the clause ("agreed to supply ... to Hyundai | and extended
    # its licence with Ford"); a date given once serves both
    joint = _AND_THEN.search(text, others[0].end, others[-1].start)
    assert joint is not None and hub is not None  # both checked by the branches above
    cut = joint.start()
    halves = (Span(unit.span.start, cut), Span(cut, unit.span.end))
    groups = []
    for half, partner in zip(halves, (others[0].company_id, others[-1].company_id), strict=True):
        dates = [d for d in unit.dates if half.start <= d.start < half.end] or unit.dates
        cues = lexicon.scan(text[half.start:half.end])
        if not cues.kinds and _ELLIPSIS.match(text, half.start):
            cues = unit.cues  # "signed agreements with Alibaba on X and with Momenta on Y": the verb serves both
        part = replace(unit, span=half, cues=cues, dates=dates, parties=frozenset((hub, partner)))
        groups.append(_Group(part.parties, [part], True))
    return groups


_VENTURE_ACTS = frozenset({"production", "established", "ended"})


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


# "... to supply technology for future Audi models": a carmaker named only through the models a
# deal serves is the customer's product, not a party, when two other companies make the deal.
_FOR_BEFORE = re.compile(r"(?i:\bfor (?:its |their |the )?(?:[\w-]+ ){0,2})$|(?:用于|应用于|搭载于|为)(?:旗下)?$")
_MODEL_AFTER = re.compile(r"(?i:\s*(?:[\w-]+ )?(?:models?|vehicles|cars|SUVs?|sedans?)\b)|(?:品牌)?(?:旗下)?(?:多款|新款)?车型")


def _customer_models(text: str, sentence: Span, mentions: list[Mention], hits: Hits) -> list[Mention]:
    inside = [m for m in mentions if sentence.start <= m.start < sentence.end]
    dropped = [m for m in inside if GATE.search(hits, "OTHER_DEAL_BEFORE", text, max(sentence.start, m.start - 60), m.start)]
    for m in inside:
        if _MODEL_AFTER.match(text, m.end) and _FOR_BEFORE.search(text, max(sentence.start, m.start - 30), m.start) \
                and len({x.company_id for x in inside if x.company_id != m.company_id}) >= 2:
            dropped.append(m)
    return dropped


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
        subsets = [h.parties for h in merged if h.parties < g.parties and any(u.news for u in h.units)]
        if len(subsets) >= 2 and frozenset().union(*subsets) == g.parties:
            continue  # a headline naming everyone; the specific groups carry the deals
        if all(u.title for u in g.units) and any(g.parties < h.parties for h in merged):
            continue  # a headline naming only some of the parties the body lists
        result.append(g)
    return result


_SUPPLIER_SECTORS = frozenset({"adas", "chips", "ai", "software", "battery", "supplier"})
_MAKER_SECTORS = frozenset({"carmaker", "ev_startup"})
# What a supplier sells a carmaker: a bare "合作" about one of these is a supply deal.
_PRODUCT = re.compile(r"芯片|辅助驾驶|智能驾驶|智驾|自动驾驶|座舱|电池|电芯|大模型|激光雷达|算力|操作系统|"
                      r"(?i:\bchips?\b|\bprocessors?\b|driver[- ]assist|\bautomated[- ]driving\b|\bautonomous[- ]driving\b|\bcockpit|"
                      r"\bbatter(?:y|ies)\b|\bcells\b|\blidars?\b|\bAI models?\b|\blanguage models?\b|\boperating system\b)")


def _supplies_carmaker(group: _Group, sectors: dict[str, str], text: str) -> bool:
    """Two parties, a chip/ADAS/AI/battery supplier and a carmaker, about the supplier's product."""
    if len(group.parties) != 2:
        return False
    first, second = (sectors.get(p, "") for p in group.parties)
    if not (first in _MAKER_SECTORS and second in _SUPPLIER_SECTORS or second in _MAKER_SECTORS and first in _SUPPLIER_SECTORS):
        return False
    return any(_PRODUCT.search(text, u.span.start, u.span.end) for u in group.units)


def _supply_state(unit: _Unit) -> bool:
    """'uses CATL batteries', '搭载英伟达芯片': a supply relation stated in passing, no act."""
    return unit.cues.kinds <= {"technology_supply", "strategic_cooperation"} and not unit.cues.stages and not unit.cues.launch


def _stage_of(units: list[_Unit], kind: str) -> tuple[str | None, list[_Unit]]:
    """The highest-ranked stage the units report, and the units that report it."""
    best_stage: str | None = None
    best_units: list[_Unit] = []
    for unit in units:
        stages = set(unit.cues.stages)
        if unit.cues.launch:
            stages.add("established" if kind == "joint_venture" else "production")
        for stage in stages:
            if best_stage is None or _STAGE_RANK[stage] < _STAGE_RANK[best_stage]:
                best_stage, best_units = stage, [unit]
            elif stage == best_stage:
                best_units.append(unit)
    return best_stage, best_units


def _date_of(group: _Group, acting: list[_Unit], best_units: list[_Unit], stage: str, lead_date: str | None,
             published: dt.date | None, detail: list[_Unit]) -> str | None:
    """The date of the sentence that reports the act; else the lead's date of the same event."""
    ordered = sorted(best_units or acting, key=lambda u: u.title)  # body before title
    # "agreed on Wednesday ..., expanding a partnership that began last year": the recent date,
    # from the clause that reports the stage, else from its sentence
    sentences_of_stage = {u.sentence for u in ordered}
    candidates = [d.value for u in ordered for d in u.dates] + \
        [d.value for u in acting if u.sentence in sentences_of_stage and u not in ordered for d in u.dates]
    recent = [v for v in candidates if not discourse.past_anchored([EventDate(0, v)], published)]
    date = recent[0] if recent else next((u.dates[0].value for u in ordered if u.dates), None)
    if date is None:
        sentences_of_stage = {u.sentence for u in ordered}
        date = next((u.dates[0].value for u in sorted(acting, key=lambda u: u.title)
                     if u.dates and u.sentence in sentences_of_stage), None)
    if date is None and ordered and all(u.title for u in ordered):
        # the headline gave the stage; the sentence that retells the deal gives its date
        date = next((u.dates[0].value for u in group.units
                     if u.dates and not u.title and u.cues.kinds and not u.cues.stages - {stage}), None)
    if date is None and any(u.news for u in acting):
        date = lead_date
    if date is None:  # "The agreement was signed on Monday in Hefei": another sentence about the act
        date = next((d.value for u in acting if u.cues.stages for d in u.dates
                     if not discourse.past_anchored([d], published)), None)
    if date is None:
        date = next((d.value for u in detail if u.cues.stages for d in u.dates
                     if not discourse.past_anchored([d], published)), None)
    return _refined(_acted(date, group, published), group, stage)


def _acted(date: str | None, group: _Group, published: dt.date | None) -> str | None:
    """The day the act was announced gives way to an earlier date a lead clause or a sentence of an act gives
    ("GM said on Monday … The transaction closed at the end of October", "1月12日晚间公告，公司已于1月10日完成…交割");
    not to a month that holds the announcement ("9月29日公告…已于9月完成交割")."""
    dates = [d for u in group.units for d in u.dates]
    if date is None or not any(d.said and d.value == date for d in dates) or any(not d.said and d.value == date for d in dates):
        return date
    return next((d.value for u in group.units if u.cues.stages or u.news for d in u.dates
                 if not d.said and d.value < date and not date.startswith(d.value)
                 and not discourse.past_anchored([d], published)), date)


def _refined(date: str | None, group: _Group, stage: str) -> str | None:
    """A month or a week ("9月", "上周", "earlier this month") made precise by the calendar day another sentence
    about the same act gives within it ("9月29日公告…已完成交割"); not by a weekday, which in "…, the company said
    on Monday" dates the announcement."""
    if date is None or len(date) == 10:
        return date
    return next((d.value for u in group.units if not u.cues.stages - {stage} for d in u.dates
                 if d.calendar and d.value.startswith(date + "-")), date)


def _venture_product(acting: list[_Unit], group: _Group, text: str) -> bool:
    """A named venture of these parents launching a model ("上汽大众ID.ERA亮相", "光束汽车推出新车"):
    a product of an existing partnership, not a new act of it, unless a stage word says more."""
    if any(u.cues.stages for u in acting) or not any(u.cues.launch for u in acting):
        return False
    return any(group.parties == parents for parents in lexicon.venture_parents(text))


# A milestone of a venture is news of the partnership ("首款车下线", "its first production outside China").
_FIRST = re.compile(r"首款|首批|首台|首辆|首个|首家|首次|首车|(?i:\bfirst\b)")


def _venture_business(acting: list[_Unit], group: _Group, text: str, mentions: list[Mention]) -> bool:
    """A named venture of these parents acting as a company of its own ("上汽通用表示，新车将于7月投产",
    "北汽集团与现代汽车的合资企业北京现代宣布组织调整", "GAC Honda closes a line"): its models,
    plants and managers are its business, not an act of the partnership, unless it is a first or a
    founding. The parents act themselves when a sentence names both outside the venture's name and
    the description of who owns it ("长安与宁德时代终止合资项目")."""
    if not any(group.parties in lexicon.venture_parents(text, u.span.start, u.span.end) for u in acting) \
            and not _owners_only(acting, group, text, mentions) \
            or any(u.cues.stages & {"established", "talks", "agreement_signed"} for u in acting) \
            or any(_FIRST.search(text, u.span.start, u.span.end) for u in acting):
        return False
    return not any(group.parties <= _named_outside_descriptions(text, u.span, mentions) for u in acting)


_VENTURE_NAMED = re.compile(r"合资|合营|(?i:\bventures?\b)")


def _owners_only(acting: list[_Unit], group: _Group, text: str, mentions: list[Mention]) -> bool:
    """A venture acting while the parties appear only in the description of who owns it ("Horse Powertrain, owned by
    Renault and Geely with Aramco as a minority shareholder, opened a line", "X, the battery venture of A and B, has
    started producing cells at its second plant"): the venture's business."""
    return any(lexicon.VENTURE.search(text, u.span.start, u.span.end) or _VENTURE_NAMED.search(text, u.span.start, u.span.end)
               for u in acting) \
        and not any(group.parties & _named_outside_descriptions(text, u.span, mentions) for u in acting)


_CLAUSE_END = re.compile(r"[,，;；。]")
_VENTURE_NOUN = re.compile(r"(?:合资|合营)(?:企业|公司|品牌)?\s*$|(?i:\b(?:venture|JV),?\s*$)")


def _named_outside_descriptions(text: str, span: Span, mentions: list[Mention]) -> set[str]:
    """Companies a unit names other than in a venture's name or in a description of its owners
    ("SAIC-GM, a venture of SAIC and GM,", "由上汽与通用各持股50%的", "北汽与现代的合资企业北京现代")."""
    covered = []
    for m in lexicon.VENTURE.finditer(text, span.start, span.end):
        covered.append(m.span())
        if _VENTURE_NOUN.search(text, span.start, m.start()):
            covered.append((span.start, m.start()))
    for rx in (discourse.DESCRIPTION, lexicon.OWNERS):
        for m in rx.finditer(text, span.start, span.end):
            stop = _CLAUSE_END.search(text, m.end(), span.end)
            covered.append((m.start(), stop.start() if stop else span.end))
    return {m.company_id for m in mentions if span.start <= m.start < span.end
            and not any(a <= m.start < b for a, b in covered)}


def _body_confirms(news: list[_Unit], group: _Group) -> bool:
    """A headline that reports an act ("…, and sign Momenta software deal") whose body retells that act
    with both parties named ("it had signed a contract with Momenta … for Nissan models")."""
    return any(u.cues.stages for u in news) and any(
        not u.news and u.parties >= group.parties and u.cues.kinds and u.cues.stages & {"agreement_signed", "established"}
        for u in group.units)


def _weak(news: list[_Unit], group: _Group, text: str, full: bool) -> bool:
    """The headline and lead name no act: no stage, and at most a bare 'partnership' ("its
    partnership with Leapmotor was not affected") or a supply stated in passing ("which uses
    CATL batteries"); or, in a full article, only the headline states the deal."""
    if full and all(u.title for u in news):
        return not _body_confirms(news, group)
    if any(u.cues.stages or u.cues.launch for u in news):
        return False
    if full and not any(lexicon.SUPPLY_ACT.search(text, u.span.start, u.span.end) for u in news):
        return True  # a full article whose headline and lead name a kind of deal but no act of it
    if all(u.cues.kinds <= {"strategic_cooperation"} for u in news):
        return True
    return all(_supply_state(u) for u in news) and not any(lexicon.SUPPLY_ACT.search(text, u.span.start, u.span.end) for u in news)


# "to buy a stake in the Pony.ai-GAC robotaxi venture", "入股双方的合资公司": the venture is what is bought into.
_INTO_VENTURE = re.compile(r"(?:入股|增资|投资|收购).{0,16}(?:合资|合营)|(?i:\b(?:stake|holding|invest\w*|buy\w* into|entry into|join\w*)\b"
                           r"[^.;]{0,40}\b(?:joint )?venture\b)")


def _buys_into_venture(acting: list[_Unit], text: str) -> bool:
    """A company taking a stake in what the others hold together: an investment, not a new venture of all three."""
    return any(_INTO_VENTURE.search(text, u.span.start, u.span.end) for u in acting)


# "长城拟向宝马转让光束汽车25%股权", "transfers a 25% stake in the venture to BMW": one parent's shares change hands.
_TRANSFER = re.compile(r"转让|(?i:\btransfer(?:s|red|ring)?\b[^.;]{0,40}\b(?:stake|shares|holding)\b)")


def _transfers_stake(acting: list[_Unit], text: str) -> bool:
    """One parent transferring shares of their venture to the other: an investment between them."""
    return any(_TRANSFER.search(text, u.span.start, u.span.end) for u in acting)


_VENTURE_WORD = re.compile(r"合资|合营|(?i:\bjoint[- ]venture)")
# Leaving what two companies held together ("exits Denza", "退出集度"): the end of their venture.
_EXIT = re.compile(r"退出|(?i:\bexit(?:s|ed|ing)?\b|\bpull(?:s|ed|ing)? out of\b)")


def _exits_venture(acting: list[_Unit], text: str) -> bool:
    """A partner selling out of, or leaving ("exits Denza as BYD takes full control"), what the article
    calls a joint venture or what the two held together."""
    return any(_VENTURE_WORD.search(text, u.span.start, u.span.end) or _EXIT.search(text, u.span.start, u.span.end)
               for u in acting) \
        or len(_VENTURE_WORD.findall(text)) >= 2


@dataclass(frozen=True, slots=True)
class Headline:
    """What the headline of a full article says: the companies it names, and whether it analyses
    (asks, explains, looks back, interviews) or denies ("回应传闻：目前没有相关计划") rather than reports."""

    named: frozenset[str]
    analysis: bool


def _headline(text: str, regions: list[discourse.Region], mentions: list[Mention]) -> Headline:
    end = regions[0].end if regions and regions[0].role == discourse.TITLE else 0
    return Headline(frozenset(m.company_id for m in mentions if m.start < end),
                    discourse.ANALYSIS.search(text, 0, end) is not None
                    or hedges.VETOES["denial"].search(text, 0, end) is not None)


_STATED_AS_STATE = frozenset({"technology_supply", "licensing"})
# The supplier acting or a contract made ("will supply its chips to", "签署供货协议", "wins an order"), unlike a
# product said to use a part ("R2 will use LG cells", "M8将首发搭载华为ADS 4").
_SUPPLIER_ACTS = re.compile(r"供应|供货|提供|定点|订单|合同|协议|签|(?i:\bsuppl(?:y|ies|ying)\b|\bprovid(?:e|es|ing)\b|\bdeal\b|"
                            r"\bcontract|\border\b|\bagree|\bsign)")


def _unreported(group: _Group, kind: str, stage: str | None, headline: Headline | None, text: str) -> bool:
    """A full article applies a deal only when its headline names one of the parties and reports
    rather than analyses, and a supply or licence comes with a stage of an act (signed, agreed,
    launched): "Rivian R2 will use LG cells", "问界M8将搭载华为ADS 4" restate a relation, they do
    not report one, nor does a model's launch ("问界新M7上市，首搭华为ADS 3.0": the stage is the car's). Anything weaker is read by a person first."""
    if headline is None:
        return False
    if headline.analysis or not group.parties & headline.named:
        return True
    news = [u for u in group.units if u.news]
    launch_only = not any(u.cues.stages for u in group.units)  # "production" from a model's launch word
    # the act in a clause about the deal, not in one about the car ("极氪7X上市，提供三款配置，电池来自宁德时代")
    return (stage is None or launch_only) and kind in _STATED_AS_STATE and not any(
        _SUPPLIER_ACTS.search(text, u.span.start, u.span.end) for u in news if u.parties or u.cues.kinds)


# "talks that come a year after their plan to merge fell apart", "在合并谈判破裂一年后": a clause dating the news
# from an earlier act that failed; its deal words name that act
_AFTER_FAILURE = re.compile(r"(?i:\bafter\b[^.;]{0,60}\b(?:fell apart|fell through|collapsed|broke down|(?:was|were) (?:called off|scrapped|abandoned))\b)"
                            r"|(?:告吹|破裂|终止|失败|搁浅)(?:了)?(?:[一两半数几]\S{0,3})?(?:之|以)?后")


def _past_failure_read_out(unit: _Unit, text: str) -> _Unit:
    """A unit dating the news from an earlier deal that failed keeps only its bare cooperation word: the
    merger or venture it names, and that deal's end, are the past, not this article's act."""
    if not _AFTER_FAILURE.search(text, unit.span.start, unit.span.end):
        return unit
    cues = replace(unit.cues, kinds=unit.cues.kinds & {"strategic_cooperation"}, stages=frozenset())
    return replace(unit, cues=cues)


def _parents_develop_jointly(group: _Group, acting: list[_Unit], text: str) -> bool:
    """The lead names both parents, each by its own name, as developing the product together, and no clause
    calls their tie a venture: a venture-like name in the headline ("上汽奥迪首款车下线") only labels that joint
    work. A lead where the venture itself acts ("奇瑞捷豹路虎工厂举行下线仪式，双方合作打造的…") stays a venture."""
    if any("joint_venture" in u.cues.kinds for u in acting):
        return False
    return any(u.news and not u.title and "co_development" in u.cues.kinds and group.parties <= u.parties
               and group.parties not in lexicon.venture_parents(text, u.span.start, u.span.end) for u in acting)


# "签署合作备忘录 探索联合开发", "sign memorandum to explore joint development": the work is only explored
_EXPLORED = re.compile(r"探索|探讨|(?i:\bexplor(?:e|es|ing)\b)")


def _headline_acts(acting: list[_Unit], text: str) -> set[str]:
    """The kinds the headline names, less joint work or a supply it says the parties only explore: a signing
    "to explore" them is a partnership, as the lead's "战略合作备忘录" says."""
    told: set[str] = set()
    for u in acting:
        if u.title:
            explored = _EXPLORED.search(text, u.span.start, u.span.end)
            told |= u.cues.kinds - {"co_development", "technology_supply"} if explored else u.cues.kinds
    return told


def _signs_deeper_partnership(told: list[_Unit]) -> bool:
    """A headline signing an agreement that deepens a partnership and naming joint work as its aim: the deal
    is the partnership (most writers label "签署深化合作协议，将共同打造新品牌" a strategic cooperation, while
    "扩大合作，将联合开发新电池" without a signing, or a first signing "签约，将打造新品牌", stay joint work)."""
    kinds: set[str] = set().union(*(u.cues.kinds for u in told))
    return {"partnership_expanded", "co_development"} <= kinds and any("agreement_signed" in u.cues.stages for u in told)


def _decide(group: _Group, names: dict[str, str], raw: str, text: str, sectors: dict[str, str],
            ventures: bool = True, lead_date: str | None = None, published: dt.date | None = None,
            full: bool = False, mentions: list[Mention] | None = None, headline: Headline | None = None) -> Deal | None:
    """The deal a party group reports, or None when nothing names a deal kind.

    Kind, stage and date come from the headline and lead when they state them; body sentences
    only fill in what the lead leaves open. A deal the body alone reports, or one with only a
    bare 'cooperation' cue, stays below the review threshold."""
    news = [u for u in group.units if u.news]
    detail = [u for u in group.units if not u.news and not _supply_state(u)]
    acting = news or detail
    if not acting:
        return None
    if any(not u.shared and len(u.parties) >= 2 for u in acting):
        acting = [u for u in acting if not u.shared]  # a sentence of its own says more
    acting = [_past_failure_read_out(u, text) for u in acting]
    kinds: set[str] = set().union(*(u.cues.kinds for u in acting if not (u.shared and _RESPECTIVE.match(text, u.span.start))))
    if news and kinds <= {"strategic_cooperation"} and any("expanded" in u.cues.stages for u in acting if u.cues.kinds):
        kinds.add("partnership_expanded")  # "deepens its WeRide tie-up": the news is the partnership growing
    elif news and kinds <= {"strategic_cooperation"}:
        kinds |= set().union(*(u.cues.kinds for u in detail)) if detail else set()
    if ventures and any(group.parties in lexicon.venture_parents(text, u.span.start, u.span.end) for u in acting):
        if not ("equity_investment" in kinds and _transfers_stake(acting, text)):
            kinds.add("joint_venture")  # the parents acting through their named venture
    elif "equity_investment" in kinds and ((ventures and any(p < group.parties for u in acting for p in lexicon.venture_parents(text, u.span.start, u.span.end)))
                                           or (len(group.parties) >= 3 and _buys_into_venture(acting, text))):
        kinds.discard("joint_venture")  # a third company buying into the parents' venture: an investment
    if not kinds:
        return None
    if "equity_investment" in kinds and any(lexicon.WHOLE.search(text, u.span.start, u.span.end) for u in acting):
        kinds.add("acquisition")  # "now fully owns the plant after buying Nissan's 51% stake": the buyer takes all of it
    if {"acquisition", "equity_investment", "joint_venture"} <= kinds and not any("ended" in u.cues.stages for u in acting):
        # "acquires its partner's 50% stake in their venture, taking full control": a takeover ("quits the venture,
        # handing its entire stake to GAC" is the venture ending)
        kinds.discard("joint_venture")
    if {"strategic_explicit", "co_development"} <= kinds:
        told = _headline_acts(acting, text)
        if "co_development" in told and "strategic_explicit" not in told:
            kinds.discard("strategic_explicit")  # "签署备忘录，将联合开发车型": the headline names what they do together
    if _signs_deeper_partnership([u for u in acting if u.title]):
        kinds.discard("co_development")  # "签署深化合作协议，共同打造新品牌": the act is the signing, the rest its aim
    if "technology_supply" in kinds and kinds & {"strategic_explicit", "partnership_expanded"}:
        told = _headline_acts(acting, text)
        signed = any("agreement_signed" in u.cues.stages for u in acting if u.title)
        if signed and "technology_supply" in told and not told & {"strategic_explicit", "partnership_expanded", "co_development"}:
            # "A与B签约 B的系统将搭载A全系新车": the headline names a signing and a supply ("GM widens its use of
            # Nvidia technology" is an expansion of the partnership)
            kinds -= {"strategic_explicit", "partnership_expanded"}
    if {"joint_venture", "co_development"} <= kinds:
        told = set().union(*(u.cues.kinds for u in acting if u.title))
        if "co_development" in told and "joint_venture" not in told:
            kinds.discard("joint_venture")  # "A B联合开发的车型下线": the headline names what they do together
        elif _parents_develop_jointly(group, acting, text):
            kinds.discard("joint_venture")  # "上汽奥迪首款车下线" led by "上汽与奥迪联合开发的车型": the name only labels the joint work
    loi = any(u.cues.loi for u in acting)
    kind = min(kinds, key=_KIND_RANK.__getitem__)
    if kind == "strategic_cooperation" and _supplies_carmaker(group, sectors, text):
        kind = "technology_supply"
    elif kind == "technology_supply" and any(sectors.get(p) == "mobility" for p in group.parties):
        kind = "strategic_cooperation"  # a robotaxi platform and a software maker: a partnership, not a parts supply
    kind = {"strategic_explicit": "strategic_cooperation", "partnership_expanded": "strategic_cooperation",
            "licensing_explicit": "licensing"}.get(kind, kind)
    best_stage, best_units = _stage_of(acting, kind)
    if best_stage == "expanded" and all(_COMMENT.match(text, u.span.start) for u in best_units):
        # "signed a memorandum on Thursday, deepening a relationship that began last year": the comment after the
        # comma says what the act means; the main clause's stage is the news
        main = [u for u in acting if not _COMMENT.match(text, u.span.start)]
        main_stage, main_units = _stage_of(main, kind)
        if main_stage is not None:
            best_stage, best_units = main_stage, main_units
    if best_stage is None and news and detail:
        best_stage, best_units = _stage_of(detail, kind)
    stage = best_stage or "agreement_signed"
    if stage == "ended" and kind in ("equity_investment", "acquisition") and _exits_venture(acting, text):
        kind = "joint_venture"  # "exits Denza … the joint venture", "退出广汽三菱合资公司": the venture ends
    date = _date_of(group, acting, best_units, stage, lead_date, published, detail)
    confidence = 0.45
    confidence += 0.2 if kind != "strategic_cooperation" or kinds & {"strategic_explicit", "partnership_expanded"} else 0.05
    confidence += 0.15 if best_stage else 0.0
    confidence += 0.1 if group.same_clause else 0.0
    confidence += 0.05 if any(not u.title for u in group.units) else 0.0
    if not news:
        confidence = min(confidence, 0.5)  # the body alone: background until a person says otherwise
    elif _weak(news, group, text, full) or (ventures and _venture_product(acting, group, text)) \
            or (full and ventures and _venture_business(news, group, text, mentions or [])) or _unreported(group, kind, best_stage, headline, text):
        confidence = min(confidence, 0.55)
    ordered = sorted(best_units or acting, key=lambda u: u.title)
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


_SECTORS: weakref.WeakKeyDictionary[Registry, dict[str, str]] = weakref.WeakKeyDictionary()


def _sectors(registry: Registry) -> dict[str, str]:
    sectors = _SECTORS.get(registry)
    if sectors is None:
        sectors = _SECTORS[registry] = {c.id: c.sector for c in registry.companies()}
    return sectors


_LIST_GAP = re.compile(r"\s*(?:,|，|、|and|&|与|和|及|以及|or)\s*(?:the\s+)?")


# "比亚迪、理想、奇瑞等多家车企": a list that ends in 等 after names the registry does not hold is still examples.
_ETC_AFTER = re.compile(r"(?:、[^、，,。；;\s]{1,8}){1,4}等")


def _enumerated(text: str, sentence: Span, mentions: list[Mention], hits: Hits) -> set[int]:
    """Indexes of mentions that only list companies: examples, rivals, rankings ("rivals such as
    A and B", "比亚迪、理想等品牌"), or three or more names in a row with nothing joint about them."""
    dropped: set[int] = set()
    runs: list[list[int]] = [[0]] if mentions else []
    for i in range(1, len(mentions)):
        if _LIST_GAP.fullmatch(text, mentions[i - 1].end, mentions[i].start):
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        first, last = mentions[run[0]], mentions[run[-1]]
        named = {mentions[i].company_id for i in run}
        subject = len(text[sentence.start:first.start].strip()) <= 3  # "Nissan, Honda and Mitsubishi sign ..."
        before = text[max(sentence.start, first.start - 30):first.start]
        if discourse.ENUM_BEFORE.search(before[-14:]) \
                or (len(named) >= 2 and discourse.OBJECTS_BEFORE.search(before)) \
                or discourse.ENUM_AFTER.match(text[last.end:min(sentence.end, last.end + 6)]) \
                or _ETC_AFTER.match(text, last.end, sentence.end) \
                or (len(named) >= 3 and not subject and not _joint(text, sentence, hits)):
            dropped.update(run)
    return dropped


def _joint(text: str, sentence: Span, hits: Hits) -> bool:
    """Companies acting together ("共同", "jointly", "分别"); asked only of a run of three names or more."""
    return bool(GATE.search(hits, "JOINT", text, sentence.start, sentence.end) or GATE.search(hits, "DISTRIBUTIVE", text, sentence.start, sentence.end))


def _sentence_mentions(text: str, sentence: Span, inside: list[Mention], hits: Hits) -> list[Mention]:
    """The sentence's mentions, without customers named through their models and listed names."""
    if len(inside) < 2:
        return inside
    dropped = set(_customer_models(text, sentence, inside, hits))
    listed = _enumerated(text, sentence, inside, hits)
    if not dropped and not listed:
        return inside
    return [m for i, m in enumerate(inside) if i not in listed and m not in dropped]


def _roles(text: str, regions: list[discourse.Region]) -> Iterator[tuple[Span, str]]:
    """Sentences with their roles; in a text with no paragraph breaks the first sentences are the lead."""
    for region in regions:
        for n, sentence in enumerate(sentences(text, region.start, region.end)):
            role = region.role
            if region.unbroken and n >= discourse.LEAD_SENTENCES:
                role = discourse.BODY
            yield sentence, role


def _names_or_reference(text: str, sentence: Span, inside: list[Mention], hits: Hits) -> bool:
    """Two companies, or a word that refers back to them."""
    if len({m.company_id for m in inside}) >= 2:
        return True
    key = ("refers", sentence.start, sentence.end)  # asked again after listed names are dropped
    if key not in hits.memo:
        hits.memo[key] = bool(GATE.search(hits, "REFERENCE", text, sentence.start, sentence.end)
                              or GATE.search(hits, "VENTURE", text, sentence.start, sentence.end))
    return bool(hits.memo[key])


def _worth_reading(text: str, sentence: Span, inside: list[Mention], role: str, news_parties: set[str], hits: Hits) -> bool:
    """Cheap tests before the full analysis: two companies, or a word that refers back to them;
    in the body, also two of the lead's companies (detail) or a word for an act (a new deal)."""
    named = {m.company_id for m in inside}
    if not _names_or_reference(text, sentence, inside, hits):
        return False
    if role != discourse.BODY or len(named & news_parties) >= 2:
        return True
    key = ("act", sentence.start, sentence.end)
    if key not in hits.memo:
        hits.memo[key] = GATE.search(hits, "ACT", text, sentence.start, sentence.end) is not None
    return bool(hits.memo[key])


def extract(item: dict[str, Any], registry: Registry | None = None) -> list[Deal]:
    """Deals reported by one news item (title + summary + optional content)."""
    registry = registry or Registry.default()
    matcher = matcher_for(registry)
    raw, regions = discourse.layout(item)
    text = normalize(raw)  # same length as raw, so spans index both
    mentions = matcher.find(text)
    if len({m.company_id for m in mentions}) < 2:
        return []
    starts = [m.start for m in mentions]
    published = _parse_date(item.get("published"))
    groups: list[_Group] = []
    loose: list[_Unit] = []
    hedged: list[tuple[str, frozenset[str]]] = []  # (veto, parties named) of denied or hedged sentences
    lead_dates: list[tuple[str, frozenset[str]]] = []  # dates the headline and lead give, with their parties
    lead_sentences: list[tuple[str, frozenset[str]]] = []  # the dates of each headline and lead sentence read
    anchor = None
    roles = list(_roles(text, regions))
    # a short item (headline and a sentence or two) is all news, however old the date it gives
    full = any(role == discourse.BODY for _, role in roles)
    news_parties: set[str] = set()  # the companies of the headline's and lead's deals
    hits = GATE.hits(text)
    for index, (sentence, role) in enumerate(roles):
        inside = mentions[bisect_left(starts, sentence.start):bisect_left(starts, sentence.end)]
        # the same test before and after dropping listed names (which only removes mentions)
        if not _worth_reading(text, sentence, inside, role, news_parties, hits):
            continue
        inside = _sentence_mentions(text, sentence, inside, hits)
        if not _worth_reading(text, sentence, inside, role, news_parties, hits):
            continue
        found, refers_back, anchor, sentence_dates = _groups_for_sentence(text, index, role, sentence, inside, published if full else None,
                                                          anchor, published, hits)
        said = text[sentence.start:sentence.end]
        if GATE.search(hits, "FLAT_DENIAL", text, sentence.start, sentence.end):
            hedged.append(("denial", _ids(inside, sentence)))
        elif veto(said, hits, sentence.start) == "speculation":
            hedged.append(("speculation", _ids(inside, sentence)))
        if role != discourse.BODY:
            lead_dates += [(d.value, g.parties) for g in found for u in g.units for d in u.dates]
            lead_sentences += [(d.value, _ids(inside, sentence)) for d in sentence_dates]
            news_parties.update(p for g in found for p in g.parties)
        groups.extend(found)
        loose.extend(refers_back)
    if not groups:
        return []
    for unit in loose:  # nearest group, preferring one named before the referring sentence
        owners = [g for g in groups if len(unit.parties) >= 2 and unit.parties <= g.parties]
        target = min(owners or groups, key=lambda g: min(abs(u.sentence - unit.sentence) + (0.5 if u.sentence > unit.sentence else 0)
                                               for u in g.units))
        if not any(u.news for u in target.units):
            unit = replace(unit, role=discourse.BODY)  # a lead sentence without names does not make background news
        target.units.append(unit)
    # a venture's name, or "venture"/合资 in a description of owners: only then can an act be a venture's own business
    ventures = hits.search("VENTURE", text, 0, len(text)) is not None or _VENTURE_NAMED.search(text) is not None
    merged = [g for g in _merge(groups) if not _cancelled(g, hedged)]
    merged = _news_first(merged)
    headline = _headline(text, regions, mentions) if full else None
    decided = (_decide(group, matcher.names, raw, text, _sectors(registry), ventures, _lead_date(group, lead_dates, lead_sentences, published),
                       published, full, mentions, headline)
               for group in merged)
    return [deal for deal in decided if deal is not None]


def _lead_date(group: _Group, lead_dates: list[tuple[str, frozenset[str]]], lead_sentences: list[tuple[str, frozenset[str]]],
               published: dt.date | None) -> str | None:
    """The date the lead gives for this event: when every dated lead sentence is about it; else the recent date of
    the first headline or lead sentence naming all its parties, even one read as background for its aside ("GM and
    Hyundai said on Wednesday they will develop five vehicles, the first products of an alliance begun last year")."""
    if lead_dates and all(parties <= group.parties or group.parties <= parties for _, parties in lead_dates):
        return lead_dates[0][0]
    return next((value for value, named in lead_sentences if group.parties <= named
                 and not discourse.past_anchored([EventDate(0, value)], published)), None)


def _news_first(groups: list[_Group]) -> list[_Group]:
    """Body sentences about a subset or superset of a lead deal's parties are its detail, not a new deal."""
    news = [g for g in groups if any(u.news for u in g.units)]
    out = list(news)
    for g in groups:
        if g in news:
            continue
        if any(g.parties < n.parties or n.parties < g.parties for n in news):
            continue
        out.append(g)
    return out


def _cancelled(group: _Group, hedged: list[tuple[str, frozenset[str]]]) -> bool:
    """A claim the item itself takes back: a sentence naming all its parties denies it, or only
    the headline states it while the body attributes it to rumour ("…，小米回应称并无此事",
    "…, two people familiar with the matter said")."""
    title_only = all(u.title for u in group.units)
    return any(group.parties <= named and (why == "denial" or title_only) for why, named in hedged)
