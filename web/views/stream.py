"""`GET /api/stream`: new changes as Server-Sent Events, resumable from the log position.

Each stream holds a waitress thread, so it is bounded three ways: it ends after `ALLIANCES_STREAM_SECONDS`
(with a `retry:` hint; EventSource reconnects with Last-Event-ID and resumes where it stopped), a stream
whose browser went away ends at its next keep-alive write, and at most `ALLIANCES_STREAM_LIMIT` run at
once (429 beyond), leaving threads for the pages.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Response, abort, current_app, request, stream_with_context

from ..deps import queries
from ..ports import Json
from ..timetravel import MAX_INT64
from .status import filters_from_args, matching_alliances

bp = Blueprint("stream", __name__, url_prefix="/api")
DEFAULTS = {
    "ALLIANCES_STREAM_SECONDS": 25.0,  # one response's life; then the browser reconnects
    "ALLIANCES_STREAM_POLL_SECONDS": 1.0,  # how often a stream asks for the log position (one cheap query)
    # A comment line every second: the server only learns that a browser went away (a page left, a tab
    # closed) when a write fails, and proxies see a live connection.
    "ALLIANCES_STREAM_KEEPALIVE_SECONDS": 1.0,
    "ALLIANCES_STREAM_LIMIT": 2,  # streams at once (`alliances serve` sets half its threads)
    "ALLIANCES_STREAM_RETRY_MS": 2000,
}
BATCH = 100


def setting(name: str) -> float:
    value: float = current_app.config.get(name, DEFAULTS[name])
    return value


class Slots:
    """A count of running streams with a ceiling (thread-safe); release is idempotent per slot."""

    def __init__(self) -> None:
        self.running = 0
        self._lock = threading.Lock()

    def take(self, limit: int) -> bool:
        with self._lock:
            if self.running >= limit:
                return False
            self.running += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.running = max(0, self.running - 1)


def slots() -> Slots:
    found = current_app.extensions.get("alliances.streams")
    if found is None:
        found = current_app.extensions.setdefault("alliances.streams", Slots())
    assert isinstance(found, Slots)
    return found


def message(data: Json | None = None, *, event: str = "", id_: int | None = None, retry: int | None = None) -> str:
    """One SSE message: fields in the order the spec reads them, data as one JSON line."""
    lines = [f"retry: {retry}"] if retry is not None else []
    if id_ is not None:
        lines.append(f"id: {id_}")
    if event:
        lines.append(f"event: {event}")
    if data is not None:
        lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def start_position() -> int:
    """Where to resume: Last-Event-ID (the browser's reconnect), else ?after=, else now (only new changes)."""
    for raw, name in ((request.headers.get("Last-Event-ID", ""), "Last-Event-ID"),
                      (request.args.get("after", ""), "after")):
        raw = raw.strip()
        if raw:
            if not raw.isdigit() or int(raw) > MAX_INT64:
                abort(400, description=f"'{name}' must be a log position (a whole number), got {raw[:40]!r}.")
            return int(raw)
    return queries().position()


def _changes(after: int) -> Iterator[Json]:
    """Every change after `after` the stream's filters let through, oldest first, in batches."""
    only = matching_alliances(filters_from_args())
    while True:
        batch = queries().changes(after=after, limit=BATCH, newest_first=False, alliances=only)
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1]["position"]


def _events(after: int) -> Iterator[str]:
    retry = int(setting("ALLIANCES_STREAM_RETRY_MS"))
    now = time.monotonic()
    end, beat = now + setting("ALLIANCES_STREAM_SECONDS"), now + setting("ALLIANCES_STREAM_KEEPALIVE_SECONDS")
    yield message(retry=retry)
    last = after
    while True:
        position = queries().position()
        if position > last:
            sent = last
            for c in _changes(last):
                yield message(c, event="change", id_=c["position"])
                sent = c["position"]
            last = max(position, sent)
        now = time.monotonic()
        if now >= end:
            break
        if now >= beat:
            yield ": keep-alive\n\n"
            beat = now + setting("ALLIANCES_STREAM_KEEPALIVE_SECONDS")
        time.sleep(min(setting("ALLIANCES_STREAM_POLL_SECONDS"), max(0.0, end - now)))
    yield message(id_=last, retry=retry)  # no data: moves the browser's Last-Event-ID, fires nothing


@bp.get("/stream")
def stream() -> Response:
    """New changes as they are learned (`event: change`, `id:` the log position, `data:` the change JSON);
    the status page's filters (q, company, stage, kind, country) narrow it as they narrow the page."""
    after = start_position()
    limit = int(setting("ALLIANCES_STREAM_LIMIT"))
    pool = slots()
    if not pool.take(limit):
        resp = Response(json.dumps({"error": "Too many requests", "status": 429,
                                    "message": f"{limit} live streams are open already; try again shortly."}),
                        status=429, mimetype="application/json")
        resp.headers["Retry-After"] = "10"
        return resp
    resp = Response(stream_with_context(_events(after)), mimetype="text/event-stream")
    once = threading.Lock()

    def release() -> None:
        if once.acquire(blocking=False):
            pool.release()

    resp.call_on_close(release)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return resp
