"""The review queue: candidate deals the extractor was unsure of, confirmed or rejected by an admin."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from events.values import KINDS, STAGES

from ..auth import admin_required
from ..deps import review_service, tracker
from ..formatting import KIND_LABELS, STAGE_LABELS

bp = Blueprint("review", __name__)
NO_SERVICE = "The review queue is not available in this build of the tracker (tracker.review is missing)."


def _service() -> Any:
    svc = review_service()
    if svc is None:
        abort(503, description=NO_SERVICE)
    return svc


def _parties(raw: str) -> list[str] | None:
    ids = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
    return ids or None


@bp.get("/review")
@admin_required
def index() -> Any:
    """Candidates with their evidence, so an admin can judge each one before it enters the log."""
    svc = review_service()
    items = svc.candidates() if svc is not None else []
    companies = tracker().queries.companies() if svc is not None else []
    return render_template("review.html", items=items, available=svc is not None, no_service=NO_SERVICE,
                           companies=companies, kinds=[k for k in KIND_LABELS if k in KINDS],
                           stages=[s for s in STAGE_LABELS if s in STAGES])


@bp.post("/review/<candidate_id>/confirm")
@admin_required
def confirm(candidate_id: str) -> Any:
    """Confirm a candidate, optionally with corrected parties, kind and stage."""
    svc = _service()
    kind = request.form.get("kind") or None
    stage = request.form.get("stage") or None
    if kind is not None and kind not in KINDS:
        abort(400, description=f"Unknown kind {kind!r}.")
    if stage is not None and stage not in STAGES:
        abort(400, description=f"Unknown stage {stage!r}.")
    parties = _parties(request.form.get("parties", ""))
    if parties is not None and len(set(parties)) < 2:
        flash("An alliance needs two or more distinct parties.", "error")
        return redirect(url_for("review.index")), 303
    try:
        svc.confirm(candidate_id, parties=parties, kind=kind, stage=stage, by="admin")
    except ValueError as e:
        flash(f"Could not confirm: {e}", "error")
        return redirect(url_for("review.index")), 303
    tracker().projector.catch_up()
    flash(f"Confirmed candidate {candidate_id}.", "ok")
    return redirect(url_for("review.index")), 303


@bp.post("/review/<candidate_id>/reject")
@admin_required
def reject(candidate_id: str) -> Any:
    """Reject a candidate (with an optional reason kept in the log)."""
    svc = _service()
    try:
        svc.reject(candidate_id, reason=request.form.get("reason", "").strip()[:500], by="admin")
    except ValueError as e:
        flash(f"Could not reject: {e}", "error")
        return redirect(url_for("review.index")), 303
    flash(f"Rejected candidate {candidate_id}.", "ok")
    return redirect(url_for("review.index")), 303
