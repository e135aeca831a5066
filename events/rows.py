"""What the read-model rows of an alliance or company hold: pure functions of the folded state.

One document shape per entity. An alliance document carries the CLI contract's fields with the
parties as ids (names are joined when answering, from the companies as known at the same time),
plus what readers sort and filter by (`since_key`, `updated_key`, `latest`, `reported`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from .projections.alliance import Aggregate, AllianceState, Entry, date_strings, effective, live_entries
from .projections.company import CompanyState, Milestone
from .schema import END_OF_TIME
from .values import FuzzyDate

Doc = dict[str, Any]


def aggregate_doc(alliance_id: str, acc: Aggregate | AllianceState, events: int, latest: int) -> Doc:
    """The document of an alliance from its aggregates (a state or an accumulator). Its first keys are the public
    shape's (`queries.alliance_json`) in that order: `shape.TextShaper` writes answers from this text."""
    if isinstance(acc, Aggregate):  # the rebuild's hot path: plain attribute reads
        sources, sk, ik, uk = acc.source_count, acc.stage_k, acc.since_k, acc.updated_k
    else:
        sources, sk, ik, uk = len(acc.sources), acc.stage_key, acc.since_key, acc.updated_key
    return {
        "id": alliance_id,
        "parties": sorted(acc.parties),
        "kinds": sorted(acc.kinds),
        "stage": acc.stage,
        "loi": acc.loi,
        "since": acc.since,
        "updated": acc.updated,
        "events": events,
        "sources": sources,
        "corroborations": acc.corroborations,
        "reported": acc.reported,
        "stage_key": list(sk) if sk else None,
        "since_key": list(ik) if ik else None,
        "updated_key": list(uk) if uk else None,
        "latest": latest,
    }


def now_doc(s: AllianceState, latest: int | None = None) -> Doc:
    """The alliance with everything the log says (no valid-time cut); `latest`: its last position, if known."""
    if latest is None:
        latest = max((e.position for e in s.entries), default=0)
    return aggregate_doc(s.alliance_id, s, len(s.entries), latest)


def named(doc: Doc, entries: Iterable[Entry], retracted: Collection[str]) -> Doc:
    """The present row's document with the alliance's own names (HIMA, 鸿蒙智行), for search; first seen first.
    Names carry no valid time, so only the present rows (`alliance_now`) hold them."""
    names = dict.fromkeys(e.summary for e in entries if e.type == "AllianceNamed" and e.key not in retracted)
    return {**doc, "names": list(names)}


def history(s: AllianceState) -> list[tuple[str, str, Doc]]:
    """(valid_from, valid_to, document) intervals of the alliance as of each valid date.

    The state as of D counts the live entries whose (effective) last day is <= D, and the
    events whose own last day is <= D or that carry no date; intervals begin where either
    changes, from the first date the alliance counts as reported. Equals `alliance.at(s, D)`.
    """
    live = sorted((e for e in live_entries(s) if e.end is not None), key=lambda e: e.end)  # type: ignore[arg-type,return-value]
    dated = sorted((e for e in s.entries if e.end is not None), key=lambda e: e.end)  # type: ignore[arg-type,return-value]
    undated = [e.position for e in s.entries if e.end is None]
    points: list[str] = sorted({e.end for e in dated if e.end} | {e.end for e in live if e.end})
    acc, i, j, latest = Aggregate(), 0, 0, max(undated, default=0)
    out: list[tuple[str, str, Doc]] = []
    for d in points:
        while i < len(live) and live[i].end <= d:  # type: ignore[operator]
            acc.add(live[i])
            i += 1
        while j < len(dated) and dated[j].end <= d:  # type: ignore[operator]
            latest = max(latest, dated[j].position)
            j += 1
        if acc.reported:
            out.append((d, END_OF_TIME, aggregate_doc(s.alliance_id, acc, len(undated) + j, latest)))
    return [(f, out[k + 1][0] if k + 1 < len(out) else END_OF_TIME, doc) for k, (f, _, doc) in enumerate(out)]


def absorb_doc(doc: Doc, e: Entry, new_source: bool) -> Doc:
    """A history document with one more live, dated entry counted (`Aggregate.add` on the aggregate
    the document describes), for an entry learned late that lands before later intervals."""
    acc = Aggregate.resume(doc).add(e, new_source)
    return aggregate_doc(doc["id"], acc, doc["events"] + 1, max(doc["latest"], e.position))


