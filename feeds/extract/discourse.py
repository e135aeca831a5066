"""Where a sentence stands in an article and whether it reports news or recalls background.

News is written as an inverted pyramid: the headline and the lead (the feed's teaser and the
article's first paragraph) state what happened; later paragraphs add detail, quotes and
background that names many companies and earlier deals. `layout` cuts an item into regions
with those roles; `background` tells a sentence that recalls the past, describes who owns what
or who supplies whom, or lists companies, from one that reports an act.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .dates import EventDate

__all__ = ["Region", "layout", "past_anchored", "BACKGROUND", "DESCRIPTION", "JOINT", "LEAD_SENTENCES", "ANALYSIS"]

TITLE, LEAD, BODY = "title", "lead", "body"
# A text with no paragraph breaks (an old archive, a long description): its first sentences are the lead.
LEAD_SENTENCES = 2
_PARAGRAPH = re.compile(r"\n\s*\n|\n")


@dataclass(frozen=True, slots=True)
class Region:
    start: int
    end: int
    role: str  # "title" | "lead" | "body"; a "lead" region of one unbroken paragraph is split by sentence later
    unbroken: bool = False  # the whole text had no paragraph breaks


def _squash(text: str) -> str:
    return " ".join(text.split())


def _summary_is_redundant(summary: str, content: str) -> bool:
    """The feed's description repeats the article (whole, or as its opening words)."""
    s, c = _squash(summary), _squash(content)
    return not s or s == c or c.startswith(s) or (len(s) > 0.6 * len(c) and c[:120] == s[:120])


