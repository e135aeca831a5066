"""What changed between two answers (e.g. as of D1 and as of D2): alliances added, changed and ended."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Doc = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    alliance_id: str
    change: str  # added | changed | ended
    before_stage: str | None
    after_stage: str | None
    details: tuple[str, ...] = ()


def diff(before: Mapping[str, Doc], after: Mapping[str, Doc]) -> list[Change]:
    """Compare two sets of alliance documents by id (read-model rows: stage, loi, kinds, parties, sources)."""
    return list(changes(before, ((aid, after[aid]) for aid in sorted(after))))


COMPARED = ("stage", "loi", "kinds", "parties", "sources")  # all a comparison reads of the earlier document


def changes(before: Mapping[str, Doc], after: Iterable[tuple[str, Doc]]) -> Iterator[Change]:
    """`diff` over the later documents one at a time, in id order (a caller need not hold them all);
    `before` needs only the COMPARED fields."""
    seen: set[str] = set()
    for aid, a in after:
        seen.add(aid)
        b = before.get(aid)
        if b is None:
            kind = "ended" if a["stage"] == "ended" else "added"
            yield Change(aid, kind, None, a["stage"], ("new alliance",))
            continue
        details = _details(b, a)
        if not details:
            continue
        kind = "ended" if a["stage"] == "ended" and b["stage"] != "ended" else "changed"
        yield Change(aid, kind, b["stage"], a["stage"], details)
    for aid in sorted(set(before) - seen):  # vanished: only a retraction does this
        yield Change(aid, "ended", before[aid]["stage"], None, ("retracted",))


def _details(b: Doc, a: Doc) -> tuple[str, ...]:
    d: list[str] = []
    if a["stage"] != b["stage"] or a["loi"] != b["loi"]:
        d.append(f"stage {b['stage']} -> {a['stage']}")
    if a["kinds"] != b["kinds"]:
        d.append(f"kinds {', '.join(b['kinds'])} -> {', '.join(a['kinds'])}")
    if a["parties"] != b["parties"]:
        d.append(f"parties {', '.join(b['parties'])} -> {', '.join(a['parties'])}")
    if a["sources"] != b["sources"] and not d:  # sources only grow with the valid date
        d.append(f"sources {b['sources']} -> {a['sources']}")
    return tuple(d)
