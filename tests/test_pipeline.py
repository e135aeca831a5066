"""From archived articles to events: new alliances, stage changes, corroborations, the review queue."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from feeds.ingest import Article
from service.bootstrap import build
from service.config import Settings


def article(i: int, title: str, summary: str = "", published: str = "2026-03-02",
            host: str = "wire-a.example") -> Article:
    return Article(id=f"art-{i}", feed_id=host, url=f"https://{host}/news/{i}", title=title, summary=summary,
                   content="", lang=None, published=f"{published}T08:00:00.000000Z", fetched_at="2026-11-01T00:00:00Z",
                   feed_url=f"https://{host}/feed.xml", feed_title=host)


NISSAN_MOMENTA = ("日产与魔门塔签署战略合作协议", "日产汽车与魔门塔1日签署战略合作协议，双方将在智能驾驶领域展开合作。")


@pytest.fixture
def tracker(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_DATABASE_URL": db_url}))
    yield t
    t.close()


@pytest.fixture
def strict_tracker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Every deal goes to review (threshold above any confidence)."""
    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_REVIEW_THRESHOLD": "1.01"}))
    yield t
    t.close()


def _types(t) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.type for r in t.store.read()]


def test_a_new_deal_becomes_an_alliance_citing_its_article(tracker):
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    rows = tracker.queries.alliances()
    assert [r["id"] for r in rows] == ["momenta--nissan"]
    assert rows[0]["stage"] == "agreement_signed" and rows[0]["kinds"] == ["strategic_cooperation"]
    assert rows[0]["since"] == "2026-03-01"
    entry = tracker.queries.alliance("momenta--nissan")["timeline"][0]
    assert entry["citation"]["url"] == "https://wire-a.example/news/1"
    assert entry["citation"]["feed"] == "https://wire-a.example/feed.xml"
    assert entry["citation"]["published"] == "2026-03-02"
    assert "魔门塔" in entry["citation"]["evidence"]


def test_parties_unknown_to_the_log_are_registered_from_the_registry(tracker):
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    names = {c["id"]: (c["name"], c["name_zh"]) for c in tracker.queries.companies()}
    assert names["nissan"][0] == "Nissan" and names["momenta"] == ("Momenta", "魔门塔")


def test_the_same_article_processed_twice_adds_nothing(tracker):
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    n = tracker.store.last_position()
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    assert tracker.store.last_position() == n


def test_the_same_fact_from_another_source_is_a_corroboration_not_a_second_alliance(tracker):
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    tracker.ingest([article(2, "Nissan and Momenta sign strategic cooperation agreement",
                                      "Nissan signed a strategic cooperation agreement with Momenta on Sunday.",
                                      host="wire-b.example")])
    rows = tracker.queries.alliances()
    assert len(rows) == 1 and rows[0]["sources"] == 2 and rows[0]["corroborations"] == 1
    assert _types(tracker).count("AllianceReported") == 1


def test_a_later_stage_becomes_a_stage_change(tracker):
    tracker.ingest([article(1, *NISSAN_MOMENTA)])
    tracker.ingest([article(3, "日产与魔门塔联合开发的首款车型下线",
                                      "日产与魔门塔联合开发的首款车型4月10日在广州下线。", published="2026-04-12")])
    row = tracker.queries.alliances()[0]
    assert row["stage"] == "production" and "co_development" in row["kinds"]
    assert "StageChanged" in _types(tracker)


def test_a_denial_adds_no_event(tracker):
    tracker.ingest([article(4, "小鹏否认与某国际车企洽谈新一轮合作", "小鹏汽车否认了相关传闻。")])
    assert tracker.store.last_position() == 0


def test_low_confidence_deals_wait_in_review_and_change_no_alliance(strict_tracker):
    strict_tracker.ingest([article(1, *NISSAN_MOMENTA)])
    assert strict_tracker.queries.alliances() == []
    (c,) = strict_tracker.review.candidates()
    assert {p["id"] for p in c["parties"]} == {"nissan", "momenta"} and c["citation"]["evidence"]


def test_confirming_a_candidate_creates_the_alliance_and_records_the_decision(strict_tracker):
    strict_tracker.ingest([article(1, *NISSAN_MOMENTA)])
    (c,) = strict_tracker.review.candidates()
    strict_tracker.review.confirm(c["candidate_id"], by="tester")
    assert [r["id"] for r in strict_tracker.queries.alliances()] == ["momenta--nissan"]
    assert strict_tracker.review.candidates() == [] and "DealConfirmed" in _types(strict_tracker)


