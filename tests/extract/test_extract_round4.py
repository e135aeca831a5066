"""Round-4 general fixes for full articles (issue 13): a headline that denies, a model's launch that
carries a part, a venture described by its owner's possessive, and the kind decided by what the
partners do together. Texts are our own."""
from __future__ import annotations

from .articles import applied as _applied
from .articles import article as _article


def test_a_headline_that_denies_sends_the_articles_deals_to_review():
    deals = _article("比亚迪回应与福特合作传闻：目前没有相关计划", "有媒体称比亚迪与福特正商讨在欧洲合资建厂，比亚迪回应称没有相关计划。")
    assert _applied(deals) == []


def test_no_plan_is_a_denial():
    deals = _article("吉利：无其他车企入股计划", "吉利表示，与雷诺的合资公司仍按既定安排推进，无任何新的入股计划。")
    assert _applied(deals) == []


def test_a_models_launch_carrying_a_part_is_no_applied_supply_deal():
    deals = _article("小鹏新车正式上市，首搭英伟达芯片", "小鹏新款SUV今日正式上市，首搭英伟达Thor芯片，售价25万元起。")
    assert _applied(deals) == []


def test_a_supplier_signing_for_a_launch_is_still_applied():
    deals = _article("英伟达与小鹏签署供货协议", "英伟达与小鹏汽车签署供货协议，将为其新款SUV提供Thor芯片。")
    assert _applied(deals) == [(("Nvidia", "XPeng"), "technology_supply", "agreement_signed")]


def test_a_venture_named_after_its_owners_possessive_acting_alone_goes_to_review():
    deals = _article("Honda's China JV GAC Honda to export SUVs",
                     "GAC Honda, Honda's joint venture with GAC Group, will begin exporting SUVs from its plant next year, Honda said.")
    assert _applied(deals) == []


def test_a_partner_exiting_what_two_held_together_ends_their_venture():
    deals = _article("Nissan exits its China brand as Dongfeng takes full control",
                     "Nissan said on Monday it has sold its remaining stake in the brand to Dongfeng, leaving Dongfeng as sole owner.")
    assert _applied(deals) == [(("Dongfeng", "Nissan"), "joint_venture", "ended")]


def test_co_development_in_the_headline_outranks_a_strategic_cooperation_word():
    deals = _article("上汽与奥迪签署备忘录，将联合开发电动车型", "上汽集团与奥迪昨日签署谅解备忘录，双方将深化战略合作，共同开发高端电动车型。")
    assert [k for _, k, _ in _applied(deals)] == ["co_development"]


def test_a_strategic_cooperation_agreement_in_the_headline_keeps_its_kind():
    deals = _article("一汽与阿里签署战略合作协议", "一汽与阿里巴巴签署战略合作协议，双方将共同开发智能座舱应用。")
    assert [k for _, k, _ in _applied(deals)] == ["strategic_cooperation"]


def test_building_a_network_together_is_a_partnership_not_co_development():
    deals = _article("宁德时代与蔚来签署战略合作协议，共建换电网络", "宁德时代与蔚来签署战略合作协议，双方将共建换电网络。")
    assert [k for _, k, _ in _applied(deals)] == ["strategic_cooperation"]


def test_the_former_and_the_latter_give_no_kind_to_the_other_partner():
    deals = _article("上汽集团签下两份合作", "上汽集团1月6日分别与Momenta和华为签署合作协议，前者聚焦高阶智驾，后者将共同开发新品牌车型。")
    kinds = {p: k for p, k, _ in _applied(deals)}
    assert kinds.get(("Momenta", "SAIC Motor")) != "co_development"
