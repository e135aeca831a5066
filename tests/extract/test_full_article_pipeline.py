"""A full article through the real pipeline (SQLite): the lead's deal is applied, background is not,
a deal only the body reports waits in review, and a later report of an earlier stage moves nothing back."""
from __future__ import annotations

from pathlib import Path

import pytest

from feeds.ingest import Article

ARTICLE = {
    "id": "full-1", "published": "2025-03-14", "url": "https://wire.example/full-1", "feed_title": "Wire",
    "title": "Renault and Geely sign deal to build hybrid engines in Brazil",
    "summary": "Renault and Geely signed an agreement on Thursday to build hybrid engines in Brazil.",
    "content": "Renault and Geely signed an agreement on Thursday to build hybrid engines at Renault's plant in Parana.\n\n"
               "In 2022, Volkswagen bought a stake in XPeng. Rivals such as BYD and Tesla sell more cars.\n\n"
               "Separately, Toyota and Pony.ai signed a robotaxi production agreement on Monday, people at the show said.\n\n"
               "Renault shares rose 2% in Paris.",
}


def article(raw: dict[str, str]) -> Article:
    """The archive's shape of a test article (published at 08:00 UTC on its day)."""
    return Article(id=raw["id"], feed_id="wire", url=raw["url"], title=raw["title"], summary=raw["summary"],
                   content=raw["content"], lang=None, published=f"{raw['published']}T08:00:00.000000Z",
                   fetched_at=f"{raw['published']}T09:00:00.000000Z", feed_title=raw["feed_title"])


@pytest.fixture
def tracker(tmp_path: Path):  # type: ignore[no-untyped-def]
    from service.bootstrap import build
    from service.config import Settings

    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)}))
    yield t
    t.close()


def test_only_the_lead_becomes_an_alliance_and_the_body_waits_in_review(tracker):
    summary = tracker.ingest([article(ARTICLE)])
    ids = {a["id"]: a for a in tracker.queries.alliances()}
    assert set(ids) == {"geely--renault"}
    assert ids["geely--renault"]["since"] == "2025-03-13"  # "on Thursday", published on a Friday
    queued = [sorted(p["id"] for p in r["parties"]) for r in tracker.review.candidates()]
    assert summary.queued == len(queued) and ["pony-ai", "toyota"] in queued


def test_a_later_report_of_an_earlier_stage_is_a_corroboration(tracker):
    first = dict(ARTICLE, id="a", url="https://wire.example/a", published="2025-03-14",
                 title="Renault and Geely's joint venture starts producing hybrid engines in Brazil",
                 summary="The joint venture of Renault and Geely started production of hybrid engines in Brazil on Thursday.",
                 content="")
    later = dict(ARTICLE, id="b", url="https://wire.example/b", published="2025-04-02",
                 title="Renault and Geely signed an engine agreement",
                 summary="Renault and Geely signed an agreement to build hybrid engines in Brazil.", content="")
    tracker.ingest([article(first)])
    tracker.ingest([article(later)])
    (alliance,) = tracker.queries.alliances()
    assert alliance["stage"] == "production" and alliance["corroborations"] == 1
