"""Browser journeys of the analyst's view, points 7 and 8, in headless Chromium against the real service:
pause a feed, poll now and see the result on the feed's own page; import an archive with the CLI and see history
appear when the status page is replayed to 2021."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, FeedServer, LiveServer, rss, screenshot
from tests.web.test_web_browser import DEAL, _alliance_ids, _login, _page, _serve

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "service" / "data" / "sample_archive.jsonl"
ALLIANCES = str(Path(sys.executable).parent / "alliances")


def _closed_port() -> int:
    """A local port nobody listens on (connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pause_a_feed_poll_now_and_see_the_result(browser: Any, tmp_path: Path, seed_template: Path) -> None:
    with FeedServer({"/deals.xml": rss([DEAL])}) as fs:
        for srv, tracker in _serve(tmp_path, seed_template):
            wire = tracker.subscriptions.add(f"{fs.url}/deals.xml", title="Local Auto Wire", probe=False)
            broken = tracker.subscriptions.add(f"http://127.0.0.1:{_closed_port()}/rss", title="Broken wire",
                                               probe=False)
            for page in _page(browser, srv.url):
                _login(page)
                row = page.locator("table.feeds tbody tr", has_text="Local Auto Wire")
                assert "New: not polled yet" in row.inner_text()
                row.locator("a.feed-title").click()
                page.wait_for_url(f"**/feeds/{wire.id}")
                page.click("button:has-text('Pause polling')")
                page.wait_for_url(f"**/feeds/{wire.id}")
                assert "Paused feed Local Auto Wire" in page.locator(".flash").inner_text()
                assert page.locator("button:has-text('Poll this feed now')").count() == 0
                page.goto("/feeds")
                page.click("form[action='/feeds/poll'] button[type=submit]")
                page.wait_for_url("**/feeds")
                assert "1 feeds polled" in page.locator(".flash").inner_text()  # only the broken one
                assert fs.hits("/deals.xml") == 0
                bad = page.locator("table.feeds tbody tr", has_text="Broken wire")
                assert "refused the connection" in bad.inner_text() and "Failing" in bad.inner_text()
                bad.locator("details.raw-error summary").click()
                assert "Connection refused" in bad.locator("details.raw-error code").inner_text()
                screenshot(page, "feeds-plain-errors")
                page.goto(f"/feeds/{wire.id}")
                page.click("button:has-text('Resume polling')")
                page.wait_for_url(f"**/feeds/{wire.id}")
                page.click("button:has-text('Poll this feed now')")
                page.wait_for_url(f"**/feeds/{wire.id}")
                flash = page.locator(".flash").inner_text()
                assert "Polled the feed: 1 feeds polled, 0 not modified, 1 new articles, 0 errors" in flash
                assert fs.hits("/deals.xml") == 1
                assert page.locator("ol.feed-articles li", has_text=DEAL[0]).count() == 1
                poll = page.locator("table.feed-polls tbody tr").first.inner_text()
                assert "200" in poll and "OK" in poll
                history = page.locator("ul.feed-history").inner_text()
                assert "paused" in history and "resumed" in history
                screenshot(page, "feed-page")
                page.goto(f"/feeds/{broken.id}")
                assert "the feed's server refused the connection" in page.locator("dl.feed-facts").inner_text()
                screenshot(page, "feed-page-failing")


def test_import_an_archive_and_see_history_appear(browser: Any, tmp_path: Path) -> None:
    """A fresh tracker (seeded as `make serve` seeds it), the sample archive imported with the CLI while the site runs:
    replaying the status page to 2021 shows alliances it did not show before."""
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")},
           "ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_ADMIN_PASSWORD": PASSWORD}
    assert subprocess.run([ALLIANCES, "seed"], env=env, capture_output=True, timeout=120).returncode == 0
    tracker = build(Settings.from_env(env))
    try:
        with LiveServer(web_app(tracker)) as srv:
            for page in _page(browser, srv.url):
                page.goto("/")
                page.fill("#tt-as-of", "2021-12-31")
                page.click(".timetravel button[type=submit]")
                page.wait_for_url(re.compile(r"as_of=2021-12-31"))
                before = set(_alliance_ids(page))
                assert "byd--toyota" not in before and "baidu--geely" not in before
                screenshot(page, "status-2021-before-import")
                out = subprocess.run([ALLIANCES, "import", str(SAMPLE)], env=env, capture_output=True, text=True,
                                     timeout=300)
                assert out.returncode == 0 and out.stderr == "", out.stderr
                assert out.stdout.startswith("import: 29 lines, 29 new articles, 0 already archived, 0 bad lines;")
                page.reload()
                after = set(_alliance_ids(page))
                assert {"byd--toyota", "baidu--geely", "bmw--catl", "didi--toyota"} <= after - before
                assert len(after) >= len(before) + 10
                screenshot(page, "status-2021-after-import")
                page.click("a.alliance-link[href^='/alliances/byd--toyota']")
                page.wait_for_url(re.compile(r"/alliances/byd--toyota"))
                assert "Reuters" in page.locator("ol.timeline").inner_text()
                screenshot(page, "alliance-from-archive")
    finally:
        tracker.close()
