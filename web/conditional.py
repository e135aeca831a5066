"""Conditional GET for the reading pages and the API: `ETag`, `Last-Modified`, and 304 before any work.

Everything these pages show is a function of the code (a digest of web/), the read model's log
position and the request: its path and query, today's date (default windows, "future" labels), the
number of failing feeds in the navigation, and for the pages that mark what is new, the visitor's
last-visit baseline. The ETag hashes
exactly these, so "anything new?" costs one position query. Pages are `private` and `Vary: Cookie`
(a logged-in admin sees more on the same address); admins and pages with a flashed message are never
answered 304. The API is public and honours `If-Modified-Since` too (the time the newest event at
that position was recorded); pages answer it only through their ETag, as the navigation can change
without the log moving.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session

from . import visits
from .deps import failing_feeds, queries

PAGES = {  # endpoint -> whether the visitor's last-visit cookies change the page
    "status.index": True, "latest.index": True, "entities.alliance": False, "entities.company": False,
    "network.index": False, "changes.index": False,
}


def _applies() -> bool:
    ep = request.endpoint or ""
    if request.method not in ("GET", "HEAD") or g.get("is_admin") or session.get("_flashes"):
        return False
    return ep in PAGES or ep.startswith("api.")


def _last_modified(position: int) -> datetime | None:
    """When the newest event the read model holds was recorded (kept per position)."""
    cache: dict[int, datetime | None] = current_app.extensions.setdefault("alliances.last_modified", {})
    if position not in cache:
        found = queries().events(after=position - 1, limit=1) if position > 0 else []
        cache.clear()
        cache[position] = datetime.fromisoformat(found[0]["recorded_at"].replace("Z", "+00:00")) if found else None
    return cache[position]


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the web's own code, templates and styles: a new release never answers 304 to a page the
    old one rendered. The same in every worker process running the same files."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".html", ".css", ".svg")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def etag_for(position: int) -> str:
    ep = request.endpoint or ""
    parts = [code_version(), str(position), request.full_path, date.today().isoformat()]
    if not ep.startswith("api."):
        parts.append(str(failing_feeds()))
    if PAGES.get(ep):
        parts.append(visits.cookie_key())
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _headers(resp: Response, etag: str, modified: datetime | None) -> Response:
    resp.set_etag(etag)
    if modified is not None:
        resp.last_modified = modified
    if (request.endpoint or "").startswith("api."):
        resp.headers["Cache-Control"] = "no-cache"
    else:
        resp.headers["Cache-Control"] = "private, no-cache"
        resp.vary.add("Cookie")
    return resp


def _before() -> Response | None:
    if not _applies():
        return None
    position = queries().position()
    etag, modified = etag_for(position), _last_modified(position)
    g.conditional = (etag, modified)
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    elif request.if_modified_since and modified is not None and (request.endpoint or "").startswith("api."):
        fresh = modified.replace(microsecond=0) <= request.if_modified_since
    else:
        fresh = False
    return _headers(Response(status=304), etag, modified) if fresh else None


def _after(resp: Response) -> Response:
    found = g.get("conditional")
    if found is None or resp.status_code != 200 or "Set-Cookie" in resp.headers and not PAGES.get(
            request.endpoint or ""):
        return resp
    return _headers(resp, *found)


def init(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
