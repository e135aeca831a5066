"""Registry changes from the UI: an alias added here is an event, used by extraction from then on."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from ..auth import admin_required
from ..deps import aliases

bp = Blueprint("registry", __name__)


@bp.post("/companies/<company_id>/aliases")
@admin_required
def add_alias(company_id: str) -> tuple[Response, int]:
    """Teach the registry another name for a company (a command; the store records the event)."""
    alias = " ".join(request.form.get("alias", "").split())
    if not alias or len(alias) > 80:
        abort(400, description="An alias needs 1 to 80 characters.")
    try:
        aliases().add_alias(company_id, alias)
    except ValueError as e:
        flash(str(e), "error")
    else:
        flash(f"Alias “{alias}” added; extraction uses it from the next article on.", "ok")
    return redirect(url_for("entities.company", company_id=company_id)), 303


@bp.post("/companies/<company_id>/aliases/remove")
@admin_required
def remove_alias(company_id: str) -> Any:
    """Withdraw a name from the registry (an AliasRemoved event); extraction stops matching it."""
    alias = " ".join(request.form.get("alias", "").split())
    if not alias or len(alias) > 80:
        abort(400, description="Name the alias to remove (1 to 80 characters).")
    try:
        aliases().remove_alias(company_id, alias)
    except ValueError as e:
        flash(str(e), "error")
    else:
        flash(f"Alias “{alias}” removed; extraction no longer matches it.", "ok")
    return redirect(url_for("entities.company", company_id=company_id)), 303
