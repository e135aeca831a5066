"""The network page: who partners with whom, as a server-rendered SVG plus a table of the same data."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue

from ..deps import catalog
from ..formatting import STAGE_ORDER
from ..network_chart import MAX_NODES, SIZE, WIDTH, Edge, Hub, Node, alliance_title, layout

bp = Blueprint("network", __name__)

__all__ = ["bp", "layout"]


def year_steps(as_of: date | None, today: date) -> tuple[date, date | None]:
    """The year ends a reader steps to from the date shown: the one before, and the one after
    (None: the present comes next). Pure, so the stepping rules are tested without a request."""
    shown = as_of or today
    back = date(shown.year - 1, 12, 31)
    if as_of is None:
        return back, None
    ahead = date(shown.year, 12, 31) if as_of < date(shown.year, 12, 31) else date(shown.year + 1, 12, 31)
    return back, ahead if ahead < today else None


@bp.get("/network")
def index() -> ResponseReturnValue:
    """The partnership graph as of the chosen date, readable without JavaScript or colour vision."""
    snap = catalog().snapshot(g.as_of, g.known_at)

    def compute() -> tuple[list[Node], list[Edge], list[Hub], int]:
        countries = {c["id"]: c.get("country", "") for c in snap.companies}
        alliances = [{**a, "parties": [{**p, "country": countries.get(p["id"], "")} for p in a["parties"]]}
                     for a in snap.rows]
        return layout(alliances, SIZE, MAX_NODES, WIDTH)

    nodes, edges, hubs, left_out = snap.memo("network", compute)
    stages = sorted({e.stage for e in edges} | {h.stage for h in hubs}, key=_stage_rank)
    table = snap.rows if len(snap.rows) <= 1000 else snap.rows[:1000]
    back, ahead = year_steps(g.as_of, date.today())
    return render_template("network.html", nodes=nodes, edges=edges, hubs=hubs, left_out=left_out, size=SIZE,
                           width=WIDTH, stages=stages, table=table, total=len(snap.rows), tt_query=g.tt_query,
                           title_of=alliance_title, back=back, ahead=ahead)


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.get(stage, 99)
