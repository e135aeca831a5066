"""Alliance and company pages: one alliance's timeline, one company's alliances and partners."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, url_for
from flask.typing import ResponseReturnValue

from ..deps import queries

bp = Blueprint("entities", __name__)
ATTACHED = ("AllianceCorroborated", "ReportCorrected", "ReportRetracted")


def arrange_timeline(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries in date order; corroborations, corrections and retractions nested under the entry they name."""
    keys = {e["key"] for e in timeline}
    top: list[dict[str, Any]] = []
    notes: dict[str, list[dict[str, Any]]] = {}
    for e in timeline:
        if e["type"] in ATTACHED and e.get("supersedes") in keys:
            notes.setdefault(e["supersedes"], []).append(e)
        else:
            top.append(e)
    return [{**e, "notes": notes.get(e["key"], [])} for e in top]


@bp.get("/alliances/<alliance_id>")
def alliance(alliance_id: str) -> ResponseReturnValue:
    """One alliance's history, so a reader can check every claim against its sources."""
    q = queries()
    a = q.alliance(alliance_id, g.as_of, g.known_at)
    if a is None:
        if g.past and q.alliance(alliance_id) is not None:
            when = g.as_of.isoformat() if g.as_of else g.known_at_text
            abort(404, description=f"The alliance {alliance_id!r} was not yet reported as of {when}.")
        abort(404, description=f"There is no alliance with the id {alliance_id!r}.")
    return render_template("alliance.html", a=a, timeline=arrange_timeline(a["timeline"]), tt_query=g.tt_query,
                           feed_url=url_for("follow.alliance", alliance_id=alliance_id),
                           feed_title=f"Changes of {alliance_id}")


@bp.get("/companies/<company_id>")
def company(company_id: str) -> ResponseReturnValue:
    """A company's alliances and partners as of the chosen date."""
    c = queries().company(company_id, g.as_of, g.known_at)
    if c is None:
        abort(404, description=f"There is no company with the id {company_id!r}.")
    return render_template("company.html", c=c, tt_query=g.tt_query,
                           feed_url=url_for("follow.company", company_id=company_id),
                           feed_title=f"Changes of {c['name']}'s alliances")
