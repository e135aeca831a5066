"""JSON API mirroring the pages (same shapes as the CLI's --json output), with the pages' filters.

Every route is described in the OpenAPI document served at /api/openapi.json (web/openapi.py);
a test checks that no route is left out of it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from flask import Blueprint, Response, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from events.changes import WHATS

from ..deps import catalog, queries
from ..openapi import document
from ..ports import Json
from ..timetravel import href, parse_int_arg
from .changes import window
from .entities import public_alliance, public_company
from .latest import choose, read
from .status import FILTER_ARGS, filters, matching, sorting

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_EVENTS = 5000


@bp.get("/alliances")
def alliances() -> ResponseReturnValue:
    """Every alliance as of a date / as known at a time (the `alliances state --json` shape), filtered,
    searched and sorted like the status page (`q`, `company`, `stage`, `kind`, `country`, `sort`, `order`)."""
    if not any(request.args.get(k) for k in (*FILTER_ARGS, "sort", "order")):  # sorted by id, as `state --json`
        return Response(queries().alliances_json(g.as_of, g.known_at), mimetype="application/json")
    snap = catalog().snapshot(g.as_of, g.known_at)  # the status page's rows, cached per log position
    sort, desc = sorting()
    return json_array(r.public() for r in matching(snap, filters(None), sort, desc))


def json_array(items: Iterable[Json]) -> ResponseReturnValue:
    """The alliances as `state --json` writes them (its key order, compact, UTF-8; what `alliances_json` sends
    unfiltered), streamed an element at a time: 10,000 alliances are ~3 MB of JSON and as much again of objects,
    never held whole."""

    def chunks() -> Iterator[bytes]:
        sep = b"["
        for item in items:
            yield sep + orjson.dumps(item)
            sep = b","
        yield b"[]" if sep == b"[" else b"]"

    return Response(chunks(), mimetype="application/json")


@bp.get("/alliances/<alliance_id>")
def alliance(alliance_id: str) -> ResponseReturnValue:
    """One alliance with its timeline (editorial notes left out of the summaries)."""
    a = queries().alliance(alliance_id, g.as_of, g.known_at)
    if a is None:
        abort(404, description=f"There is no alliance with the id {alliance_id!r}"
                               f"{' as of this date' if g.past else ''}.")
    return jsonify(public_alliance(a))


@bp.get("/companies/<company_id>")
def company(company_id: str) -> ResponseReturnValue:
    """One company with its alliances, partners and milestones."""
    c = queries().company(company_id, g.as_of, g.known_at)
    if c is None:
        abort(404, description=f"There is no company with the id {company_id!r}.")
    return jsonify(public_company(c))


@bp.get("/companies")
def companies() -> ResponseReturnValue:
    """Every known company (names in both languages, aliases)."""
    return jsonify(queries().companies())


@bp.get("/checkpoints")
def checkpoints() -> Any:
    """The signed checkpoints of the hash chain, newest first: keep some, then `alliances verify --checkpoint`."""
    limit = parse_int_arg("limit", 100, 1, 1000)
    return jsonify(queries().checkpoints(limit))


@bp.get("/latest")
def latest() -> ResponseReturnValue:
    """The change log, newest first (`order=asc`: oldest first, to page forward with `after=`): what the
    tracker learned after log position `after` (default: ever)."""
    after = parse_int_arg("after", 0)
    order = request.args.get("order", "desc")
    if order not in ("asc", "desc"):
        abort(400, description="'order' must be asc or desc.")
    limit = parse_int_arg("limit", 50, 1, 500)
    only = request.args.getlist("alliance") or None
    what = request.args.get("what", "").strip()
    if what and what not in WHATS:
        abort(400, description=f"'what' must be one of {', '.join(WHATS)}.")
    q = request.args.get("q", "").strip()[:200]
    sources = request.args.get("sources", "") == "1"
    if only is None and (what or q) and order == "desc":
        return jsonify(read(after, limit, what, q, sources))
    found = queries().changes(after=after, limit=limit, alliances=only, newest_first=order == "desc",
                              corroborations=sources or what == "corroborated")
    return jsonify(choose(found, what, q) if what or q else found)


@bp.get("/changes")
def changes() -> ResponseReturnValue:
    """The /changes page as JSON: alliances added, changed and ended between two valid dates."""
    start, end, _step = window()
    return jsonify(queries().diff(start, end, g.known_at))


@bp.get("/events")
def events() -> ResponseReturnValue:
    """Stored events after a position (Recorded.to_json()), at most `limit`; a Link header names the next page."""
    after = parse_int_arg("after", 0)
    limit = parse_int_arg("limit", 1000, 1, MAX_EVENTS)
    type_ = request.args.get("type", "").strip()
    stream = request.args.get("stream", "").strip()
    rows = queries().events(after=after, limit=limit, type_=type_, stream=stream)
    resp = jsonify(rows)
    if len(rows) == limit:
        nxt = href("api.events", after=rows[-1]["position"], limit=limit if limit != 1000 else None,
                   type=type_, stream=stream, _external=False)
        resp.headers["Link"] = f'<{nxt}>; rel="next"'
    return resp


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """This API described in OpenAPI 3.1."""
    return jsonify(document())
