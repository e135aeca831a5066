"""The status page (`/`): every alliance, filtered, searched, sorted and paginated server-side."""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from .. import visits
from ..catalog import SORTS, Filters, Row, Snapshot
from ..deps import catalog, queries
from ..exports import alliances_csv, data_links, wants_csv
from ..timetravel import parse_int_arg
from ..words import marks

bp = Blueprint("status", __name__)
PER_PAGE = 200
MAX_MARKED = 2000  # changes read to word the marks; beyond them a row just says "updated"
FILTER_ARGS = ("q", "company", "stage", "kind", "country")
DESCENDING = ("updated", "learned", "since", "sources")


def filters(baseline: int | None) -> Filters:
    """The status filters of this request (`changed=1`: only what changed since the last visit)."""
    only_changed = request.args.get("changed", "") == "1" and baseline is not None and not g.past
    return replace(filters_from_args(), changed_after=baseline if only_changed else None)


def sorting() -> tuple[str, bool]:
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    return sort, request.args.get("order", "desc" if sort in DESCENDING else "asc") == "desc"


def matching(snap: Snapshot, f: Filters, sort: str, desc: bool) -> list[Row]:
    rows = snap.ordered(sort, desc)
    return f.match(rows) if f.active else rows


def change_marks(baseline: int) -> dict[str, str]:
    """What changed since `baseline`, per alliance, in words ('new alliance', 'stage change', ...)."""
    return marks(queries().changes(after=baseline, limit=MAX_MARKED, newest_first=False, corroborations=True))


def filters_from_args() -> Filters:
    """The status page's filters from the query string (the Atom feed and the stream read the same)."""
    q, company, stage, kind, country = (request.args.get(k, "").strip()[:200] for k in FILTER_ARGS)
    return Filters(q=q, company=company, stage=stage, kind=kind, country=country)


def filter_args(f: Filters) -> dict[str, Any]:
    """The filters back as query arguments (only those set)."""
    return {k: v for k, v in (("q", f.q), ("company", f.company), ("stage", f.stage), ("kind", f.kind),
                              ("country", f.country)) if v}


def matching_alliances(f: Filters) -> frozenset[str] | None:
    """Ids of the alliances the status page would list today for these filters (None: no filter, all)."""
    if not f.active:
        return None
    return frozenset(r["id"] for r in f.match(catalog().snapshot().rows))


@bp.get("/")
def index() -> ResponseReturnValue:
    """The landscape at a glance, with what changed since the visitor's last visit marked."""
    visit = visits.current()
    present = not g.past
    baseline = visit.baseline
    f = filters(baseline)
    sort, desc = sorting()
    snap = catalog().snapshot(g.as_of, g.known_at)
    rows = matching(snap, f, sort, desc)
    if wants_csv():
        return alliances_csv(rows, "alliances")
    per = parse_int_arg("per", PER_PAGE, 10, 1000)
    page = parse_int_arg("page", 1, 1)
    pages = max(1, math.ceil(len(rows) / per))
    page = min(page, pages)
    shown = rows[(page - 1) * per: page * per]

    marking = present and baseline is not None
    if not marking:
        changed_total = 0
    elif f.active:
        changed_total = sum(1 for r in rows if r["_latest"] > baseline)  # type: ignore[operator]
    else:
        changed_total = snap.changed_since(baseline)  # type: ignore[arg-type]
    words = change_marks(baseline) if marking and changed_total else {}  # type: ignore[arg-type]
    row_template = current_app.jinja_env.get_template("_status_row.html")

    def mark(r: Row) -> str:
        return (words.get(r["id"]) or "updated") if marking and r["_latest"] > baseline else ""  # type: ignore[operator]

    row_html = [Markup(snap.row_html(r, g.tt_query, mark(r), row_template.render)) for r in shown]

    chosen = {"q": f.q, "company": f.company, "stage": f.stage, "kind": f.kind, "country": f.country}
    base_args = {k: v for k, v in (*chosen.items(), *g.tt.items()) if v}
    if f.changed_after is not None:
        base_args["changed"] = "1"
    if per != PER_PAGE:
        base_args["per"] = str(per)

    def page_url(n: int) -> str:
        args = {**base_args, "sort": sort, "order": "desc" if desc else "asc"}
        if n > 1:
            args["page"] = str(n)
        return "?" + urlencode(args)

    def sort_url(key: str) -> str:
        same = key == sort
        order = ("asc" if desc else "desc") if same else ("desc" if key in DESCENDING else "asc")
        return "?" + urlencode({**base_args, "sort": key, "order": order})

    html = render_template(
        "status.html", rows=shown, row_html=row_html, total=len(snap.rows), matched=len(rows), filters=f, snap=snap,
        sort=sort, desc=desc, page=page, pages=pages, per=per, page_url=page_url, sort_url=sort_url,
        sorts=SORTS, changed_total=changed_total, baseline=baseline, present=present,
        first_visit=visit.first, tt_query=g.tt_query, links=data_links("api.alliances"),
        only_changed_url="?" + urlencode({**{k: v for k, v in base_args.items() if k != "per"}, "changed": "1"}),
        stream_url=url_for("stream.stream", after=snap.position, **filter_args(f)) if present else None,
        feed_url=url_for("follow.changes", **filter_args(f)),
        feed_title="Changes of these alliances" if f.active else "All changes",
    )
    resp = make_response(html)
    if present:
        visits.remember(resp, visit, snap.position)
    return resp
