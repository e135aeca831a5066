"""General kind/stage/party patterns, specified with phrasings written for these tests.

Each group covers one pattern in both languages where the pattern exists in both; none of
the items is taken from a labelled set. Negatives at the end: hedged, denied or ranking
sentences built from the same new cue words must still yield no deal.
"""
from __future__ import annotations

import pytest

from feeds.extract import extract


def _deals(title: str, summary: str = "", published: str = "2025-03-12"):
    return extract({"id": "p", "published": published, "title": title, "summary": summary})


# 1. Supply verbs: a carmaker picks/taps/selects/signs for/puts in its product a supplier's technology.
@pytest.mark.parametrize("title,summary", [
    ("Nio taps Mobileye for hands-free driving system", ""),
    ("BYD selects Horizon Robotics processors for budget models", ""),
    ("Xiaomi signs for CATL batteries", "Xiaomi signed an agreement with CATL on Tuesday to fit the battery maker's cells in its next sedan."),
    ("Great Wall to put Baidu's Ernie model in its cars", ""),
    ("Toyota's next cars will be built on Nvidia computers", ""),
    ("Seres signs Qualcomm for its next cockpit platform", ""),
    ("长城汽车选用Momenta智驾方案", "长城汽车宣布旗下新车型将选用Momenta的城市辅助驾驶方案。"),
    ("零跑新车用上高通骁龙芯片", ""),
    ("小鹏与阿里云签署协议", "由阿里云为小鹏提供大模型训练算力。"),
    # a bare cooperation agreement between a chip/ADAS supplier and a carmaker about the supplier's product
    ("长安汽车与地平线签署智能驾驶量产合作协议", ""),
])
def test_supply_verbs_make_technology_supply(title, summary):
    (deal,) = _deals(title, summary)
    assert (deal.kind, deal.stage) == ("technology_supply", "agreement_signed")


def test_supply_planned_launch_is_not_production():
    (deal,) = _deals("Changan picks Horizon Robotics chips for 2026 line-up",
                     "Changan said on Friday that cars it launches from 2026 will run on Horizon Robotics' "
                     "Journey chips under a multi-year supply agreement.")
    assert (deal.kind, deal.stage, deal.date) == ("technology_supply", "agreement_signed", "2025-03-07")


def test_supply_stays_with_joint_development_or_stake():
    (deal,) = _deals("Nio taps CATL to co-develop a new battery pack")
    assert deal.kind == "co_development"
    (deal,) = _deals("BYD selects Horizon Robotics and buys a 5% stake in the chipmaker")
    assert deal.kind == "equity_investment"


# 2. Production: a jointly built car leaves the line, a plant starts building a partner's model.
@pytest.mark.parametrize("title,summary,kind,date", [
    ("First Volkswagen-XPeng model leaves the production line",
     "The first car jointly developed by Volkswagen and XPeng came off the line at a Hefei plant on Monday.",
     "co_development", "2025-03-10"),
    ("长安与华为联合开发的首款车型量产下线", "", "co_development", None),
    ("Valencia plant starts building Geely SUVs for Ford",
     "Ford's Valencia factory started assembling an SUV for Geely on Monday under their venture.", "joint_venture", "2025-03-10"),
    ("Beijing Hyundai's first electric sedan rolls off the line",
     "The sedan, built by the venture jointly owned by BAIC and Hyundai, rolled off the line on Monday.",
     "joint_venture", "2025-03-10"),
])
def test_production_signals(title, summary, kind, date):
    (deal,) = _deals(title, summary)
    assert (deal.kind, deal.stage, deal.date) == (kind, "production", date)


def test_named_venture_production_joins_its_parents():
    """The venture is named alone where the car leaves the line; its owners are named later."""
    (deal,) = _deals("华晨宝马新款纯电车型在沈阳量产下线",
                     "华晨宝马新款纯电车型10日在沈阳工厂正式量产下线。华晨宝马由宝马与华晨各持股。")
    assert (deal.parties, deal.kind, deal.stage, deal.date) == (("BMW", "Brilliance"), "joint_venture", "production", "2025-03-10")


def test_mass_production_agreement_is_not_production():
    (deal,) = _deals("吉利与Momenta签署量产合作协议")
    assert deal.stage == "agreement_signed"


# 3. A new round / widened / renewed agreement is an expansion even though it is signed.
@pytest.mark.parametrize("title,summary", [
    ("Toyota and BYD sign a new round of strategic cooperation agreement", ""),
    ("东风与华为签署新一轮战略合作协议", "双方在原有合作基础上把合作拓展至智能座舱领域。"),
    ("Nissan and Dongfeng renew partnership agreement", ""),
    ("Renault and Geely widen their alliance", ""),
    ("长安与宁德时代签署升级版合作协议", ""),
])
def test_new_round_and_widening_are_expanded(title, summary):
    (deal,) = _deals(title, summary)
    assert deal.stage == "expanded"


