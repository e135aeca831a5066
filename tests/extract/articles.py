"""Short full articles for the rule tests of each tuning round: a headline, a lead, and a body of filler."""
from __future__ import annotations

from feeds.extract import Deal, extract

FILLER = "\n\nAnalysts expect a busy year for the industry.\n\nThe market grew in the first half."
FILLER_ZH = "\n\n分析人士预计行业今年将保持增长。\n\n上半年市场整体回暖。"


def article(title: str, lead: str, body: str = FILLER, published: str = "2025-06-20") -> list[Deal]:
    """The deals of an article whose summary is its lead and whose content is the lead and `body`."""
    return extract({"id": "t", "published": published, "title": title, "summary": lead, "content": lead + body})


def applied(deals: list[Deal]) -> list[tuple[tuple[str, ...], str, str]]:
    """(parties, kind, stage) of the deals applied without review."""
    return [(d.parties, d.kind, d.stage) for d in deals if d.confidence >= 0.6]
