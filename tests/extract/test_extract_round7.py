"""Round-7 general fixes for full articles (issue 13), found reading the misses of round 6 (fullG) and of the
earlier full sets: wordings of a deal the extractor did not know, companies a clause names after "with",
and investments in what others hold together. One behaviour each; texts are our own."""
from __future__ import annotations

from .articles import FILLER_ZH
from .articles import applied as _applied
from .articles import article as _article


def test_a_signed_letter_of_intent_is_a_cooperation_deal():
    deals = _article("Lyft signs letter of intent with WeRide for robotaxis in Europe",
                     "Lyft and WeRide signed a letter of intent on Tuesday to offer WeRide robotaxis through the Lyft app.")
    assert _applied(deals) == [(("Lyft", "WeRide"), "strategic_cooperation", "agreement_signed")]


def test_two_companies_setting_up_a_new_company_make_a_joint_venture():
    deals = _article("Honda and Hyundai sign deal on battery recycling",
                     "Honda said on Monday it had signed an agreement with Hyundai to set up a new recycling company in Ohio.")
    assert _applied(deals) == [(("Honda", "Hyundai"), "joint_venture", "agreement_signed")]


def test_founding_a_company_together_is_a_joint_venture_in_chinese():
    deals = _article("长安与宁德时代签约", "长安汽车与宁德时代周一签署协议，双方将共同成立一家新公司，负责电池回收业务。", body=FILLER_ZH)
    assert [k for _, k, _ in _applied(deals)] == ["joint_venture"]


def test_a_model_made_to_another_companys_order_is_co_development():
    deals = _article("小鹏为滴滴定制的车型量产下线", "小鹏汽车为滴滴定制开发的新车型周三在广州工厂量产下线。", body=FILLER_ZH)
    assert _applied(deals) == [(("Didi", "XPeng"), "co_development", "production")]


def test_a_custom_built_vehicle_for_a_partner_is_co_development():
    deals = _article("First robotaxi van custom-built for Uber by Volkswagen rolls off the line",
                     "The first van custom-built for Uber by Volkswagen rolled off the line in Hanover on Monday.")
    assert [k for _, k, _ in _applied(deals)] == ["co_development"]


def test_a_third_company_buying_into_a_venture_makes_an_investment():
    deals = _article("Nissan to buy stake in WeRide-Geely robotaxi venture",
                     "Nissan has agreed to take a 15% stake in the robotaxi joint venture of WeRide and Geely, the companies said on Monday.")
    assert [k for _, k, _ in _applied(deals)] == ["equity_investment"]


def test_run_by_names_the_owners_of_what_a_company_buys_into():
    deals = _article("Aramco completes entry into Renault-Geely engine venture",
                     "Aramco has completed its investment in Nova Engines, the company run by Renault and Geely, the three said on Monday.")
    assert [d.parties for d in deals if d.confidence >= 0.6] == [("Aramco", "Geely", "Renault")]


def test_one_parent_transferring_venture_shares_to_the_other_is_an_investment():
    deals = _article("长城汽车拟向宝马转让光束汽车部分股权", "长城汽车周一公告，将其持有的光束汽车20%股权转让给宝马，双方已签署股权转让协议。",
                     body=FILLER_ZH)
    assert [(d.parties, d.kind) for d in deals if d.confidence >= 0.6] == [(("BMW", "Great Wall Motor"), "equity_investment")]


def test_a_clause_opening_on_with_continues_the_subject():
    deals = _article("吉利同日签约两项合作", "吉利汽车周二与百度签署深化合作协议，同时与宁德时代合资成立电池公司。", body=FILLER_ZH)
    assert sorted(d.parties for d in deals if d.confidence >= 0.6) == [("Baidu", "Geely"), ("CATL", "Geely")]


