"""Round-9 general fixes of deal kinds (issue 13), found reading the kind errors of every full set after round 9
(fullL, fullM): where writers draw the line between a partnership, joint work, a supply and a takeover. One
behaviour each; texts are our own."""
from __future__ import annotations

from feeds.extract import Deal

from .articles import FILLER_ZH
from .articles import article as _article


def _kinds(deals: list[Deal]) -> dict[tuple[str, ...], str]:
    return {d.parties: d.kind for d in deals}


def test_signing_a_deeper_partnership_to_build_a_brand_is_a_partnership_in_chinese():
    deals = _article("长安与百度签署深化合作协议 双方将联合打造全新智能品牌",
                     "长安汽车与百度周二签署深化合作协议，双方将联合打造一个全新的智能汽车品牌。", FILLER_ZH)
    assert _kinds(deals) == {("Baidu", "Changan"): "strategic_cooperation"}


def test_signing_a_deeper_partnership_to_develop_cars_is_a_partnership_in_english():
    deals = _article("Toyota and Baidu sign agreement to deepen their partnership and jointly develop new models",
                     "Toyota and Baidu signed an agreement on Tuesday to deepen their partnership and will jointly develop new models.")
    assert _kinds(deals) == {("Baidu", "Toyota"): "strategic_cooperation"}


def test_widening_a_partnership_to_develop_a_battery_without_a_signing_stays_joint_work():
    deals = _article("蔚来与国轩高科扩大合作 将联合开发新一代电池",
                     "蔚来与国轩高科宣布扩大合作，双方将联合开发新一代电池。", FILLER_ZH)
    assert _kinds(deals) == {("Gotion", "NIO"): "co_development"}


def test_a_first_signing_to_build_a_brand_stays_joint_work():
    deals = _article("长安与百度签约 将联合打造全新智能品牌",
                     "长安汽车与百度周二签约，双方将联合打造一个全新的智能汽车品牌。", FILLER_ZH)
    assert _kinds(deals) == {("Baidu", "Changan"): "co_development"}


def test_buying_the_partners_whole_share_of_their_venture_is_an_acquisition_in_english():
    deals = _article("Ford to take full control of Valencia venture from Geely",
                     "Ford has agreed to acquire Geely's 50% stake in their joint venture in Valencia, giving it full control of the plant.")
    assert _kinds(deals) == {("Ford", "Geely"): "acquisition"}


def test_buying_the_partners_whole_share_of_their_venture_is_an_acquisition_in_chinese():
    deals = _article("长安收购福特所持合资公司全部股权",
                     "长安汽车周三宣布收购福特所持双方合资公司50%的股权，交易完成后将持有该公司全部股权。", FILLER_ZH)
    assert _kinds(deals) == {("Changan", "Ford"): "acquisition"}


def test_a_failed_merger_that_dates_new_talks_is_not_their_kind_in_english():
    deals = _article("Toyota and Suzuki open talks on sharing plants in India",
                     "Toyota and Suzuki said on Monday they had begun talks on sharing plants in India, "
                     "a step toward cooperation that comes a year after their plan to merge fell apart.")
    assert [(d.parties, d.kind, d.stage) for d in deals] == [(("Suzuki", "Toyota"), "strategic_cooperation", "talks")]


def test_a_failed_merger_that_dates_new_talks_is_not_their_kind_in_chinese():
    deals = _article("丰田与铃木就共享印度工厂展开谈判",
                     "丰田与铃木周一表示已就共享印度工厂展开谈判，这是双方合并计划告吹一年后的又一次合作尝试。", FILLER_ZH)
    assert [(d.parties, d.kind, d.stage) for d in deals] == [(("Suzuki", "Toyota"), "strategic_cooperation", "talks")]


def test_a_model_the_parents_develop_jointly_under_a_venture_like_name_is_joint_work_in_chinese():
    deals = _article("长安福特首款纯电车型在重庆下线", "长安汽车与福特联合开发的首款纯电车型周二在重庆工厂正式下线。", FILLER_ZH)
    assert _kinds(deals) == {("Changan", "Ford"): "co_development"}


def test_a_model_the_parents_develop_jointly_under_a_venture_like_name_is_joint_work_in_english():
    deals = _article("Changan Ford's first electric model rolls off the line",
                     "The first electric model jointly developed by Changan and Ford rolled off the line in Chongqing on Tuesday.")
    assert _kinds(deals) == {("Changan", "Ford"): "co_development"}


def test_a_model_of_a_venture_called_one_stays_a_venture_deal():
    deals = _article("长安福特首款纯电车型在重庆下线",
                     "长安与福特的合资公司长安福特周二宣布，双方联合开发的首款纯电车型在重庆工厂正式下线。", FILLER_ZH)
    assert _kinds(deals) == {("Changan", "Ford"): "joint_venture"}


def test_a_strategic_memorandum_exploring_joint_development_is_a_partnership_in_chinese():
    deals = _article("长安与百度签署合作备忘录 探索智驾联合开发",
                     "长安汽车与百度周二签署战略合作备忘录，双方将围绕智能驾驶展开合作。", FILLER_ZH)
    assert _kinds(deals) == {("Baidu", "Changan"): "strategic_cooperation"}


def test_a_strategic_memorandum_exploring_a_supply_is_a_partnership_in_english():
    deals = _article("Toyota and Baidu sign memorandum to explore using Baidu's AI models in cars",
                     "Toyota and Baidu signed a strategic cooperation memorandum on Tuesday covering AI in the cockpit.")
    assert _kinds(deals) == {("Baidu", "Toyota"): "strategic_cooperation"}


def test_a_memorandum_to_develop_jointly_without_exploring_stays_joint_work():
    deals = _article("长安与百度签署合作备忘录 将联合开发智驾系统",
                     "长安汽车与百度周二签署战略合作备忘录，双方将联合开发智能驾驶系统。", FILLER_ZH)
    assert _kinds(deals) == {("Baidu", "Changan"): "co_development"}


def test_a_partner_handing_its_whole_stake_back_ends_the_venture():
    deals = _article("Ford quits Changan venture",
                     "Ford said on Friday it has handed its entire stake in Changan Ford to Changan, ending a venture that lasted two decades.")
    assert [(d.kind, d.stage) for d in deals] == [("joint_venture", "ended")]
