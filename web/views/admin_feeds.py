"""Feeds: health of every feed (public), and admin actions: add a feed, import OPML, poll now."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..auth import admin_required
from ..deps import feeds_service, invalidate_health, is_failing, tracker

bp = Blueprint("feeds", __name__)
NO_SERVICE = "The feed service is not available in this build of the tracker (tracker.subscriptions is missing)."


def _service() -> Any:
    svc = feeds_service()
    if svc is None:
        abort(503, description=NO_SERVICE)
    return svc


def when(value: Any) -> str:
    """A timestamp (datetime or ISO string) as 'YYYY-MM-DD HH:MM UTC'."""
    if not value:
        return "—"
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _summary_text(s: Any) -> str:
    line = getattr(s, "line", None)
    if callable(line):  # PollSummary's own one-line summary (what `alliances poll --once` prints)
        return str(line()).rstrip(".")
    parts = []
    for name in ("polled", "not_modified", "new_articles", "extracted", "candidates", "events", "errors"):
        v = getattr(s, name, None)
        if v is None and isinstance(s, dict):
            v = s.get(name)
        if v is not None:
            v = len(v) if isinstance(v, (list, tuple, dict)) else v
            parts.append(f"{name.replace('_', ' ')}: {v}")
    return ", ".join(parts) if parts else "done"


@bp.get("/feeds")
def index() -> Any:
    """Feed health at a glance: which sources are failing and when each is polled next."""
    svc = feeds_service()
    feeds = [] if svc is None else [f for f in svc.feeds() if not getattr(f, "removed", False)]
    feeds.sort(key=lambda f: (not is_failing(f), (getattr(f, "title", None) or getattr(f, "url", "")).casefold()))
    return render_template("feeds.html", feeds=feeds, available=svc is not None, no_service=NO_SERVICE,
                           failing=sum(1 for f in feeds if is_failing(f)), is_failing=is_failing, when=when)


@bp.post("/feeds/add")
@admin_required
def add() -> Any:
    """Add one feed by URL (the service validates it and refuses private addresses)."""
    svc = _service()
    url = request.form.get("url", "").strip()
    title = request.form.get("title", "").strip() or None
    raw_interval = request.form.get("interval", "").strip()
    try:
        interval = int(raw_interval) * 60 if raw_interval else None
        if interval is not None and interval <= 0:
            raise ValueError("the interval must be a positive number of minutes")
        info = svc.add(url, interval=interval, title=title)
    except ValueError as e:  # FeedError is a ValueError with a message for people
        flash(f"Could not add the feed: {e}", "error")
        return redirect(url_for("feeds.index")), 303
    invalidate_health()
    flash(f"Added feed {getattr(info, 'title', None) or getattr(info, 'url', url)}.", "ok")
    return redirect(url_for("feeds.index")), 303


@bp.post("/feeds/import")
@admin_required
def import_opml() -> Any:
    """Import an OPML subscription list (uploaded file)."""
    svc = _service()
    upload = request.files.get("opml")
    data = upload.read() if upload else b""
    if not data:
        flash("Choose an OPML file to import.", "error")
        return redirect(url_for("feeds.index")), 303
    try:
        result = svc.import_opml(data)
    except ValueError as e:
        flash(f"Could not import the OPML file: {e}", "error")
        return redirect(url_for("feeds.index")), 303
    invalidate_health()
    n = len(result) if isinstance(result, (list, tuple, set)) else result if isinstance(result, int) else None
    flash(f"Imported {n} feed{'s' if n != 1 else ''} from OPML." if n is not None else "OPML imported.", "ok")
    return redirect(url_for("feeds.index")), 303


@bp.post("/feeds/poll")
@admin_required
def poll() -> Any:
    """Poll every feed now and run the whole pipeline (fetch, archive, extract, project), like `poll --once`."""
    t = tracker()
    try:
        if hasattr(t, "poll_once"):
            summary = t.poll_once(all=True)
        else:
            summary = _service().poll(all=True)
            t.projector.catch_up()
    except ValueError as e:
        flash(f"Polling failed: {e}", "error")
        return redirect(url_for("feeds.index")), 303
    invalidate_health()
    flash(f"Polled the feeds: {_summary_text(summary)}.", "ok")
    return redirect(url_for("feeds.index")), 303