def test_expanding_the_partnership_is_cooperation_but_a_product_partnership_stays_supply():
    (deal,) = _deals("Ford widens use of Mobileye systems",
                     "Ford will use Mobileye's chips in trucks, vans and robotaxis, expanding a decade-long partnership.")
    assert (deal.kind, deal.stage) == ("strategic_cooperation", "expanded")
    (deal,) = _deals("Nio and Nvidia deepen chip partnership", "Nio will use Nvidia's chips in more models.")
    assert (deal.kind, deal.stage) == ("technology_supply", "expanded")


# 4. A completed/closed investment or becoming a shareholder is established; a capital increase
#    of an existing venture by its parents expands the joint venture.
@pytest.mark.parametrize("title,summary", [
    ("Toyota completes investment in Pony.ai", ""),
    ("Renault becomes a shareholder in Geely unit", "Renault became a shareholder in Geely after closing its investment on Monday."),
    ("Hyundai closes its purchase of a 5% stake in Baidu", ""),
])
def test_completed_investment_is_established(title, summary):
    (deal,) = _deals(title, summary)
    assert (deal.kind, deal.stage) == ("equity_investment", "established")


def test_future_shareholder_is_not_established():
    (deal,) = _deals("吉利入股雷诺", "吉利将投资约10亿欧元收购雷诺约5%的股份，成为其重要股东。")
    assert (deal.kind, deal.stage) == ("equity_investment", "agreement_signed")


@pytest.mark.parametrize("title,summary", [
    ("宁德时代与一汽合资公司完成增资", "双方按持股比例增资20亿元。"),
    ("CATL and Changan inject more capital into battery venture",
     "CATL and Changan will add 2 billion yuan to the company in proportion to their stakes."),
])
def test_pro_rata_capital_increase_is_joint_venture_expansion(title, summary):
    (deal,) = _deals(title, summary)
    assert (deal.kind, deal.stage) == ("joint_venture", "expanded")


# 5. Licensing a name, brand or technology — even to a joint venture.
@pytest.mark.parametrize("title,summary", [
    ("Huawei licenses its HarmonyOS cockpit technology to Chery", ""),
    ("大众授权上汽使用其品牌", ""),
    ("Stellantis licenses the Jeep badge to its venture with GAC", ""),
    ("奇瑞与捷豹路虎合资公司获品牌授权", "捷豹路虎与奇瑞签署品牌授权协议，合资公司将推出新品牌车型。"),
])
def test_licensing(title, summary):
    (deal,) = _deals(title, summary)
    assert deal.kind == "licensing"


# 6. Recall: confirmed talks, dropped projects, a stake in a venture the text says others own.
def test_confirmed_talks_are_talks():
    (deal,) = _deals("Honda confirms talks with Nissan",
                     "Honda confirmed on Monday that it is negotiating with Nissan on sharing platforms, though no agreement has been reached.")
    assert (deal.parties, deal.stage, deal.date) == (("Honda", "Nissan"), "talks", "2025-03-10")
    (deal,) = _deals("长安证实与宁德时代就电池合作进行谈判", "长安汽车10日证实，公司正与宁德时代就电池合作进行谈判，但双方尚未达成协议。")
    assert (deal.stage, deal.date) == ("talks", "2025-03-10")


@pytest.mark.parametrize("title,summary,kind", [
    ("Ford scraps robotaxi project with Baidu", "", "strategic_cooperation"),
    ("Stellantis drops program with Pony.ai", "", "strategic_cooperation"),
    ("Toyota to stop developing electric vans with Suzuki", "", "co_development"),
    ("Nio and Baidu venture to be wound up", "", "joint_venture"),
    ("长安放弃与百度的自动驾驶合作项目", "", "strategic_cooperation"),
])
def test_dropped_projects_end(title, summary, kind):
    (deal,) = _deals(title, summary)
    assert (deal.kind, deal.stage) == (kind, "ended")


def test_stake_in_a_venture_owned_by_others_names_its_parents():
    (deal,) = _deals("Toyota buys 10% of battery venture",
                     "Toyota on Monday completed its purchase of a 10% stake in Primearth, the battery venture "
                     "jointly owned by Panasonic and BYD.")
    assert (deal.parties, deal.kind, deal.stage) == (("BYD", "Panasonic", "Toyota"), "equity_investment", "established")


def test_list_of_venture_partners_cut_by_a_comma():
    deals = _deals("Robotaxi venture formed",
                   "A joint venture of Toyota, Nissan and WeRide has been established, the partners said.")
    assert [(d.parties, d.kind, d.stage) for d in deals] == [(("Nissan", "Toyota", "WeRide"), "joint_venture", "established")]


