"""Fixtures for the web tests: a seeded tracker on SQLite in tmp, the app, clients, fakes, a browser."""
from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.skips import unavailable
from web.ports import (
    Attempt,
    Created,
    DeliveryRow,
    FeedArticle,
    FeedCommands,
    FeedHealth,
    FeedPoll,
    FeedRow,
    Json,
    PollReport,
    Readiness,
    ReviewCommands,
    SubscriptionCommands,
    SubscriptionRow,
    SubscriptionSpec,
)

if TYPE_CHECKING:
    from service.bootstrap import Tracker

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("ALLIANCES_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct-horse-42"  # never a substring of a hash (hex digits, an alphanumeric salt)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_tracker(data_dir: Path, **env: str) -> Tracker:
    """A tracker on a fresh SQLite file with the seed loaded."""
    from events.seed import load_seed
    from service.bootstrap import build
    from service.config import Settings

    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(data_dir), "ALLIANCES_ADMIN_PASSWORD": PASSWORD,
                                       **env}))
    load_seed(tracker.store)
    return tracker


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded database built once; each test gets a copy (fast and isolated)."""
    d = tmp_path_factory.mktemp("seed-template")
    t = make_tracker(d)
    t.close()
    return d / "alliances.db"


def seeded_copy(tmp_path: Path, seed_template: Path, **env: str) -> Tracker:
    """A tracker on a copy of the seeded database (the admin password set, `env` on top)."""
    from service.bootstrap import build
    from service.config import Settings

    shutil.copy(seed_template, tmp_path / "alliances.db")
    return build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_ADMIN_PASSWORD": PASSWORD, **env}))


@pytest.fixture
def tracker(tmp_path: Path, seed_template: Path) -> Iterator[Tracker]:
    t = seeded_copy(tmp_path, seed_template)
    yield t
    t.close()


@pytest.fixture
def app(request: pytest.FixtureRequest, tracker: Tracker) -> Flask:
    """The app over the real services; a test that asks for `fake_feeds` / `fake_review` /
    `fake_subscriptions` gets those instead."""
    from service.webapp import TrackerAliases, TrackerFeeds, TrackerQueries, TrackerReview, TrackerSubscriptions
    from web import create_app

    names = request.fixturenames
    feeds: FeedCommands = request.getfixturevalue("fake_feeds") if "fake_feeds" in names else TrackerFeeds(tracker)
    review: ReviewCommands = (request.getfixturevalue("fake_review") if "fake_review" in names
                              else TrackerReview(tracker))
    subs: SubscriptionCommands = (request.getfixturevalue("fake_subscriptions") if "fake_subscriptions" in names
                                  else TrackerSubscriptions(tracker))
    return create_app(tracker.settings, queries=TrackerQueries(tracker), feeds=feeds, review=review,
                      aliases=TrackerAliases(tracker), subscriptions=subs, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    """The session's CSRF token, as a form on `path` carries it."""
    html = client.get(path).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no CSRF field on {path}"
    return m.group(1)


def login(client: FlaskClient, password: str = PASSWORD) -> TestResponse:
    token = csrf_of(client)
    return client.post("/login", data={"password": password, "csrf_token": token})


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """A client logged in as admin."""
    r = login(client)
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


# --- fakes: typed implementations of the web's ports (tests/web/test_web_ports.py checks them) ---------


@dataclass
class FakeFeed:
    """A feed the fake service holds (mutable, so a test can make it fail)."""

    id: str
    url: str
    title: str = ""
    interval_seconds: int = 1800
    disabled: bool = False
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_status: int | None = None
    failures_in_row: int = 0
    next_poll_at: str | None = None
    paused: bool = False
    items: list[FeedArticle] = field(default_factory=list)  # newest first
    polls: list[FeedPoll] = field(default_factory=list)  # newest first

    def row(self) -> FeedRow:
        return FeedRow(id=self.id, url=self.url, title=self.title, interval_seconds=self.interval_seconds,
                       disabled=self.disabled, failures_in_row=self.failures_in_row,
                       last_polled_at=self.last_polled_at, last_success_at=self.last_success_at,
                       last_error=self.last_error, last_status=self.last_status, next_poll_at=self.next_poll_at,
                       articles=len(self.items), paused=self.paused)


