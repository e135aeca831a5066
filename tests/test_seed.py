"""The seed log of the Xinhua article of 2026-05-04 (events/data/seed_xinhua_2026-05-04.json).

Each test checks one behaviour against what the article says, through the real store
(SQLite in a temporary file), the projections and the query layer.
"""
from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from events.engine import make_engine
from events.queries import Queries
from events.seed import SEED_FILE, load_seed, seed_records
from events.store import EventStore
from tests.skips import unavailable

PUBLISHER = "Xinhua News Agency (新华社)"
ARTICLE = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "000_14352a4bf9531335.txt"
PARAGRAPHS = 29  # non-empty, non-heading lines of the article, the broken "户需求" line folded in
AS_OF_PUBLICATION = date(2026, 5, 4)


@pytest.fixture
def store(tmp_path):
    s = EventStore(make_engine(f"sqlite:///{tmp_path}/t.db"))
    s.migrate()
    load_seed(s)
    return s


@pytest.fixture
def q(store):
    return Queries(store)


def by_id(rows):
    return {r["id"]: r for r in rows}


def party_ids(row):
    return sorted(p["id"] for p in row["parties"])


def alliances(q, as_of=None):
    return by_id(q.alliances(as_of=as_of))


# --- the file itself --------------------------------------------------------------------


def test_seed_document_names_its_source_and_paragraph_rule():
    doc = json.loads(resources.files("events").joinpath("data", SEED_FILE).read_text(encoding="utf-8"))
    assert doc["source"]["publisher"] == PUBLISHER
    assert doc["source"]["published"] == "2026-05-04"
    assert doc["source"]["file"] == "000_14352a4bf9531335.txt"
    assert "新华社北京5月4日电" in doc["paragraphs"] and "户需求" in doc["paragraphs"]


def test_every_event_has_a_unique_seed_key():
    keys = [r["key"] for r in seed_records()]
    assert len(keys) == len(set(keys))
    assert all(k.startswith("seed:") for k in keys)


def test_every_company_is_registered_before_an_event_names_it():
    registered: set[str] = set()
    for r in seed_records():
        p = r["payload"]
        if r["type"] == "CompanyRegistered":
            registered.add(p["company_id"])
            continue
        named = set(p.get("parties", ())) | set(p.get("parties_added", ()))
        if "company_id" in p:
            named.add(p["company_id"])
        assert named <= registered, (r["key"], named - registered)


def test_two_party_alliance_ids_are_the_sorted_party_ids():
    for r in seed_records():
        if r["type"] == "AllianceReported" and len(r["payload"]["parties"]) == 2:
            assert r["payload"]["alliance_id"] == "--".join(sorted(r["payload"]["parties"]))


def test_stage_changes_and_alliance_milestones_follow_the_report_of_their_alliance():
    reported: set[str] = set()
    for r in seed_records():
        aid = r["payload"].get("alliance_id")
        if r["type"] == "AllianceReported":
            reported.add(aid)
        elif aid:
            assert aid in reported, r["key"]


# --- companies ----------------------------------------------------------------------------


def test_every_company_has_english_and_chinese_names_and_a_country(q):
    companies = q.companies()
    assert len(companies) == 25
    for c in companies:
        assert c["name"] and c["name"].isascii(), c
        assert c["name_zh"] and re.search(r"[\u4e00-\u9fff]", c["name_zh"]), c
        assert re.fullmatch(r"[A-Z]{2}", c["country"]), c
        assert c["sector"], c


def test_brands_named_in_the_article_resolve_to_their_owners(q):
    aliases = {c["id"]: set(c["aliases"]) for c in q.companies()}
    assert {"AITO", "问界"} <= aliases["seres"]
    assert {"Luxeed", "智界"} <= aliases["chery"]
    assert {"Stelato", "享界"} <= aliases["baic"]
    assert {"Maextro", "尊界"} <= aliases["jac"]
    assert "尚界" in aliases["saic-motor"]
    assert "AUDI" in aliases["audi"]
    assert "华为终端" in aliases["huawei"]


def test_every_party_of_every_alliance_has_both_names(q):
    for row in q.alliances():
        for p in row["parties"]:
            assert p["name"] != p["id"], p  # a registered name, not the id fallback
            assert p["name_zh"], p


# --- alliances the article reports --------------------------------------------------------


def test_the_seed_holds_every_reported_partnership(q):
    assert set(alliances(q)) == {
        "alibaba--bmw", "audi--bytedance", "audi--momenta", "audi--saic-motor", "bmw--great-wall-motor",
        "bmw--huawei", "bmw--momenta", "bosch--momenta", "bytedance--mercedes-benz", "changan--horizon-robotics",
        "chery--horizon-robotics", "chery--jaguar-land-rover", "general-motors--momenta",
        "horizon-robotics--volkswagen",
        "huawei--seres", "huawei-hima", "leapmotor--stellantis", "mercedes-benz--momenta", "momenta--saic-motor",
        "momenta--toyota", "saic-motor--volkswagen", "volkswagen--xpeng",
    }