# 7. A unit or brand speaks for its owner; a carmaker named only through a customer model is no party.
def test_unit_resolves_to_owner_and_customer_model_is_no_party():
    (deal,) = _deals("Geely's Zeekr taps Nvidia for new cockpit chips",
                     "Geely's unit Zeekr signed a deal for Nvidia to supply chips for future Volvo models.")
    assert (deal.parties, deal.kind) == (("Geely", "Nvidia"), "technology_supply")


def test_customer_model_of_a_two_party_deal_is_kept():
    (deal,) = _deals("Mobileye to supply chips for Audi models")
    assert deal.parties == ("Audi", "Mobileye")


# Dates the new patterns rely on.
@pytest.mark.parametrize("summary,date", [
    ("长安与华为联合开发的新车上周五在重庆下线。", "2025-03-07"),
    ("长安与华为10日宣布扩大合作；同日，长安还与宁德时代签署电池协议。", "2025-03-10"),
])
def test_chinese_weekday_and_same_day(summary, date):
    deals = _deals("", summary)
    assert deals and all(d.date == date for d in deals), deals


# Negatives built from the new cue words: still no deal.
@pytest.mark.parametrize("title,summary", [
    ("Nio reportedly in talks with Mobileye", "Nio is said to be in talks with Mobileye, a report said."),
    ("Ford denies it is in talks with Geely", "Ford said it has no plans to cooperate with Geely and no agreement has been reached."),
    ("BYD could pick Horizon chips", "BYD could select Horizon Robotics chips for its next models, people familiar said."),
    ("比亚迪否认与华为洽谈合作", "比亚迪表示，公司并未与华为洽谈，双方尚未达成任何协议。"),
    ("传小米将选用宁德时代电池", "知情人士称，小米或将选用宁德时代电池。"),
    ("Tesla deliveries beat BYD", "Tesla deliveries beat BYD in the quarter."),
    ("Geely may license Volvo technology to Renault", ""),
    ("吉利或将放弃与百度的合作项目", ""),
    ("Toyota picks new CEO from Honda", "Toyota appointed a former Honda executive as chief executive."),
])
def test_new_cues_do_not_override_vetoes(title, summary):
    assert _deals(title, summary) == []


@pytest.mark.parametrize("title,summary", [
    ("蔚来传将引入中东新投资方 公司未予置评", "市场消息称蔚来或将获得新一轮投资。"),
    ("零跑傳擬入股某芯片企業", "相關方面未回應。"),
    ("Geely said to be weighing a stake in a lidar maker", "Geely declined to comment on the report."),
    ("Unconfirmed report links Xiaomi and CATL in a battery venture",
     "Xiaomi and CATL did not comment on the report."),
])
def test_headline_rumours_and_unanswered_reports_give_no_deal(title, summary):
    assert extract({"id": "r", "published": "2026-05-01", "title": title, "summary": summary}) == []


@pytest.mark.parametrize("title,summary", [
    ("Hyundai has held early talks with Baidu on robotaxis, sources say", "Neither side would comment."),
    ("蔚来有意与长安在换电领域合作", "公司高管表示正在探索合作机会，但尚无具体计划。"),
    ("网传比亚迪将与丰田在欧洲合建工厂", "比亚迪相关负责人回应称并无此事。"),
    ("Nissan rumoured to be eyeing a stake in a Chinese chip designer", "Nissan called it market speculation."),
])
def test_rumours_intentions_and_flat_denials_give_no_deal(title, summary):
    assert _deals(title, summary) == []


def test_a_body_that_flatly_denies_the_headline_cancels_the_claim():
    assert _deals("Leapmotor and Valeo to form lighting joint venture",
                  "Leapmotor denied that it had agreed to form a venture with Valeo.") == []


def test_a_headline_claim_that_the_body_attributes_to_unnamed_people_is_not_a_deal():
    assert _deals("长城汽车与Momenta签署智驾合作协议",
                  "据知情人士透露，长城汽车与Momenta正在商谈智驾合作。") == []


def test_not_yet_signed_after_confirmed_talks_keeps_the_talks():
    (deal,) = _deals("Hyundai confirms talks with Baidu on cloud and AI cooperation",
                     "Hyundai said on Monday it is in talks with Baidu; no agreement has been signed yet.")
    assert set(deal.parties) == {"Hyundai", "Baidu"} and deal.stage == "talks"


def test_a_rumour_about_other_parties_does_not_cancel_a_signed_deal():
    deals = _deals("广汽与华为签署深化合作协议",
                   "广汽集团与华为昨日签署深化合作协议。另据知情人士透露，广汽或将与宁德时代成立电池合资公司。")
    assert [set(d.parties) for d in deals] == [{"GAC", "Huawei"}]
