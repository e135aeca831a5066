"""The raw event log, paginated by position, with the hash chain's verification status."""
from __future__ import annotations

import json
import threading
import time
from itertools import islice
from typing import Any, Iterator

from flask import Blueprint, current_app, render_template, request

from events.envelope import Recorded
from events.store import EventStore, Verification
from events.types import REGISTRY

from ..deps import tracker
from ..timetravel import href, parse_int_arg

bp = Blueprint("eventlog", __name__)
PER_PAGE = 50
_lock = threading.Lock()


def select(store: EventStore, after: int, limit: int, type_: str = "", stream: str = "") -> Iterator[Recorded]:
    """Up to `limit` events after `after`, optionally only one type and/or stream (prefix with '*')."""
    prefix = stream[:-1] if stream.endswith("*") else None
    types = [type_] if type_ else None
    if prefix is None:
        return store.read(after=after, types=types, streams=[stream] if stream else None, limit=limit)
    it = store.read(after=after, types=types, batch=2000)
    return islice((r for r in it if r.stream_id.startswith(prefix)), limit)


def verification(store: EventStore) -> Verification:
    """store.verify(), reused while the log has not grown (for at most 5 minutes, so tampering shows up)."""
    ext = current_app.extensions
    last = store.last_position()
    with _lock:
        cached = ext.get("verify_cache")
        if cached and cached[0] == last and time.monotonic() - cached[1] < 300:
            return cached[2]
        v = store.verify()
        ext["verify_cache"] = (last, time.monotonic(), v)
        return v


@bp.get("/events")
def index() -> Any:
    """The log itself, so anyone can audit what the pages are folded from."""
    store = tracker().store
    after = parse_int_arg("after", 0)
    per = parse_int_arg("per", PER_PAGE, 1, 500)
    type_ = request.args.get("type", "").strip()[:100]
    stream = request.args.get("stream", "").strip()[:300]
    rows = list(select(store, after, per, type_, stream))
    last = store.last_position()
    v = verification(store)
    nxt = href("eventlog.index", after=rows[-1].position, type=type_, stream=stream,
               per=per if per != PER_PAGE else None) if rows and rows[-1].position < last else None
    first = href("eventlog.index", type=type_, stream=stream) if after else None
    items = [{"r": r, "payload": json.dumps(r.to_json()["payload"], ensure_ascii=False, indent=1)} for r in rows]
    return render_template("events.html", items=items, after=after, per=per, type_=type_, stream=stream,
                           types=sorted(REGISTRY), last=last, v=v, next_url=nxt,
                           first_url=first)
