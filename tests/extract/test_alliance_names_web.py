"""An alliance's own name (an AllianceNamed event) is shown on its page and found by search."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from events.envelope import NewEvent
from events.types import AllianceNamed
from events.values import Citation


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    from events.seed import load_seed
    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)}))
    load_seed(tracker.store)
    tracker.store.append([NewEvent(AllianceNamed("leapmotor--stellantis", "零跑国际", Citation("Wire", "Leapmotor International grows")),
                                   None, "alliance-name:leapmotor--stellantis:零跑国际")])
    tracker.projector.catch_up()
    yield web_app(tracker, testing=True).test_client()
    tracker.close()


def test_the_alliance_page_shows_its_own_name(client):
    html = client.get("/alliances/leapmotor--stellantis").get_data(as_text=True)
    assert re.search(r"<dt>Also known as</dt><dd><span lang=\"zh\">零跑国际</span></dd>", html)


def test_search_finds_an_alliance_by_its_own_name(client):
    html = client.get("/?q=零跑国际").get_data(as_text=True)
    assert re.findall(r'class="alliance-link" href="/alliances/([^"?]+)', html) == ["leapmotor--stellantis"]
