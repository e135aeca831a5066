"""Feed autodiscovery from HTML <link rel="alternate"> tags."""

from __future__ import annotations

from feeds.discover import discover_feed_urls

PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
<LINK REL="Alternate" TYPE="application/atom+xml" HREF="https://cdn.example.com/atom.xml"/>
<link rel="alternate feed" type="application/feed+json; charset=utf-8" href="feed.json">
<link rel="alternate" type="text/html" hreflang="zh" href="/zh/">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><a rel="alternate" type="application/rss+xml" href="/not-a-link-tag.xml">x</a></body></html>"""


def test_alternate_links_found_and_absolute() -> None:
    assert discover_feed_urls(PAGE, "https://news.example.com/section/index.html") == [
        "https://news.example.com/rss.xml",
        "https://cdn.example.com/atom.xml",
        "https://news.example.com/section/feed.json",
    ]


def test_base_href_respected() -> None:
    page = (b'<head><base href="https://other.example.org/blog/">'
            b'<link rel="alternate" type="application/atom+xml" href="atom"></head>')
    assert discover_feed_urls(page, "https://example.com/") == ["https://other.example.org/blog/atom"]


def test_nothing_found_and_garbage() -> None:
    assert discover_feed_urls(b"<html><body>no feeds</body></html>", "https://example.com/") == []
    assert discover_feed_urls(b"\xff\xfe<<<>>>\x00<link rel=", "https://example.com/") == []
    assert discover_feed_urls(b"", "https://example.com/") == []


def test_non_utf8_page() -> None:
    page = ('<meta charset="gb2312"><title>新闻</title>'
            '<link rel="alternate" type="application/rss+xml" href="/订阅.xml">').encode("gb2312")
    assert discover_feed_urls(page, "https://example.cn/") == ["https://example.cn/订阅.xml"]
