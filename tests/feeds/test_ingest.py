"""Batched ingest as a pure function: articles, registry, alliances and today in; new events out."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from events.envelope import Recorded
from events.landscape import Landscape
from feeds.ingest import Article, decide_all, extract_all, ingest
from feeds.registry import Registry

REG = Registry.default()
TODAY = date(2026, 11, 30)


def art(i: int, title: str, summary: str = "", published: str = "2026-03-02T08:00:00.000000Z") -> Article:
    return Article(id=f"a{i}", feed_id="wire", url=f"https://wire.example/{i}", title=title, summary=summary,
                   content="", lang=None, published=published, fetched_at="2026-11-30T00:00:00.000000Z",
                   feed_url="https://wire.example/feed.xml", feed_title="Wire")


SIGNED = art(1, "日产与魔门塔签署战略合作协议", "日产汽车与魔门塔1日签署战略合作协议，双方将在智能驾驶领域展开合作。")
AGAIN = art(2, "Nissan and Momenta sign strategic cooperation agreement",
            "Nissan signed a strategic cooperation agreement with Momenta on Sunday.")
LATER = art(3, "日产与魔门塔联合开发的首款车型下线", "日产与魔门塔联合开发的首款车型4月10日在广州下线。",
            published="2026-04-12T08:00:00.000000Z")
NOTHING = art(4, "Nissan reports higher quarterly deliveries")


def types(events: list) -> list[str]:  # type: ignore[type-arg]
    return [n.event.type_name for n in events]


def fold(events: list) -> Landscape:  # type: ignore[type-arg]
    """The events as if stored one after another (what the next batch would see)."""
    model = Landscape()
    for i, n in enumerate(events, 1):
        model.apply(Recorded(i, n.stream, 1, n.event.type_name, n.event.schema_version, n.event, n.valid,
                             "2026-11-30T00:00:00.000000Z", n.idempotency_key or str(i), None, "", ""))
    return model


def test_a_later_article_in_the_same_batch_sees_the_alliance_an_earlier_one_reported() -> None:
    events = ingest([SIGNED, AGAIN, LATER], REG, {}, TODAY)
    alliance = [t for t in types(events) if t != "CompanyRegistered"]
    assert alliance == ["AllianceReported", "AllianceCorroborated", "StageChanged"]
    assert types(events).count("CompanyRegistered") == 2  # registered once, not once per article


def test_one_batch_decides_as_the_same_articles_one_batch_at_a_time() -> None:
    whole = ingest([SIGNED, AGAIN, LATER], REG, {}, TODAY)
    state, known, one_by_one = {}, set(), []  # type: ignore[var-annotated]
    for a in (SIGNED, AGAIN, LATER):
        got = ingest([a], REG, state, TODAY, companies=known)
        one_by_one += got
        model = fold(one_by_one)
        state, known = model.alliances, set(model.companies)
    assert [n.idempotency_key for n in whole] == [n.idempotency_key for n in one_by_one]


def test_the_alliances_passed_in_are_not_changed() -> None:
    before = fold(ingest([SIGNED], REG, {}, TODAY)).alliances
    snapshot = dict(before)
    ingest([AGAIN, LATER], REG, before, TODAY)
    assert before == snapshot


def test_an_article_without_a_deal_adds_nothing() -> None:
    assert ingest([NOTHING], REG, {}, TODAY) == []


def test_an_undated_article_is_dated_by_todays_date_from_the_clock() -> None:
    undated = replace(AGAIN, summary="Nissan signed a strategic cooperation agreement with Momenta.", published="")
    (reported,) = [n for n in ingest([undated], REG, {}, TODAY) if n.event.type_name == "AllianceReported"]
    assert str(reported.valid) == "2026-11-30"


def test_deals_under_the_threshold_are_queued_for_review() -> None:
    decided = decide_all([SIGNED], extract_all([SIGNED], REG), REG, {}, TODAY, threshold=1.01)
    assert [t for t in types(decided.events) if t != "CompanyRegistered"] == ["DealQueued"]
    assert decided.queued == 1 and decided.deals == 1


def test_article_json_is_the_archive_shape() -> None:
    assert set(SIGNED.to_json()) == {"id", "feed_id", "feed_url", "feed_title", "url", "title", "summary", "content",
                                     "lang", "published", "published_estimated", "fetched_at", "version",
                                     "content_hash"}


def test_extraction_and_decision_are_separate_steps_with_the_same_result() -> None:
    articles = [SIGNED, AGAIN, NOTHING]
    found = extract_all(articles, REG)
    assert [len(d) for d in found] == [1, 1, 0]
    assert decide_all(articles, found, REG, {}, TODAY).events == ingest(articles, REG, {}, TODAY)


def test_the_decider_refuses_an_undated_article_without_today() -> None:
    from feeds.decide import claim_of

    (deal,) = extract_all([AGAIN], REG)[0]
    with pytest.raises(ValueError, match="needs today's date"):
        claim_of(deal, {"id": "x", "published": ""})