def test_the_second_partner_of_a_shared_verb_gets_the_deal_too():
    deals = _article("Audi signs software deals with Baidu and Horizon Robotics",
                     "Audi signed agreements with Baidu on maps and with Horizon Robotics on driver assistance on Monday.")
    assert sorted(d.parties for d in deals if d.confidence >= 0.6) == [("Audi", "Baidu"), ("Audi", "Horizon Robotics")]


def test_a_headline_deal_retold_with_both_names_in_the_body_is_applied():
    deals = _article("Ford plans new EV line, and signs Horizon Robotics chip deal",
                     "Ford announced two plans on Tuesday as it reshapes its China business.",
                     body="\n\nFord said it would add a new EV line in Chongqing.\n\n"
                          "Separately, the carmaker said it had signed a contract with Horizon Robotics to supply chips for three Ford models.")
    assert (("Ford", "Horizon Robotics"), "technology_supply", "agreement_signed") in _applied(deals)


def test_a_headline_deal_the_body_never_retells_stays_in_review():
    deals = _article("Ford plans new EV line, and signs Horizon Robotics chip deal",
                     "Ford announced two plans on Tuesday as it reshapes its China business.",
                     body="\n\nFord said it would add a new EV line in Chongqing.\n\nHorizon Robotics shares rose 3% on the news.")
    assert _applied(deals) == []


def test_developed_jointly_by_is_co_development():
    deals = _article("First Nissan-Momenta robotaxis roll off the line",
                     "The first robotaxis developed jointly by Nissan and Momenta rolled off the line in Wuhan on Monday.")
    assert _applied(deals) == [(("Momenta", "Nissan"), "co_development", "production")]


def test_launching_a_joint_service_is_a_cooperation_that_runs():
    deals = _article("Lyft starts WeRide robotaxi rides in Dubai",
                     "Lyft on Monday struck a deal with a Chinese developer, launching a joint service with WeRide in Dubai.")
    assert _applied(deals) == [(("Lyft", "WeRide"), "strategic_cooperation", "production")]


def test_a_clause_signing_with_one_company_continues_the_subject():
    deals = _article("Lyft invests in WeRide and signs Baidu deal",
                     "Lyft said on Monday it had completed a $50 million investment in WeRide and, in a separate statement, "
                     "signed an agreement with Baidu to offer its robotaxis in Europe.")
    assert sorted(d.parties for d in deals if d.confidence >= 0.6) == [("Baidu", "Lyft"), ("Lyft", "WeRide")]


def test_extending_its_use_of_a_suppliers_chips_is_a_supply_deal():
    deals = _article("Geely to extend its use of Nvidia chips",
                     "Geely will extend its use of Nvidia chips to the next platform, Nvidia said on Monday.")
    assert _applied(deals) == [(("Geely", "Nvidia"), "technology_supply", "expanded")]


def test_acquiring_a_minority_holding_is_an_investment():
    deals = _article("Geely to buy into Renault's Korean unit",
                     "Renault and Geely signed an agreement on Monday under which Geely will acquire a minority holding in Renault Korea.")
    assert [k for _, k, _ in _applied(deals)] == ["equity_investment"]


def test_buying_a_partners_stake_to_own_the_whole_company_is_an_acquisition():
    deals = _article("丰田完成收购日产所持工厂股权", "丰田周一宣布，已完成收购日产所持的49%股份，该工厂成为丰田全资子公司。", body=FILLER_ZH)
    assert [k for _, k, _ in _applied(deals)] == ["acquisition"]


def test_a_comment_after_the_comma_does_not_set_the_stage():
    deals = _article("Honda and Momenta sign memorandum on driver assistance",
                     "Honda and Momenta signed a memorandum on Monday to develop driver assistance together, deepening ties between the two.")
    assert [s for _, _, s in _applied(deals)] == ["agreement_signed"]


def test_an_expansion_in_the_main_clause_keeps_its_stage():
    deals = _article("Honda and Momenta deepen driver-assistance partnership",
                     "Honda and Momenta agreed on Monday to deepen their driver-assistance partnership, giving Momenta two more models.")
    assert [s for _, _, s in _applied(deals)] == ["expanded"]
