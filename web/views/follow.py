"""Atom feeds of the change log, for anyone: all changes, one alliance, one company, a status-page filter.

Feed readers poll, so a feed is rebuilt at most once per log position and URL, and a reader that sends
back the ETag (the log position) or the Last-Modified date (the newest entry) gets a 304.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request, url_for

from ..atom import FeedInfo, atom, instant
from ..deps import queries
from ..ports import Json
from .status import filter_args, filters_from_args, matching_alliances

bp = Blueprint("follow", __name__)
ENTRIES = 50  # a feed carries the newest 50 changes
COMPANY_SCAN = 250  # how far back (changes) a company feed looks for alliances the company has left
MIME = "application/atom+xml; charset=utf-8"
SITE = "Alliance Tracker"


class FeedCache:
    """Built feeds per (URL key, log position): a reader's poll costs one cheap position query."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], tuple[bytes, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int], build: Callable[[], tuple[bytes, str | None]]) -> tuple[bytes, str | None]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _cache() -> FeedCache:
    found = current_app.extensions.get("alliances.feeds")
    if found is None:
        found = current_app.extensions["alliances.feeds"] = FeedCache()
    assert isinstance(found, FeedCache)
    return found


def _entry_url(c: Json) -> str:
    return url_for("entities.alliance", alliance_id=c["alliance_id"], _external=True) + f"#event-{c['position']}"


def _names(parties: list[Json]) -> str:
    return " + ".join(f"{p['name']} {p['name_zh']}".strip() if p.get("name_zh") else p["name"] for p in parties)


def serve(key: str, title: str, page_url: str, changes: Callable[[], list[Json]]) -> Response:
    """The feed for `key`, conditional on the log position (ETag) and the newest entry (Last-Modified)."""
    position = queries().position()
    etag = f"atom-{position}"
    if request.if_none_match.contains(etag):
        return _not_modified(etag)

    def build() -> tuple[bytes, str | None]:
        found = changes()
        info = FeedInfo(key, f"{SITE}: {title}", request.url, page_url)
        return atom(info, found, _entry_url), (found[0]["recorded_at"] if found else None)

    body, newest = _cache().get((key, position), build)
    resp = Response(body, mimetype=MIME)
    resp.set_etag(etag)
    if newest:
        resp.last_modified = instant(newest)
    resp.cache_control.public = True
    resp.cache_control.max_age = 60
    resp.make_conditional(request)
    return resp


def _not_modified(etag: str) -> Response:
    resp = Response(status=304)
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = 60
    return resp


@bp.get("/feed.atom")
def changes() -> Response:
    """Every change, or (with the status page's query string) the changes of the alliances it lists."""
    f = filters_from_args()
    args = filter_args(f)
    query = urlencode(sorted(args.items()))
    title = "changes of alliances matching " + ", ".join(f"{k}={v}" for k, v in sorted(args.items())) if args \
        else "all changes"

    def found() -> list[Json]:
        return queries().changes(limit=ENTRIES, alliances=matching_alliances(f))

    return serve(f"changes?{query}", title, url_for("status.index", _external=True, **args), found)


@bp.get("/alliances/<alliance_id>/feed.atom")
def alliance(alliance_id: str) -> Response:
    """One alliance's changes."""
    a = queries().alliance(alliance_id)
    if a is None:
        abort(404, description=f"There is no alliance with the id {alliance_id!r}.")
    return serve(f"alliance/{alliance_id}", _names(a["parties"]),
                 url_for("entities.alliance", alliance_id=alliance_id, _external=True),
                 lambda: queries().changes(limit=ENTRIES, alliances=[alliance_id]))


def involves(change: Json, company_id: str) -> bool:
    """Whether the company was a party before or after the change (so its leaving is news to it too)."""
    return any(p["id"] == company_id for doc in (change["before"], change["after"]) if doc
               for p in doc["parties"])


def company_changes(company_id: str, alliance_ids: set[str]) -> list[Json]:
    """Changes of the company's alliances now, plus recent ones of alliances it has left or that were retracted."""
    q = queries()
    found = {c["id"]: c for c in q.changes(limit=ENTRIES, alliances=alliance_ids)} if alliance_ids else {}
    for c in q.changes(limit=COMPANY_SCAN):
        if c["alliance_id"] not in alliance_ids and involves(c, company_id):
            found.setdefault(c["id"], c)
    return sorted(found.values(), key=lambda c: (c["position"], c["id"]), reverse=True)[:ENTRIES]


@bp.get("/companies/<company_id>/feed.atom")
def company(company_id: str) -> Response:
    """The changes of every alliance a company is or was a party to."""
    c = queries().company(company_id)
    if c is None:
        abort(404, description=f"There is no company with the id {company_id!r}.")
    ids = {a["id"] for a in c["alliances"]}
    title = f"{c['name']} {c['name_zh']}".strip() if c.get("name_zh") else c["name"]
    return serve(f"company/{company_id}", title, url_for("entities.company", company_id=company_id, _external=True),
                 lambda: company_changes(company_id, ids))
