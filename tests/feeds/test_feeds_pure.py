"""The pure parts of the feed service: the subscription fold, dedupe decisions, the poll verdict, OPML."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.types import FeedAdded, FeedChanged, FeedDisabled, FeedMoved, FeedRemoved
from feeds.archive import Known, KnownIndex, decide, plan
from feeds.errors import BadOPML
from feeds.fetch import FetchResult
from feeds.opml import Outline, parse_opml, to_opml
from feeds.parse import ParsedEntry, ParsedFeed, content_hash
from feeds.poll import Fetched, judge
from feeds.sources import feed_id_for, fold, normalise_url

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def entry(eid: str | None, link: str | None, text: str) -> ParsedEntry:
    return ParsedEntry(eid, link, text, "", "", "en", None, content_hash(text, "", ""))


def test_fold_follows_the_events_in_order() -> None:
    evs = [FeedAdded("f", "http://a/", "A", 600), FeedChanged("f", title="A2"), FeedChanged("f", interval_seconds=60),
           FeedMoved("f", "http://a/", "http://b/"), FeedAdded("g", "http://g/"), FeedDisabled("g", "410"),
           FeedRemoved("f")]
    state = fold((e, i + 1) for i, e in enumerate(evs))
    f, g = state["f"], state["g"]
    assert (f.url, f.title, f.interval_seconds, f.removed, f.active) == ("http://b/", "A2", 60, True, False)
    assert g.disabled and not g.removed and not g.active
    assert fold([(FeedChanged("ghost", title="x"), 1)]) == {}  # events of a feed never added change nothing
    # incremental folding equals folding everything at once
    half = fold((e, i + 1) for i, e in enumerate(evs[:3]))
    assert fold(((e, i + 4) for i, e in enumerate(evs[3:])), half) == fold((e, i + 1) for i, e in enumerate(evs))


def test_feed_ids_are_short_stable_and_normalised() -> None:
    a = feed_id_for("https://www.CnEVPost.com:443/feed/#top")
    assert a == feed_id_for("https://www.cnevpost.com/feed/") and a.startswith("cnevpost-com-")
    assert len(a) <= 40 and feed_id_for("https://cnevpost.com/feed/") != a
    assert normalise_url("HTTP://Example.com:80") == "http://example.com/"


def test_decide_dedupes_by_id_then_link_then_hash() -> None:
    index = KnownIndex.of([Known("k1", 1, "id1", "http://x/1", content_hash("one", "", "")),
                           Known("k2", 1, None, "http://x/2", content_hash("two", "", ""))])
    assert decide("f", entry("id1", "http://x/1", "one"), index).action == "skip"
    d = decide("f", entry("id1", None, "one, edited"), index)
    assert (d.action, d.article_key, d.version) == ("version", "k1", 2)
    assert decide("f", entry("new-id", "http://x/2", "two"), index).action == "skip"  # same link
    assert decide("f", entry("new-id", "http://x/new", "two"), index).action == "skip"  # same content
    new = decide("f", entry("new-id", "http://x/new", "three"), index)
    assert new.action == "new" and new.version == 1


def test_plan_skips_duplicates_within_one_document() -> None:
    e = entry(None, None, "same")
    planned = plan("f", [e, e, entry("a", None, "other")], KnownIndex())
    assert [p[0].title for p in planned] == ["other", "same"]  # oldest (last listed) first


def fetched(**kw: object) -> Fetched:
    parsed = ParsedFeed("t", None, (), False, None, None)
    return Fetched("f", "http://x/", FetchResult(url="http://x/", **kw), parsed)  # type: ignore[arg-type]


def test_judge_success_failure_and_retry_after() -> None:
    ok = judge(fetched(status=200, body=b"x", etag='"e"'), failures_in_row=3, interval_seconds=600, now=NOW, jitter=0.5)
    assert ok.ok and ok.failures_in_row == 0 and ok.next_poll_at == NOW + timedelta(minutes=10) and ok.etag == '"e"'
    bad = judge(fetched(status=500, error="HTTP 500"), failures_in_row=2, interval_seconds=600, now=NOW, jitter=0.5)
    assert not bad.ok and bad.failures_in_row == 3 and bad.next_poll_at == NOW + timedelta(minutes=40)
    slow = judge(fetched(status=429, error="HTTP 429", retry_after=3600.0), failures_in_row=0, interval_seconds=60,
                 now=NOW, jitter=0.5)
    assert slow.next_poll_at == NOW + timedelta(hours=1)
    capped = judge(fetched(status=500, error="x"), failures_in_row=30, interval_seconds=600, now=NOW, jitter=1.0)
    assert capped.next_poll_at == NOW + timedelta(hours=24)
    gone = judge(fetched(status=410, error="HTTP 410 Gone", gone=True), failures_in_row=0, interval_seconds=60,
                 now=NOW, jitter=0.5)
    assert gone.gone and not gone.ok
    cached = judge(fetched(status=200, body=b"x", max_age=7200.0), failures_in_row=0, interval_seconds=60, now=NOW,
                   jitter=0.5)
    assert cached.next_poll_at == NOW + timedelta(hours=2)
    not_feed = Fetched("f", "u", FetchResult(url="u", status=200, body=b"<p>", etag='"e"'),
                       ParsedFeed("", None, (), True, None, "not a feed (x)"))
    verdict = judge(not_feed, failures_in_row=0, interval_seconds=60, now=NOW, jitter=0.5)
    assert not verdict.ok and verdict.etag is None and "not a feed" in (verdict.error or "")


def test_opml_parse_and_write() -> None:
    doc = to_opml([Outline("http://a/?x=1&y=2", "甲"), Outline("http://b/", "")])
    assert parse_opml(doc.encode()) == [Outline("http://a/?x=1&y=2", "甲"), Outline("http://b/", "http://b/")]
    for bad, why in [(b"<html/>", "not an OPML"), (b"<opml>", "malformed"),
                     (b'<!DOCTYPE opml SYSTEM "http://evil/x.dtd"><opml/>', "DTD"),
                     (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                      b"<opml>&e;</opml>", "DTD")]:
        with pytest.raises(BadOPML, match=why):
            parse_opml(bad)
