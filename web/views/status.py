"""The status page (`/`): every alliance, filtered, searched, sorted and paginated server-side."""
from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from ..catalog import SORTS, Filters
from ..deps import catalog
from ..timetravel import parse_int_arg

bp = Blueprint("status", __name__)
PER_PAGE = 200
SEEN_COOKIE = "alliances_seen"  # persistent: the log position at the end of the last visit
SESSION_COOKIE = "alliances_since"  # session-only: the baseline marked during this visit
YEAR = 365 * 24 * 3600


FILTER_ARGS = ("q", "company", "stage", "kind", "country")


def filters_from_args() -> Filters:
    """The status page's filters from the query string (the Atom feed and the stream read the same)."""
    return Filters(**{k: request.args.get(k, "").strip()[:200] for k in FILTER_ARGS})


def filter_args(f: Filters) -> dict[str, Any]:
    """The filters back as query arguments (only those set)."""
    return {k: v for k, v in (("q", f.q), ("company", f.company), ("stage", f.stage), ("kind", f.kind),
                              ("country", f.country)) if v}


def matching_alliances(f: Filters) -> frozenset[str] | None:
    """Ids of the alliances the status page would list today for these filters (None: no filter, all)."""
    if not f.active:
        return None
    return frozenset(r["id"] for r in f.match(catalog().snapshot().rows))


def _cookie_int(name: str) -> int | None:
    raw = request.cookies.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@bp.get("/")
def index() -> ResponseReturnValue:
    """The landscape at a glance, with what changed since the visitor's last visit marked."""
    f = filters_from_args()
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    desc = request.args.get("order", "desc" if sort in ("updated", "since", "sources") else "asc") == "desc"
    per = parse_int_arg("per", PER_PAGE, 10, 1000)
    page = parse_int_arg("page", 1, 1)

    snap = catalog().snapshot(g.as_of, g.known_at)
    rows = snap.ordered(sort, desc)
    if f.active:
        rows = f.match(rows)
    pages = max(1, math.ceil(len(rows) / per))
    page = min(page, pages)
    shown = rows[(page - 1) * per: page * per]

    present = not g.past
    seen, baseline = _cookie_int(SEEN_COOKIE), _cookie_int(SESSION_COOKIE)
    if baseline is None:
        baseline = seen
    marking = present and baseline is not None
    if not marking:
        changed_total = 0
    elif f.active:
        changed_total = sum(1 for r in rows if r["_latest"] > baseline)
    else:
        changed_total = snap.changed_since(baseline)  # type: ignore[arg-type]
    row_template = current_app.jinja_env.get_template("_status_row.html")
    row_html = [Markup(snap.row_html(r, g.tt_query, marking and r["_latest"] > baseline, row_template.render))
                for r in shown]

    base_args = {k: v for k, v in (("q", f.q), ("company", f.company), ("stage", f.stage), ("kind", f.kind),
                                   ("country", f.country), *g.tt.items()) if v}
    if per != PER_PAGE:
        base_args["per"] = str(per)

    def page_url(n: int) -> str:
        args = {**base_args, "sort": sort, "order": "desc" if desc else "asc"}
        if n > 1:
            args["page"] = str(n)
        return "?" + urlencode(args)

    def sort_url(key: str) -> str:
        same = key == sort
        order = ("asc" if desc else "desc") if same else ("desc" if key in ("updated", "since", "sources") else "asc")
        return "?" + urlencode({**base_args, "sort": key, "order": order})

    html = render_template(
        "status.html", rows=shown, row_html=row_html, total=len(snap.rows), matched=len(rows), filters=f, snap=snap,
        sort=sort, desc=desc, page=page, pages=pages, per=per, page_url=page_url, sort_url=sort_url,
        sorts=SORTS, changed_total=changed_total, baseline=baseline, present=present,
        first_visit=seen is None, tt_query=g.tt_query,
        stream_url=url_for("stream.stream", after=snap.position, **filter_args(f)) if present else None,
        feed_url=url_for("follow.changes", **filter_args(f)),
        feed_title="Changes of these alliances" if f.active else "All changes",
    )
    resp = make_response(html)
    if present:
        if seen != snap.position:
            resp.set_cookie(SEEN_COOKIE, str(snap.position), max_age=YEAR, httponly=True, samesite="Lax")
        if _cookie_int(SESSION_COOKIE) is None:
            resp.set_cookie(SESSION_COOKIE, str(baseline if baseline is not None else snap.position),
                            httponly=True, samesite="Lax")
    return resp
