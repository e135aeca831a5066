"""What may become a registry alias: a name, not an ordinary word.

An alias is matched everywhere in every article, so a common word ("the", "firm", 汽车) or a
one-letter name would turn ordinary sentences into deals. Pure: the registry is passed in.
"""
from __future__ import annotations

import unicodedata

from .extract.normalize import normalize
from .registry import Registry

__all__ = ["MAX_ALIAS_LENGTH", "STOP_WORDS", "alias_problem"]

MAX_ALIAS_LENGTH = 80

STOP_WORDS = frozenset("""
a an the and or but nor of for to in on at by with from as into onto over under after before about than
is are was were be been being has have had do does did will would shall should can could may might must
it its this that these those they them their there here he she his her we our us you your i me my who whom
which what when where why how all any both each few more most other some such no not only own same so too
very one two three first new also just up out off again further once said says say told report reports
reported news today year years week month firm firms company companies group groups holding holdings
corp corporation inc ltd limited co plc ag sa se llc motor motors auto autos automaker automakers carmaker
carmakers car cars vehicle vehicles ev evs electric tech technology technologies china chinese global
international partner partners partnership deal deals brand brands maker makers sign signs signed agreement
""".split())

STOP_WORDS_ZH = frozenset({
    "公司", "集团", "汽车", "车企", "中国", "科技", "技术", "合作", "品牌", "新能源", "电动", "有限公司", "控股",
    "他们", "我们", "这个", "该公司", "双方", "企业", "股份", "智能", "自动驾驶", "合资", "协议",
})


def _is_cjk(ch: str) -> bool:
    return "CJK" in unicodedata.name(ch, "")


def alias_problem(alias: str, company_id: str, registry: Registry) -> str | None:
    """None when `alias` may name `company_id`; else why not, in one sentence."""
    name = " ".join(alias.split())
    if not name:
        return "an alias needs a name"
    if len(name) > MAX_ALIAS_LENGTH:
        return f"an alias has at most {MAX_ALIAS_LENGTH} characters"
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return "an alias must not contain control characters"
    key = normalize(name).casefold()
    if key in STOP_WORDS or key in STOP_WORDS_ZH:
        return f"{name!r} is a common word, not a name: it would match ordinary sentences"
    meaningful = [ch for ch in name if ch.isalnum()]
    if any(_is_cjk(ch) for ch in name):
        if len(meaningful) < 2:
            return f"{name!r} is too short: a Chinese alias needs at least 2 characters"
    elif len(meaningful) < 2 or (len(meaningful) == 2 and not name.isupper()):
        return f"{name!r} is too short: at least 3 letters, or a 2-letter capitalised acronym such as 'VW'"
    for other in registry.companies():
        if other.id != company_id and any(normalize(s).casefold() == key for s in other.surfaces()):
            return f"{name!r} already names {other.name}"
    return None
