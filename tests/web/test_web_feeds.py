"""Atom feeds of the change log, read the way feed readers read them: parsed with feedparser, polled
with If-None-Match / If-Modified-Since, and followed from the pages that list changes."""
from __future__ import annotations

import re
from xml.etree import ElementTree

import feedparser

from events.envelope import NewEvent
from events.types import ReportRetracted
from events.values import Citation
from tests.factories import reported, staged

SOURCE = Citation(publisher="Local Wire", title="Momenta and Renault sign", url="https://news.example/momenta-renault",
                  published="2026-11-30")
ALTERNATE = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">')


def parse(client, url: str):  # type: ignore[no-untyped-def]
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    feed = feedparser.parse(r.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_the_feed_of_all_changes_has_one_entry_per_change_with_its_bilingual_title(client) -> None:
    feed = parse(client, "/feed.atom")
    latest = client.get("/api/latest?limit=50").get_json()
    assert [e.title for e in feed.entries] == [c["title"] for c in latest]
    assert "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: new alliance (established)" in [e.title for e in feed.entries]
    assert feed.feed.title == "Alliance Tracker: all changes"
    first = feed.entries[0]
    assert first.updated.startswith(latest[0]["recorded_at"][:19])
    assert first.link.endswith(f"/alliances/{latest[0]['alliance_id']}#event-{latest[0]['position']}")
    assert "Xinhua News Agency" in first.content[0].value


def test_entry_ids_are_stable_across_requests_and_apps(client, app, tracker) -> None:
    from service.webapp import web_app

    ids = [e.id for e in parse(client, "/feed.atom").entries]
    assert ids == [e.id for e in parse(client, "/feed.atom").entries]
    assert ids == [e.id for e in parse(web_app(tracker, testing=True).test_client(), "/feed.atom").entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    one = parse(client, "/alliances/leapmotor--stellantis/feed.atom").entries[0]
    assert one.id in ids  # the same change has the same id in every feed


def test_an_entry_cites_and_links_its_source(client, tracker) -> None:
    tracker.store.append([reported("momenta--renault", ("momenta", "renault"), cite=SOURCE, when="2026-11")])
    entry = parse(client, "/feed.atom").entries[0]
    assert entry.title.startswith("Momenta 魔门塔 + Renault 雷诺: new alliance")
    assert {"href": SOURCE.url, "rel": "related", "title": SOURCE.title} in [
        {k: link.get(k) for k in ("href", "rel", "title")} for link in entry.links]
    assert f'<a href="{SOURCE.url}">Momenta and Renault sign</a>' in entry.content[0].value
    assert "Local Wire" in entry.content[0].value and "2026-11-30" in entry.content[0].value


def test_an_unchanged_feed_answers_304_to_its_etag_and_date(client) -> None:
    first = client.get("/feed.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get("/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.atom", headers={"If-None-Match": '"atom-0"'}).status_code == 200


def test_a_new_change_makes_a_new_entry_and_a_new_etag(client, tracker) -> None:
    before = client.get("/feed.atom")
    old_ids = {e.id for e in feedparser.parse(before.data).entries}
    tracker.store.append([staged("leapmotor--stellantis", "production", "2026-11", cite=SOURCE)])
    after = client.get("/feed.atom", headers={"If-None-Match": before.headers["ETag"],
                                              "If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    entries = feedparser.parse(after.data).entries
    assert entries[0].id not in old_ids
    assert entries[0].title == "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production"
    assert {e.id for e in entries[1:]} <= old_ids


def test_the_status_query_string_narrows_the_feed_to_the_alliances_it_lists(client) -> None:
    every = parse(client, "/feed.atom").entries
    for query in ("stage=production", "company=mercedes-benz", "q=零跑", "kind=joint_venture&country=CN"):
        listed = set(re.findall(r'href="/alliances/([^"?]+)"', client.get(f"/?{query}").get_data(as_text=True)))
        narrowed = parse(client, f"/feed.atom?{query}").entries
        assert 0 < len(narrowed) < len(every), query
        assert {e.link.split("/alliances/")[1].split("#")[0] for e in narrowed} <= listed, query
    assert parse(client, "/feed.atom?stage=production&sort=name&page=2").entries == parse(
        client, "/feed.atom?stage=production").entries  # sorting and paging are the page's, not the feed's
    assert parse(client, "/feed.atom?q=no-such-alliance-anywhere").entries == []


def test_an_alliance_feed_carries_only_that_alliance(client) -> None:
    feed = parse(client, "/alliances/bytedance--mercedes-benz/feed.atom")
    assert feed.entries and all("/alliances/bytedance--mercedes-benz#" in e.link for e in feed.entries)
    assert "ByteDance" in feed.feed.title and "梅赛德斯-奔驰" in feed.feed.title
    assert client.get("/alliances/no-such-alliance/feed.atom").status_code == 404


def test_a_company_feed_keeps_alliances_the_company_was_a_party_to(client, tracker) -> None:
    tracker.store.append([reported("momenta--renault", ("momenta", "renault"), cite=SOURCE, key="only-report")])
    tracker.store.append([NewEvent(ReportRetracted("momenta--renault", "only-report", "misread"))])
    feed = parse(client, "/companies/renault/feed.atom")
    titles = [e.title for e in feed.entries]
    assert titles[0] == "Momenta 魔门塔 + Renault 雷诺: report retracted: no longer listed"
    assert all("Renault" in t for t in titles)
    assert "momenta--renault" not in client.get("/companies/renault").get_data(as_text=True)
    assert client.get("/companies/no-such-company/feed.atom").status_code == 404


def test_every_page_that_lists_changes_offers_its_feed(client) -> None:
    for page, feed in (("/", "/feed.atom"), ("/?stage=production&sort=since", "/feed.atom?stage=production"),
                       ("/changes", "/feed.atom"),
                       ("/alliances/leapmotor--stellantis", "/alliances/leapmotor--stellantis/feed.atom"),
                       ("/companies/stellantis", "/companies/stellantis/feed.atom")):
        html = client.get(page).get_data(as_text=True)
        assert ALTERNATE.findall(html) == [feed.replace("&", "&amp;")], page
        follow = re.search(r'<a href="([^"]+)" type="application/atom\+xml" class="follow-link">Follow', html)
        assert follow and follow.group(1) == feed.replace("&", "&amp;"), page
        parse(client, feed)


def test_markup_in_a_source_is_text_in_the_feed(client, tracker) -> None:
    evil = Citation(publisher="<b>Wire</b>", title="<script>alert(1)</script>", url="javascript:alert(1)")
    tracker.store.append([reported("momenta--renault", ("momenta", "renault"), cite=evil)])
    raw = client.get("/feed.atom").data
    atom = "{http://www.w3.org/2005/Atom}"
    entry = ElementTree.fromstring(raw).find(f"{atom}entry")
    assert entry is not None
    html = entry.findtext(f"{atom}content") or ""  # the HTML a reader renders, before any sanitising of its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html and "<b>" not in html
    assert "javascript:" not in html  # only web addresses become links
    assert len(feedparser.parse(raw).entries[0].links) == 1


def test_a_head_request_gets_the_validators_without_a_body(client) -> None:
    r = client.head("/feed.atom")
    assert r.status_code == 200 and r.data == b"" and r.headers["ETag"] and r.headers["Last-Modified"]
