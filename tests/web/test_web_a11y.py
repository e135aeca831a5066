"""Accessibility: axe-core, injected by Playwright, finds no serious or critical violation on any page,
in the light and the dark colour scheme, at desktop and phone width, as a visitor and as the admin
(real pipeline, seeded database)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web import axe
from tests.web.conftest import PASSWORD, EgressGuard, LiveServer
from tests.web.test_web_browser import DESKTOP, PHONE, _serve

pytestmark = pytest.mark.browser

PAGES = {
    "status": "/",
    "status-filtered": "/?q=momenta&stage=established",
    "status-past": "/?as_of=2024-12-31",
    "alliance": "/alliances/bytedance--mercedes-benz",
    "alliance-multi-party": "/alliances/huawei-hima",
    "company": "/companies/momenta",
    "network": "/network",
    "network-past": "/network?as_of=2024-12-31",
    "timeline": "/timeline",
    "timeline-filtered": "/timeline?q=huawei",
    "changes": "/changes?from=2025-01-01&to=2026-01-01",
    "events": "/events",
    "feeds": "/feeds",
    "review": "/review",
    "login": "/login",
    "not-found": "/alliances/no-such-alliance",
    "bad-date": "/?as_of=2025-02-30",
}
ADMIN_PAGES = {"feeds-admin": "/feeds", "review-admin": "/review", "status-admin": "/"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> Iterator[LiveServer]:
    for srv, _tracker in _serve(tmp_path_factory.mktemp("a11y"), seed_template):
        yield srv


LOOKS = {"light": (DESKTOP, "light"), "dark": (DESKTOP, "dark"), "phone": (PHONE, "light"),
         "phone-dark": (PHONE, "dark")}


def _context(browser: Any, base: str, look: str) -> Iterator[Any]:
    viewport, scheme = LOOKS[look]
    ctx = browser.new_context(base_url=base, viewport=viewport, color_scheme=scheme, locale="en-GB")
    guard = EgressGuard(base)
    ctx.route("**/*", guard)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    yield page
    ctx.close()
    assert not guard.blocked, f"the page tried to reach outside the app: {guard.blocked}"


def _report(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found)


@pytest.mark.parametrize("look", ["light", "dark", "phone"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_serious_accessibility_violation(browser: Any, site: LiveServer, axe_source: str, name: str,
                                            look: str) -> None:
    for page in _context(browser, site.url, look):
        page.goto(PAGES[name])
        found = axe.violations(page, axe_source)
        assert found == [], f"{name} ({look}):\n{_report(found)}"


@pytest.mark.parametrize("look", ["light", "dark", "phone-dark"])
def test_no_serious_accessibility_violation_on_admin_pages(browser: Any, site: LiveServer, axe_source: str,
                                                           look: str) -> None:
    for page in _context(browser, site.url, look):
        page.goto("/login?next=/feeds")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/feeds")
        problems = {}
        for name, path in ADMIN_PAGES.items():
            page.goto(path)
            if found := axe.violations(page, axe_source):
                problems[name] = _report(found)
        assert problems == {}


def test_axe_finds_a_planted_violation(browser: Any, site: LiveServer, axe_source: str) -> None:
    """The check itself works: an image without a text alternative is reported (critical)."""
    for page in _context(browser, site.url, "light"):
        page.goto("/login")
        page.evaluate("() => { const i = document.createElement('img'); i.src = '/static/favicon.svg';"
                      " document.querySelector('main').append(i); }")
        assert [v["id"] for v in axe.violations(page, axe_source)] == ["image-alt"]
