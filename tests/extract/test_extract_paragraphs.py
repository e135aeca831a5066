"""Paragraphs survive parsing (issue 13, item 1), and extraction reads the lead apart from the body."""
from __future__ import annotations

import pytest

from feeds.extract import extract
from feeds.extract.discourse import BODY, LEAD, TITLE, layout
from feeds.parse import parse_feed
from feeds.sanitize import to_text

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><title>Renault and Geely sign engine deal</title><link>https://example.com/a</link>
<pubDate>Fri, 14 Mar 2025 08:00:00 GMT</pubDate>
<description><![CDATA[<p>Renault and Geely signed an agreement on Thursday.</p>]]></description>
<content:encoded><![CDATA[<p>Renault and Geely signed an agreement on Thursday to build engines.</p>
<p>In 2022, Volkswagen bought a stake in XPeng.<br/>Toyota formed a venture with BYD in 2020.</p>
<ul><li>BYD</li><li>Tesla</li></ul>]]></content:encoded></item></channel></rss>"""


@pytest.mark.parametrize("html,text", [
    ("<p>One  two.</p>\n<p>Three</p>", "One two.\n\nThree"),
    ("Line<br>next<br/>last", "Line\n\nnext\n\nlast"),
    ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
    ("&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;", "One\n\nTwo"),
    ("plain text\n\nsecond\nline", "plain text\n\nsecond line"),
    ("<p>x</p><script>alert(1)</script><p>y</p>", "x\n\ny"),
])
def test_blocks_become_paragraph_breaks(html, text):
    assert to_text(html, paragraphs=True) == text


def test_without_paragraphs_text_is_one_line_as_before():
    assert to_text("<p>One</p>\n<p>Two</p>") == "One Two"


def test_parsed_entries_keep_the_paragraphs_of_content_encoded():
    entry = parse_feed(RSS.encode()).entries[0]
    assert entry.content.split("\n\n") == [
        "Renault and Geely signed an agreement on Thursday to build engines.",
        "In 2022, Volkswagen bought a stake in XPeng.", "Toyota formed a venture with BYD in 2020.", "BYD", "Tesla"]
    assert entry.summary == "Renault and Geely signed an agreement on Thursday."


def test_layout_gives_title_lead_and_body_roles():
    raw, regions = layout({"title": "T", "summary": "A teaser.", "content": "Lead para.\n\nBody one.\n\nBody two."})
    assert [(raw[r.start:r.end], r.role) for r in regions] == [
        ("T", TITLE), ("A teaser.", LEAD), ("Lead para.", LEAD), ("Body one.", BODY), ("Body two.", BODY)]


def test_a_summary_that_repeats_the_article_is_read_once():
    raw, regions = layout({"title": "T", "summary": "Lead para.\n\nBody.", "content": "Lead para.\n\nBody."})
    assert [r.role for r in regions] == [TITLE, LEAD, BODY]


def test_only_the_lead_of_a_parsed_article_is_news():
    entry = parse_feed(RSS.encode()).entries[0]
    item = {"id": "a", "published": "2025-03-14", "title": entry.title, "summary": entry.summary, "content": entry.content}
    applied = [d for d in extract(item) if d.confidence >= 0.6]
    assert [(d.parties, d.date) for d in applied] == [(("Geely", "Renault"), "2025-03-13")]
