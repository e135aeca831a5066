"""Sentences that must not yield a deal: denials, speculation, lawsuits, recalls,
executive moves, sales/ranking comparisons and stock moves. Checked per sentence, because a hedge
or a denial usually governs the whole sentence ("X said a report that it is in talks
with Y was untrue"), not just the clause it sits in.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .gate import Hits

__all__ = ["veto", "VETOES"]

# Phrases that look like negation or hedging but are routine in real deal reports.
_HARMLESS = re.compile(r"未披露|尚未披露|未透露|未公布|did not disclose|were not disclosed|was not disclosed|undisclosed|declined to disclose|not only|"
                       # a confirmed negotiation qualified by "but no agreement yet" is still talks
                       r"(?:但|不过)(?:双方|两家公司|目前){0,2}(?:尚未|还未|仍未|暂未)(?:达成|签署)(?:任何)?(?:具有约束力的|正式|最终)?(?:协议|交易)|"
                       r"(?:\bbut|\bthough|\balthough|\byet),? no (?:final |binding |definitive )?(?:agreement|deal|decision) (?:has|had) (?:yet )?been (?:reached|made|signed)|"
                       # "ahead of customer deliveries" is a product plan, not a sales figure
                       r"\b(?:customer|first|initial) deliveries\b", re.I)

VETOES: dict[str, re.Pattern[str]] = {
    "denial": re.compile(
        r"否认|不属实|并无此事|无此事|不实|失实|辟谣|并未|未与|没有与|不会与|不会投资|不会入股|无意|纯属谣言|(?:没有|暂无|并无)(?:任何|相关)?.{0,8}?计划|无(?:其他|任何|相关).{0,6}计划|尚未签署|未签署|尚未达成|未达成|"
        r"(?i:\bdeni(?:es|ed)\b|\bdeny\b|\buntrue\b|\bnot true\b|\binaccurate\b|\bfalse\b|\bno talks\b|\bnot in talks\b|\bnot negotiating\b|"
        r"\bno plans?\b|\bhas no intention\b|\brejects? (?:a |the )?reports?\b|\bdismiss(?:es|ed)? (?:a |the )?(?:reports?|speculation)\b|"
        r"\bis not (?:negotiating|in talks|planning)\b|\bwill not\b|\bwon't\b|\b(?:have|has|had) not\b|\bhaven't\b|\bhasn't\b|"
        r"\bno agreement\b|\bnot (?:yet )?signed\b)"),
    "speculation": re.compile(
        r"或将|或与|或会|或在|有望|可能|考虑|传闻|传言|网传|有意|尚无具体|知情人士|消息人士|据传|猜测|^传|[，。：]传|传出|盛传|"
        # "A传将入股B" / "A传拟与B…": a rumour verb straight after the subject (headline style)
        r"传(?:将|拟|已|欲|有意)|未(?:予)?(?:回应|置评|证实)|未经证实|据报道|据外媒|外媒称|媒体报道称|"
        r"(?i:\bcould\b|\bmight\b|\bconsidering\b|\bconsiders\b|\bweighing\b|\bweighs\b|\bmulling\b|\bexploring\b|\bpotential\b|"
        r"\bpossibl[ey]\b|\breportedly\b|\ba report said\b|\breports? (?:said|say|says)\b|\brumou?r|\beyeing\b|\bwould consider\b|\bis open to\b|\bspeculat|"
        r"\bpeople familiar\b|\bsources? (?:say|says|said)\b|\baccording to (?:people|sources|a person)\b|\bsaid to\b|\bunconfirmed\b|\bdeclined to comment\b|\bdid not (?:respond|comment|confirm)\b)|"
        r"\bmay\b|^Report:"),
    "lawsuit": re.compile(r"起诉|诉讼|侵权|专利纠纷|对簿公堂|索赔|仲裁|(?i:\bsu(?:es|ed|ing)\b|\blawsuit|\blitigation|\binfring|\bcourt\b|\barbitration)"),
    "recall": re.compile(r"召回|(?i:\brecall)"),
    "executive": re.compile(
        r"出任|任命|履新|离职|辞任|辞职|前.{1,12}高管|高管.{0,6}(?:加盟|跳槽)|加盟.{0,10}(?:担任|出任)|"
        r"(?i:\bappoint|\bnames? (?:a |the )?(?:former|new)\b|\bnamed\b[^.;]{0,40}\b(?:chief|president|CEO|head)\b|\bhire[sd]?\b|"
        r"\b(?:picks?|picked|taps?|tapped|selects?|selected|chooses?|chose|hires?|hired)\b[^.;]{0,20}\b(?:CEO|chief|president|chairman|boss|head of)\b|"
        r"\bsteps? down\b|\bresign|\bjoin(?:s|ed|ing)? (?:\w+ ){0,3}from\b|\bformer (?:\w+ ){0,2}(?:executive|chief|head|CEO|boss|president|engineer|designer|manager)\b|\bpoach|\bjoins? [^.;]{0,30}\bas (?:its |the )?(?:chief|president|CEO|head)\b)"),
    "ranking": re.compile(
        # league tables: "供应商百强榜", "位居榜首", "ranks fourth on a list of the top 100 suppliers"
        r"销量|交付量|排名|榜单|强榜|排行榜|榜首|(?:位列|位居|升至|降至|跌至)第[一二三四五六七八九十\d]|价格战|降价|下调.{0,8}售价|市场份额|同比增长|同比下滑|出口量|"
        r"(?i:\boutsell|\boutsold|\bovertak|\bbest-selling\b|\btop-selling\b|\btop seller\b|\bsold more\b|\bdelivered more\b|"
        r"\bdeliveries\b|\bmarket share\b|\btop (?:\d+|ten|twenty|fifty|hundred) (?:[\w-]+ ){0,2}(?:suppliers|list)\b|\bprice war\b|\bprice cuts?\b|\bbeat\b[^.;]{0,20}\bforecasts?\b|\branking|"
        # sales and export figures, price moves
        r"\b(?:sold|delivered|exported|shipped|registered)\s+(?:a record\s+|more than\s+|over\s+|about\s+|nearly\s+|almost\s+|some\s+|just\s+)?[\d,.]+|"
        r"\bsales (?:of [^.;]{0,30})?(?:rose|fell|jumped|dropped|grew|declined|slumped|surged|climbed|slipped|were|was|hit|reached)\b|"
        r"\bcut(?:s|ting)? (?:the )?prices?\b|\bprices? cuts?\b|\bslash\w* prices?\b|"
        # earnings: "profit rose 50%, helped by ... its stake in Volvo Cars"
        r"\b(?:profits?|revenues?|earnings|net income|net loss|operating income|margins?) (?:[\w-]+ ){0,2}(?:rose|fell|jumped|dropped|grew|declined|slumped|surged|climbed|slipped|widened|narrowed|doubled|tripled)\b)|"
        r"(?:营收|净利润|利润|营业收入|毛利率)(?:同比)?(?:增长|下滑|下降|上涨|大增|翻倍)|"
        r"(?:出口|交付|销售|卖出|售出)(?:了|汽车|新车|整车)?(?:超过|约|近)?[\d.]+万?辆|(?:交付|销售|出口)(?:新车)?[\d.]+|降价|优惠"),
    # a holding said to stay as it is ("持股比例维持不变", "its stake is unchanged"): no act between the two
    "unchanged": re.compile(
        r"(?:持股|股权|股份|股比|资本关系)[^，。；,;]{0,6}?(?:不变|没有(?:任何)?变化|无变化|未变|未发生变化|不会改变|不会变化)|"
        r"(?i:\b(?:stake|holding|shareholding|ownership|capital ties?)\b[^.;]{0,30}\b(?:unchanged|intact)\b|"
        r"\bno change (?:to|in) (?:its |their |the )?(?:[\w-]+ )?(?:stake|holding|shareholding|ownership)\b)"),
    # stock moves: "shares rose 6%", "股价上涨"
    "market": re.compile(
        r"股价|市值|港股|美股|A股|涨停|跌停|收盘|收涨|收跌|跌幅|涨幅|下挫|(?:跌|涨)(?:超|逾|约)?\d|(?i:\bshares? (?:of (?:[^.;]|\.\w){0,30})?(?:rose|fell|jumped|dropped|gained|slid|surged|climbed|tumbled|sank|were|closed|traded|rallied|"
        r"(?:jump|rise|fall|drop|gain|slide|surge|climb|tumble|sink|rall(?:y|ie)|soar|plunge|slump)s?|soared|plunged|slumped)\b|"
        r"\bstock (?:rose|fell|jumped|dropped|gained|slid|surged|climbed|tumbled|sank|price)\b|\bmarket (?:value|capitali[sz]ation)\b|\bpremarket\b)"),
}


# A flat denial takes a claim back wherever it stands in the item; "not yet signed" only qualifies a stage.
FLAT_DENIAL = re.compile(
    r"否认|不属实|不实|失实|辟谣|并无此事|无此事|纯属谣言|"
    r"(?i:\bdeni(?:es|ed)\b|\bdeny\b|\buntrue\b|\bnot true\b|\bno talks\b|\bnot in talks\b|"
    r"\bdismiss(?:es|ed)? (?:a |the )?(?:reports?|speculation)\b|\brejects? (?:a |the )?reports?\b)")


# Every pattern veto() runs, by name, for the literal prefilter (gate.py).
PATTERNS: dict[str, re.Pattern[str]] = {"harmless": _HARMLESS, **{f"veto:{k}": rx for k, rx in VETOES.items()}}


def veto(sentence: str, hits: Hits | None = None, offset: int = 0) -> str | None:
    """The name of the first non-deal category the sentence falls into, else None. `hits`
    (for the article the sentence was cut from at `offset`) skips patterns that cannot match."""
    end = offset + len(sentence)
    if hits is not None and ("veto", offset, end) in hits.memo:
        return hits.memo[("veto", offset, end)]  # type: ignore[return-value]
    found = _veto(sentence, hits, offset, end)
    if hits is not None:
        hits.memo[("veto", offset, end)] = found
    return found


def _veto(sentence: str, hits: Hits | None, offset: int, end: int) -> str | None:
    # blanked to the same length, so positions still match the article's prefilter hits
    text = _HARMLESS.sub(lambda m: " " * len(m.group(0)), sentence) if hits is None or hits.may("harmless", offset, end) else sentence
    for name, rx in VETOES.items():
        if rx.search(text) if hits is None else hits.search(f"veto:{name}", text, 0, len(text), offset):
            return name
    return None
