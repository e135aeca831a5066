"""An in-process index for fast time travel on valid time.

For each alliance it keeps the aggregate state after each live dated entry, in order of
the entry's last possible day. "As of D" is then one bisection per alliance instead of a
fold over the whole log. The snapshots come from the same `absorb` the fold uses, and
the fold is order-insensitive, so the answers equal `Landscape.as_of(D)` exactly.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

from .projections.alliance import AllianceState, absorb, live_entries


@dataclass(frozen=True, slots=True)
class _Track:
    source: AllianceState  # the state this track was built from (identity = freshness)
    ends: tuple[str, ...]
    snapshots: tuple[AllianceState, ...]
    all_ends: tuple[str, ...]  # every entry's last day, for the event count
    undated: int


def _track(st: AllianceState) -> _Track:
    live = sorted((e for e in live_entries(st) if e.end is not None), key=lambda e: (e.end, e.position))
    acc = AllianceState(alliance_id=st.alliance_id, retracted=st.retracted, corrections=st.corrections)
    snaps = []
    for e in live:
        acc = absorb(acc, e)
        snaps.append(acc)
    ends = sorted(e.end for e in st.entries if e.end is not None)
    return _Track(st, tuple(e.end for e in live), tuple(snaps), tuple(ends),  # type: ignore[misc]
                  sum(1 for e in st.entries if e.end is None))


class TimeIndex:
    """Answer "alliances as of D" in O(alliances · log entries)."""

    def __init__(self) -> None:
        self._tracks: dict[str, _Track] = {}

    def update(self, alliances: dict[str, AllianceState]) -> None:
        """Re-index only the alliances whose state changed since the last update."""
        for aid, st in alliances.items():
            t = self._tracks.get(aid)
            if t is None or t.source is not st:
                self._tracks[aid] = _track(st)

    def at(self, day: date) -> dict[str, tuple[AllianceState, int]]:
        """(state, events counted) of every alliance reported by `day`."""
        limit = day.isoformat()
        out: dict[str, tuple[AllianceState, int]] = {}
        for aid, t in self._tracks.items():
            k = bisect_right(t.ends, limit)
            if k and t.snapshots[k - 1].reported:
                out[aid] = (t.snapshots[k - 1], t.undated + bisect_right(t.all_ends, limit))
        return out
