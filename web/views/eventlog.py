"""The raw event log, paginated by position, with the hash chain's verification status."""
from __future__ import annotations

import json
import threading
import time

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from events.store import Verification
from events.types import REGISTRY

from ..deps import queries
from ..exports import data_links, events_csv, wants_csv
from ..timetravel import href, parse_int_arg

bp = Blueprint("eventlog", __name__)
PER_PAGE = 50
CSV_LIMIT = 100_000
_lock = threading.Lock()


def verification(last: int) -> Verification:
    """The chain's verification, reused while the log has not grown (for at most 5 minutes, so tampering shows)."""
    ext = current_app.extensions
    with _lock:
        cached: tuple[int, float, Verification] | None = ext.get("verify_cache")
        if cached and cached[0] == last and time.monotonic() - cached[1] < 300:
            return cached[2]
        v = queries().verify()
        ext["verify_cache"] = (last, time.monotonic(), v)
        return v


@bp.get("/events")
def index() -> ResponseReturnValue:
    """The log itself, so anyone can audit what the pages are folded from."""
    after = parse_int_arg("after", 0)
    per = parse_int_arg("per", PER_PAGE, 1, 500)
    type_ = request.args.get("type", "").strip()[:100]
    stream = request.args.get("stream", "").strip()[:300]
    if wants_csv():  # the whole filtered log after `after`, not one page of it
        return events_csv(queries().events(after=after, limit=CSV_LIMIT, type_=type_, stream=stream))
    rows = queries().events(after=after, limit=per, type_=type_, stream=stream)
    last = queries().position()
    v = verification(last)
    nxt = href("eventlog.index", after=rows[-1]["position"], type=type_, stream=stream,
               per=per if per != PER_PAGE else None) if rows and rows[-1]["position"] < last else None
    first = href("eventlog.index", type=type_, stream=stream) if after else None
    items = [{"r": r, "payload": json.dumps(r["payload"], ensure_ascii=False, indent=1)} for r in rows]
    return render_template("events.html", items=items, after=after, per=per, type_=type_, stream=stream,
                           types=sorted(REGISTRY), last=last, v=v, next_url=nxt,
                           first_url=first, links=data_links("api.events"))
