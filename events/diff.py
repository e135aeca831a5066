"""What changed between two folds: alliances added, changed and ended."""
from __future__ import annotations

from dataclasses import dataclass

from .projections.alliance import AllianceState


@dataclass(frozen=True, slots=True)
class Change:
    alliance_id: str
    change: str  # added | changed | ended
    before_stage: str | None
    after_stage: str | None
    details: tuple[str, ...] = ()


def diff(before: dict[str, AllianceState], after: dict[str, AllianceState]) -> list[Change]:
    """Compare two landscapes (e.g. as of D1 and as of D2), ordered by alliance id."""
    out: list[Change] = []
    for aid in sorted(after):
        a, b = after[aid], before.get(aid)
        if b is None:
            kind = "ended" if a.stage == "ended" else "added"
            out.append(Change(aid, kind, None, a.stage, ("new alliance",)))
            continue
        details = _details(b, a)
        if not details:
            continue
        kind = "ended" if a.stage == "ended" and b.stage != "ended" else "changed"
        out.append(Change(aid, kind, b.stage, a.stage, details))
    for aid in sorted(set(before) - set(after)):  # vanished: only a retraction does this
        out.append(Change(aid, "ended", before[aid].stage, None, ("retracted",)))
    return out


def _details(b: AllianceState, a: AllianceState) -> tuple[str, ...]:
    d: list[str] = []
    if a.stage != b.stage or a.loi != b.loi:
        d.append(f"stage {b.stage} -> {a.stage}")
    if a.kinds != b.kinds:
        d.append(f"kinds {', '.join(b.kinds)} -> {', '.join(a.kinds)}")
    if a.parties != b.parties:
        d.append(f"parties {', '.join(b.parties)} -> {', '.join(a.parties)}")
    if a.sources != b.sources and not d:
        d.append(f"sources {len(b.sources)} -> {len(a.sources)}")
    return tuple(d)