def test_audi_saic_signed_in_may_2024_and_went_into_production_six_months_later(q):
    before = alliances(q, date(2024, 5, 30))
    assert "audi--saic-motor" not in before  # "2024-05" counts only from 2024-05-31
    signed = alliances(q, date(2024, 5, 31))["audi--saic-motor"]
    assert party_ids(signed) == ["audi", "saic-motor"]
    assert signed["kinds"] == ["co_development"] and signed["stage"] == "agreement_signed"
    assert signed["loi"] is False and signed["since"] == "2024-05"
    assert alliances(q, date(2024, 10, 31))["audi--saic-motor"]["stage"] == "agreement_signed"
    launched = alliances(q, date(2024, 11, 30))["audi--saic-motor"]
    assert launched["stage"] == "production" and launched["updated"] == "2024-11"


def test_the_audi_plant_is_a_milestone_that_keeps_the_audi_saic_stage(q):
    now = alliances(q)["audi--saic-motor"]
    assert now["stage"] == "production" and now["since"] == "2024-05" and now["updated"] == "2026-03"
    plants = [m for m in q.company("saic-motor")["milestones"] if m["milestone"] == "plant_opened"]
    assert [m["date"] for m in plants] == ["2025-08"]


def test_audi_e5_partners_momenta_and_bytedance_arrive_with_the_audi_brand(q):
    on_launch = alliances(q, date(2024, 11, 30))
    assert on_launch["audi--momenta"]["stage"] == "production"
    assert on_launch["audi--momenta"]["kinds"] == ["co_development"]
    assert on_launch["audi--bytedance"]["kinds"] == ["technology_supply"]
    assert on_launch["audi--bytedance"]["stage"] == "production"
    assert "audi--momenta" not in alliances(q, date(2024, 10, 31))
    now = alliances(q)["audi--momenta"]
    assert now["kinds"] == ["co_development", "technology_supply"]
    assert now["stage"] == "expanded" and now["updated"] == "2026-05-04"


def test_jlr_chery_letter_of_intent_then_freelander_production(q):
    assert "chery--jaguar-land-rover" not in alliances(q, date(2024, 5, 31))
    loi = alliances(q, date(2025, 6, 30))["chery--jaguar-land-rover"]
    assert party_ids(loi) == ["chery", "jaguar-land-rover"]
    assert loi["stage"] == "agreement_signed" and loi["loi"] is True and loi["since"] == "2024-06"
    assert loi["kinds"] == ["strategic_cooperation"]
    assert alliances(q, date(2026, 3, 30))["chery--jaguar-land-rover"]["stage"] == "agreement_signed"
    made = alliances(q, date(2026, 3, 31))["chery--jaguar-land-rover"]
    assert made["stage"] == "production" and made["loi"] is False and made["updated"] == "2026-03-31"


def test_mercedes_bytedance_appears_only_with_the_september_2025_upgrade(q):
    assert "bytedance--mercedes-benz" not in alliances(q, date(2025, 8, 31))
    row = alliances(q, date(2025, 9, 30))["bytedance--mercedes-benz"]
    assert party_ids(row) == ["bytedance", "mercedes-benz"]
    assert row["stage"] == "expanded" and row["since"] == "2025-09" and row["updated"] == "2025-09"
    assert row["kinds"] == ["strategic_cooperation", "technology_supply"]


def test_volkswagen_xpeng_first_joint_model_in_march_2026(q):
    assert "volkswagen--xpeng" not in alliances(q, date(2026, 3, 30))
    row = alliances(q, date(2026, 3, 31))["volkswagen--xpeng"]
    assert party_ids(row) == ["volkswagen", "xpeng"]
    assert row["kinds"] == ["co_development"] and row["stage"] == "production" and row["since"] == "2026-03"
    now = alliances(q)["volkswagen--xpeng"]
    assert now["kinds"] == ["co_development", "strategic_cooperation"] and now["stage"] == "expanded"


def test_stellantis_leapmotor_joint_venture(q):
    row = alliances(q)["leapmotor--stellantis"]
    assert party_ids(row) == ["leapmotor", "stellantis"]
    assert row["kinds"] == ["joint_venture"] and row["stage"] == "established" and row["since"] == "2026-02"
    assert "leapmotor--stellantis" not in alliances(q, date(2026, 2, 27))
    assert "leapmotor--stellantis" in alliances(q, date(2026, 2, 28))


@pytest.mark.parametrize("investor", ["saic-motor", "toyota", "general-motors", "mercedes-benz", "bosch"])
def test_each_momenta_series_c_investor_is_its_own_equity_alliance(q, investor):
    aid = "--".join(sorted(["momenta", investor]))
    assert aid not in alliances(q, date(2021, 12, 30))  # "2021" counts from 2021-12-31
    row = alliances(q, date(2021, 12, 31))[aid]
    assert party_ids(row) == sorted(["momenta", investor])
    assert row["kinds"] == ["equity_investment"] and row["stage"] == "established" and row["since"] == "2021"


