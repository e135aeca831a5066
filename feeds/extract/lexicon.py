"""Bilingual cue lexicons for deal kind and stage, compiled once at import.

Kinds are ranked: a joint venture that also co-develops is a joint venture; an explicit
"strategic partnership" outranks co-development, co-development (the more specific
relation) outranks supply ("联合开发…搭载"), and all outrank a bare "合作"/"partner".
Stages are ranked: ended > production > expanded > established > agreement_signed > talks.
Expansion outranks establishment because "completed the stake increase" is an expansion and
"established in 2018" is usually background. A deal with no stage word is an announced
agreement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KINDS", "STAGES", "UnitCues", "scan", "REFERENCE", "LOI", "BACKGROUND", "DISTRIBUTIVE", "HUB_AFTER", "ALSO"]

KINDS = ("joint_venture", "acquisition", "equity_investment", "licensing", "strategic_explicit",
         "co_development", "technology_supply", "strategic_cooperation")
STAGES = ("ended", "production", "expanded", "established", "agreement_signed", "talks")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_KIND_RX: dict[str, re.Pattern[str]] = {
    "joint_venture": _rx(r"合资", r"合营", r"共同出资(?:设立|成立|组建)", r"(?i:joint[- ]venture)", r"\bJV\b", r"\bventures?\b"),
    "acquisition": _rx(r"收购", r"并购", r"受让", r"合并", r"(?i:\bmerg(?:er|ers|e|es|ed|ing)\b)",
        r"(?i:\b(?:buy|buys|bought|buying|purchase[sd]?|acquire[sd]?)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,60}\bfrom\b)", r"(?i:\bacquir(?:e|es|ed|ing)\b)", r"(?i:\bacquisition)", r"(?i:\btakeover\b)", r"(?i:\bbuy(?:s|ing)?[- ]?out\b)"),
    "equity_investment": _rx(
        r"入股", r"股权", r"股份", r"共同投资", r"联合投资", r"出资", r"持股", r"增持", r"注资", r"战略投资", r"参股", r"领投", r"跟投", r"融资",
        r"(?i:\bfunding round\b)", r"(?i:\bled (?:a|the|its) (?:[^.;]|(?<=\d)\.(?=\d)){0,30}\bround\b)", r"(?i:\bSeries [A-F]\b)", r"投资\d", r"(?:将|拟)?投资约?\d",
        r"(?i:\bstakes?\b)", r"(?i:\bholding in\b)", r"(?i:\bshareholder)", r"(?i:\bequity\b)", r"(?i:\bshare sale\b)", r"(?i:\bnew shares\b)",
        r"(?i:\binvest(?:s|ed|ing|ment)?\b(?:[^.;]|(?<=\d)\.(?=\d)){0,60}\bin\b)",
        r"(?i:\b(?:buy|buys|bought|take|takes|took|acquire|purchase|purchased)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,30}\d+(?:\.\d+)?\s?%)",
        r"(?i:\bpurchase of \d+(?:\.\d+)?\s?%)"),
    "licensing": _rx(r"授权", r"许可", r"技术转让", r"(?i:\blicen[cs])"),
    "strategic_explicit": _rx(r"战略合作", r"全面合作", r"战略联盟", r"(?i:\bstrategic (?:partnership|cooperation|alliance|collaboration|tie-up)\b)"),
    "technology_supply": _rx(
        r"搭载", r"采用", r"供应", r"供货", r"配套", r"定点", r"装车", r"上车", r"提供.{0,12}(?:方案|系统|芯片|电池|技术|软件)",
        r"(?i:\bsuppl(?:y|ies|ied|ier|iers|ying)\b)", r"(?i:\b(?:will|to) use\b)", r"(?i:\buses\b)", r"(?i:\busing\b)", r"使用", r"(?i:\badopt)",
        r"(?i:\b(?:picked|chose|chosen|selected|tapped)\b)", r"(?i:\bpowered by\b)", r"(?i:\bequip)",
        r"采购", r"获得?.{0,8}订单", r"(?i:\b(?:placed|places|won|wins|secured|secures) (?:an? |the )?(?:\w+ )?orders?\b)", r"(?i:\borders? from\b)"),
    "co_development": _rx(
        r"联合开发", r"共同开发", r"联合打造", r"共同打造", r"合作打造", r"联合研发", r"共同研发", r"联合研究", r"共同研究", r"(?i:\bjoint(?:ly)? research)", r"联手打造", r"合作开发", r"共建",
        r"(?i:\bco-?develop)", r"(?i:\bjointly (?:develop|build|design|engineer|create)(?:s|d|ed|ing)?\b)", r"(?i:\bjoint development\b)",
        r"(?i:\b(?:develop|create|build|design|make)(?:s|d|ed|ing)?\b(?:[^.;]|(?<=\d)\.(?=\d)){0,40}\btogether\b)"),
    "strategic_cooperation": _rx(
        r"合作", r"携手", r"联手", r"结盟", r"联盟", r"协议", r"签约", r"意向书", r"备忘录", r"代工", r"组装",
        r"(?i:\b(?:built|made|manufactured|produced|assembled) by\b)",
        r"(?i:\bassembl(?:e|es|ing|ed)\b)",
        r"(?i:\bpartner)", r"(?i:\bcooperat)", r"(?i:\bcollaborat)", r"(?i:\balliance)", r"(?i:\bteam(?:s|ed)? up\b)",
        r"(?i:\btie-?up)", r"(?i:\bagreement)", r"(?i:\bdeals?\b)", r"(?i:\bcontract[- ]manufactur)", r"\bMoU\b", r"(?i:\bmemorandum)"),
}

_STAGE_RX: dict[str, re.Pattern[str]] = {
    "ended": _rx(
        r"终止", r"退出", r"不再续签", r"不再续约", r"已(?:经)?到期", r"已于.{0,10}到期", r"(?i:\bnot (?:to )?renew)", r"(?i:\bexpired?\b)", r"结束(?:合作|合资)", r"解除", r"解散", r"清算", r"分道扬镳", r"出售.{0,10}(?:股份|股权)",
        r"(?i:\bend(?:s|ed|ing)?\b(?! of))", r"(?i:\bexit)", r"(?i:\bpull(?:s|ed|ing)? out\b)", r"(?i:\bterminat)",
        r"(?i:\bdissolv)", r"(?i:\bscrap)", r"(?i:\bwind(?:s|ing)? down\b)", r"(?i:\bunwind)",
        r"(?i:\b(?:sold|sells?|selling|divest(?:s|ed)?)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,30}\bstake\b)"),
    "production": _rx(
        r"下线", r"投产", r"量产", r"开始生产", r"正式生产", r"开工生产", r"(?:开启|开始|正式|启动)交付", r"首批.{0,12}交付",
        r"(?i:\b(?:began|begin|begins|start(?:s|ed)?) (?:deliver|offering|operat))", r"(?i:\bfirst deliveries\b)",
        r"(?i:\broll(?:s|ed)? off\b)", r"(?i:\bproduction (?:start|began|begin|commenc))",
        r"(?i:\b(?:start|began|begin|commenc)\w* (?:production|assembly|manufacturing|making)\b)",
        r"(?i:\b(?:assembly|production|manufacturing) of (?:[^.;]|(?<=\d)\.(?=\d)){0,40}\b(?:began|begins|started|starts)\b)",
        r"(?i:\b(?:enter|entered|enters|went|goes|go) into production\b)", r"(?i:\benters? production\b)", r"(?i:\bmass production\b)"),
    "established": _rx(
        r"成立(?!以来|于)", r"设立", r"组建", r"揭牌", r"注册成立", r"完成(?:了)?(?:对.{0,24}的)?.{0,4}(?:收购|注册|交割|投资|入股|增资)", r"正式运营", r"开业", r"创立",
        r"(?i:\bestablished\b(?! by))", r"(?i:\bset up\b(?! by))", r"(?i:\bformed\b(?! by))", r"(?i:\bcompleted?\b)",
        r"(?i:\bclosed\b)", r"(?i:\bfounded\b(?! by))"),
    "expanded": _rx(
        r"深化", r"升级", r"扩大", r"加深", r"(?<!不再)(?<!不)续签", r"(?<!不再)(?<!不)续约", r"延长", r"延期", r"增持", r"追加投资", r"增资", r"加码",
        r"(?i:\binvest\w*\b(?:[^.;]|(?<=\d)\.(?=\d)){0,40}\bin (?:their|its) (?:\w+ ){0,3}(?:joint )?venture\b)", r"(?i:\b(?:additional|further) investment\b)",
        r"(?i:\bextend)", r"(?i:\bextension\b)", r"(?i:\bdeepen)", r"(?i:\bupgrad)", r"(?i:\bexpand)", r"(?i:\bbroaden)",
        r"(?i:\brenew)", r"(?i:\b(?:raise[sd]?|raising|increase[sd]?|increasing)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,12}\b(?:stake|holding)\b)", r"(?i:\bstep(?:s|ped)? up\b)"),
    "agreement_signed": _rx(
        r"签署", r"签订", r"签约", r"签下", r"达成", r"意向书", r"备忘录", r"框架协议", r"协议",
        r"(?i:\bsign(?:s|ed|ing)?\b)", r"(?i:\bagreement\b)", r"(?i:\bagreed\b)", r"\bMoU\b", r"(?i:\bmemorandum\b)", r"(?i:\bletter of intent\b)"),
    "talks": _rx(r"洽谈", r"谈判", r"磋商", r"商谈", r"接洽", r"(?i:\btalks\b)", r"(?i:\bnegotiat)", r"(?i:\bin discussions?\b)", r"(?i:\bdiscussing\b)"),
}

# A product "launch" establishes a venture but starts production of a car: decided per deal.
_LAUNCH = re.compile(r"(?i:\blaunch(?:es|ed)?\b|\bunveil(?:s|ed)?\b|\bdebut(?:s|ed)?\b)|推出|发布|亮相|首发|正式上市|上市销售|新车上市|开启预售")
# Signing verbs survive in a talks clause; the noun "agreement" alone does not.
_SIGN_VERB = re.compile(r"签署|签订|签约|(?i:\bsign(?:s|ed)\b)")
# Markers before a stage word that push it into the future ("计划成立", "will form", "to set up").
_FUTURE = re.compile(r"(?:将|计划|拟|预计|准备|打算|有望|将于|明年|年内|(?i:\bwill\b|\bplans?\b|\bplanned\b|\bto\b|\bwould\b|\bexpect\w*|\baims?\b|\bintends?\b|\bset to\b))[^。，,.;]{0,10}$")
LOI = re.compile(r"意向书|备忘录|(?i:\bletter of intent\b|\bmemorandum\b)|\bMoU\b|\bLOI\b")
# Sentences recalling earlier history ("此前，吉利曾与沃尔沃合作") add context, not new deals.
BACKGROUND = re.compile(r"此前|早前|曾经|曾与|曾在|股东包括|投资方包括|(?i:\bpreviously\b|\bformerly\b|\bin the past\b|\bhad earlier\b|"
                        r"\b(?:investors|backers|shareholders) include\b|\bwhose (?:investors|backers|shareholders)\b)")
# "..., and Mitsubishi will also take a stake": a lone party joining the previous deal's object.
ALSO = re.compile(r"也|同样|亦|(?i:\balso\b|\bas well\b|\btoo\b)")
# "分别/respectively": coordinated parties each deal with a hub party, not with each other.
DISTRIBUTIVE = re.compile(r"分别|各自|(?i:\brespectively\b|\beach\b)")
HUB_AFTER = re.compile(r"分别与|分别和|各自与|(?i:\b(?:separately|each) with\b)")
# Words that refer back to the parties of an earlier sentence.
REFERENCE = re.compile(r"双方|三方|两家|两者|二者|合资公司|该合资|合资企业|(?i:\bthe two\b|\bboth (?:companies|sides|firms)\b|\bthe partners\b|\bthe pair\b|\bthe (?:joint )?venture\b|\bthe alliance\b)")


@dataclass(frozen=True, slots=True)
class UnitCues:
    """Kind and stage cues found in one clause or sentence."""

    kinds: frozenset[str]
    stages: frozenset[str]
    launch: bool
    loi: bool

    @property
    def empty(self) -> bool:
        return not (self.kinds or self.stages or self.launch)


_STAKE = re.compile(r"股份|股权|%|(?i:\bstake)")


def _acquisition_is_stake(text: str) -> bool:
    """'收购…21%的股份' / 'acquire a 20% stake' is an equity investment, not an acquisition."""
    return bool(_STAKE.search(text))


def scan(text: str) -> UnitCues:
    """Cues in one unit of text (already normalised)."""
    kinds = {k for k, rx in _KIND_RX.items() if rx.search(text)}
    if "acquisition" in kinds and _acquisition_is_stake(text):
        kinds.discard("acquisition")
        kinds.add("equity_investment")
    stages: set[str] = set()
    talks = bool(_STAGE_RX["talks"].search(text))
    for stage, rx in _STAGE_RX.items():
        for m in rx.finditer(text):
            if stage in ("production", "established") and (talks or _FUTURE.search(text, max(0, m.start() - 14), m.start())):
                continue
            if stage == "agreement_signed" and talks and not _SIGN_VERB.search(m.group(0)):
                continue
            stages.add(stage)
            break
    launch = False
    for m in _LAUNCH.finditer(text):
        if not talks and not _FUTURE.search(text, max(0, m.start() - 14), m.start()):
            launch = True
            break
    return UnitCues(frozenset(kinds), frozenset(stages), launch, bool(LOI.search(text)))
