"""The web UI: server-rendered pages and a JSON API over one Tracker.

`create_app` is the only entry point; it wires the blueprints, security headers, CSRF,
login and time travel. Pages read from `tracker.queries` (the in-memory landscape) and
never re-fold the log per request.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from . import auth, errors, formatting, security, timetravel
from .views import admin_feeds, admin_registry, admin_review, api, changes, entities, eventlog, network, status

if TYPE_CHECKING:  # the dependency rule: service composes web, web never imports service at run time
    from service.bootstrap import Tracker


def create_app(tracker: "Tracker", *, testing: bool = False) -> Flask:
    """Build the Flask app for a wired Tracker (service/ composes it; web never builds one)."""
    if not all(hasattr(tracker, a) for a in ("settings", "store", "queries")):
        raise TypeError("create_app needs a Tracker (service.bootstrap.build()), got " + type(tracker).__name__)
    settings = tracker.settings
    app = Flask(__name__, static_folder=str(Path(__file__).with_name("static")),
                template_folder=str(Path(__file__).with_name("templates")))
    app.config.update(
        TESTING=testing,
        SECRET_KEY=security.secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="alliances_session",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # OPML uploads and forms only
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    security.behind_proxies(app, settings.trusted_proxies)
    app.extensions["tracker"] = tracker
    auth.init(app, settings.admin_password)
    security.init(app)
    timetravel.init(app)
    formatting.init(app)
    errors.init(app)
    app.context_processor(_nav)
    for bp in (status.bp, entities.bp, network.bp, changes.bp, eventlog.bp, admin_feeds.bp, admin_review.bp,
               admin_registry.bp,
               auth.bp, api.bp):
        app.register_blueprint(bp)
    return app


def _nav() -> dict[str, Any]:
    """Numbers every page's navigation shows (cached: cheap on every request)."""
    from .deps import failing_feeds

    return {"failing_feeds": failing_feeds()}


def tracker_of(app: Any) -> "Tracker":
    """The Tracker an app was built for."""
    return app.extensions["tracker"]


__all__ = ["create_app", "tracker_of"]