def entry_doc(raw: Entry, retracted: Collection[str], corrections: dict[str, dict[str, Any]]) -> Doc:
    """One timeline line: corrections applied, retraction flagged, with its sort key."""
    e = effective(raw, corrections)
    return {
        "position": e.position,
        "type": e.type,
        "date": e.valid,
        "recorded_at": e.recorded_at,
        "stage": e.stage,
        "loi": e.loi,
        "kind": e.kind,
        "parties": list(e.parties),
        "summary": e.summary,
        "confidence": e.confidence,
        "citation": e.citation,
        "key": e.key,
        "supersedes": e.supersedes,
        "retracted": raw.key in retracted,
        "corrected": raw.key in corrections,
        "sort": [e.start or e.recorded_at[:10], e.end or e.recorded_at[:10], e.position],
    }


def company_doc(c: CompanyState) -> Doc:
    """A company's document: names, aliases, country, sector and milestones."""
    return {
        "id": c.company_id,
        "name": c.name,
        "name_zh": c.name_zh,
        "aliases": list(c.aliases),
        "removed_aliases": list(c.removed_aliases),
        "country": c.country,
        "sector": c.sector,
        "milestones": [
            {
                "position": m.position,
                "date": m.valid,
                "end": m.end,
                "milestone": m.milestone,
                "description": m.description,
                "citation": m.citation,
                "alliance_id": m.alliance_id,
            }
            for m in c.milestones
        ],
    }


def timeline(docs: Iterable[Doc]) -> list[Doc]:
    """Timeline lines in date order, without their sort keys (the public shape)."""
    rows = sorted(docs, key=lambda d: d["sort"])
    return [{k: v for k, v in d.items() if k != "sort"} for d in rows]


def company_from_doc(doc: Doc) -> CompanyState:
    """Inverse of `company_doc`."""
    ms = tuple(
        Milestone(
            m["position"], m["date"], m["end"], m["milestone"], m["description"], m["citation"], m.get("alliance_id")
        )
        for m in doc["milestones"]
    )
    return CompanyState(
        doc["id"],
        doc["name"],
        doc["name_zh"],
        tuple(doc["aliases"]),
        doc["country"],
        doc["sector"],
        ms,
        tuple(doc.get("removed_aliases", ())),
    )  # documents written before removals existed


def state_from_docs(doc: Doc, lines: Iterable[Doc]) -> AllianceState:
    """An alliance's state from its present row and its timeline lines (the read model, not the log).

    What a decision needs: the aggregates, the names and every entry (retracted ones flagged in
    `retracted`). Entries carry their corrections already applied, so `corrections` is empty; the
    distinct sources are known only by number in the row, so `sources` is empty too.
    """
    dates: dict[str, tuple[str | None, str | None, str | None]] = {}
    ordered = sorted(lines, key=lambda d: d["position"])
    entries = []
    for d in ordered:
        valid = d["date"]
        if valid is None:
            strings: tuple[str | None, str | None, str | None] = (None, None, None)
        elif (strings := dates.get(valid)) is None:  # type: ignore[assignment]
            strings = dates[valid] = date_strings(FuzzyDate.parse(valid))
        entries.append(Entry(d["position"], d["key"], d["type"], *strings, d["recorded_at"], d["stage"], d["loi"],
                             d["kind"], tuple(d["parties"]), d["summary"], d["citation"], d["supersedes"]))
    retracted = frozenset(d["key"] for d in ordered if d["retracted"])
    return AllianceState(
        doc["id"], tuple(entries), retracted, {}, tuple(doc["parties"]), tuple(doc["kinds"]), doc["stage"], doc["loi"],
        _tuple(doc["stage_key"]), doc["since"], _tuple(doc["since_key"]), doc["updated"], _tuple(doc["updated_key"]),
        doc["reported"], (), doc["corroborations"])


def _tuple(key: list[Any] | None) -> tuple[str, str, int] | None:
    return (str(key[0]), str(key[1]), int(key[2])) if key else None


def fork(valid_from: str, valid_to: str) -> int:
    """The node of a valid-time interval [valid_from, valid_to) in a virtual binary tree over day numbers
    (a relational interval tree): the day in the interval with the most trailing zero bits. Every interval
    holding a day D has one of the ~23 nodes on D's path (`fork_path`) as its fork, so "the rows valid on D"
    is ~23 index range scans, however many rows the history holds."""
    low, high = date.fromisoformat(valid_from).toordinal(), date.fromisoformat(valid_to).toordinal() - 1
    if low >= high:
        return low
    bit = (low ^ high).bit_length() - 1
    return (high >> bit) << bit


def fork_path(day: date) -> list[int]:
    """The nodes that can be the fork of an interval holding `day`: its ancestors in the tree, and itself."""
    d = day.toordinal()
    return [((d >> (k + 1)) << (k + 1)) | (1 << k) for k in range(date.max.toordinal().bit_length())]
