"""Event dates in Chinese and English news, resolved against the publication date.

A date is returned at the precision the text supports: "YYYY", "YYYY-MM" or
"YYYY-MM-DD". Expressions that bound a period or point to the future ("to 2040",
"from September", "明年", "至2041年") are not event dates and are skipped. Relative
offsets ("六个月后", "six months later") count from the previous date in the same text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .gate import Hits

__all__ = ["EventDate", "find_dates"]

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for name in names
}
_WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1}

_MON = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_DAY_N = r"(\d{1,2})(?:st|nd|rd|th)?"
_CN_COUNT = r"([一二两三四五六七八九十\d]+)"

# (kind, pattern); earlier patterns win where spans overlap.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]")),
    ("cn_md", re.compile(r"(今年|去年|前年|明年)?(\d{1,2})月(\d{1,2})[日号]")),
    ("ym", re.compile(r"(\d{4})年(\d{1,2})月")),
    ("cn_m", re.compile(r"(今年|去年|前年|明年)?(\d{1,2})月(?:份|初|中旬|下旬|上旬|中|底|末)?(?![\d日号])")),
    ("y", re.compile(r"(\d{4})年")),
    ("cn_d", re.compile(r"(?<![\d月年.])(\d{1,2})[日号](?!\d)")),
    ("cn_rel_after", re.compile(_CN_COUNT + r"个?(月|年|周|星期|天|日)[之以]?后")),
    ("cn_weekday", re.compile(r"(上周|上星期|本周|这周|)(?:周|星期)([一二三四五六日天])")),
    # (each English alternative spelled out whole, so the prefilter keys on the phrase, not on "the")
    ("cn_same", re.compile(r"同日|同一天|同天|(?i:\bthe same day\b)")),
    ("next_day", re.compile(r"次日|翌日|第二天|(?i:\bthe next day\b|\bthe following day\b)")),
    ("day_before", re.compile(r"前一天|前一日|(?i:\bthe day before\b|\bthe previous day\b|\ba day earlier\b)")),
    ("cn_word", re.compile(r"上个月|上月|本月|这个月|当月|上周|上星期|本周|这周|昨天|昨日|今天|今日|前天|去年|前年|明年|下个月|下月|下周")),
    ("en_mdy", re.compile(_MON + r"\s+" + _DAY_N + r"(?:,?\s+(\d{4}))?\b")),
    ("en_dmy", re.compile(r"\b" + _DAY_N + r"\s+" + _MON + r"(?:,?\s+(\d{4}))?\b")),
    ("en_my", re.compile(r"\b(?:(?:in|during|of|early|late|mid-?)\s+)" + _MON + r"(?:,?\s+(\d{4}))?\b")),
    ("en_my2", re.compile(r"\b(January|February|March|April|June|July|August|September|October|November|December)(?:,?\s+(\d{4}))?\b")),
    ("en_y", re.compile(r"\b(?:in|during|early|late)\s+(\d{4})\b")),
    ("en_rel_later", re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a)\s+(months?|years?|weeks?|days?)\s+later\b", re.I)),
    ("en_weekday", re.compile(r"\b(?:(last|on|this|next)\s+)?(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("en_word", re.compile(r"\b(yesterday|today|last week|this week|earlier this week|last month|this month|earlier this month|last year|earlier this year|next week|next month|next year)\b", re.I)),
]

# Words right before a date that make it a bound or a future point, not the event date.
_BOUND_BEFORE = re.compile(r"(?:\b(?:from|since|until|till|through|to|by|starting|before|after|beyond|end of|next|for)\s+(?:the\s+)?|\bby\s+(?:the\s+)?end(?:\s+of)?\s+|(?:至|到|截至|截止|直至|从|自|明年)\s*)$", re.I)
_BOUND_AFTER = re.compile(r"^\s*(?:起|开始|前|之前|以前|以来|至今|为止|底前|后到期)")
# A dateline gives where and when the story was filed, not when the act happened: "本报长沙5月22日电 …",
# "新华社北京9月30日电（记者…）", "SHANGHAI, April 30 - …", "PARIS, Feb 13 (Reuters) - …".
_DATELINE_AFTER = re.compile(r"(?:电(?=\s|（|\(|$)|\s*(?:\([A-Za-z ]+\)\s*)?[-—–]\s)")
_DATELINE_BEFORE = re.compile(r"(?:^|\n)\s*[A-Z][A-Z.'/ ]*[A-Z.](?:,\s*[A-Z][A-Za-z.' ]*)?,\s*$")
# A date of speech: "GM said in a statement on Monday", "the companies announced on May 6", "1月12日晚间发布公告".
_SAID_BEFORE = re.compile(r"\b(?:said|says|announced|confirmed|disclosed|told (?:\w+ )?)\s*(?:in an? (?:statement|filing|release)\s+)?$",
                          re.I)
_SAID_AFTER = re.compile(r"\s*(?:晚间|晚上|晚|上午|下午)?\s*(?:发布|发出)?(?:公告|宣布|表示|透露|披露|称)")
_CALENDAR_DAYS = frozenset({"ymd", "cn_md", "en_mdy", "en_dmy"})
_FUTURE_WORDS = ("明年", "下个月", "下月", "下周", "next week", "next month", "next year")


@dataclass(frozen=True, slots=True)
class EventDate:
    start: int
    value: str  # YYYY | YYYY-MM | YYYY-MM-DD
    calendar: bool = False  # written as a calendar day ("9月29日", "Sept 29"), not counted from another date
    said: bool = False  # the day something was said or announced ("GM said on Monday", "1月12日晚间发布公告")

    @property
    def precision(self) -> str:
        return {4: "year", 7: "month", 10: "day"}[len(self.value)]


def _fmt(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _shift_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _year_for(month: int, day: int | None, pub: dt.date) -> int:
    """Year of a month(/day) given without a year: the latest one not after publication."""
    if (month, day or 1) > (pub.month, pub.day if day else 31):
        return pub.year - 1
    return pub.year


def _cn_count(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN_NUM.get(token[1:], 0)
    if token.endswith("十"):
        return _CN_NUM.get(token[:-1], 0) * 10
    if "十" in token:
        tens, ones = token.split("十", 1)
        return _CN_NUM.get(tens, 0) * 10 + _CN_NUM.get(ones, 0)
    return _CN_NUM.get(token)


def _valid(year: int, month: int, day: int | None = None) -> bool:
    try:
        dt.date(year, month, day or 1)
    except ValueError:
        return False
    return True


def _add(anchor: str, count: int, unit: str) -> str | None:
    parts = [int(p) for p in anchor.split("-")]
    unit = unit.lower()
    if unit.startswith(("year", "年")):
        return _fmt(parts[0] + count, *parts[1:])
    if unit.startswith(("month", "月")):
        if len(parts) < 2:
            return None
        y, m = _shift_months(parts[0], parts[1], count)
        if len(parts) == 3 and _valid(y, m, parts[2]):
            return _fmt(y, m, parts[2])
        return _fmt(y, m)
    days = count * (7 if unit.startswith(("week", "周", "星期")) else 1)
    if len(parts) < 3:
        return None if len(parts) < 2 else _fmt(*_shift_months(parts[0], parts[1], round(days / 30)))
    return (dt.date(*parts) + dt.timedelta(days=days)).isoformat()


def _resolve(kind: str, m: re.Match[str], pub: dt.date, anchor: str | None) -> str | None:
    g = m.groups()
    if kind == "ymd":
        y, mo, d = int(g[0]), int(g[1]), int(g[2])
        return _fmt(y, mo, d) if _valid(y, mo, d) else None
    if kind == "ym":
        return _fmt(int(g[0]), int(g[1])) if 1 <= int(g[1]) <= 12 else None
    if kind == "y":
        return _fmt(int(g[0]))
    if kind in ("cn_md", "cn_m"):
        rel, mo = g[0], int(g[1])
        day = int(g[2]) if kind == "cn_md" else None
        if rel == "明年" or not 1 <= mo <= 12:
            return None
        year = {"今年": pub.year, "去年": pub.year - 1, "前年": pub.year - 2}.get(rel or "")
        if year is None:
            year = _year_for(mo, day, pub)
        if day is not None and not _valid(year, mo, day):
            return None
        return _fmt(year, mo, day)
    if kind == "cn_d":
        day = int(g[0])
        y, mo = (pub.year, pub.month) if day <= pub.day else _shift_months(pub.year, pub.month, -1)
        return _fmt(y, mo, day) if _valid(y, mo, day) else None
    if kind == "cn_rel_after":
        count = _cn_count(g[0])
        return _add(anchor, count, g[1]) if anchor and count else None
    if kind == "en_rel_later":
        count = int(g[0]) if g[0].isdigit() else _EN_NUM.get(g[0].lower())
        return _add(anchor, count, g[1]) if anchor and count else None
    if kind in ("en_mdy", "en_dmy"):
        mon, day_text, year_text = (g[0], g[1], g[2]) if kind == "en_mdy" else (g[1], g[0], g[2])
        mo, d = _MONTHS[mon.lower()], int(day_text)
        y = int(year_text) if year_text else _year_for(mo, d, pub)
        return _fmt(y, mo, d) if _valid(y, mo, d) else None
    if kind in ("en_my", "en_my2"):
        mo = _MONTHS[g[0].lower()]
        return _fmt(int(g[1]) if g[1] else _year_for(mo, None, pub), mo)
    if kind == "en_y":
        return _fmt(int(g[0]))
    if kind == "cn_weekday":
        target = "一二三四五六日".index(g[1].replace("天", "日"))
        if g[0] in ("上周", "上星期"):
            monday = pub - dt.timedelta(days=pub.weekday() + 7)
            return (monday + dt.timedelta(days=target)).isoformat()
        if g[0] in ("本周", "这周"):
            when = pub - dt.timedelta(days=pub.weekday()) + dt.timedelta(days=target)
            return when.isoformat() if when <= pub else None
        back = (pub.weekday() - target) % 7  # "周四" published on a Thursday is that day
        return (pub - dt.timedelta(days=back)).isoformat()
    if kind in ("cn_same", "next_day", "day_before"):
        # "同日", "次日", "the day before" count from a day; after a month or a year they name none
        if anchor is None or len(anchor) != 10:
            return None
        step = {"cn_same": 0, "next_day": 1, "day_before": -1}[kind]
        return (dt.date.fromisoformat(anchor) + dt.timedelta(days=step)).isoformat()
    if kind == "en_weekday":
        if g[0] in ("this", "next"):
            return None
        back = (pub.weekday() - _WEEKDAYS[g[1].lower()]) % 7
        if g[0] == "last":
            back = back or 7  # "last Thursday" published on a Thursday is a week before
        return (pub - dt.timedelta(days=back)).isoformat()
    word = m.group(0).lower()
    if word in _FUTURE_WORDS:
        return None
    if word in ("上个月", "上月", "last month"):
        return _fmt(*_shift_months(pub.year, pub.month, -1))
    if word in ("本月", "这个月", "当月", "this month", "earlier this month", "本周", "这周", "this week", "earlier this week"):
        return _fmt(pub.year, pub.month)
    if word in ("上周", "上星期", "last week"):
        week_ago = pub - dt.timedelta(days=7)
        return _fmt(week_ago.year, week_ago.month)
    if word in ("昨天", "昨日", "yesterday"):
        return (pub - dt.timedelta(days=1)).isoformat()
    if word in ("前天",):
        return (pub - dt.timedelta(days=2)).isoformat()
    if word in ("今天", "今日", "today"):
        return pub.isoformat()
    if word in ("去年", "last year"):
        return _fmt(pub.year - 1)
    if word == "前年":
        return _fmt(pub.year - 2)
    if word == "earlier this year":
        return _fmt(pub.year)
    return None


def _dateline(text: str, start: int, end: int, kind: str) -> bool:
    """The date of a dateline: Chinese "…5月22日电" followed by a space, English "CITY, Month Day -"."""
    if not _DATELINE_AFTER.match(text, end, end + 16):
        return False
    if kind in ("ymd", "cn_md", "cn_d"):
        return text[end] == "电"
    return kind in ("en_mdy", "en_dmy") and _DATELINE_BEFORE.search(text, max(0, start - 40), start) is not None


# Every pattern, by name, for the literal prefilter (gate.py).
PATTERNS: dict[str, re.Pattern[str]] = {f"date:{kind}": rx for kind, rx in _PATTERNS}
_NAMED = [(f"date:{kind}", kind, rx) for kind, rx in _PATTERNS]


def find_dates(text: str, start: int, end: int, published: dt.date, anchor: str | None = None,
               gate: Hits | None = None) -> list[EventDate]:
    """Event dates inside text[start:end], in order; `anchor` seeds relative offsets; `gate`
    (the article's prefilter hits) skips patterns that cannot match."""
    hits: list[tuple[int, int, str, re.Match[str]]] = []
    live = gate.named_in(start, end) if gate is not None else None
    for name, kind, pattern in _NAMED:
        if live is not None and name not in live:
            continue
        for m in pattern.finditer(text, start, end):
            if any(m.start() < e and s < m.end() for s, e, _, _ in hits):
                continue
            hits.append((m.start(), m.end(), kind, m))
    hits.sort(key=lambda h: h[0])
    out: list[EventDate] = []
    for s, e, kind, m in hits:
        before = text[max(start, s - 16):s]
        if _BOUND_BEFORE.search(before) or _BOUND_AFTER.match(text, e, end) or _dateline(text, s, e, kind):
            continue
        try:
            value = _resolve(kind, m, published, anchor)
        except (OverflowError, ValueError):  # "on Tuesday" published on 0001-01-01
            value = None
        if value is None or value > published.isoformat()[:len(value)]:
            continue  # unresolvable, or after publication: a plan, not the reported event
        said = bool(_SAID_BEFORE.search(text, max(start, s - 40), s) or _SAID_AFTER.match(text, e, end))
        out.append(EventDate(s, value, kind in _CALENDAR_DAYS, said))
        anchor = value
    return out
