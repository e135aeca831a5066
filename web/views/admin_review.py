"""The review queue: candidate deals the extractor was unsure of, confirmed or rejected by an admin."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from events.values import KINDS, STAGES

from ..auth import admin_required
from ..deps import queries, review
from ..formatting import KIND_LABELS, STAGE_LABELS
from .admin_feeds import when

bp = Blueprint("review", __name__)
HISTORY = 100  # decisions shown, the latest first


def _parties(raw: str) -> list[str] | None:
    ids = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
    return ids or None


def _back() -> tuple[Response, int]:
    return redirect(url_for("review.index")), 303


@bp.get("/review")
@admin_required
def index() -> str:
    """Candidates with their evidence, so an admin can judge each one before it enters the log; below them, who
    confirmed or rejected what, and when."""
    return render_template("review.html", items=review().pending(), history=review().history(HISTORY),
                           when=when, companies=queries().companies(),
                           kinds=[k for k in KIND_LABELS if k in KINDS],
                           stages=[s for s in STAGE_LABELS if s in STAGES])


@bp.post("/review/<candidate_id>/confirm")
@admin_required
def confirm(candidate_id: str) -> tuple[Response, int]:
    """Confirm a candidate, optionally with corrected parties, kind and stage."""
    kind = request.form.get("kind") or None
    stage = request.form.get("stage") or None
    if kind is not None and kind not in KINDS:
        abort(400, description=f"Unknown kind {kind!r}.")
    if stage is not None and stage not in STAGES:
        abort(400, description=f"Unknown stage {stage!r}.")
    parties = _parties(request.form.get("parties", ""))
    if parties is not None and len(set(parties)) < 2:
        flash("An alliance needs two or more distinct parties.", "error")
        return _back()
    try:
        review().confirm(candidate_id, parties=parties, kind=kind, stage=stage, by="admin")
    except ValueError as e:
        flash(f"Could not confirm: {e}", "error")
        return _back()
    flash(f"Confirmed candidate {candidate_id}.", "ok")
    return _back()


@bp.post("/review/<candidate_id>/reject")
@admin_required
def reject(candidate_id: str) -> tuple[Response, int]:
    """Reject a candidate (with an optional reason kept in the log)."""
    try:
        review().reject(candidate_id, reason=request.form.get("reason", "").strip()[:500], by="admin")
    except ValueError as e:
        flash(f"Could not reject: {e}", "error")
        return _back()
    flash(f"Rejected candidate {candidate_id}.", "ok")
    return _back()
