"""Turn feed-supplied HTML or text into plain text: feeds are untrusted input."""

from __future__ import annotations

import html
import re

import nh3

__all__ = ["to_text"]

# A complete tag such as <b>, </p> or <a href="x"> -- "a<b" in prose does not qualify.
_LOOKS_LIKE_TAG = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?|!--.*?--)>", re.DOTALL)


def _strip(text: str) -> str:
    """One pass: nh3 drops <script>/<style> *with* their content and keeps other text, escaped."""
    return html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))


def to_text(html_or_text: str | None) -> str:
    """Strip every tag (script/style bodies included), unescape entities and collapse whitespace."""
    if not html_or_text:
        return ""
    text = _strip(html_or_text)
    if _LOOKS_LIKE_TAG.search(text):
        # Double-encoded HTML ("&amp;lt;b&amp;gt;") is common in real feeds (feedparser's corpus has
        # bozo_double-encoded-html.xml); one unescape leaves live markup, so strip once more.
        text = _strip(text)
    return " ".join(text.split())
