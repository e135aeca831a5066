"""parse_feed and to_text: sanitised plain-text entries, bozo recovery, not-a-feed detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.parse import ParsedFeed, content_hash, guess_language, parse_feed
from feeds.sanitize import to_text

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Auto &amp; Tech</title><link>https://example.com/</link><language>en-us</language>
<item><title>VW and Xpeng &lt;b&gt;expand&lt;/b&gt; deal</title><link>https://example.com/vw</link>
<guid isPermaLink="false">vw-1</guid>
<description>&lt;p&gt;Joint platform.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Tue, 05 Mar 2024 10:00:00 +0100</pubDate></item>
<item><title>No date</title><link>/relative</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN"><title type="html">&lt;i&gt;汽车&lt;/i&gt;</title>
<link href="https://example.cn/"/><id>urn:feed</id><updated>2024-03-05T09:00:00Z</updated>
<entry><id>urn:e1</id><title type="text">&lt;b&gt;Stellantis&lt;/b&gt; 与零跑</title><link href="https://example.cn/e1"/>
<updated>2024-03-05T09:00:00Z</updated><summary type="html">&lt;p&gt;摘要&lt;/p&gt;</summary>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>正文<script>evil()</script></p></div></content></entry>
<entry xml:lang="en"><id>urn:e2</id><title>English entry</title><updated>2024-03-05T09:00:00Z</updated></entry>
</feed>""".encode()


def test_well_formed_rss() -> None:
    feed = parse_feed(RSS, headers={"content-type": "application/rss+xml"}, url="https://example.com/feed.xml")
    assert isinstance(feed, ParsedFeed)
    assert (feed.title, feed.link, feed.bozo, feed.bozo_reason, feed.error) == (
        "Auto & Tech", "https://example.com/", False, None, None)
    first, second = feed.entries
    assert first.entry_id == "vw-1" and first.link == "https://example.com/vw"
    assert first.title == "VW and Xpeng expand deal"
    assert first.summary == "Joint platform." and "alert" not in first.summary
    assert first.published == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert first.language == "en"
    assert len(first.content_hash) == 64
    assert second.published is None and second.entry_id is None
    assert second.link == "https://example.com/relative"  # resolved against the fetch URL


def test_well_formed_atom_with_xml_lang() -> None:
    feed = parse_feed(ATOM, headers={"content-type": "application/atom+xml"})
    assert feed.error is None and not feed.bozo
    assert feed.title == "汽车"
    zh, en = feed.entries
    assert zh.title == "Stellantis 与零跑"  # HTML in a text/plain title is stripped too
    assert zh.summary == "摘要" and zh.content == "正文" and zh.language == "zh"
    assert zh.published == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert en.language == "en"


def test_ill_formed_but_recovered_entries_are_kept() -> None:
    broken = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A &amp; B</title>'
              b"<link>https://x/a</link></item><item><title>unclosed & raw</title></channel></rss>")
    feed = parse_feed(broken)
    assert feed.bozo and feed.bozo_reason and feed.error is None
    assert feed.entries and feed.entries[0].title == "A & B"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"<!doctype html><html><head><title>Home</title></head><body><p>Hello</p></body></html>",
         {"content-type": "text/html"}),
        (b"just some text, not xml at all", {"content-type": "text/plain"}),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"content-type": "image/png"}),
    ],
)
def test_not_a_feed_is_an_error(body: bytes, headers: dict[str, str]) -> None:
    feed = parse_feed(body, headers=headers)
    assert feed.error is not None and feed.error.startswith("not a feed") and feed.entries == ()


def test_empty_and_wrong_type_inputs() -> None:
    assert parse_feed(b"").error == "empty document"
    assert parse_feed(b"  \n").error == "empty document"
    assert parse_feed("https://example.com/feed").error == "expected bytes, got str"  # type: ignore[arg-type]


def test_valid_feed_without_items_is_not_an_error() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>quiet</title></channel></rss>')
    assert feed.error is None and feed.entries == () and feed.title == "quiet"


def test_json_feed_is_an_error_value_with_feedparser_6() -> None:
    """feedparser 6.0 has no JSON Feed support (it lands in 7.x): recorded as 'not a feed', never a crash."""
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", "title": "One"}]}'
    feed = parse_feed(body, headers={"content-type": "application/feed+json"})
    assert feed.error is not None and feed.error.startswith("not a feed") and feed.entries == ()


def test_content_hash_normalises_cosmetics() -> None:
    assert content_hash("Title", "a  b", "") == content_hash(" title", "A b", "")
    assert content_hash("Title", "a b", "") != content_hash("Title", "a c", "")
    assert content_hash("ab", "", "") != content_hash("a", "b", "")  # field boundaries matter


def test_guess_language() -> None:
    assert guess_language("比亚迪与大众合作 BYD VW") == "zh"
    assert guess_language("BYD and Volkswagen sign a deal") == "en"
    assert guess_language("123 !!!") is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("a<script>alert('x')</script>b", "ab"),
        ("<style>p{color:red}</style>styled", "styled"),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("&lt;b&gt;double&lt;/b&gt; encoded", "double encoded"),  # double-encoded HTML, as feedparser hands it over
        ("  spaced\n\n out\t", "spaced out"),
        ('<img src=x onerror="alert(1)">after', "after"),
        ("<!-- note -->visible", "visible"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("", ""),
    ],
)
def test_to_text(raw: str, text: str) -> None:
    assert to_text(raw) == text


@settings(max_examples=200, deadline=None, database=None)
@given(st.text())
def test_to_text_never_leaves_markup(raw: str) -> None:
    out = to_text(raw)
    assert "<script" not in out.lower() or "<script" in raw.lower()
    assert out == " ".join(out.split())


@settings(max_examples=150, deadline=None, database=None)
@given(st.binary(max_size=400))
def test_parse_feed_never_raises(body: bytes) -> None:
    assert isinstance(parse_feed(body), ParsedFeed)
