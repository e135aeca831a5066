"""The landscape timeline (`/timeline`): one bar per alliance, coloured by stage over valid time.

With thousands of alliances the page shows the ones that changed last, a page at a time, and takes
the status page's filters; each year on the axis replays the status page to that year's end.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from ..catalog import Filters
from ..deps import catalog, queries
from ..formatting import STAGE_LABELS
from ..network_chart import alliance_title, short_title
from ..timeline_chart import chart, stage_runs
from ..timetravel import href, parse_int_arg

bp = Blueprint("timeline", __name__)
PER_PAGE = 40
FILTERS = ("q", "company", "stage", "kind", "country")


@bp.get("/timeline")
def index() -> ResponseReturnValue:
    """Alliances as bars from their first report, latest change first; filters as on the status page."""
    q, company, stage, kind, country = (request.args.get(k, "").strip()[:200] for k in FILTERS)
    f = Filters(q=q, company=company, stage=stage, kind=kind, country=country)
    per = parse_int_arg("per", PER_PAGE, 5, 200)
    page = parse_int_arg("page", 1, 1)
    snap = catalog().snapshot(g.as_of, g.known_at)
    rows = snap.ordered("updated", True)
    if f.active:
        rows = f.match(rows)
    pages = max(1, math.ceil(len(rows) / per))
    page = min(page, pages)
    shown = rows[(page - 1) * per: page * per]
    spans = queries().stage_spans([r["id"] for r in shown], g.known_at)
    until = g.as_of or date.today()
    picture = chart(shown, spans, until, alliance_title, short_title)
    kept = {k: v for k, v in asdict(f).items() if v}

    def page_url(n: int) -> str:
        args = {**kept, **g.tt, **({"per": str(per)} if per != PER_PAGE else {})}
        return "?" + urlencode({**args, **({"page": str(n)} if n > 1 else {})})

    def replay_url(year: int) -> str:
        """The status page at the end of `year`, with the same filters (and the same `known_at`)."""
        args = {**kept, "as_of": f"{year}-12-31", **({"known_at": g.known_at_text} if g.known_at_text else {})}
        return "/?" + urlencode(args)

    runs = {r["id"]: stage_runs(spans.get(r["id"], ()), until) for r in shown}
    return render_template("timeline.html", chart=picture, runs=runs, rows=shown, matched=len(rows),
                           total=len(snap.rows), filters=f, page=page, pages=pages, page_url=page_url,
                           replay_url=replay_url, tt_query=g.tt_query, title_of=alliance_title,
                           status_url=href("status.index", **kept), stages=list(STAGE_LABELS), snap=snap)
