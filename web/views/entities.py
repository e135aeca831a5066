"""Alliance and company pages: one alliance's timeline, one company's alliances and partners."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, url_for
from flask.typing import ResponseReturnValue

from ..deps import queries
from ..editorial import split_note
from ..exports import data_links, wants_csv

bp = Blueprint("entities", __name__)
ATTACHED = ("AllianceCorroborated", "ReportCorrected", "ReportRetracted")


def public_entry(e: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry (or milestone) for readers: the summary without the editors' notes, and the note apart."""
    field = "summary" if "summary" in e else "description"
    text, note = split_note(e.get(field) or "")
    return {**e, field: text, "note": note}


def public_alliance(a: dict[str, Any]) -> dict[str, Any]:
    """The alliance document for the public API: editorial notes left out of every summary."""
    return {**a, "timeline": [{k: v for k, v in public_entry(e).items() if k != "note"} for e in a["timeline"]]}


def public_company(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "milestones": [{k: v for k, v in public_entry(m).items() if k != "note"} for m in c["milestones"]]}


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
    return [{**public_entry(e), "notes": [public_entry(n) for n in notes.get(e["key"], [])]} for e in top]


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
    names = {p["id"]: p["name"] for p in a["parties"]}
    return render_template("alliance.html", a=a, timeline=arrange_timeline(a["timeline"]), names=names,
                           tt_query=g.tt_query, feed_url=url_for("follow.alliance", alliance_id=alliance_id),
                           feed_title=f"Changes of {' + '.join(names.values()) or alliance_id}")


@bp.get("/companies/<company_id>")
def company(company_id: str) -> ResponseReturnValue:
    """A company's alliances and partners as of the chosen date."""
    c = queries().company(company_id, g.as_of, g.known_at)
    if c is None:
        abort(404, description=f"There is no company with the id {company_id!r}.")
    if wants_csv():
        from ..exports import alliances_csv
        return alliances_csv(c["alliances"], f"{company_id}-alliances")
    milestones = [public_entry(m) for m in c["milestones"]]
    links = data_links("api.company", company_id=company_id)
    return render_template("company.html", c=c, milestones=milestones, tt_query=g.tt_query, links=links,
                           feed_url=url_for("follow.company", company_id=company_id),
                           feed_title=f"Changes of {c['name']}'s alliances")
