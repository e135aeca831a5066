"""Admin login: one password from configuration, kept only as a hash; failed logins rate limited."""
from __future__ import annotations

import functools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])

DISABLED_MESSAGE = ("Admin actions are disabled: no admin password is configured. "
                    "Set ALLIANCES_ADMIN_PASSWORD and restart the server.")


class RateLimiter:
    """At most `limit` failures per `window` seconds per key (client IP); thread-safe, in memory."""

    def __init__(self, limit: int = 5, window: float = 15 * 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> float:
        """Seconds until `key` may try again (0: it may try now)."""
        with self._lock:
            q = self._recent(key)
            if len(q) < self.limit:
                if not q:
                    self._fails.pop(key, None)
                return 0.0
            return max(1.0, q[0] + self.window - self.clock())

    def fail(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self.clock())
            if len(self._fails) > 50_000:  # bound memory under a spray of addresses
                for k in [k for k, q in self._fails.items() if not q][:10_000]:
                    del self._fails[k]

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


class AdminSessions:
    """Server-side record of live admin sessions: a signed cookie alone cannot be revoked, so each login
    gets a random id kept here, and logout (or a restart) forgets it; a cookie saved before then is dead."""

    def __init__(self, lifetime: float = 12 * 3600, limit: int = 1000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime, self.limit, self.clock = lifetime, limit, clock
        self._live: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        sid = secrets.token_urlsafe(24)
        with self._lock:
            if len(self._live) >= self.limit:  # drop the oldest: bounded memory
                del self._live[min(self._live, key=self._live.__getitem__)]
            self._live[sid] = self.clock() + self.lifetime
        return sid

    def alive(self, sid: Any) -> bool:
        with self._lock:
            until = self._live.get(sid) if isinstance(sid, str) else None
            if until is not None and until < self.clock():
                del self._live[sid]
                until = None
            return until is not None

    def end(self, sid: Any) -> None:
        with self._lock:
            if isinstance(sid, str):
                self._live.pop(sid, None)


def init(app: Flask, password: str | None) -> None:
    """Keep only the password's hash; the plain text is not stored on the app."""
    app.extensions["admin_hash"] = generate_password_hash(password) if password else None
    app.extensions["login_limiter"] = RateLimiter()
    app.extensions["admin_sessions"] = AdminSessions()
    app.before_request(_load_user)
    app.jinja_env.globals["admin_enabled"] = lambda: current_app.extensions["admin_hash"] is not None


def _load_user() -> None:
    g.is_admin = (bool(session.get("admin")) and current_app.extensions["admin_hash"] is not None
                  and current_app.extensions["admin_sessions"].alive(session.get("sid")))


def admin_enabled() -> bool:
    return current_app.extensions["admin_hash"] is not None


def admin_required(view: F) -> F:
    """Views that change things (or show unreviewed material) need a logged-in admin."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not admin_enabled():
            abort(403, description=DISABLED_MESSAGE)
        if not g.get("is_admin"):
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(403, description="Log in as admin first.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a visitor to another host after login."""
    if not target:
        return url_for("status.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("status.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Admins log in here to manage feeds and the review queue."""
    if not admin_enabled():
        return render_template("login.html", disabled=DISABLED_MESSAGE, error=None, next=None), 403
    nxt = request.values.get("next")
    if request.method == "GET":
        return render_template("login.html", disabled=None, error=None, next=nxt)
    limiter: RateLimiter = current_app.extensions["login_limiter"]
    ip = request.remote_addr or "unknown"
    wait = limiter.blocked(ip)
    if wait:
        resp = current_app.make_response((render_template(
            "error.html", code=429, title="Too many attempts",
            message=f"Too many failed logins from your address. Try again in {int(wait // 60) + 1} minutes."), 429))
        resp.headers["Retry-After"] = str(int(wait))
        return resp
    if check_password_hash(current_app.extensions["admin_hash"], request.form.get("password", "")):
        limiter.reset(ip)
        session.clear()  # a fresh session (and CSRF token) on privilege change
        session["admin"] = True
        session["sid"] = current_app.extensions["admin_sessions"].start()
        session.permanent = False
        return redirect(_safe_next(nxt))
    limiter.fail(ip)
    return render_template("login.html", disabled=None, error="Wrong password.", next=nxt), 401


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Ends the admin session here and on the server (POST with CSRF token, so a link cannot log you out)."""
    current_app.extensions["admin_sessions"].end(session.get("sid"))
    session.clear()
    return redirect(url_for("status.index"))
