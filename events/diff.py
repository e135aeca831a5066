"""What changed between two answers (e.g. as of D1 and as of D2): alliances added, changed and ended."""
from __future__ import annotations

from collections.abc import Mapping
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
    out: list[Change] = []
    for aid in sorted(after):
        a, b = after[aid], before.get(aid)
        if b is None:
            kind = "ended" if a["stage"] == "ended" else "added"
            out.append(Change(aid, kind, None, a["stage"], ("new alliance",)))
            continue
        details = _details(b, a)
        if not details:
            continue
        kind = "ended" if a["stage"] == "ended" and b["stage"] != "ended" else "changed"
        out.append(Change(aid, kind, b["stage"], a["stage"], details))
    for aid in sorted(set(before) - set(after)):  # vanished: only a retraction does this
        out.append(Change(aid, "ended", before[aid]["stage"], None, ("retracted",)))
    return out


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
