"""The "Latest" page: what the tracker learned, newest first, each change in words with its source.

Ordered by when the tracker learned a change (its log position), not by the date of the event, so
what arrived today is on top even when it reports something from 2024. `since=visit` keeps only
what was learned since the visitor's last visit (the status page's cookies).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from events.changes import WHATS

from .. import visits
from ..deps import queries
from ..exports import changes_csv, query_string, wants_csv
from ..searchtext import fold
from ..timetravel import parse_int_arg
from ..words import WHAT_LABELS, change_name

bp = Blueprint("latest", __name__)
LIMIT = 100
SCAN = 500  # changes read when a filter may drop some


def choose(changes: list[dict[str, Any]], what: str, q: str) -> list[dict[str, Any]]:
    """The changes of one kind (`what`) and/or about alliances whose parties' names contain `q`."""
    needle = fold(q)
    return [c for c in changes if (not what or c["what"] == what) and (
        not needle or needle in fold(f"{change_name(c)} {c['title']} {c['alliance_id']}"))]


def read(after: int, limit: int, what: str, q: str, corroborations: bool) -> list[dict[str, Any]]:
    found = queries().changes(after=after, limit=SCAN if what or q else limit, newest_first=True,
                              corroborations=corroborations or what == "corroborated")
    return choose(found, what, q)[:limit]


@bp.get("/latest")
def index() -> ResponseReturnValue:
    """What is new, in the order the tracker learned it."""
    visit = visits.current()
    since_visit = request.args.get("since", "") == "visit"
    what = request.args.get("what", "").strip()
    if what and what not in WHATS:
        abort(400, description=f"'what' must be one of {', '.join(WHATS)}.")
    q = request.args.get("q", "").strip()[:200]
    corroborations = request.args.get("sources", "") == "1"
    limit = parse_int_arg("limit", LIMIT, 1, SCAN)
    after = visit.baseline if since_visit and visit.baseline is not None else 0
    changes = read(after, limit, what, q, corroborations)
    if wants_csv():
        return changes_csv(changes, "latest")
    position = queries().position()
    api_args: dict[str, Any] = {"after": after or None, "limit": limit if limit != LIMIT else None,
                                "what": what or None, "q": q or None, "sources": "1" if corroborations else None}
    links = {"json": url_for("api.latest", **{k: v for k, v in api_args.items() if v is not None}),
             "csv": request.path + (query_string() + "&" if query_string() else "?") + "format=csv"}
    html = render_template("latest.html", changes=changes, since_visit=since_visit, visit=visit, what=what, q=q,
                           corroborations=corroborations, limit=limit, whats=WHAT_LABELS, links=links)
    resp = make_response(html)
    visits.remember(resp, visit, position)
    return resp
