"""The changes page: alliances added, advanced and ended between two dates, with stepping."""
from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, request, stream_template, url_for
from flask.typing import ResponseReturnValue

from ..deps import catalog, queries
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


def earlier(start: date) -> Callable[[Mapping[str, Any]], list[str]]:
    """What changed of one item of the diff, in words, from the alliance as it was at `start`.

    The alliances at the start are the status table's snapshot for that date (the same documents), so the
    catalog's bounded cache holds them in place of the last date asked for, and a reader going from here to the
    status table as of the start finds it built."""
    snap = catalog().snapshot(start, g.known_at)
    by_id = snap.memo("by id", lambda: {r["id"]: r for r in snap.rows})

    def words(item: Mapping[str, Any]) -> list[str]:
        return diff_phrases(item, by_id.get(item["id"]))

    return words


@bp.get("/changes")
def index() -> ResponseReturnValue:
    """What moved in the landscape between two dates, so a reader can step through history."""
    start, end, step = window()
    words = earlier(start)  # first: a snapshot's build decodes every document, with nothing else large held
    d = queries().diff(start, end, g.known_at)
    if wants_csv():
        return diff_csv(d, words, f"changes-{start.isoformat()}-{end.isoformat()}")
    n = _months(step)

    def url(a: date, b: date, s: str = step) -> str:
        return href("changes.index", **{"from": a.isoformat(), "to": b.isoformat(), "step": s})

    nav = {
        "prev": url(shift(start, -n), shift(end, -n)),
        "next": url(shift(start, n), shift(end, n)),
        "steps": {s: url(shift(end, -_months(s)), end, s) for s in STEPS},
    }
    # streamed: a window over 10,000 alliances is megabytes of HTML, never held whole in the worker
    return Response(stream_template("changes.html", d=d, words=words, start=start, end=end, step=step, nav=nav,
                                    tt_query=g.tt_query, links=data_links("api.changes"),
                                    feed_url=url_for("follow.changes"), feed_title="All changes"),
                    mimetype="text/html")
