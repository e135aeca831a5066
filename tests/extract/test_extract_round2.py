"""Round-2 general fixes for full articles (issue 13): weak deals go to review, a venture's own
business is not an act of its partnership, and a few discourse cues. Texts are our own."""
from __future__ import annotations

import pytest

from .articles import FILLER
from .articles import applied as _applied
from .articles import article as _article


def test_a_full_article_naming_a_kind_of_deal_but_no_act_sends_it_to_review():
    deals = _article("BMW chief on Great Wall", "The BMW chief discussed the role of the Great Wall joint venture in an interview.")
    assert deals and _applied(deals) == []


def test_a_full_article_whose_lead_announces_a_future_act_is_applied():
    deals = _article("Nvidia to supply chips to Xiaomi", "Nvidia will supply its driving chips to Xiaomi for a new SUV, the companies said.")
    assert _applied(deals) == [(("Nvidia", "Xiaomi"), "technology_supply", "agreement_signed")]


def test_a_named_venture_launching_a_routine_model_is_its_business_not_news_of_the_partnership():
    deals = _article("上汽通用发布新款MPV", "6月20日，上汽集团与通用汽车的合资企业上汽通用宣布，新款MPV在金桥工厂正式投产下线。")
    assert _applied(deals) == []


def test_a_venture_closing_a_plant_goes_to_review():
    deals = _article("GAC Honda shuts a line", "GAC Honda, the joint venture of GAC and Honda, said on Friday it would end production on one line.")
    assert _applied(deals) == []


def test_the_first_car_of_a_named_venture_is_still_news():
    deals = _article("上汽奥迪首款车量产下线", "6月20日，上汽奥迪首款车型在上海工厂正式量产下线。", body="\n\n上汽奥迪由上汽集团与奥迪共同组建。" + FILLER)
    assert _applied(deals) == [(("Audi", "SAIC Motor"), "joint_venture", "production")]


def test_parents_acting_themselves_on_their_venture_are_news():
    deals = _article("长安与宁德时代终止合资项目", "11月6日，长安汽车与宁德时代宣布终止时代长安合资项目。")
    assert _applied(deals) == [(("CATL", "Changan"), "joint_venture", "ended")]


def test_a_partner_selling_out_of_a_joint_venture_ends_a_joint_venture():
    deals = _article("Mercedes-Benz exits Denza", "Mercedes-Benz is pulling out of Denza after agreeing to sell its stake to BYD on Tuesday.",
                     published="2024-09-04", body="\n\nDenza was set up as a joint venture.\n\nThe joint venture grew." + FILLER)
    assert _applied(deals) == [(("BYD", "Mercedes-Benz"), "joint_venture", "ended")]


def test_a_stage_named_as_the_purpose_of_an_act_is_not_the_stage_reached():
    deals = _article("丰田与小马智行成立合资公司 推进Robotaxi量产", "8月27日，丰田与小马智行宣布合资公司完成注册，将专注于自动驾驶出租车的规模化量产。",
                     published="2024-08-27")
    assert _applied(deals) == [(("Pony.ai", "Toyota"), "joint_venture", "established")]


def test_lifting_a_stake_is_an_expansion():
    deals = _article("CYVN lifts NIO stake", "CYVN lifted its stake in NIO with a new investment on Monday, NIO said.", published="2023-12-19")
    assert _applied(deals) == [(("CYVN", "NIO"), "equity_investment", "expanded")]


def test_talks_without_a_binding_agreement_yet_are_still_talks():
    deals = _article("吉利与雷诺展开谈判", "雷诺与吉利周四确认，双方正就吉利入股雷诺巴西进行谈判，但目前尚未签署任何具有约束力的协议。", published="2025-07-11")
    assert _applied(deals) == [(("Geely", "Renault"), "equity_investment", "talks")]


def test_a_company_joining_the_partnership_of_two_others_makes_a_deal_of_all_three():
    deals = _article("Honda and Nissan sign research pact", "Honda and Nissan agreed on Thursday to jointly research software, "
                     "and Mitsubishi Motors signed a memorandum to join their partnership framework.", published="2024-08-01")
    assert (("Honda", "Mitsubishi", "Nissan"), "strategic_cooperation", "agreement_signed") in _applied(deals)
    assert (("Honda", "Nissan"), "co_development", "agreement_signed") in _applied(deals)


def test_companies_named_in_the_clauses_of_an_unnamed_subject_are_not_partners():
    deals = _article("Pony.ai signs Uber deal", "The Chinese robotaxi firm will offer rides through Uber and has started building cars developed with Toyota.")
    assert not any(d.parties == ("Toyota", "Uber") for d in deals)


def test_participles_after_a_comma_continue_the_subject_which_deals_with_each_partner():
    deals = _article("Uber adds robotaxi partners", "Uber on Monday struck two robotaxi deals, launching a joint service with Pony.ai "
                     "and expanding its alliance with WeRide to more cities.", published="2025-03-18")
    assert {d.parties for d in deals} == {("Pony.ai", "Uber"), ("Uber", "WeRide")}


def test_a_company_named_as_the_party_of_a_similar_other_deal_is_not_a_partner():
    deals = _article("Stellantis reaches labour deal", "Stellantis reached a tentative agreement with its union on Saturday, following a similar deal at Ford.",
                     published="2023-10-30")
    assert not any("Ford" in d.parties for d in deals)


# Round 3: what a full article must carry before its deal is applied without review.

def test_a_full_article_under_an_analysing_headline_sends_its_deals_to_review():
    deals = _article("小鹏与大众合作这两年：从入股到架构，走到了哪一步", "2025年6月20日，大众汽车与小鹏汽车签署电子电气架构技术合作协议。")
    assert deals and _applied(deals) == []


@pytest.mark.parametrize("title,lead", [
    ("一年后再看宝马与长城的合资", "2024年3月，宝马与长城汽车宣布终止合资谈判。"),
    ("Mitsubishi weighs its options after BMW and Great Wall end their talks",
     "BMW and Great Wall called off their joint venture talks last month."),
    ("Industry looks back at the BMW and Great Wall venture", "BMW and Great Wall ended their joint venture last month."),
])
def test_a_headline_that_looks_back_or_weighs_options_sends_the_recalled_deal_to_review(title, lead):
    deals = _article(title, lead, published="2025-03-20")
    assert deals and _applied(deals) == []


def test_a_full_article_whose_headline_names_none_of_the_parties_sends_the_deal_to_review():
    deals = _article("固态电池离量产还有多远", "6月20日，蔚来与上汽集团签署电池技术合作协议。")
    assert deals and _applied(deals) == []


def test_a_product_said_to_use_a_part_is_no_applied_supply_deal():
    deals = _article("Rivian R2 will use LG cells", "Rivian said its R2 SUV will use cylindrical cells made by LG Energy Solution.")
    assert _applied(deals) == []


def test_the_same_article_under_a_reporting_headline_is_applied():
    deals = _article("大众与小鹏签署电子电气架构合作协议", "2025年6月20日，大众汽车与小鹏汽车签署电子电气架构技术合作协议。")
    assert [d[0] for d in _applied(deals)] == [("Volkswagen", "XPeng")]


def test_a_regulators_product_approval_is_no_licensing_deal():
    deals = _article("首批L3车型获准入，深蓝、极狐入列", "工信部发布首批L3级自动驾驶汽车产品准入许可，长安汽车和北汽集团各一款车型获批。")
    assert not any(d.kind == "licensing" for d in deals)
