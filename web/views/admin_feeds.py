"""Feeds: health of every feed and a page per feed (public); admin actions: add, rename, change the interval,
pause, resume, remove, poll now (all or one), import OPML; OPML export."""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..auth import admin_required
from ..deps import feeds, invalidate_health, queries
from ..feed_errors import explain
from ..ports import FeedHealth
from ..timetravel import parse_int_arg

bp = Blueprint("feeds", __name__)
T = TypeVar("T")
MAX_MINUTES = 7 * 24 * 60  # a week: the longest interval the form offers
PER_PAGE = 20  # articles per page on a feed's page
STATUS_LABELS = {"ok": "OK", "failing": "Failing", "new": "New: not polled yet", "paused": "Paused",
                 "gone": "Gone (disabled)"}


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


def _back(feed_id: str | None = None) -> tuple[Response, int]:
    """After an action: the feed's own page when the form came from there, else the list."""
    if feed_id and request.form.get("back") == "feed":
        return redirect(url_for("feeds.feed_page", feed_id=feed_id)), 303
    return redirect(url_for("feeds.index")), 303


_ORDER = {"failing": 0, "new": 1, "gone": 2, "paused": 3, "ok": 4}


@bp.get("/feeds")
def index() -> str:
    """Feed health at a glance: which sources are failing or never polled, and when each is polled next."""
    rows = sorted(feeds().list_feeds(), key=lambda f: (_ORDER.get(f.status, 5), (f.title or f.url).casefold()))
    return render_template("feeds.html", feeds=rows, health=FeedHealth.of(rows), when=when, every=every,
                           max_minutes=MAX_MINUTES, explain=explain, status_labels=STATUS_LABELS)


@bp.get("/feeds/<feed_id>")
def feed_page(feed_id: str) -> str:
    """One feed: its state, its articles (newest first, paged), its polls and its subscription history."""
    row = feeds().feed(feed_id)
    if row is None:
        abort(404, description=f"There is no feed {feed_id!r}.")
    pages = max(1, math.ceil(row.articles / PER_PAGE))
    page = parse_int_arg("page", 1, 1, pages)
    articles = feeds().articles(feed_id, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    history = queries().events(after=0, limit=100, stream=f"feed-{feed_id}")
    return render_template("feed.html", feed=row, articles=articles, page=page, pages=pages, per_page=PER_PAGE,
                           polls=feeds().polls(feed_id, limit=50), history=history, when=when, every=every,
                           max_minutes=MAX_MINUTES, explain=explain, status_labels=STATUS_LABELS)


@bp.get("/feeds/export.opml")
def export_opml() -> Response:
    """The subscriptions as an OPML file, to take them to another reader."""
    r = make_response(feeds().export_opml())
    r.headers["Content-Type"] = "text/x-opml; charset=utf-8"
    r.headers["Content-Disposition"] = 'attachment; filename="alliance-tracker-feeds.opml"'
    return r


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


def _act(feed_id: str, action: str, do: Callable[[], T], said: Callable[[T], str], *,
         to_list: bool = False) -> tuple[Response, int]:
    """Run one command on a feed: a refusal is flashed in plain words, success too; back to the feed's page."""
    try:
        result = do()
    except ValueError as e:
        flash(f"Could not {action} the feed: {e}", "error")
        return _back(feed_id)
    invalidate_health()
    flash(said(result), "ok")
    return _back() if to_list else _back(feed_id)


@bp.post("/feeds/<feed_id>/change")
@admin_required
def change(feed_id: str) -> tuple[Response, int]:
    """Change a feed's polling interval and/or title (renaming it)."""
    title = request.form.get("title", "").strip()[:300] or None
    return _act(feed_id, "change",
                lambda: feeds().change(feed_id, interval_minutes=minutes_field(request.form.get("interval", "")),
                                       title=title),
                lambda i: f"Changed feed {i.title or i.url}: polled every {every(i.interval_seconds)}.")


@bp.post("/feeds/<feed_id>/pause")
@admin_required
def pause(feed_id: str) -> tuple[Response, int]:
    """Stop polling a feed without unsubscribing."""
    return _act(feed_id, "pause", lambda: feeds().pause(feed_id),
                lambda i: f"Paused feed {i.title or i.url}: it is not polled until you resume it.")


@bp.post("/feeds/<feed_id>/resume")
@admin_required
def resume(feed_id: str) -> tuple[Response, int]:
    """Poll a paused feed again."""
    return _act(feed_id, "resume", lambda: feeds().resume(feed_id),
                lambda i: f"Resumed feed {i.title or i.url}: polled every {every(i.interval_seconds)}.")


@bp.post("/feeds/<feed_id>/poll")
@admin_required
def poll_one(feed_id: str) -> tuple[Response, int]:
    """Poll one feed now and run the whole pipeline for what it brings."""
    return _act(feed_id, "poll", lambda: feeds().poll_feed(feed_id), lambda r: f"Polled the feed: {r.line()}.")


@bp.post("/feeds/<feed_id>/remove")
@admin_required
def remove(feed_id: str) -> tuple[Response, int]:
    """Unsubscribe from a feed (its articles stay in the archive)."""
    return _act(feed_id, "remove", lambda: feeds().remove(feed_id),
                lambda _: "Removed the feed; its articles stay in the archive.", to_list=True)


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
