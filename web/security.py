"""Response headers (CSP and friends), the session secret and CSRF tokens for every form."""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from flask import Flask, Response, abort, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .ports import WebSettings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CSRF_FIELD = "csrf_token"


def secret_key(settings: WebSettings) -> str:
    """The configured secret, else one generated once and kept in data_dir/secret_key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # written whole under a name of its own, then linked into place: another process starting at the same moment
    # either finds no key or a whole one, never an empty file (link fails if the name is taken)
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key)
        os.link(tmp, path)
    except FileExistsError:  # another process won the race: use its key
        return _read_key(path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a secret key shorter than 32 characters; delete it to regenerate")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return key


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    tok = session.get(CSRF_FIELD)
    if not tok:
        tok = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return tok


def _check_csrf() -> None:
    """Every state-changing request must echo the session's token (form field or X-CSRF-Token)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(str(expected), sent):
        abort(400, description="The form's security token is missing or out of date. "
                               "Reload the page and submit the form again.")


def _headers(resp: Response) -> Response:
    for k, v in HEADERS.items():
        resp.headers.setdefault(k, v)
    if request.path.startswith(("/login", "/feeds", "/review", "/logout", "/subscriptions")):
        resp.headers["Cache-Control"] = "no-store"
    return resp


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie gets `Secure` whenever the request came over HTTPS (directly, or through a
    trusted proxy that says so in X-Forwarded-Proto)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


def behind_proxies(app: Flask, count: int) -> None:
    """Believe X-Forwarded-For/-Proto from `count` proxies in front (ALLIANCES_TRUSTED_PROXIES); 0: none.

    Only then do the client's address (login rate limit) and scheme (Secure cookie) come from the proxy.
    """
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def init(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD
