"""Company mentions: brands resolve to owners, traditional Chinese matches, longest match wins."""
from __future__ import annotations

import pytest

from feeds.extract.mentions import find_mentions


def ids(text, registry):
    return [m.company_id for m in find_mentions(text, registry)]


@pytest.mark.parametrize("brand,owner", [
    ("问界", "seres"), ("AITO", "seres"), ("智界", "chery"), ("Luxeed", "chery"), ("享界", "baic"), ("尊界", "jac"),
    ("尚界", "saic-motor"), ("极氪", "geely"), ("Zeekr", "geely"), ("领克", "geely"), ("Lynk & Co", "geely"),
    ("岚图", "dongfeng"), ("Voyah", "dongfeng"), ("引望", "huawei"), ("乾崑", "huawei"), ("Cariad", "volkswagen"),
    ("智己", "saic-motor"), ("IM Motors", "saic-motor"), ("阿维塔", "changan"), ("Avatr", "changan"), ("深蓝", "changan"),
    ("腾势", "byd"), ("方程豹", "byd"), ("豆包", "bytedance"), ("Doubao", "bytedance"), ("鸿蒙", "huawei"),
    ("HarmonyOS", "huawei"), ("飞书", "bytedance"), ("Daimler", "mercedes-benz"), ("Jiyue", "geely"),
])
def test_brand_resolves_to_owner(brand, owner, registry):
    assert ids(f"据报道，{brand} 发布新车", registry) == [owner]


@pytest.mark.parametrize("text,owner", [
    ("長城汽車", "great-wall-motor"), ("寧德時代", "catl"), ("賓士", "mercedes-benz"), ("奔馳", "mercedes-benz"),
    ("寶馬", "bmw"), ("豐田", "toyota"), ("蔚來", "nio"), ("小鵬", "xpeng"), ("理想汽車", "li-auto"), ("華為", "huawei"),
    ("吉利", "geely"), ("比亞迪", "byd"),
])
def test_traditional_chinese_names_match(text, owner, registry):
    assert ids(text, registry) == [owner]


def test_longest_match_wins_over_contained_name(registry):
    mentions = find_mentions("长城汽车发布新车", registry)
    assert [(m.surface, m.company_id) for m in mentions] == [("长城汽车", "great-wall-motor")]


def test_joint_venture_name_maps_to_brand_owner_only(registry):
    assert ids("上汽大众新车上市", registry) == ["volkswagen"]
    assert ids("Dongfeng Nissan said", registry) == ["nissan"]
    assert ids("华晨宝马工厂", registry) == ["bmw"]


def test_english_aliases_respect_word_boundaries_and_case(registry):
    assert ids("GMT and a VWX unit, lower-case gm or smart cockpit", registry) == []
    assert ids("GM and VW", registry) == ["general-motors", "volkswagen"]


def test_ordinary_words_containing_a_name_do_not_match(registry):
    assert ids("该工厂日产量达到1000辆", registry) == []
