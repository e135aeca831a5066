"""JSON API mirroring the pages (same shapes as the CLI's --json output)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from ..deps import queries
from ..timetravel import href, parse_int_arg

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_EVENTS = 5000


@bp.get("/alliances")
def alliances() -> ResponseReturnValue:
    """Every alliance as of a date / as known at a time (the `alliances state --json` shape)."""
    return jsonify(queries().alliances(g.as_of, g.known_at))


@bp.get("/alliances/<alliance_id>")
def alliance(alliance_id: str) -> ResponseReturnValue:
    """One alliance with its timeline."""
    a = queries().alliance(alliance_id, g.as_of, g.known_at)
    if a is None:
        abort(404, description=f"There is no alliance with the id {alliance_id!r}"
                               f"{' as of this date' if g.past else ''}.")
    return jsonify(a)


@bp.get("/companies/<company_id>")
def company(company_id: str) -> ResponseReturnValue:
    """One company with its alliances, partners and milestones."""
    c = queries().company(company_id, g.as_of, g.known_at)
    if c is None:
        abort(404, description=f"There is no company with the id {company_id!r}.")
    return jsonify(c)


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
    """The change log, newest first: what the tracker learned after log position `after` (default: ever)."""
    after = parse_int_arg("after", 0)
    limit = parse_int_arg("limit", 50, 1, 500)
    only = request.args.getlist("alliance") or None
    return jsonify(queries().changes(after=after, limit=limit, alliances=only))


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
