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


# Tags that end a paragraph or a line: their boundaries become paragraph breaks when asked.
_BLOCK = re.compile(
    r"<\s*/?\s*(?:p|br|li|ul|ol|div|h[1-6]|blockquote|tr|table|section|article|figure|figcaption|pre|hr)\b[^>]*>",
    re.IGNORECASE,
)
_BREAK = "\n\n"
_PARAGRAPHS = re.compile(r"\n\s*\n")


def _strip_keeping_blocks(text: str) -> str:
    return _strip(_BLOCK.sub(_BREAK, text))


def _paragraphs(text: str) -> str:
    """Whitespace collapsed inside each paragraph; paragraphs separated by one blank line."""
    parts = (" ".join(p.split()) for p in _PARAGRAPHS.split(text))
    return _BREAK.join(p for p in parts if p)


def to_text(html_or_text: str | None, paragraphs: bool = False) -> str:
    """Strip every tag (script/style bodies included), unescape entities and collapse whitespace.

    With `paragraphs`, HTML paragraphs, line breaks, list items and other blocks (and blank
    lines in plain text) become paragraph breaks ("\n\n"), so that extraction can tell the
    lead of an article from its body; whitespace inside a paragraph is still collapsed."""
    if not html_or_text:
        return ""
    strip = _strip_keeping_blocks if paragraphs else _strip
    text = strip(html_or_text)
    if _LOOKS_LIKE_TAG.search(text):
        # Double-encoded HTML ("&amp;lt;b&amp;gt;") is common in real feeds (feedparser's corpus has
        # bozo_double-encoded-html.xml); one unescape leaves live markup, so strip once more.
        text = strip(text)
    return _paragraphs(text) if paragraphs else " ".join(text.split())
