"""The shipped company registry and its API."""
from __future__ import annotations

import re

import pytest

from feeds.extract.mentions import find_mentions
from feeds.registry import Company, Registry, company_id


def test_registry_has_at_least_200_companies(registry):
    assert len(registry.companies()) >= 200


def test_every_canonical_name_in_labels_md_is_a_registry_name(registry, labels_md):
    found = re.search(r"Canonical names used: (.+?)\.\n", labels_md, re.S)
    assert found, "labels.md names no canonical names"
    listed = found.group(1)
    names = {n.strip() for n in listed.replace("\n", " ").split(",")}
    assert len(names) >= 40
    assert names <= {c.name for c in registry.companies()}


def test_records_are_complete_and_ids_are_slugs(registry):
    sectors = {"carmaker", "ev_startup", "adas", "chips", "battery", "software", "ai", "tech", "supplier", "mobility", "investor"}
    for c in registry.companies():
        assert c.id == company_id(c.name)
        assert c.name_zh and len(c.country) == 2 and c.sector in sectors


@pytest.mark.parametrize("name,slug", [("SAIC Motor", "saic-motor"), ("Mercedes-Benz", "mercedes-benz"), ("Pony.ai", "pony-ai"), ("  JD.com ", "jd-com")])
def test_company_id_slug(name, slug):
    assert company_id(name) == slug


def test_with_alias_returns_a_new_registry_and_leaves_the_old_one(registry):
    newer = registry.with_alias("xpeng", "鹏鹏汽车")
    assert "鹏鹏汽车" in newer.get("xpeng").aliases
    assert "鹏鹏汽车" not in registry.get("xpeng").aliases
    assert [m.company_id for m in find_mentions("鹏鹏汽车发布新车", newer)] == ["xpeng"]
    assert find_mentions("鹏鹏汽车发布新车", registry) == []


def test_with_company_adds_a_company(registry):
    extra = Company("acme-auto", "Acme Auto", "阿克米汽车", ("Acme",), "US", "carmaker")
    newer = registry.with_company(extra)
    assert newer.get("acme-auto") == extra and registry.get("acme-auto") is None


def test_unknown_company_is_none(registry):
    assert registry.get("no-such-company") is None


def test_default_registry_is_cached():
    assert Registry.default() is Registry.default()


REQUIRED = """Bosch Continental ZF Valeo Denso Magna Qualcomm Nvidia Mobileye Intel AMD SenseTime iFlytek Tencent Alibaba
Baidu ByteDance Huawei Xiaomi DJI Zhuoyu Hesai RoboSense WeRide Pony.ai Momenta CATL BYD Gotion CALB Sunwoda SVOLT
Farasis Panasonic Renault Nissan Mitsubishi Honda Toyota Mazda Subaru Suzuki Hyundai Ford Stellantis Volkswagen
Audi Porsche BMW Mercedes-Benz Polestar Lotus smart Mahindra Proton VinFast Lucid Rivian Tesla Uber Lyft Aramco CYVN
FAW Dongfeng Changan GAC BAIC JAC Chery Geely Seres Leapmotor XPeng NIO Neta""".split()
REQUIRED_MULTIWORD = ["Black Sesame", "Horizon Robotics", "EVE Energy", "LG Energy Solution", "Samsung SDI", "SK On",
                      "General Motors", "Volvo Cars", "Jaguar Land Rover", "Tata Motors", "SAIC Motor", "Great Wall Motor", "Li Auto"]


def test_registry_covers_the_companies_the_issue_lists(registry):
    names = {c.name for c in registry.companies()}
    assert set(REQUIRED + REQUIRED_MULTIWORD) <= names


@pytest.mark.parametrize("surface", ["Kia", "起亚", "Kia Motors", "东风悦达起亚"])
def test_a_brand_of_a_group_resolves_to_the_group(surface, registry):
    """Kia is Hyundai Motor Group's (issue 13), as Zeekr is Geely's: one party, not a second one."""
    assert [m.company_id for m in find_mentions(surface, registry)] == ["hyundai"]


@pytest.mark.parametrize("alias,owner", [("VW", "volkswagen"), ("GM", "general-motors"), ("JLR", "jaguar-land-rover"),
                                         ("上汽", "saic-motor"), ("一汽", "faw"), ("广汽", "gac"), ("Hozon", "neta")])
def test_abbreviations_are_aliases(alias, owner, registry):
    assert alias in registry.get(owner).aliases