def test_mercedes_and_bmw_follow_audi_onto_momentas_solution_as_of_publication(q):
    before = alliances(q, date(2026, 5, 3))
    assert before["mercedes-benz--momenta"]["kinds"] == ["equity_investment"]
    assert "bmw--momenta" not in before
    now = alliances(q, AS_OF_PUBLICATION)
    assert now["mercedes-benz--momenta"]["kinds"] == ["equity_investment", "technology_supply"]
    assert now["mercedes-benz--momenta"]["since"] == "2021"
    assert now["bmw--momenta"]["kinds"] == ["technology_supply"] and now["bmw--momenta"]["since"] == "2026-05-04"


def test_hima_is_one_alliance_of_huawei_and_the_five_brand_owners(q):
    row = alliances(q)["huawei-hima"]
    assert party_ids(row) == ["baic", "chery", "huawei", "jac", "saic-motor", "seres"]
    assert row["stage"] == "expanded" and row["since"] == "2024-01"


def test_huawei_seres_cooperation_began_in_2021(q):
    row = alliances(q, date(2021, 12, 31))["huawei--seres"]
    assert party_ids(row) == ["huawei", "seres"]
    assert row["kinds"] == ["co_development"] and row["stage"] == "established" and row["since"] == "2021"


def test_bmw_great_wall_are_only_in_talks(q):
    row = alliances(q)["bmw--great-wall-motor"]
    assert party_ids(row) == ["bmw", "great-wall-motor"]
    assert row["stage"] == "talks" and row["since"] == "2026-03" and row["kinds"] == ["strategic_cooperation"]


def test_bmw_huawei_and_bmw_alibaba_date_from_2025(q):
    assert not {"bmw--huawei", "alibaba--bmw"} & set(alliances(q, date(2025, 12, 30)))
    rows = alliances(q, date(2025, 12, 31))
    assert rows["bmw--huawei"]["kinds"] == ["strategic_cooperation"]
    assert rows["bmw--huawei"]["stage"] == "agreement_signed" and rows["bmw--huawei"]["since"] == "2025"
    assert rows["alibaba--bmw"]["kinds"] == ["co_development"]
    assert rows["alibaba--bmw"]["stage"] == "expanded" and rows["alibaba--bmw"]["since"] == "2025"


@pytest.mark.parametrize("oem", ["chery", "changan", "volkswagen"])
def test_horizon_supplies_chips_to_chery_changan_and_volkswagen(q, oem):
    aid = "--".join(sorted(["horizon-robotics", oem]))
    row = alliances(q, AS_OF_PUBLICATION)[aid]
    assert party_ids(row) == sorted(["horizon-robotics", oem])
    assert row["kinds"] == ["technology_supply"] and row["stage"] == "established" and row["since"] == "2026-05-04"


def test_the_first_round_joint_venture_of_1983(q):
    row = alliances(q, date(1983, 12, 31))["saic-motor--volkswagen"]
    assert party_ids(row) == ["saic-motor", "volkswagen"]
    assert row["kinds"] == ["joint_venture"] and row["stage"] == "production" and row["since"] == "1983"


def test_nothing_is_dated_after_publication(q):
    assert alliances(q) == alliances(q, AS_OF_PUBLICATION)


# --- citations ----------------------------------------------------------------------------


def test_every_alliance_event_cites_the_article_with_a_paragraph(q):
    for row in q.alliances():
        timeline = q.alliance(row["id"])["timeline"]
        assert timeline
        for entry in timeline:
            c = entry["citation"]
            assert c["publisher"] == PUBLISHER and c["published"] == "2026-05-04", entry["key"]
            assert 1 <= c["paragraph"] <= PARAGRAPHS, entry["key"]
            assert c["evidence"], entry["key"]
        assert row["sources"] == 1


def test_every_company_milestone_is_dated_and_cited(q):
    milestones = [m for c in q.companies() for m in q.company(c["id"])["milestones"]]
    assert len(milestones) >= 15
    for m in milestones:
        assert m["date"] and m["description"]
        assert m["citation"]["publisher"] == PUBLISHER and 1 <= m["citation"]["paragraph"] <= PARAGRAPHS


# --- idempotency --------------------------------------------------------------------------


def test_loading_the_seed_twice_stores_it_once(store):
    before = [(r.position, r.idempotency_key, r.hash) for r in store.read()]
    assert load_seed(store) == 0
    after = [(r.position, r.idempotency_key, r.hash) for r in store.read()]
    assert after == before and len(before) == len(seed_records())


# --- own words ----------------------------------------------------------------------------


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "title":  # the article's title is quoted on purpose
                yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_no_text_field_copies_twelve_characters_of_the_article():
    if not ARTICLE.exists():
        unavailable(f"the article is not available at {ARTICLE}")
    article = ARTICLE.read_text(encoding="utf-8")
    variants = {article, article.replace(",", "，").replace(":", "：").replace("(", "（").replace(")", "）")}
    copies = []
    for r in seed_records():
        for s in _strings(r["payload"]):
            for i in range(len(s) - 11):
                window = s[i:i + 12]
                if window.isascii():  # English prose cannot copy a Chinese text; names like "E5 Sportback" may match
                    continue
                if any(window in a for a in variants):
                    copies.append((r["key"], window))
    assert not copies, copies
