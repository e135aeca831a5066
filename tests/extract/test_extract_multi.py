"""Items reporting several deals, and deals with more than two parties."""
from __future__ import annotations

from feeds.extract import extract


def parties(item):
    return sorted(d.parties for d in extract(item))


def test_two_deals_in_one_sentence_are_paired_by_clause():
    item = {"id": "m", "published": "2023-04-20",
            "title": "Two deals at the show: Mercedes with Momenta, Volkswagen with Horizon chips",
            "summary": "Mercedes-Benz said Momenta will supply driver-assistance software, and separately Volkswagen's Cariad picked Horizon Robotics chips."}
    assert parties(item) == [("Horizon Robotics", "Volkswagen"), ("Mercedes-Benz", "Momenta")]


def test_headline_listing_all_parties_defers_to_specific_deals():
    item = {"id": "m", "published": "2023-11-28", "title": "华为分别与北汽、江淮签署合作协议",
            "summary": "华为与北汽集团签署协议，合作打造享界品牌；同日，华为还与江淮汽车签署协议，共同开发尊界高端车型。"}
    assert parties(item) == [("BAIC", "Huawei"), ("Huawei", "JAC")]


def test_three_companies_co_developing_are_one_deal():
    item = {"id": "m", "published": "2025-01-15", "title": "奇瑞、华为与宁德时代联合开发新平台",
            "summary": "奇瑞汽车、华为和宁德时代宣布，三方将联合开发新一代电动汽车平台。"}
    deals = extract(item)
    assert [(d.parties, d.kind) for d in deals] == [(("CATL", "Chery", "Huawei"), "co_development")]


def test_brand_and_owner_in_one_item_are_one_party():
    item = {"id": "m", "published": "2024-03-14", "title": "岚图与华为深化合作", "summary": "东风旗下岚图汽车与华为宣布进一步深化合作。"}
    assert parties(item) == [("Dongfeng", "Huawei")]


def test_background_sentence_adds_no_deal_of_its_own():
    item = {"id": "m", "published": "2023-10-28", "title": "百度与吉利合资的极越01开启交付", "summary": "极越01开始交付。",
            "content": "此前，吉利曾与沃尔沃汽车合作开发CMA架构。"}
    assert [(d.parties, d.stage) for d in extract(item)] == [(("Baidu", "Geely"), "production")]


def test_respectively_pairs_each_supplier_with_the_buyer():
    item = {"id": "m", "published": "2024-04-01", "title": "小米SU7电池供应商公布",
            "summary": "小米汽车表示，SU7的动力电池分别由宁德时代和比亚迪旗下弗迪电池供应。"}
    assert parties(item) == [("BYD", "Xiaomi"), ("CATL", "Xiaomi")]


def test_hub_after_respectively_with():
    item = {"id": "m", "published": "2024-04-01", "title": "", "summary": "华为分别与北汽、江淮签署合作协议。"}
    assert parties(item) == [("BAIC", "Huawei"), ("Huawei", "JAC")]


def test_also_clause_joins_the_previous_deal_object():
    item = {"id": "m", "published": "2023-11-09", "title": "",
            "summary": "Nissan agreed to invest in Renault's Ampere EV unit, and Mitsubishi Motors said it would also take a stake."}
    assert parties(item) == [("Mitsubishi", "Renault"), ("Nissan", "Renault")]


def test_lone_party_with_a_deal_verb_pairs_with_the_sentence_subject():
    item = {"id": "m", "published": "2024-06-20", "title": "",
            "summary": "Momenta, which is backed by SAIC Motor and Toyota, signed a supply deal with Mercedes-Benz."}
    assert parties(item) == [("Mercedes-Benz", "Momenta")]


def test_owner_descriptor_is_not_a_party():
    item = {"id": "m", "published": "2024-06-20", "title": "", "summary": "Geely-owned Volvo Cars will use Nvidia chips in its next models."}
    assert parties(item) == [("Nvidia", "Volvo Cars")]


def test_parent_speaking_for_its_unit_is_not_a_party():
    item = {"id": "m", "published": "2024-06-20", "title": "", "summary": "Volkswagen said its Audi unit signed an agreement with SAIC Motor."}
    assert parties(item) == [("Audi", "SAIC Motor")]


def test_abbreviation_full_stop_does_not_split_the_sentence():
    item = {"id": "m", "published": "2024-06-20", "title": "",
            "summary": "Nio Inc. said CYVN Holdings will invest 2.2 billion dollars in the company."}
    assert parties(item) == [("CYVN", "NIO")]
