"""Editorial notes apart from the public summary of a timeline entry.

Summaries written by editors (the seed) carry remarks about how a fact was recorded — how a date
was resolved ("resolved to 2024-11", "dated 2026-05-04 because ..."), why a confidence is low
("hence the lower confidence"), why a kind or stage was chosen ("Recorded as agreement_signed: ...").
Readers get the summary without them; the admin sees them as a note. The split is by sentence (and
by parenthesis for the short "(resolved to ...)" kind), so the summary keeps its own words.
"""
from __future__ import annotations

import re

_PAREN = re.compile(r"\s*\((?:resolved to|the article prints)[^()]*\)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Za-z])")
_EDITORIAL = re.compile(
    r"\bhence (?:the lower confidence|month|year|day)\b"
    r"|^dated\b|\bdated to\b|^recorded as\b|^kind [a-z_]+:"
    r"|^the article (?:does not|gives no|dates|says|places|puts|states)\b",
    re.IGNORECASE,
)


def split_note(summary: str) -> tuple[str, str]:
    """(public summary, editorial note); the note is "" when the summary has none."""
    if not summary:
        return "", ""
    notes = [m.group(0).strip().strip("()") for m in _PAREN.finditer(summary)]
    text = _PAREN.sub("", summary)
    public: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        (notes if _EDITORIAL.search(sentence.strip()) else public).append(sentence.strip())
    return " ".join(public), " ".join(_capital(n) for n in notes)


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
