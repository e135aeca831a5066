"""The app factory: wires the blueprints, security headers, CSRF, login and time travel over the ports."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import auth, conditional, deps, errors, formatting, security, timetravel, words
from .ports import (
    AliasCommands,
    FeedCommands,
    Operations,
    Ports,
    Queries,
    ReviewCommands,
    SubscriptionCommands,
    WebSettings,
)
from .views import (
    admin_feeds,
    admin_registry,
    admin_review,
    admin_subscriptions,
    api,
    changes,
    entities,
    eventlog,
    follow,
    latest,
    network,
    operations,
    status,
    stream,
    timeline,
)


def create_app(settings: WebSettings, *, queries: Queries, feeds: FeedCommands, review: ReviewCommands,
               aliases: AliasCommands, subscriptions: SubscriptionCommands, ops: Operations | None = None,
               testing: bool = False) -> Flask:
    """Build the Flask app over one implementation of each port (service/ composes them)."""
    app = Flask("web", static_folder=str(Path(__file__).with_name("static")),
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
    deps.install(app, Ports(queries=queries, feeds=feeds, review=review, aliases=aliases,
                            subscriptions=subscriptions, ops=ops))
    operations.init(app, ops)
    auth.init(app, settings.admin_password)
    security.init(app)
    timetravel.init(app)
    formatting.init(app)
    words.init(app)
    conditional.init(app)
    errors.init(app)
    app.context_processor(_nav)
    for bp in (status.bp, latest.bp, entities.bp, network.bp, timeline.bp, changes.bp, eventlog.bp, admin_feeds.bp,
               admin_review.bp, admin_registry.bp, admin_subscriptions.bp, auth.bp, api.bp, follow.bp, stream.bp):
        app.register_blueprint(bp)
    return app


def present_alliances(app: Flask) -> int:
    """Build the status table's present snapshot now (the first visitor's page is then ready, and a server's start
    holds no answer beside it) and say how many alliances it lists."""
    with app.app_context():
        return len(deps.catalog().snapshot().rows)


def _nav() -> dict[str, Any]:
    """Numbers every page's navigation shows (cached: cheap on every request)."""
    return {"failing_feeds": deps.failing_feeds(), "new_feeds": deps.new_feeds()}