@dataclass
class FakeFeeds:
    """web.ports.FeedCommands, refusing what the real service refuses (non-http URLs, duplicates, unknown ids)."""

    feeds: list[FakeFeed] = field(default_factory=list)
    polled_all: int = 0  # "poll now" calls
    polled_one: list[str] = field(default_factory=list)  # feeds polled one by one
    report: PollReport = PollReport(polled=0, not_modified=0, new_articles=0, errors=0)

    def _find(self, feed_id: str) -> FakeFeed:
        for f in self.feeds:
            if f.id == feed_id:
                return f
        raise ValueError(f"no feed with id {feed_id!r}")

    def list_feeds(self) -> list[FeedRow]:
        return [f.row() for f in self.feeds]

    def health(self) -> FeedHealth:
        return FeedHealth.of(self.list_feeds())

    def add(self, url: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        if any(f.url == url for f in self.feeds):
            raise ValueError(f"already subscribed to {url}")
        f = FakeFeed(f"feed-{len(self.feeds) + 1}", url, title or "", (interval_minutes or 30) * 60)
        self.feeds.append(f)
        return f.row()

    def change(self, feed_id: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        f = self._find(feed_id)
        if interval_minutes is None and title is None:
            raise ValueError("nothing to change: give an interval or a title")
        if interval_minutes is not None:
            f.interval_seconds = interval_minutes * 60
        if title is not None:
            f.title = title
        return f.row()

    def remove(self, feed_id: str) -> None:
        self.feeds.remove(self._find(feed_id))

    def import_opml(self, data: bytes) -> list[FeedRow]:
        urls = re.findall(rb'xmlUrl="([^"]+)"', data)
        if not urls:
            raise ValueError("no feeds in this OPML file")
        return [self.add(u.decode()) for u in urls]

    def poll_now(self) -> PollReport:
        self.polled_all += 1
        return self.report

    def feed(self, feed_id: str) -> FeedRow | None:
        return next((f.row() for f in self.feeds if f.id == feed_id), None)

    def articles(self, feed_id: str, *, offset: int = 0, limit: int = 20) -> list[FeedArticle]:
        return self._find(feed_id).items[offset:offset + limit]

    def polls(self, feed_id: str, *, limit: int = 50) -> list[FeedPoll]:
        return self._find(feed_id).polls[:limit]

    def pause(self, feed_id: str) -> FeedRow:
        f = self._find(feed_id)
        if f.paused:
            raise ValueError(f"feed {feed_id!r} is already paused")
        f.paused = True
        return f.row()

    def resume(self, feed_id: str) -> FeedRow:
        f = self._find(feed_id)
        if not f.paused:
            raise ValueError(f"feed {feed_id!r} is not paused")
        f.paused = False
        return f.row()

    def poll_feed(self, feed_id: str) -> PollReport:
        f = self._find(feed_id)
        if f.paused or f.disabled:
            raise ValueError(f"feed {feed_id!r} is {'paused: resume it first' if f.paused else 'gone'}")
        self.polled_one.append(feed_id)
        return self.report

    def export_opml(self) -> str:
        outlines = "".join(f'<outline type="rss" text="{f.title}" xmlUrl="{f.url}"/>' for f in self.feeds)
        return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'


@dataclass
class FakeReview:
    """web.ports.ReviewCommands over a list of candidate documents."""

    items: list[Json] = field(default_factory=list)
    confirmed: list[tuple[str, Json]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    decided: list[Json] = field(default_factory=list)  # the history, latest decision first

    def pending(self) -> list[Json]:
        return list(self.items)

    def history(self, limit: int = 100) -> list[Json]:
        return self.decided[:limit]

    def _decide(self, item: Json, **decision: Any) -> None:
        stamp = f"2026-06-0{min(9, len(self.decided) + 1)}T10:00:00Z"
        self.decided.insert(0, {**item, "decided_at": stamp, "corrected": None, "reason": None, **decision})

    def _take(self, cid: str) -> Json:
        for it in self.items:
            if it["candidate_id"] == cid:
                self.items.remove(it)
                return it
        raise ValueError(f"no candidate {cid!r} in the review queue")

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        item = self._take(candidate_id)
        self.confirmed.append((candidate_id, {"parties": parties, "kind": kind, "stage": stage, "by": by}))
        fixes = {k: v for k, v in (("kind", kind), ("stage", stage)) if v is not None and v != item.get(k)}
        self._decide(item, status="confirmed", decided_by=by, corrected=fixes or None)

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        item = self._take(candidate_id)
        self.rejected.append((candidate_id, reason))
        self._decide(item, status="rejected", decided_by=by, reason=reason or None)


@dataclass
class FakeOperations:
    """web.ports.Operations with readiness set by the test, a fixed metrics page, and the timings it was given."""

    ready: Readiness = field(default_factory=lambda: Readiness(True, {"database": "ok"}))
    timed: list[str] = field(default_factory=list)

    def readiness(self) -> Readiness:
        return self.ready

    def metrics(self) -> tuple[bytes, str]:
        return b"alliances_log_head 7.0\n", "text/plain; version=0.0.4; charset=utf-8"

    def observe_request(self, endpoint: str, seconds: float) -> None:
        self.timed.append(endpoint)


def candidate(cid: str = "c1", evidence: str = "Nissan and Momenta signed a deal.") -> Json:
    return {
        "candidate_id": cid, "status": "pending",
        "parties": [{"id": "nissan", "name": "Nissan", "name_zh": "日产"}, {"id": "momenta", "name": "Momenta",
                                                                            "name_zh": "魔门塔"}],
        "kind": "strategic_cooperation", "stage": "agreement_signed", "loi": False, "date": "2026-06-01",
        "confidence": 0.55,
        "citation": {"publisher": "Local Wire", "title": "Nissan and Momenta", "url": "https://news.example/1",
                     "evidence": evidence},
    }


APPRISE_SCHEMES = frozenset({"mailto", "mailtos", "slack", "tgram", "ntfy", "ntfys", "matrix", "matrixs", "discord"})


@dataclass
class FakeSub:
    """A subscription the fake service holds (mutable: pause, rotate and disable change it)."""

    id: str
    spec: SubscriptionSpec
    created_at: str
    secret: str | None
    paused: bool = False
    disabled: str | None = None

    def row(self, deliveries: list[DeliveryRow]) -> SubscriptionRow:
        mine = [d for d in deliveries if d.subscription_id == self.id]
        return SubscriptionRow(
            id=self.id, spec=self.spec, target_shown=mask(self.spec.target), created_at=self.created_at,
            paused=self.paused, disabled=self.disabled, pending=sum(d.state == "pending" for d in mine),
            dead=sum(d.state == "dead" for d in mine), delivered=sum(d.state == "delivered" for d in mine))


def mask(url: str) -> str:
    """A URL with any password replaced by ***, as the real service shows targets."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


@dataclass
class FakeSubscriptions:
    """web.ports.SubscriptionCommands in memory, refusing what the real service refuses (non-http webhooks,
    apprise schemes off the allowlist, unknown filters and ids). "Send test" really POSTs to a webhook."""

    known_alliances: frozenset[str] = frozenset()
    known_companies: frozenset[str] = frozenset()
    subs: dict[str, FakeSub] = field(default_factory=dict)
    delivery_rows: list[DeliveryRow] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def _find(self, subscription_id: str) -> FakeSub:
        found = self.subs.get(subscription_id)
        if found is None:
            raise ValueError(f"no subscription with id {subscription_id!r}")
        return found

    @staticmethod
    def _secret() -> str:
        import base64
        import secrets

        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()

    def _check(self, spec: SubscriptionSpec) -> None:
        scheme = spec.target.split(":", 1)[0].lower() if ":" in spec.target else ""
        if spec.channel == "webhook" and scheme not in ("http", "https"):
            raise ValueError(f"a webhook URL must start with http:// or https://, got {spec.target!r}")
        if spec.channel == "apprise" and scheme not in APPRISE_SCHEMES:
            shown = f"{scheme}://" if scheme else repr(spec.target)
            raise ValueError(f"the apprise scheme {shown} is not allowed")
        if spec.channel not in ("webhook", "apprise"):
            raise ValueError(f"unknown channel {spec.channel!r}")
        if spec.digest not in (None, "daily"):
            raise ValueError(f"unknown digest {spec.digest!r}: only daily")
        unknown = [a for a in spec.alliances if self.known_alliances and a not in self.known_alliances]
        unknown += [c for c in spec.companies if self.known_companies and c not in self.known_companies]
        if unknown:
            raise ValueError(f"unknown alliance or company: {', '.join(unknown)}")

    def list_subscriptions(self) -> list[SubscriptionRow]:
        return [s.row(self.delivery_rows) for s in self.subs.values()]

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        found = self.subs.get(subscription_id)
        return None if found is None else found.row(self.delivery_rows)

    def subscribe(self, spec: SubscriptionSpec) -> Created:
        self._check(spec)
        sid = f"sub-{len(self.subs) + 1}"
        secret = self._secret() if spec.channel == "webhook" else None
        self.subs[sid] = FakeSub(sid, spec, datetime.now(UTC).isoformat(timespec="seconds"), secret)
        return Created(sid, secret)

    def change(self, subscription_id: str, spec: SubscriptionSpec) -> SubscriptionRow:
        sub = self._find(subscription_id)
        self._check(spec)
        sub.spec = spec
        return sub.row(self.delivery_rows)

    def pause(self, subscription_id: str) -> None:
        self._find(subscription_id).paused = True

    def resume(self, subscription_id: str) -> None:
        self._find(subscription_id).paused = False

    def remove(self, subscription_id: str) -> None:
        self._find(subscription_id)
        del self.subs[subscription_id]

    def rotate_secret(self, subscription_id: str) -> str:
        sub = self._find(subscription_id)
        if sub.spec.channel != "webhook":
            raise ValueError("only webhooks have a secret")
        sub.secret = self._secret()
        return sub.secret

    def send_test(self, subscription_id: str) -> Attempt:
        import time

        import httpx

        sub = self._find(subscription_id)
        at, start = datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()
        try:
            r = httpx.post(sub.spec.target, json={"type": "test", "subscription": sub.id}, timeout=5)
        except httpx.HTTPError as e:
            return Attempt(at, None, (time.perf_counter() - start) * 1000, f"no answer: {e}", False)
        return Attempt(at, r.status_code, (time.perf_counter() - start) * 1000, r.text[:500], r.is_success)

    def deliveries(self, subscription_id: str | None = None, *, dead_only: bool = False,
                   limit: int = 100) -> list[DeliveryRow]:
        rows = [d for d in reversed(self.delivery_rows) if subscription_id in (None, d.subscription_id)
                and (not dead_only or d.state == "dead")]
        return rows[:limit]

    def _due(self, d: DeliveryRow) -> DeliveryRow:
        from dataclasses import replace

        return replace(d, state="pending", next_attempt_at=datetime.now(UTC).isoformat(timespec="seconds"))

    def redeliver(self, delivery_id: str) -> None:
        for i, d in enumerate(self.delivery_rows):
            if d.id == delivery_id:
                self.delivery_rows[i] = self._due(d)
                self.calls.append(("redeliver", delivery_id))
                return
        raise ValueError(f"no delivery with id {delivery_id!r}")

    def redeliver_dead(self, subscription_id: str | None = None) -> int:
        n = 0
        for i, d in enumerate(self.delivery_rows):
            if d.state == "dead" and subscription_id in (None, d.subscription_id):
                self.delivery_rows[i] = self._due(d)
                n += 1
        self.calls.append(("redeliver_dead", subscription_id or ""))
        return n


@pytest.fixture
def fake_subscriptions() -> FakeSubscriptions:
    alliances = {"bytedance--mercedes-benz", "audi--saic-motor", "leapmotor--stellantis"}
    return FakeSubscriptions(known_alliances=frozenset(alliances),
                             known_companies=frozenset({"momenta", "audi", "saic-motor", "leapmotor", "stellantis"}))


@pytest.fixture
def fake_feeds() -> FakeFeeds:
    return FakeFeeds()


@pytest.fixture
def fake_review() -> FakeReview:
    return FakeReview(items=[candidate("c1"), candidate("c2", "<script>alert(1)</script> evidence")])


# --- a local feed server -------------------------------------------------------------------


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 document with one item per (title, description, link), published now."""
    now = format_datetime(datetime.now(UTC))
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><pubDate>{now}</pubDate>"
        f"<description>{d}</description></item>" for t, d, link in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local Auto Wire</title>'
            f"<link>http://127.0.0.1/</link><description>Test feed</description>{body}</channel></rss>").encode()


class FeedServer:
    """A small local RSS server (ThreadingHTTPServer) the tracker polls; it counts the requests per path."""

    def __init__(self, feeds: dict[str, bytes]) -> None:
        feeds_ = feeds
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's API
                path = self.path.split("?")[0]
                seen.append(path)
                body = feeds_.get(path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def hits(self, path: str) -> int:
        return self.requests.count(path)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- a real server and a real browser ------------------------------------------------------


class LiveServer:
    """The app under waitress on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, app: Any) -> None:
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="test")
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        from waitress import wasyncore

        self.server.task_dispatcher.shutdown(timeout=10)  # let running tasks (live streams) end first
        # Sockets are closed by the loop's own thread, between two select() calls: closing them from here raced
        # a select() under way ("Bad file descriptor" in the server thread). An empty map ends the loop.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout=5)


def chromium_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        return f"playwright is not installed: {e}"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright; absent: FAIL in CI, skip locally."""
    why = chromium_missing()
    if why:
        unavailable(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (installed once with npm from tests/web/axe/package-lock.json); absent: as a browser."""
    from tests.web import axe

    where = axe.install_dir()
    why = axe.install(where)
    if why:
        unavailable(why)
    return axe.script_path(where).read_text(encoding="utf-8")


class EgressGuard:
    """Aborts every request not addressed to an allowed origin and remembers it (the test then fails)."""

    def __init__(self, *origins: str) -> None:
        self.origins = tuple(o.rstrip("/") for o in origins)
        self.blocked: list[str] = []

    def allow(self, origin: str) -> None:
        self.origins += (origin.rstrip("/"),)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if any(url == o or url.startswith(o + "/") for o in self.origins):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def real_admin(tmp_path: Path, seed_template: Path) -> Iterator[tuple[FlaskClient, Tracker]]:
    """An admin client over the real services, allowed to reach local feed servers."""
    from service.webapp import web_app

    tracker = seeded_copy(tmp_path, seed_template, ALLIANCES_ALLOW_PRIVATE_URLS="1")
    client = web_app(tracker, testing=True).test_client()
    assert login(client).status_code == 302
    yield client, tracker
    tracker.close()
