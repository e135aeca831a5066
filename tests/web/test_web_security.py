"""Headers, login, CSRF, rate limiting, escaping of feed text, the session secret."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from events.envelope import NewEvent
from events.types import AllianceReported
from events.values import Citation, FuzzyDate
from tests.web.conftest import PASSWORD, csrf_of, login

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("path", ["/", "/alliances/audi--saic-motor", "/network", "/timeline", "/nope", "/?as_of=bad",
                                  "/static/app.css", "/api/alliances", "/login", "/events"])
def test_security_headers_on_every_response(client, path: str) -> None:
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                 "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


def test_admin_posts_need_login(client, fake_feeds, fake_review) -> None:
    token = csrf_of(client)
    fake_feeds.add("https://example.com/kept")
    for path in ("/feeds/add", "/feeds/import", "/feeds/poll", "/feeds/feed-1/change", "/feeds/feed-1/remove",
                 "/review/c1/confirm", "/review/c1/reject"):
        r = client.post(path, data={"csrf_token": token, "url": "https://example.com/feed", "interval": "5"})
        assert r.status_code == 403, path
    assert [(f.url, f.interval_seconds) for f in fake_feeds.feeds] == [("https://example.com/kept", 1800)]
    assert fake_feeds.polled_all == 0 and not fake_feeds.polled_one and not fake_review.confirmed
    r = client.get("/review")
    assert r.status_code == 302 and "/login?next=/review" in r.headers["Location"]


def test_csrf_missing_or_wrong_is_400(admin, fake_feeds) -> None:
    r = admin.post("/feeds/add", data={"url": "https://example.com/feed"})
    assert r.status_code == 400 and "security token" in r.get_data(as_text=True)
    r = admin.post("/feeds/add", data={"url": "https://example.com/feed", "csrf_token": "forged"})
    assert r.status_code == 400
    r = admin.post("/login", data={"password": PASSWORD})
    assert r.status_code == 400
    assert fake_feeds.feeds == []


def test_every_post_form_carries_the_token(admin, fake_feeds, fake_review) -> None:
    import re

    fake_feeds.add("https://example.com/feed")
    for path in ("/", "/feeds", "/review", "/login"):
        html = admin.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            assert 'name="csrf_token"' in form, (path, form[:200])


def test_login_logout_and_session_rotation(client) -> None:
    before = csrf_of(client)
    r = login(client)
    assert r.status_code == 302
    after = csrf_of(client, "/feeds")
    assert after != before  # a fresh session after login
    assert "Log out" in client.get("/").get_data(as_text=True)
    r = client.post("/logout", data={"csrf_token": after})
    assert r.status_code == 302
    assert "Admin login" in client.get("/").get_data(as_text=True)


def test_login_redirects_only_to_local_paths(client) -> None:
    token = csrf_of(client)
    r = client.post("/login", data={"password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"})
    assert r.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_of(client, "/feeds")})
    token = csrf_of(client)
    r = client.post("/login", data={"password": PASSWORD, "csrf_token": token, "next": "/review"})
    assert r.headers["Location"] == "/review"


def test_failed_logins_are_rate_limited(client) -> None:
    token = csrf_of(client)
    for _ in range(5):
        assert client.post("/login", data={"password": "wrong", "csrf_token": token}).status_code == 401
    r = client.post("/login", data={"password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # another address is not affected
    r = client.post("/login", data={"password": PASSWORD, "csrf_token": token},
                    environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert r.status_code == 302


def test_rate_limiter_window_expires() -> None:
    from web.auth import RateLimiter

    now = [0.0]
    rl = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    rl.fail("a")
    rl.fail("a")
    assert rl.blocked("a") > 0 and rl.blocked("b") == 0
    now[0] = 61
    assert rl.blocked("a") == 0


def test_password_is_only_kept_hashed(app) -> None:
    h = app.extensions["admin_hash"]
    assert h and PASSWORD not in h and h.startswith(("scrypt:", "pbkdf2:"))
    assert all(str(v) != PASSWORD for v in app.config.values())


def test_no_admin_password_disables_admin(tmp_path: Path) -> None:
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)}))
    try:
        c = web_app(t, testing=True).test_client()
        r = c.get("/login")
        assert r.status_code == 403 and "ALLIANCES_ADMIN_PASSWORD" in r.get_data(as_text=True)
        assert c.get("/").status_code == 200  # reading stays public
        r = c.get("/review")
        assert r.status_code == 403 and "disabled" in r.get_data(as_text=True)
    finally:
        t.close()


def test_secret_key_generated_once_with_0600(tmp_path: Path) -> None:
    from service.config import Settings
    from web.security import secret_key

    s = Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)})
    k1 = secret_key(s)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_key(s) == k1 and len(k1) >= 32
    configured = Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_SECRET_KEY": "x" * 40})
    assert secret_key(configured) == "x" * 40


def test_processes_starting_at_once_agree_on_one_whole_secret_key(tmp_path: Path) -> None:
    """Several web processes on one data directory, started together: each finds no key or a whole one (never the
    empty file another is still writing), and all end with the same key; no temporary file is left behind."""
    import multiprocessing

    from service.config import Settings
    from web.security import secret_key

    dirs = [tmp_path / f"d{i}" for i in range(10)]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        keys = pool.map(secret_key, [Settings.from_env({"ALLIANCES_DATA_DIR": str(d)}) for d in dirs for _ in range(8)])
    for i, d in enumerate(dirs):
        assert set(keys[i * 8:(i + 1) * 8]) == {(d / "secret_key").read_text(encoding="ascii")}
        assert [p.name for p in d.iterdir()] == ["secret_key"]


def test_feed_text_is_escaped_everywhere(client, tracker, fake_feeds) -> None:
    cite = Citation(EVIL, EVIL, url="javascript:alert(1)", evidence=EVIL, feed=EVIL)
    tracker.store.append([NewEvent(AllianceReported("evil--test", ("evil", "test"), "licensing", "talks", cite,
                                                    summary=EVIL), FuzzyDate.parse("2026-06"))])
    fake_feeds.add("https://example.com/feed", title=EVIL)
    fake_feeds.feeds[0].last_error = EVIL
    fake_feeds.feeds[0].failures_in_row = 2
    for path in ("/", "/alliances/evil--test", "/network", "/timeline", "/feeds",
                 "/changes?from=2026-01-01&to=2026-12-31", "/events"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert 'href="javascript:' not in html, path
    html = client.get("/alliances/evil--test").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;script&gt;" in client.get("/feeds").get_data(as_text=True)


def test_review_evidence_is_escaped(admin, fake_review) -> None:
    html = admin.get("/review").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
