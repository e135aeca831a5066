"""The changes page: alliances added, advanced and ended between two dates, with stepping."""
from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, request, stream_template, url_for
from flask.typing import ResponseReturnValue

from ..deps import queries
from ..exports import data_links, diff_csv, wants_csv
from ..timetravel import href, parse_day_arg
from ..words import diff_phrases

bp = Blueprint("changes", __name__)
STEPS = ("month", "quarter", "year")


def shift(d: date, months: int) -> date:
    """`d` moved by whole months, clamped to the month's last day."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _months(step: str) -> int:
    return {"month": 1, "quarter": 3, "year": 12}[step]


def default_window(end: date, step: str) -> tuple[date, date]:
    """The last whole `step` before `end`: the window shown when no dates are given."""
    return shift(end, -_months(step)), end


def window() -> tuple[date, date, str]:
    """(from, to, step) of this request: `from`/`to` as YYYY, YYYY-MM or YYYY-MM-DD (the period's end)."""
    step = request.args.get("step", "year")
    if step not in STEPS:
        abort(400, description=f"'step' must be one of {', '.join(STEPS)}.")
    end = parse_day_arg("to") or g.as_of or date.today()
    start = parse_day_arg("from") or default_window(end, step)[0]
    if end < start:
        abort(400, description=f"'to' ({end}) must not be before 'from' ({start}).")
    return start, end, step


def worded(d: dict[str, Any], before: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The diff with each item's changes in words (from the alliance as it was at the start)."""
    return {**d, **{k: [{**a, "words": diff_phrases(a, before.get(a["id"]))} for a in d[k]]
                    for k in ("added", "changed", "ended")}}


@bp.get("/changes")
def index() -> ResponseReturnValue:
    """What moved in the landscape between two dates, so a reader can step through history."""
    start, end, step = window()
    d = queries().diff(start, end, g.known_at)
    before = {a["id"]: a for a in queries().alliances(start, g.known_at)}
    if wants_csv():
        return diff_csv(d, before, f"changes-{start.isoformat()}-{end.isoformat()}")
    d = worded(d, before)
    n = _months(step)

    def url(a: date, b: date, s: str = step) -> str:
        return href("changes.index", **{"from": a.isoformat(), "to": b.isoformat(), "step": s})

    nav = {
        "prev": url(shift(start, -n), shift(end, -n)),
        "next": url(shift(start, n), shift(end, n)),
        "steps": {s: url(shift(end, -_months(s)), end, s) for s in STEPS},
    }
    # streamed: a window over 10,000 alliances is megabytes of HTML, never held whole in the worker
    return Response(stream_template("changes.html", d=d, start=start, end=end, step=step, nav=nav,
                                    tt_query=g.tt_query, links=data_links("api.changes"),
                                    feed_url=url_for("follow.changes"), feed_title="All changes"),
                    mimetype="text/html")
