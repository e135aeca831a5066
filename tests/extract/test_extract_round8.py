"""Round-8 general fixes (issue 13), found reading the no-deal false positives of round 8 (nodeal 16-17, fullK)
and those left from nodeal 11-12: a holding said to be unchanged, league tables, stock moves of names with a dot,
a supplier's act in a clause about the car, lists ending in 等, and a venture acting while its owners are only
described. One behaviour each; texts are our own."""
from __future__ import annotations

from feeds.extract import Deal
from feeds.extract.hedges import veto

from .articles import FILLER_ZH
from .articles import article as _article


def _applied(deals: list[Deal]) -> list[tuple[str, ...]]:
    return [d.parties for d in deals if d.confidence >= 0.6]


def test_a_holding_said_to_stay_unchanged_is_vetoed_in_chinese():
    assert veto("长安表示与宁德时代的持股比例保持不变") == "unchanged"


def test_a_holding_said_to_stay_unchanged_is_vetoed_in_english():
    assert veto("Toyota said its stake in Subaru would remain unchanged") == "unchanged"


def test_an_unchanged_holding_in_a_results_story_makes_no_deal():
    deals = _article("马自达季度亏损 丰田持股情况没有变化", "马自达发布季度业绩，公司表示丰田的持股情况没有变化。", FILLER_ZH)
    assert _applied(deals) == []


def test_a_league_table_of_suppliers_is_a_ranking():
    assert veto("新一期零部件供应商百强榜公布，博世位居榜首，宁德时代升至第三") == "ranking"


def test_a_top_hundred_list_is_a_ranking_in_english():
    assert veto("Bosch led the top 100 suppliers list again, with CATL third") == "ranking"


def test_shares_of_a_company_with_a_dot_in_its_name_are_a_stock_move():
    assert veto("Shares of Pony.ai rose 9% and WeRide gained 5% after both said they would add cars") == "market"


def test_shares_that_jump_in_a_headline_are_a_stock_move():
    assert veto("WeRide, Pony.ai shares jump on robotaxi hopes") == "market"


def test_a_supply_named_only_beside_a_cars_launch_stays_under_review():
    deals = _article("极氪新款SUV上市，电池来自宁德时代",
                     "极氪新款SUV于6月18日正式上市，提供两款配置，电池来自宁德时代。", FILLER_ZH)
    assert _applied(deals) == []


def test_a_list_ending_in_etc_past_unknown_names_is_examples():
    deals = _article("地平线芯片出货量创新高", "地平线公布芯片量产进展，已搭载于比亚迪、某品牌、另一品牌等多家车企车型。", FILLER_ZH)
    assert _applied(deals) == []


def test_a_venture_acting_while_its_owners_are_only_described_is_its_own_business():
    deals = _article("Horse Powertrain adds a gearbox line in Romania",
                     "Horse Powertrain, owned by Renault and Geely with Aramco as a minority shareholder, "
                     "opened an expanded gearbox line in Romania on Thursday.")
    assert _applied(deals) == []


def test_a_supplier_signing_a_supply_deal_with_a_carmaker_is_still_applied():
    deals = _article("CATL signs battery supply deal with Geely",
                     "CATL signed an agreement on Thursday to supply batteries to Geely for its new models.")
    assert _applied(deals) == [("CATL", "Geely")]


def _kinds(deals: list[Deal]) -> list[str]:
    return [d.kind for d in deals if d.confidence >= 0.6]


def test_a_joint_stock_company_suffix_is_no_equity_cue():
    deals = _article("长安与地平线签署战略合作协议", "重庆长安汽车股份有限公司与地平线6月18日签署战略合作协议，双方将在智驾领域开展合作。",
                     FILLER_ZH)
    assert _kinds(deals) == ["strategic_cooperation"]


def test_a_headline_naming_a_signing_and_a_supply_makes_a_supply_deal():
    deals = _article("长安与地平线签约 征程芯片将搭载长安新车",
                     "长安汽车6月18日与地平线签署深化合作协议，长安后续新车将搭载地平线征程芯片。", FILLER_ZH)
    assert _kinds(deals) == ["technology_supply"]


def test_a_headline_widening_the_use_of_a_technology_stays_a_partnership():
    deals = _article("Geely widens its use of Nvidia technology",
                     "Geely said on Thursday it would use more Nvidia chips in its cars, deepening a years-long partnership.")
    assert "technology_supply" not in _kinds(deals)


def _pairs(deals: list[Deal]) -> list[tuple[tuple[str, ...], str]]:
    return sorted((d.parties, d.stage) for d in deals if d.confidence >= 0.6)


def test_a_clause_going_on_from_the_subject_pairs_its_partner_with_the_subject():
    deals = _article("Lyft signs with Baidu, widens Mobileye partnership",
                     "Lyft signed an agreement with Baidu on Tuesday to offer robotaxis in Germany, "
                     "and separately expanded its partnership with Mobileye to three more cities.")
    assert _pairs(deals) == [(("Baidu", "Lyft"), "agreement_signed"), (("Lyft", "Mobileye"), "expanded")]


def test_a_clause_with_a_subject_of_its_own_is_not_paired_with_the_first_subject():
    deals = _article("Lyft signs with Baidu as Mobileye expands in Europe",
                     "Lyft signed an agreement with Baidu on Tuesday to offer robotaxis in Germany, "
                     "and Mobileye expanded its testing to three more cities.")
    assert _pairs(deals) == [(("Baidu", "Lyft"), "agreement_signed")]


def test_a_headline_deepening_a_partnership_keeps_its_kind_over_an_investment_in_the_body():
    deals = _article("Lyft deepens tie-up with WeRide",
                     "Lyft said on Tuesday it had agreed to expand its WeRide partnership to ten more cities.",
                     "\n\nLyft also said it would make an additional investment in WeRide.")
    assert [(d.kind, d.stage) for d in deals if d.confidence >= 0.6] == [("strategic_cooperation", "expanded")]


def test_a_carmaker_that_has_begun_supplying_its_partner_reports_production():
    deals = _article("Mazda begins supplying co-developed van to Toyota",
                     "Mazda has begun supplying Toyota with a van the two companies developed together, the partners said on Monday.")
    assert [(d.kind, d.stage) for d in deals if d.confidence >= 0.6] == [("co_development", "production")]


def test_a_supplier_that_has_started_deliveries_reports_production_in_chinese():
    from feeds.extract.lexicon import scan
    assert "production" in scan("宁德时代已开始供货").stages


def test_a_venture_only_to_be_explored_is_not_established():
    from feeds.extract.lexicon import scan
    assert "established" not in scan("双方将展开合作，并探讨成立联合工作组").stages


def test_a_headline_naming_joint_development_keeps_that_kind_over_the_venture_that_made_it():
    deals = _article("长安福特联合开发第二款车型下线",
                     "由长安与福特合资成立的公司开发的新款纯电轿车6月18日在重庆下线，长安与福特联合开发的这款车将于7月上市。", FILLER_ZH)
    assert _kinds(deals) == ["co_development"]


def test_a_venture_described_by_its_owners_starting_a_second_plant_is_its_own_business():
    deals = _article("Honda's battery plant in Ohio starts cell production",
                     "Cellwerk, the battery venture of Honda and LG Energy Solution, has started producing cells "
                     "at its second plant in Ohio, the company said.")
    assert _applied(deals) == []