def test_confirming_with_corrections_uses_the_corrected_kind_and_stage(strict_tracker):
    strict_tracker.ingest([article(1, *NISSAN_MOMENTA)])
    (c,) = strict_tracker.review.candidates()
    strict_tracker.review.confirm(c["candidate_id"], kind="technology_supply", stage="established")
    row = strict_tracker.queries.alliances()[0]
    assert (row["kinds"], row["stage"]) == (["technology_supply"], "established")


def test_rejecting_a_candidate_changes_no_alliance(strict_tracker):
    strict_tracker.ingest([article(1, *NISSAN_MOMENTA)])
    (c,) = strict_tracker.review.candidates()
    strict_tracker.review.reject(c["candidate_id"], reason="rumour")
    assert strict_tracker.queries.alliances() == [] and "DealRejected" in _types(strict_tracker)
    with pytest.raises(ValueError, match="already rejected"):
        strict_tracker.review.confirm(c["candidate_id"])


def test_unknown_candidate_gets_a_clear_error(strict_tracker):
    with pytest.raises(ValueError, match="no candidate 'nope'"):
        strict_tracker.review.reject("nope")


def test_an_alias_added_as_an_event_is_used_by_extraction_from_then_on(tracker):
    item = article(5, "Nissan and Mmta Robotics sign strategic cooperation agreement",
                   "Nissan signed a strategic cooperation agreement with Mmta Robotics on Sunday.")
    tracker.ingest([item])
    assert tracker.queries.alliances() == []
    tracker.add_alias("Momenta", "Mmta Robotics")
    tracker.ingest([replace(item, id="art-6")])
    assert [r["id"] for r in tracker.queries.alliances()] == ["momenta--nissan"]
    assert "AliasAdded" in _types(tracker)


def test_batches_read_ahead_give_the_same_log_as_one_batch(tmp_path: Path):
    articles = [article(1, *NISSAN_MOMENTA), article(2, "Nissan and Momenta sign strategic cooperation agreement",
                                                      "Nissan signed a strategic cooperation agreement with Momenta.",
                                                      host="wire-b.example"),
                article(3, "日产与魔门塔联合开发的首款车型下线", "日产与魔门塔联合开发的首款车型4月10日在广州下线。",
                        published="2026-04-12")]
    logs = []
    for n, size in enumerate((1, 500)):
        t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path / str(n))}))
        t.pipeline.batch = size
        summary = t.ingest(articles)
        assert (summary.articles, summary.deals) == (3, 3)
        logs.append([(r.type, r.idempotency_key) for r in t.store.read()])
        t.close()
    assert logs[0] == logs[1] and [k for k, _ in logs[0] if k != "CompanyRegistered"] == [
        "AllianceReported", "AllianceCorroborated", "StageChanged"]


def test_an_ingest_failure_leaves_its_batch_in_the_outbox(tmp_path: Path, monkeypatch):
    from feeds.archive import Decision, article_rows, insert_articles
    from feeds.parse import ParsedEntry

    t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path)}))
    entry = ParsedEntry("urn:1", "https://wire.example/1", NISSAN_MOMENTA[0], NISSAN_MOMENTA[1], "", "zh", None, "h1")
    with t.store.write() as conn:
        insert_articles(conn, article_rows("wire", [(entry, Decision("new", "k1", 1))], t.clock()))

    def broken(_party_sets: object) -> None:
        raise RuntimeError("read model unavailable")

    monkeypatch.setattr(t.pipeline.ports, "alliances", broken)
    assert t.pipeline.drain() == (0, "RuntimeError: read model unavailable")
    assert len(t.archive.pending({})) == 1 and t.store.last_position() == 0
    monkeypatch.undo()
    assert t.pipeline.drain() == (1, None) and t.archive.pending({}) == []
    assert "AllianceReported" in _types(t)
    t.close()


def test_the_review_queue_answers_from_its_table_without_reading_the_log_again(strict_tracker, monkeypatch):
    strict_tracker.ingest([article(1, *NISSAN_MOMENTA)])
    assert len(strict_tracker.review.candidates()) == 1
    seen = []
    for method in ("read", "read_raw"):
        real = getattr(strict_tracker.store, method)
        def spy(*a, _real=real, **kw):
            seen.append(kw)
            return _real(*a, **kw)
        monkeypatch.setattr(strict_tracker.store, method, spy)
    assert len(strict_tracker.review.candidates()) == 1
    assert [kw for kw in seen if kw.get("types") and "DealQueued" in kw["types"]] == []
    assert strict_tracker.projector.checkpoint("review-queue") == strict_tracker.store.tail() > 0