def _paragraph_spans(text: str, offset: int) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PARAGRAPH.finditer(text):
        if text[pos:m.start()].strip():
            spans.append((offset + pos, offset + m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((offset + pos, offset + len(text)))
    return spans


def layout(item: dict[str, Any]) -> tuple[str, list[Region]]:
    """The item's text (title, newline, body parts joined by '。\\n\\n') and its regions."""
    title = item.get("title") or ""
    summary = item.get("summary") or ""
    content = item.get("content") or ""
    parts = [content] if content and _summary_is_redundant(summary, content) else [p for p in (summary, content) if p]
    regions = [Region(0, len(title), TITLE)]
    raw = title
    paragraphs: list[tuple[int, int]] = []
    for i, part in enumerate(parts):
        raw += "\n" if i == 0 else "。\n\n"
        paragraphs.extend(_paragraph_spans(part, len(raw)))
        raw += part
    teaser = len(parts) == 2
    # the teaser and the first paragraph of the article are the lead; every later paragraph is body
    lead_count = 2 if teaser else 1
    unbroken = len(paragraphs) == lead_count
    for i, (start, end) in enumerate(paragraphs):
        role = LEAD if i < lead_count else BODY
        regions.append(Region(start, end, role, unbroken and role == LEAD and i == lead_count - 1))
    return raw, regions


# A headline that asks, explains, looks back or interviews: the article analyses, it does not report an act
# ("…合作走到了哪一步", "专访余凯：…", "Explainer: why…", "车展观察：…"). Its deals wait for a person.
ANALYSIS = re.compile(r"[？?]|为什么|为何|怎么|如何|哪一步|下一站|猜想|专访|对话[^，,。]{1,12}[：:]|观察[：:]|盘点|复盘|解读|一文(?:看懂|读懂)|这两年|这些年|背后|再看|回看|回望|"
                      r"(?i:\binterview\b|\blooks? back\b|\bweighs?\b|\bmulls?\b|\banalysis\b|\bexplainer\b|\bopinion\b|\bcommentary\b|\bwhy\b|\bhow\b|\bcould\b|\bwould\b)")


# Sentences recalling earlier history ("此前，吉利曾与沃尔沃合作", "In 2023 VW bought...").
BACKGROUND = re.compile(
    r"此前|早前|早在|曾经|曾(?:与|在|是|任|于|一度|宣布|签署|投资|计划|合作|入股|收购|参与|表示|获|推出|为)|股东包括|投资方包括|以来|多年来|一直(?:是|为|与)|长期(?:合作|为|与)|"
    r"(?i:\bpreviously\b|\bformerly\b|\bin the past\b|\bhad earlier\b|\balready\b|\bwas once\b|\bonce (?:a|the|part)\b|"
    r"\bsince (?:its|the|then)\b|\bhas been (?:\w+ing|a|the|part)\b|\bhave been (?:\w+ing|partners)\b|\bfor years\b|\byears-long\b(?! partnership)|"
    r"\b(?:investors|backers|shareholders) (?:already )?include\b|\bwhose (?:investors|backers|shareholders)\b|\bearlier (?:statements|reports)\b|"
    r"\bwas (?:formed|founded|set up|established|created)\b|\b(?:formed|founded|set up|established|created) in (?:19|20)\d\d\b)")

# Who owns what: "X, a venture of A and B", "与…合资的", "由A与B共同出资设立的", "jointly owned by".
DESCRIPTION = re.compile(
    r"与.{1,16}(?:合资|合作|共同)(?:成立|设立|组建|打造|推出)?的|(?:合资|共同出资|共同)(?:成立|设立|组建)的|由.{1,24}(?:共同)?(?:出资|持股|控股|成立|设立|组建)|"
    r"是.{1,24}(?:合资|旗下|控股|投资)|的(?:长期)?(?:合作伙伴|供应商|客户|母公司|大股东|第一大股东)|隶属|持股比例|分别持股|持股\d|"
    r"(?i:\b(?:a|the|its|their|his) (?:[\w-]+ ){0,3}(?:joint )?(?:venture|alliance|partnership|unit|subsidiary|brand|affiliate) (?:of|between|led by|owned by)\b|"
    r"'s? (?:[\w-]+ ){0,2}(?:partner|ally|supplier|customer|client|parent(?: company)?|owner)s?\b|\b(?:partner|supplier|customer|client|parent company|owner) of\b|"
    r"\bwhich (?:has|had|have) (?:\w+ ){0,2}(?:partnered|worked|teamed|invested|cooperated|collaborated)\b|"
    # possessive, so existing: "its BMW Brilliance venture with Brilliance Auto", "Ford's joint venture with Changan"
    r"(?<!to )(?<!into )\b(?:its|their|\w+['’]s) (?:[\w-]+ ){0,3}(?:joint )?(?:venture|JV|partnership|alliance|tie-up|cooperation|collaboration) with\b|"
    r"\b(?:jointly |wholly |majority[- ]|partly )?owned by\b|\bbacked by\b|\bcontrolled by\b|\bowns\b|\bhold(?:s)? (?:a|the|about|around|\d)|\bwhich (?:also )?(?:owns|holds|makes|sells|builds)\b)")

# Several companies acting together, as opposed to a list of companies each doing its own thing.
JOINT = re.compile(r"共同|联合|三方|四方|多方|合资|(?i:\bjoint(?:ly)?\b|\btogether\b|\bconsortium\b|\bthree-way\b|\btrilateral\b)")

# Lists of companies named as examples, rivals or a ranking: "rivals such as A and B", "比亚迪、理想等品牌".
ENUM_BEFORE = re.compile(r"(?i:\b(?:such as|including|like|rivals?|competitors?|peers|ahead of|behind|than|outpacing|overtaking|beating|versus|vs\.?)\s+(?:the\s+)?$)|(?:超过|超越|领先于?|落后于?|高于|低于|包括|例如|比如|诸如)\s*$")
# Two or more companies named as the customers or sources of something ("which will supply BMW and
# Mercedes-Benz", "chips from Nvidia and Qualcomm"): objects of one verb, not partners of each other.
OBJECTS_BEFORE = re.compile(r"(?i:\b(?:suppl(?:y|ies|ying|ied)|serv(?:e|es|ing|ed)|deliver(?:s|ing|ed)?|sell(?:s|ing)?|sold|"
                            r"ship(?:s|ping|ped)?|provid(?:e|es|ing|ed)|customers?|clients?|from|to|uses?|using|equip(?:s|ped|ping)?)"
                            r"\s+(?:[\w-]+\s+){0,2}$)|(?:供应|供货|配套|提供给|交付给|卖给|出口到|客户包括|客户有|客户)\s*$")
ENUM_AFTER = re.compile(r"^\s*(?:等|等等|在内|相比|相较|之后|之前|分列)")

# A sentence that names its own time as long before publication recalls history; in the lead only
# an earlier year counts ("今年5月…宣布扩大合作，六个月后…投产" is the lead of a November story).
_OLD_DAYS = {True: 365, False: 62}
# "since 2019", "自2019年起": a relation that has lasted since a year before publication.
SINCE_YEAR = re.compile(r"(?:自|从)?((?:19|20)\d\d)年(?:起|以来)|(?i:\bsince ((?:19|20)\d\d)\b)")


def _last_day(value: str) -> dt.date:
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        y, m = parts
        return dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


def since_earlier_year(text: str, start: int, end: int, published: dt.date | None) -> bool:
    """'since 2019' / '自2019年起' with a year before publication's (not '自2027年起交货')."""
    if published is None:
        return False
    return any(int(m.group(1) or m.group(2)) < published.year for m in SINCE_YEAR.finditer(text, start, end))


def past_anchored(dates: list[EventDate], published: dt.date | None, news: bool = False) -> bool:
    """Every date the sentence gives lies well before publication."""
    if not dates or published is None:
        return False
    try:
        cutoff = published - dt.timedelta(days=_OLD_DAYS[news])
        # in the body a bare year before publication's is history ("in 2024 they formed ...")
        return all(_last_day(d.value) < cutoff or (not news and len(d.value) == 4 and int(d.value) < published.year)
                   for d in dates)
    except (OverflowError, ValueError):  # year 1 or 9999: no date lies well before it
        return False
