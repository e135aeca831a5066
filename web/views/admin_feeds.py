"""Feeds: health of every feed (public), and admin actions: add, change, remove, import OPML, poll now."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..auth import admin_required
from ..deps import feeds, invalidate_health

bp = Blueprint("feeds", __name__)
MAX_MINUTES = 7 * 24 * 60  # a week: the longest interval the form offers


def when(value: str | None) -> str:
    """An ISO-8601 timestamp as 'YYYY-MM-DD HH:MM UTC' ('—' when there is none)."""
    if not value:
        return "—"
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def every(seconds: int) -> str:
    """A polling interval for people: '30 min', '2 h', '1 h 30 min'."""
    hours, minutes = divmod(max(1, round(seconds / 60)), 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p)


def minutes_field(raw: str) -> int | None:
    """The "Poll every (minutes)" field: blank is the default; otherwise a whole number from 1 to a week."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"the interval must be a whole number of minutes, got {raw!r}") from None
    if not 1 <= n <= MAX_MINUTES:
        raise ValueError(f"the interval must lie between 1 and {MAX_MINUTES} minutes, got {n}")
    return n


def _back() -> tuple[Response, int]:
    return redirect(url_for("feeds.index")), 303


@bp.get("/feeds")
def index() -> str:
    """Feed health at a glance: which sources are failing and when each is polled next."""
    rows = sorted(feeds().list_feeds(), key=lambda f: (not f.failing, (f.title or f.url).casefold()))
    return render_template("feeds.html", feeds=rows, failing=sum(1 for f in rows if f.failing), when=when,
                           every=every, max_minutes=MAX_MINUTES)


@bp.post("/feeds/add")
@admin_required
def add() -> tuple[Response, int]:
    """Add one feed by URL (the service validates it and refuses private addresses)."""
    url = request.form.get("url", "").strip()
    title = request.form.get("title", "").strip() or None
    try:
        info = feeds().add(url, interval_minutes=minutes_field(request.form.get("interval", "")), title=title)
    except ValueError as e:  # FeedError is a ValueError with a message for people
        flash(f"Could not add the feed: {e}", "error")
        return _back()
    invalidate_health()
    flash(f"Added feed {info.title or info.url}.", "ok")
    return _back()


@bp.post("/feeds/<feed_id>/change")
@admin_required
def change(feed_id: str) -> tuple[Response, int]:
    """Change a feed's polling interval and/or title."""
    title = request.form.get("title", "").strip() or None
    try:
        info = feeds().change(feed_id, interval_minutes=minutes_field(request.form.get("interval", "")), title=title)
    except ValueError as e:
        flash(f"Could not change the feed: {e}", "error")
        return _back()
    flash(f"Changed feed {info.title or info.url}: polled every {every(info.interval_seconds)}.", "ok")
    return _back()


@bp.post("/feeds/<feed_id>/remove")
@admin_required
def remove(feed_id: str) -> tuple[Response, int]:
    """Unsubscribe from a feed (its articles stay in the archive)."""
    try:
        feeds().remove(feed_id)
    except ValueError as e:
        flash(f"Could not remove the feed: {e}", "error")
        return _back()
    invalidate_health()
    flash("Removed the feed; its articles stay in the archive.", "ok")
    return _back()


@bp.post("/feeds/import")
@admin_required
def import_opml() -> tuple[Response, int]:
    """Import an OPML subscription list (uploaded file)."""
    upload = request.files.get("opml")
    data = upload.read() if upload else b""
    if not data:
        flash("Choose an OPML file to import.", "error")
        return _back()
    try:
        added = feeds().import_opml(data)
    except ValueError as e:
        flash(f"Could not import the OPML file: {e}", "error")
        return _back()
    invalidate_health()
    n = len(added)
    flash(f"Imported {n} feed{'s' if n != 1 else ''} from OPML.", "ok")
    return _back()


@bp.post("/feeds/poll")
@admin_required
def poll() -> tuple[Response, int]:
    """Poll every feed now and run the whole pipeline (fetch, archive, extract, project), like `poll --once`."""
    try:
        report = feeds().poll_now()
    except ValueError as e:
        flash(f"Polling failed: {e}", "error")
        return _back()
    invalidate_health()
    flash(f"Polled the feeds: {report.line()}.", "ok")
    return _back()


__all__ = ["bp", "every", "minutes_field", "when"]
