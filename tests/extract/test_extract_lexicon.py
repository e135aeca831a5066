"""Deal kinds, stages and the LOI flag, each in Chinese and in English."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("title,summary,kind", [
    ("奇瑞与宁德时代成立合资公司", "", "joint_venture"),
    ("Ford and CATL set up a joint venture", "", "joint_venture"),
    ("吉利宣布收购路特斯汽车", "吉利完成对路特斯的收购。", "acquisition"),
    ("Geely completes acquisition of Lotus from Proton", "", "acquisition"),
    ("大众汽车入股国轩高科", "", "equity_investment"),
    ("Stellantis buys 21% stake in Leapmotor", "", "equity_investment"),
    ("捷豹路虎获得奇瑞技术授权", "捷豹路虎与奇瑞签署技术许可协议。", "licensing"),
    ("Ford licenses CATL battery technology", "", "licensing"),
    ("奥迪与上汽签署战略合作协议", "", "strategic_cooperation"),
    ("Toyota and Huawei form strategic partnership", "", "strategic_cooperation"),
    ("长城汽车新车将搭载华为鸿蒙座舱", "长城汽车与华为签署协议。", "technology_supply"),
    ("Mercedes-Benz picks Momenta to supply driver assistance", "", "technology_supply"),
    ("奇瑞与华为联合开发新平台", "", "co_development"),
    ("Toyota and BYD to co-develop electric sedan", "", "co_development"),
])
def test_kind_lexicon(title, summary, kind, one_deal):
    assert one_deal(title, summary).kind == kind


@pytest.mark.parametrize("title,stage", [
    ("长安汽车与华为就合资事宜展开谈判", "talks"),
    ("Renault and Geely in talks over engine venture", "talks"),
    ("宝马与长城汽车签署合资协议", "agreement_signed"),
    ("BMW and Great Wall sign joint venture agreement", "agreement_signed"),
    ("长安汽车与宁德时代合资公司正式成立", "established"),
    ("Toyota and Pony.ai have established their robotaxi joint venture", "established"),
    ("大众与小鹏联合开发的首款车型下线", "production"),
    ("Volkswagen and XPeng's first jointly developed model rolls off the line", "production"),
    ("岚图与华为深化合作", "expanded"),
    ("Tesla and CATL extend battery supply agreement", "expanded"),
    ("斯特兰蒂斯与广汽终止合资", "ended"),
    ("Stellantis ends its Jeep joint venture with GAC", "ended"),
])
def test_stage_lexicon(title, stage, one_deal):
    assert one_deal(title).stage == stage


@pytest.mark.parametrize("title", [
    "捷豹路虎与奇瑞签署战略合作意向书", "奥迪与上汽签署谅解备忘录",
    "Hyundai signs memorandum of understanding with Baidu", "BMW and Great Wall sign letter of intent for joint venture",
])
def test_loi_flag_for_memoranda_and_letters_of_intent(title, one_deal):
    deal = one_deal(title)
    assert deal.stage == "agreement_signed" and deal.loi is True


@pytest.mark.parametrize("title", ["宝马与长城汽车签署合资协议", "Nissan and Momenta sign supply agreement"])
def test_no_loi_flag_for_a_binding_agreement(title, one_deal):
    assert one_deal(title).loi is False


def test_future_production_is_not_production(one_deal):
    assert one_deal("奇瑞与华为宣布联合开发新平台", "相关车型预计明年投产。").stage == "agreement_signed"


def test_planned_venture_is_not_yet_established(one_deal):
    assert one_deal("宝马与长城汽车签署合资意向书", "双方计划成立合资公司。").stage == "agreement_signed"


def test_parties_are_canonical_sorted_names_and_confidence_is_bounded(one_deal):
    deal = one_deal("極氪與Mobileye擴大合作")
    assert deal.parties == ("Geely", "Mobileye")
    assert 0.0 <= deal.confidence <= 1.0
    assert "Mobileye" in deal.evidence
