"""Bilingual cue lexicons for deal kind and stage, compiled once at import.

Kinds are ranked: a licence of a name, brand or technology is a licensing deal even when
granted to a joint venture ("licenses the Freelander name to the Chery venture"); a joint
venture that also co-develops is a joint venture; an explicit
"strategic partnership" outranks co-development, co-development (the more specific
relation) outranks supply ("联合开发…搭载"), an expanded partnership as a whole ("扩大合作",
"expanding a years-long partnership") outranks the supply it now covers, and all outrank a bare
"合作"/"partner" (which deals.py reads as supply when a chip/ADAS/AI/battery supplier and a
carmaker cooperate about the supplier's product).
Stages are ranked: ended > production > expanded > established > agreement_signed > talks.
Expansion outranks establishment because "completed the stake increase" is an expansion and
"established in 2018" is usually background. A deal with no stage word is an announced
agreement.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .gate import Hits

__all__ = ["alliance_names", "ACT", "SUPPLY_ACT", "VENTURE", "venture_parents", "KINDS", "STAGES", "UnitCues", "scan", "REFERENCE", "LOI", "BACKGROUND", "DISTRIBUTIVE", "HUB_AFTER", "ALSO", "OWNERS", "WHOLE"]

KINDS = ("licensing_explicit", "joint_venture", "acquisition", "equity_investment", "licensing", "strategic_explicit",
         "co_development", "partnership_expanded", "technology_supply", "strategic_cooperation")
STAGES = ("ended", "production", "expanded", "established", "agreement_signed", "talks")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_KIND_RX: dict[str, re.Pattern[str]] = {
    "joint_venture": _rx(r"合资", r"合营", r"共同出资(?:设立|成立|组建)", r"(?i:joint[- ]venture)", r"\bJV\b", r"\bventures?\b",
        # "由宝马与长城各持股50%", "jointly owned by", a capital increase "按原持股比例" by both parents
        r"各持股", r"共同持股", r"各占.{0,6}股", r"(?:按|以)(?:原|各自)?(?:持股|股权|出资)?比例.{0,6}(?:增资|追加投资|出资)", r"同比例增资",
        r"(?i:\bjointly[- ]owned\b)",
        # "agreed with Dongfeng to set up a new export company", "共同成立一家新公司": a company the two found together
        r"(?i:\b(?:set(?:s|ting)? up|form(?:s|ed|ing)?|establish(?:es|ed|ing)?|creat(?:e|es|ed|ing)) (?:a|an) (?:new )?(?:[\w-]+ ){0,2}(?:company|firm|entity)\b)",
        r"共同(?:成立|设立|组建)了?(?:一家)?(?:新)?.{0,8}公司", r"(?i:\bowned jointly\b)", r"(?i:\bin proportion to their (?:stakes|holdings|shareholdings)\b)"),
    "acquisition": _rx(r"收购", r"并购", r"受让", r"合并", r"(?i:\bmerg(?:er|ers|e|es|ed|ing)\b)",
        r"(?i:\b(?:buy|buys|bought|buying|purchase[sd]?|acquire[sd]?)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,60}\bfrom\b)", r"(?i:\bacquir(?:e|es|ed|ing)\b)", r"(?i:\bacquisition)", r"(?i:\btakeover\b)", r"(?i:\bbuy(?:s|ing)?[- ]?out\b)"),
    "equity_investment": _rx(
        r"入股", r"股权", r"股份(?!(?:有限)?公司)", r"共同投资", r"联合投资", r"出资", r"持股", r"增持", r"注资", r"战略投资", r"参股", r"领投", r"跟投", r"融资",
        r"(?i:\bfunding round\b)", r"(?i:\bled (?:a|the|its) (?:[^.;]|(?<=\d)\.(?=\d)){0,30}\bround\b)", r"(?i:\bSeries [A-F]\b)", r"投资\d", r"(?:将|拟)?投资约?\d",
        r"(?i:\bstakes?\b)", r"(?i:\bholding in\b)", r"(?i:\bshareholder)", r"(?i:\bequity\b)", r"(?i:\bshare sale\b)", r"(?i:\bnew shares\b)",
        r"(?i:\binvest(?:s|ed|ing|ment)?\b(?:[^.;]|(?<=\d)\.(?=\d)){0,60}\bin\b)",
        r"(?i:\b(?:buy|buys|bought|take|takes|took|acquire|purchase|purchased)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,30}\d+(?:\.\d+)?\s?%)",
        r"(?i:\bpurchase of \d+(?:\.\d+)?\s?%)"),
    "licensing": _rx(r"(?<!出口)授权", r"(?<!出口)(?<!准入)(?<!生产)(?<!行政)(?<!经营)许可(?!证)", r"技术转让", r"(?i:(?<!export )(?<!import )(?<!driving )(?<!driver's )\blicen[cs](?!e plates?))"),
    # "licenses the Freelander name to", "licensing agreement", "品牌授权": the deal is the licence
    # even when it is granted to a joint venture.
    "licensing_explicit": _rx(r"(?:品牌|技术|商标|专利)(?:使用)?授权", r"授权.{0,12}(?:使用|生产|制造)", r"许可协议", r"(?i:\blicen(?:sing|se|ce) (?:agreement|deal|pact|contract)s?\b)", r"(?i:\bunder (?:a )?licen[cs]e\b)",
        r"(?i:\blicen[cs](?:e|es|ed|ing)\b(?:[^.;]){0,40}\b(?:name|brand|badge|marque|technology|technologies|patents?|designs?|platform|know-how)s?\b(?:[^.;]){0,30}\bto\b)"),
    "strategic_explicit": _rx(r"战略合作", r"全面合作", r"战略联盟", r"(?i:\bstrategic (?:partnership|cooperation|alliance|collaboration|tie-up)\b)"),
    # "扩大合作", "expanding a years-long partnership": what grows is the partnership as a whole,
    # so a supply it now covers ("will use Nvidia's chips") does not make it a supply deal.
    # A partnership named by its product ("深化电池合作", "deepen cockpit partnership") stays a supply.
    "partnership_expanded": _rx(r"(?:深化|升级|扩大|加深|加强)了?(?:双方|两家公司|彼此)?(?:在.{0,12}(?:上|的|领域|方面))?的?(?:战略|全面)?合作",
        r"(?i:\b(?:expand|widen|deepen|broaden|upgrad|strengthen)\w*\b(?:[^.;]){0,30}\b(?:a|the|their|its|our)\s+(?:[\w-]*long\s+|long-standing\s+|existing\s+|strategic\s+)?"
        r"(?:partnership|cooperation|collaboration|alliance|ties)\b)"),
    "technology_supply": _rx(
        r"搭载", r"采用", r"供应", r"供货", r"配套", r"定点", r"装车", r"上车", r"提供.{0,12}(?:方案|系统|芯片|电池|技术|软件)",
        r"(?i:\bsuppl(?:y|ies|ied|ier|iers|ying)\b)", r"(?i:\b(?:will|to) use\b)", r"(?i:\buses\b)", r"(?i:\b(?:its|their) use of\b)", r"(?i:\busing\b)", r"使用", r"(?i:\badopt)",
        r"(?i:\b(?:picked|chose|chosen|selected|tapped)\b)", r"(?i:\bpowered by\b)", r"(?i:\bequip)",
        r"(?i:\b(?:picks|selects|taps|chooses)\b)", r"(?i:\bsign(?:s|ed)? (?:up )?for\b)",
        r"(?i:\bsign(?:s|ed)? (?:up )?(?:(?!agreement|deal|memorandum|MoU|pact|partnership|contract|letter)(?:[^.;,]|\.(?=\w))){1,30}?\bfor\b)",
        r"(?i:\b(?:fit|fits|fitted|fitting|put|puts|putting|install\w*|integrat\w*|embed\w*|deploy\w*)\b[^.;]{0,60}\b(?:in|into|on|across) (?:its|their|all)\b)",
        r"(?i:\b(?:built|build|builds|runs?|running|based) on\b[^.;]{0,40}\b(?:chips?|computers?|platforms?|processors?|systems?|software|models?)\b)",
        r"(?i:\b(?:chips?|processors?|lidars?|sensors?|cells) for\b)",
        r"选用", r"选择.{0,12}(?:芯片|方案|系统|电池|模型)", r"用上", r"首搭", r"接入.{0,12}(?:大模型|模型)", r"订购",
        r"(?i:\bsourc(?:e|es|ed|ing)\b(?:[^.;]){0,40}\bfrom\b)", r"提供.{0,12}(?:算力|模型|平台|服务|产品)", r"芯片(?!之争|竞争|大战|短缺|荒)",
        r"采购", r"获得?.{0,8}订单", r"(?i:\b(?:placed|places|won|wins|secured|secures) (?:an? |the )?(?:\w+ )?orders?\b)", r"(?i:\borders? from\b)"),
    "co_development": _rx(
        r"联合开发", r"共同开发", r"联合打造", r"共同打造", r"合作打造", r"联合研发", r"共同研发", r"联合研究", r"共同研究", r"(?i:\bjoint(?:ly)? research)", r"联手打造", r"合作开发", r"共建", r"联合推出", r"共同推出", r"合作推出",
        r"(?i:\bco-?develop)", r"(?i:\bdevelop(?:s|ed|ing)?\b[^.;,]{0,50}\bwith\b(?! (?:its|their|the help)))", r"(?i:\bjointly (?:develop|build|design|engineer|create)(?:s|d|ed|ing)?\b)", r"(?i:\b(?:developed|built|designed|engineered|created) jointly\b)", r"(?i:\bjoint development\b)",
        # "极氪为Waymo定制的车型", "a van custom-built for Waymo": a vehicle developed to the partner's order
        r"为.{1,16}定制", r"(?i:\b(?:custom|purpose)[- ](?:built|designed|developed|made) (?:[\w-]+ ){0,3}for\b)",
        r"(?i:\b(?:develop|create|build|design|make)(?:s|d|ed|ing)?\b(?:[^.;]|(?<=\d)\.(?=\d)){0,40}\btogether\b)"),
    "strategic_cooperation": _rx(
        r"合作", r"携手", r"联手", r"结盟", r"联盟", r"协议", r"签约", r"意向书", r"备忘录", r"代工", r"组装",
        r"(?i:\b(?:built|made|manufactured|produced|assembled) by\b)",
        r"(?i:\bassembl(?:e|es|ing|ed)\b)",
        r"(?i:\bpartner)", r"(?i:\bcooperat)", r"(?i:\bcollaborat)", r"(?i:\balliance)", r"(?i:\bteam(?:s|ed)? up\b)",
        r"(?i:\btie-?up)", r"(?i:\b(?:project|program|programme) with\b)", r"(?i:\bjoint (?:[\w-]+ ){0,2}(?:project|program|programme|plan|effort|service)s?\b)", r"(?i:\b(?:talks|negotiating|negotiations|discussions) with\b)", r"(?:展开|开启|启动|进行)了?(?:谈判|磋商|洽谈)", r"就.{0,30}(?:进行)?(?:谈判|磋商)", r"(?i:\bagreement)", r"(?i:\bdeals?\b)", r"(?i:\bpacts?\b)", r"(?i:\bcontract[- ]manufactur)", r"\bMoU\b", r"(?i:\bmemorandum)", r"(?i:\bletters? of intent\b)"),
}

_STAGE_RX: dict[str, re.Pattern[str]] = {
    "ended": _rx(
        r"终止", r"退出", r"不再续签", r"不再续约", r"已(?:经)?到期", r"已于.{0,10}到期", r"(?i:\bnot (?:to )?renew)", r"(?i:(?<!due to )(?<!set to )(?<!will )(?<!would )\bexpired?\b)", r"结束(?:合作|合资)", r"解除", r"解散", r"清算", r"分道扬镳", r"出售.{0,10}(?:股份|股权)",
        r"(?i:\bend(?:s|ed|ing)?\b(?! of))", r"(?i:\bexit)", r"(?i:\bpull(?:s|ed|ing)? out\b)", r"(?i:\bterminat)",
        r"(?i:\bdissolv)", r"(?i:\bscrap)", r"(?i:\bwind(?:s|ing)? down\b)", r"(?i:\bunwind)", r"(?i:\b(?:wound|wind(?:s|ing)?) up\b)",
        r"(?i:\b(?:drop|drops|dropped|dropping|cancel\w*|shelve[sd]?|shelving|abandon\w*|axe[sd]?|axing)\b(?:[^.;]){0,40}\b(?:project|program|programme|plan|partnership|venture|deal|collaboration|alliance)s?\b)",
        r"(?i:\bstop(?:s|ped|ping)? (?:developing|building|producing|making|working|funding|cooperat))",
        r"(?i:\bwalk(?:s|ed|ing)? away from\b)", r"(?i:\bcall(?:s|ed|ing)? off\b)",
        r"(?i:\b(?:talks|negotiations|deal|merger|plan|partnership) (?:\w+ ){0,2}(?:collapsed|collapses|fell apart|falls apart|fell through|broke down|breaks down)\b)", r"(?i:\bcollapse of\b)",
        r"谈判破裂|合作破裂|告吹|破局",
        r"(?i:\bhalt(?:s|ed|ing)?\b(?:[^.;]){0,30}\b(?:project|program|programme|partnership|venture|collaboration)s?\b)", r"放弃.{0,10}(?:项目|合作|计划)", r"叫停", r"取消.{0,6}(?:合作|项目)",
        r"(?i:\b(?:sold|sells?|selling|divest(?:s|ed)?)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,30}\bstake\b)"),
    "production": _rx(
        r"下线", r"投产", r"量产(?!合作|协议|项目|定点|车|版|阶段|规模|能力)", r"开始生产", r"正式生产", r"开工生产", r"(?:开启|开始|正式|启动)交付", r"首批.{0,12}交付",
        r"(?i:\b(?:began|begun|begin|begins|start(?:s|ed)?) (?:deliver|offering|operat|shipping|supplying))", r"(?:开始|正式)供货", r"(?i:\bfirst deliveries\b)",
        r"(?i:\broll(?:s|ed|ing)? off\b)", r"(?i:\boff (?:the|its|a) (?:\w+ )?line\b)", r"(?i:\broll(?:s|ed)? out of (?:the|its) (?:\w+ )?(?:plant|factory|line)\b)",
        r"(?i:\b(?:leaves?|left|leaving) (?:the|its) (?:\w+ )?(?:assembly|production) lines?\b)",
        r"(?i:\b(?:start|began|begin|commenc)\w* (?:to )?(?:build|assembl|produc|manufactur|mak)\w*\b)", r"(?i:\bproduction (?:start|began|begin|commenc))",
        r"(?i:\b(?:start|began|begin|commenc)\w* (?:production|assembly|manufacturing|making)\b)",
        r"(?i:\b(?:assembly|production|manufacturing) of (?:[^.;]|(?<=\d)\.(?=\d)){0,40}\b(?:began|begins|started|starts)\b)",
        r"(?i:\b(?:enter|entered|enters|went|goes|go) into production\b)", r"(?i:\benters? production\b)", r"(?i:\b(?:mass|series|volume|serial) production\b)"),
    "established": _rx(
        r"成立(?!以来|于)", r"设立", r"组建", r"揭牌", r"注册成立", r"完成(?:了)?(?:对.{0,24}的)?.{0,4}(?:收购|注册|交割|投资|入股|增资)", r"正式运营", r"开业", r"创立",
        r"(?i:\bestablished\b(?! by| (?:[\w-]+ )?(?:carmakers?|automakers?|brands?|players?|companies|firms|manufacturers?|rivals?|names?|markets?|makers?|automotive)))", r"(?i:\bset up\b(?! by))", r"(?i:\bformed\b(?! by))", r"(?i:\bcompleted?\b)",
        r"(?i:\bclosed\b)", r"(?i:\bfounded\b(?! by))", r"(?i:\bcomplet(?:es|ing)\b)", r"(?i:\bfinali[sz](?:e|es|ed|ing)\b)", r"(?i:\bwrap(?:s|ped)? up\b)",
        r"(?i:\bclos(?:es|ing) (?:its|the|a|an) (?:[^.;]){0,30}\b(?:acquisition|purchase|investment|deal|transaction)\b)",
        r"(?i:\b(?:become|becomes|became|becoming) (?:a|an|the) (?:\w+ ){0,2}(?:shareholder|investor|stakeholder)\b)", r"(?:已|正式)成为.{0,12}股东"),
    "expanded": _rx(
        r"深化(?!合作协议)", r"升级(?!合作协议)", r"扩大", r"新一轮", r"(?:扩展|拓展|延伸)(?:至|到)", r"在原有.{0,16}(?:合作)?基础上", r"加深", r"(?<!不再)(?<!不)续签", r"(?<!不再)(?<!不)续约", r"延长", r"延期", r"增持", r"追加投资", r"增资", r"加码",
        r"(?i:\binvest\w*\b(?:[^.;]|(?<=\d)\.(?=\d)){0,40}\bin (?:their|its) (?:\w+ ){0,3}(?:joint )?venture\b)", r"(?i:\b(?:additional|further) investment\b)",
        r"(?i:\bextend)", r"(?i:\bextension\b)", r"(?i:\bdeepen)", r"(?i:\bupgrad)", r"(?i:\bexpand)", r"(?i:\bbroaden)", r"(?i:\bwiden)", r"(?i:\bstrengthen)", r"加强", r"(?:再度|再次)(?:携手|合作|牵手|联手)", r"(?i:\bcapital (?:increase|injection)\b)", r"(?i:\binject\w* (?:more |additional |fresh |new )?(?:capital|funds|cash)\b)",
        r"(?i:\bin proportion to their (?:stakes|holdings|shareholdings)\b)", r"(?i:\bnew round\b)", r"(?i:\bfurther (?:cooperation|collaboration|partnership)\b)",
        r"(?i:\brenew)", r"(?i:\badd(?:s|ed|ing)? (?:[\w-]+ ){0,4}to (?:its|their|the) (?:[\w-]+ )?(?:partnership|alliance|cooperation|collaboration|deal|agreement|pact)\b)", r"(?i:\b(?:raise[sd]?|raising|increase[sd]?|increasing|lift(?:s|ed|ing)?)\b(?:[^.;]|(?<=\d)\.(?=\d)){0,12}\b(?:stake|holding)\b)", r"(?i:\bstep(?:s|ped)? up\b)"),
    "agreement_signed": _rx(
        r"签署", r"签订", r"签约", r"签下", r"达成", r"意向书", r"备忘录", r"框架协议", r"协议",
        r"(?i:\bsign(?:s|ed|ing)?\b)", r"(?i:\bagreement\b)", r"(?i:\bagreed\b)", r"\bMoU\b", r"(?i:\bmemorandum\b)", r"(?i:\bletter of intent\b)"),
    "talks": _rx(r"洽谈", r"谈判", r"磋商", r"商谈", r"接洽", r"(?i:\btalks\b)", r"(?i:\bnegotiat)", r"(?i:\bin discussions?\b)", r"(?i:\bdiscussing\b)"),
}

# A product "launch" establishes a venture but starts production of a car: decided per deal.
_LAUNCH = re.compile(r"(?i:\blaunch(?:es|ed|ing)?\b|\bunveil(?:s|ed)?\b|\bdebut(?:s|ed)?\b)|推出|发布(?!公告|声明|消息|会|财报|业绩|数据|报告|了公告|的公告)|亮相|首发|正式上市|上市销售|新车上市|开启预售")
# Signing verbs survive in a talks clause; the noun "agreement" alone does not.
_SIGN_VERB = re.compile(r"签署|签订|签约|(?i:\bsign(?:s|ed)\b)")
# Markers before a stage word that push it into the future ("计划成立", "will form", "to set up").
_FUTURE = re.compile(r"(?:将|计划|拟|预计|准备|打算|有望|将于|明年|年内|探讨|探索|研究|商讨|(?i:\bexplor\w*|\bstudy(?:ing)?\b|\bwill\b|\bplans?\b|\bplanned\b|\bto\b|\bwould\b|\bexpect\w*|\baims?\b|\bintends?\b|\bset to\b))[^。，,.;]{0,10}$")
# A stage as the purpose of another act ("成立合资公司，推进Robotaxi量产", "将专注于…的规模化量产",
# "a venture aimed at mass production"): the goal, not the stage reached.
_PURPOSE = re.compile(r"(?:推进|推动|专注于|致力于|旨在|以期|助力|加速|目标是)[^。，,;；]{0,30}$|"
                      r"(?i:\b(?:aim(?:s|ed|ing)? (?:at|to)|focus(?:es|ed|ing)? on|in order to|with a view to)\b[^.;,]{0,30}$)")
# A launch "from 2026" or "starting next year" is a plan, not a launch.
_FUTURE_AFTER = re.compile(r"\s+(?:from|starting|beginning|next|later)\b|起|开始")
# "但双方尚未达成任何协议", "though no agreement has been reached": the unit reports no signing.
_NOT_YET = re.compile(r"(?:尚未|未能|还没有|仍未)(?!披露|公布|透露)|(?i:\bno (?:\w+ )?(?:agreement|deal|decision)\b|\bnot yet\b(?! (?:been )?(?:disclosed|announced|revealed|made public))|\bha(?:s|ve)(?:n't| not) (?:yet )?been (?:reached|signed|agreed))")
# Any stage or launch word: a cheap first test for a later sentence that might report an act of its own.
# (each stage pattern is a plain alternation, so joining keeps one flat alternation the prefilter can split)
ACT = re.compile("|".join(rx.pattern for rx in _STAGE_RX.values()) + "|" + _LAUNCH.pattern)
LOI = re.compile(r"意向书|备忘录|(?i:\bletter of intent\b|\bmemorandum\b)|\bMoU\b|\bLOI\b")
# Sentences recalling earlier history ("此前，吉利曾与沃尔沃合作") add context, not new deals.
BACKGROUND = re.compile(r"此前|早前|曾经|曾与|曾在|股东包括|投资方包括|(?i:\bpreviously\b|\bformerly\b|\bin the past\b|\bhad earlier\b|"
                        r"\b(?:investors|backers|shareholders) include\b|\bwhose (?:investors|backers|shareholders)\b)")
# "..., and Mitsubishi will also take a stake": a lone party joining the previous deal's object.
ALSO = re.compile(r"也|同样|亦|(?i:\balso\b|\bas well\b|\btoo\b)")
# "分别/respectively": coordinated parties each deal with a hub party, not with each other.
DISTRIBUTIVE = re.compile(r"分别|各自|(?i:\brespectively\b|\beach\b)")
HUB_AFTER = re.compile(r"分别与|分别和|各自与|(?i:\b(?:separately|each) with\b)")
# An appositive naming the owners of the object of a deal ("…, jointly owned by Renault and Geely").
OWNERS = re.compile(r"(?i:\b(?:jointly |wholly )?(?:owned|run|operated|controlled) (?:jointly )?by\b|\b(?:set up|formed|founded|established|created) (?:jointly )?by\b|"
                    r"\ba (?:\w+ )?(?:joint )?venture (?:of|between)\b)|由.{0,20}(?:共同)?(?:持股|持有|出资|成立|组建|控股)")
# A supply as an act, not a relation stated in passing: a choice, an order, a contract, a future use.
SUPPLY_ACT = re.compile(r"将|拟|计划|签|选用|选择|定点|订单|合同|协议|首搭|首发|宣布|达成|(?i:\bwill\b|\bto (?:use|supply|provide|deploy|equip|source|buy|adopt|fit|build)\b|"
                        r"\bagree|\bsign|\bdeal\b|\bcontract|\border|\bpick|\bselect|\bchose|\bchoose|\btap|\bwin|\bwon\b|\baward|\bnominat|\bannounc)")
# Words that refer back to the parties of an earlier sentence.
REFERENCE = re.compile(r"双方|三方|两家|两者|二者|合资公司|该合资|合资企业|(?:该|此次|本次|这项|这笔|上述)(?:协议|合作|交易|投资|签约)|"
                       r"(?i:\bthe two\b|\bboth (?:companies|sides|firms)\b|\bthe partners\b|\bthe pair\b|\bthe (?:joint )?venture\b|\bthe alliance\b|"
                       r"\bthe (?:\w+ )?(?:agreement|deal|pact|contract|memorandum|transaction|investment|partnership|tie-up)\b)")


# Joint ventures known by their own name, with the parents that own them. A group whose
# parties include both parents and whose text names the venture reports a joint-venture
# event ("Leapmotor International", "光束汽车 ... 量产下线"), whatever verb it uses. The
# mention matcher resolves these names to one partner; that is unchanged.
_VENTURE_PARENTS: dict[tuple[str, ...], tuple[str, str]] = {
    ("上汽大众", "SAIC Volkswagen", "SAIC-Volkswagen"): ("saic-motor", "volkswagen"),
    ("一汽-大众", "一汽大众", "FAW-Volkswagen", "FAW Volkswagen"): ("faw", "volkswagen"),
    ("上汽通用", "SAIC-GM", "SAIC General Motors"): ("saic-motor", "general-motors"),
    ("一汽奥迪", "FAW Audi", "FAW-Audi"): ("faw", "audi"),
    ("上汽奥迪", "SAIC Audi"): ("saic-motor", "audi"),
    ("华晨宝马", "BMW Brilliance"): ("bmw", "brilliance"),
    ("光束汽车", "Spotlight Automotive"): ("bmw", "great-wall-motor"),
    ("北京奔驰", "Beijing Benz"): ("baic", "mercedes-benz"),
    ("北京现代", "Beijing Hyundai"): ("baic", "hyundai"),
    ("东风日产", "Dongfeng Nissan"): ("dongfeng", "nissan"),
    ("东风本田", "Dongfeng Honda"): ("dongfeng", "honda"),
    ("广汽本田", "GAC Honda"): ("gac", "honda"),
    ("广汽丰田", "GAC Toyota"): ("gac", "toyota"),
    ("一汽丰田", "FAW Toyota"): ("faw", "toyota"),
    ("长安福特", "Changan Ford"): ("changan", "ford"),
    ("奇瑞捷豹路虎", "Chery Jaguar Land Rover", "Chery JLR"): ("chery", "jaguar-land-rover"),
    ("神龙汽车", "Dongfeng Peugeot Citroen"): ("dongfeng", "stellantis"),
    ("广汽菲克", "GAC FCA", "GAC Fiat Chrysler"): ("gac", "stellantis"),
    ("零跑国际", "Leapmotor International"): ("stellantis", "leapmotor"),
    ("Horse Powertrain",): ("renault", "geely"),
    ("极越", "集度", "Jiyue", "JI YUE"): ("geely", "baidu"),
    ("时代一汽",): ("catl", "faw"),
    ("时代上汽",): ("catl", "saic-motor"),
    ("时代广汽",): ("catl", "gac"),
    ("时代长安",): ("catl", "changan"),
    ("时代吉利",): ("catl", "geely"),
}
_VENTURE_OF: dict[str, frozenset[str]] = {name.lower(): frozenset(parents)
                                          for names, parents in _VENTURE_PARENTS.items() for name in names}
VENTURE = re.compile("|".join(re.escape(n) for n in sorted(_VENTURE_OF, key=len, reverse=True)), re.I)


def venture_parents(text: str, start: int = 0, end: int | None = None) -> list[frozenset[str]]:
    """Parent pairs of the named joint ventures in text[start:end]."""
    return [_VENTURE_OF[m.group(0).lower()] for m in VENTURE.finditer(text, start, len(text) if end is None else end)]


# Alliances known by their own name, for the log's alias events (feeds/decide.py): the named
# joint ventures above plus multi-party alliances that are no venture ("鸿蒙智行" is Huawei's
# alliance with Seres, Chery, BAIC, JAC and SAIC). Extraction does not use these.
_ALLIANCE_NAMES: dict[tuple[str, ...], frozenset[str]] = {
    **{names: frozenset(parents) for names, parents in _VENTURE_PARENTS.items()},
    ("HIMA", "鸿蒙智行", "Harmony Intelligent Mobility Alliance"):
        frozenset({"huawei", "seres", "chery", "baic", "jac", "saic-motor"}),
}
_NAME_OF: dict[str, tuple[str, frozenset[str]]] = {n.lower(): (n, parents) for names, parents in _ALLIANCE_NAMES.items() for n in names}
_ALLIANCE_NAME = re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(n) for n in sorted(_NAME_OF, key=len, reverse=True)) + r")(?![A-Za-z])", re.I)


def alliance_names(text: str) -> list[tuple[str, frozenset[str]]]:
    """(name as the table spells it, parties' ids) for each alliance name in `text`, first seen first."""
    low = text.lower()
    if not any(name in low for name in _NAME_OF):  # most articles name none: plain substring tests are ~10x cheaper
        return []
    seen = dict.fromkeys(_NAME_OF[m.group(0).lower()] for m in _ALLIANCE_NAME.finditer(text))
    return list(seen)


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


_STAKE = re.compile(r"股份|股权|%|(?i:\bstake|\bminority\b)")
# "now fully owns the plant after buying Nissan's 51% stake", "全资控股": the buyer takes the whole company.
WHOLE = re.compile(r"全资|全部股权|(?i:\bfully[- ]own|\bfull (?:control|ownership)\b|\bsole owner\b|\bentire stake\b)")


# "Tesla buys cells from CATL": a purchase of products, not of a company.
_BUYS_PRODUCT = re.compile(r"(?i:\b(?:buy|buys|bought|buying|purchas\w*|sourc\w*|procur\w*)\b(?:[^.;]){0,40}\b(?:chips?|batter(?:y|ies)|cells|lidars?|"
                           r"sensors?|processors?|semiconductors?|components?|parts|motors|modules?|systems?|software)\b)")
_TAKEOVER = re.compile(r"收购|并购|(?i:\bacqui|\btakeover\b|\bbuy-?out\b|\bmerg)")


def _acquisition_is_stake(text: str) -> bool:
    """'收购…21%的股份' / 'acquire a 20% stake' is an equity investment, not an acquisition."""
    return bool(_STAKE.search(text)) and not WHOLE.search(text)


# Every pattern scan() runs, by name, for the literal prefilter (gate.py).
PATTERNS: dict[str, re.Pattern[str]] = {**{f"kind:{k}": rx for k, rx in _KIND_RX.items()},
                                        **{f"stage:{k}": rx for k, rx in _STAGE_RX.items()}, "launch": _LAUNCH,
                                        "loi": LOI, "not_yet": _NOT_YET}


# Building a network, a cluster or an ecosystem together is a partnership, not a product developed together.
_SHARED_INFRA = re.compile(r"[^,，。;；.]{0,40}?(?:网络|生态|集群|(?i:\bclusters?\b|\bnetworks?\b|\becosystems?\b))")


# (cue, prefilter name, pattern) in rank order: the names are made once, not per unit scanned.
_KIND_CUES = tuple((k, f"kind:{k}", rx) for k, rx in _KIND_RX.items())
_STAGE_CUES = tuple((s, f"stage:{s}", rx) for s, rx in _STAGE_RX.items())


def _found(text: str, rx: re.Pattern[str], parts: list[re.Pattern[str]] | None) -> bool:
    """`rx` in text, or (with the prefilter's live parts) any of those parts."""
    if parts is None:
        return rx.search(text) is not None
    return any(part.search(text) for part in parts)


def _present(text: str, rx: re.Pattern[str], name: str, live: dict[str, list[re.Pattern[str]]] | None) -> bool:
    """`rx` in text; not run when the prefilter finds none of its triggers in the unit."""
    return (live is None or name in live) and rx.search(text) is not None


def _each(text: str, rx: re.Pattern[str], parts: list[re.Pattern[str]] | None) -> Iterator[re.Match[str]]:
    if parts is None:
        return rx.finditer(text)
    return (m for part in parts for m in part.finditer(text))


def scan(text: str, hits: Hits | None = None, offset: int = 0) -> UnitCues:
    """Cues in one unit of text (already normalised). `hits` (for the article the unit was cut
    from at `offset`) skips the patterns that cannot match."""
    live = hits.named_in(offset, offset + len(text)) if hits is not None else None
    none: list[re.Pattern[str]] = []

    def parts(name: str) -> list[re.Pattern[str]] | None:
        return None if live is None else live.get(name, none)

    kinds = {k for k, name, rx in _KIND_CUES if (live is None or name in live) and _found(text, rx, parts(name))}
    if "acquisition" in kinds and _acquisition_is_stake(text):
        kinds.discard("acquisition")
        kinds.add("equity_investment")
    elif "acquisition" in kinds and _BUYS_PRODUCT.search(text) and not _TAKEOVER.search(text):
        kinds.discard("acquisition")
        kinds.add("technology_supply")
    if "co_development" in kinds and all(_SHARED_INFRA.match(text, m.end()) for m in _each(text, _KIND_RX["co_development"], parts("kind:co_development"))):
        kinds.discard("co_development")  # "共建换电网络", "jointly build an AI computing cluster": a partnership
        kinds.add("strategic_cooperation")
    stages: set[str] = set()
    # the whole patterns, asked only when the prefilter finds a trigger (each costs 5-10 us on a sentence)
    talks = _present(text, _STAGE_RX["talks"], "stage:talks", live)
    not_yet = _present(text, _NOT_YET, "not_yet", live)
    for stage, name, rx in _STAGE_CUES:
        if live is not None and name not in live:
            continue
        for m in _each(text, rx, parts(name)):
            if stage in ("production", "established") and (talks or _FUTURE.search(text, max(0, m.start() - 14), m.start())
                                                           or _PURPOSE.search(text, max(0, m.start() - 40), m.start())):
                continue
            if stage == "agreement_signed" and talks and not _SIGN_VERB.search(m.group(0)):
                continue
            if stage in ("agreement_signed", "established") and not_yet:
                continue
            stages.add(stage)
            break
    launch = False
    if live is None or "launch" in live:
        for m in _each(text, _LAUNCH, parts("launch")):
            if not talks and not _FUTURE.search(text, max(0, m.start() - 14), m.start()) \
                    and not _FUTURE_AFTER.match(text, m.end()):
                launch = True
                break
    return UnitCues(frozenset(kinds), frozenset(stages), launch, _present(text, LOI, "loi", live))
