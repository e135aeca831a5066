"""Fixtures for the web tests: a seeded tracker on SQLite in tmp, the app, clients, fakes, a browser."""
from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("ALLIANCES_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "pw"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_tracker(data_dir: Path, **env: str):  # type: ignore[no-untyped-def]
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


@pytest.fixture
def tracker(tmp_path: Path, seed_template: Path):  # type: ignore[no-untyped-def]
    from service.bootstrap import build
    from service.config import Settings

    shutil.copy(seed_template, tmp_path / "alliances.db")
    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_ADMIN_PASSWORD": PASSWORD}))
    yield t
    t.close()


@pytest.fixture
def app(tracker):  # type: ignore[no-untyped-def]
    from web import create_app

    return create_app(tracker, testing=True)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def csrf_of(client: Any, path: str = "/login") -> str:
    """The session's CSRF token, as a form on `path` carries it."""
    html = client.get(path).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no CSRF field on {path}"
    return m.group(1)


def login(client: Any, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post("/login", data={"password": password, "csrf_token": token})


@pytest.fixture
def admin(client):  # type: ignore[no-untyped-def]
    """A client logged in as admin."""
    r = login(client)
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


# --- fakes with the interfaces other modules provide ---------------------------------------


@dataclass
class FakeFeed:
    id: int
    url: str
    title: str | None = None
    interval_seconds: int = 3600
    disabled: bool = False
    removed: bool = False
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_status: int | None = None
    failures_in_row: int = 0
    next_poll_at: str | None = None
    articles: int = 0


@dataclass
class FakePollSummary:
    polled: int = 0
    not_modified: int = 0
    new_articles: int = 0
    errors: int = 0


@dataclass
class FakeFeeds:
    """tracker.subscriptions as the real one promises it (add/feeds/import_opml/poll)."""

    added: list[FakeFeed] = field(default_factory=list)
    polls: int = 0

    def add(self, url: str, interval: int | None = None, title: str | None = None) -> FakeFeed:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        f = FakeFeed(len(self.added) + 1, url, title, interval or 3600)
        self.added.append(f)
        return f

    def feeds(self) -> list[FakeFeed]:
        return list(self.added)

    def import_opml(self, data: bytes) -> list[FakeFeed]:
        urls = re.findall(rb'xmlUrl="([^"]+)"', data)
        if not urls:
            raise ValueError("no feeds in this OPML file")
        return [self.add(u.decode()) for u in urls]

    def poll(self, all: bool = True) -> FakePollSummary:  # noqa: A002 - the promised signature
        self.polls += 1
        return FakePollSummary(polled=len(self.added))


@dataclass
class FakeReview:
    """tracker.review as promised (list/confirm/reject)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    confirmed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def candidates(self) -> list[dict[str, Any]]:
        return list(self.items)

    def _take(self, cid: str) -> dict[str, Any]:
        for it in self.items:
            if it["candidate_id"] == cid:
                self.items.remove(it)
                return it
        raise ValueError(f"no candidate {cid!r} in the review queue")

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        self._take(candidate_id)
        self.confirmed.append((candidate_id, {"parties": parties, "kind": kind, "stage": stage, "by": by}))

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        self._take(candidate_id)
        self.rejected.append((candidate_id, reason))


def candidate(cid: str = "c1", evidence: str = "Nissan and Momenta signed a deal.") -> dict[str, Any]:
    return {
        "candidate_id": cid,
        "parties": [{"id": "nissan", "name": "Nissan", "name_zh": "日产"}, {"id": "momenta", "name": "Momenta",
                                                                            "name_zh": "魔门塔"}],
        "kind": "strategic_cooperation", "stage": "agreement_signed", "loi": False, "date": "2026-06-01",
        "confidence": 0.55,
        "citation": {"publisher": "Local Wire", "title": "Nissan and Momenta", "url": "https://news.example/1",
                     "evidence": evidence},
    }


def install(monkeypatch: pytest.MonkeyPatch, tracker: Any, name: str, fake: Any) -> None:
    """Put `fake` at tracker.<name>, whether the real attribute is absent, plain or a property."""
    try:
        monkeypatch.setattr(tracker, name, fake, raising=False)
    except AttributeError:  # a read-only property on the class
        monkeypatch.setattr(type(tracker), name, property(lambda self: fake))


@pytest.fixture
def fake_feeds(tracker, monkeypatch):  # type: ignore[no-untyped-def]
    fake = FakeFeeds()
    install(monkeypatch, tracker, "subscriptions", fake)
    return fake


@pytest.fixture
def fake_review(tracker, monkeypatch):  # type: ignore[no-untyped-def]
    fake = FakeReview(items=[candidate("c1"), candidate("c2", "<script>alert(1)</script> evidence")])
    install(monkeypatch, tracker, "review", fake)
    return fake


# --- a real server and a real browser ------------------------------------------------------


class LiveServer:
    """The app under waitress on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, app: Any) -> None:
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="test")
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.close()
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
        if os.environ.get("CI"):
            pytest.fail(why + " (CI must run the browser tests)")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


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
