"""Dates as the data writes them (a year, a month, a day: the end of that period) and search across scripts."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest


def _rows(html: str) -> list[str]:
    return re.findall(r'class="alliance-link" href="/alliances/([^"?]+)', html)


@pytest.mark.parametrize("short,day", [("2025-08", "2025-08-31"), ("2025-09", "2025-09-30"), ("2024", "2024-12-31"),
                                       ("2024-02", "2024-02-29")])
def test_as_of_a_month_or_a_year_means_its_last_day(client, short: str, day: str) -> None:
    assert _rows(client.get(f"/?as_of={short}").get_data(as_text=True)) == _rows(
        client.get(f"/?as_of={day}").get_data(as_text=True))
    api = client.get(f"/api/alliances?as_of={short}").get_json()
    assert api == client.get(f"/api/alliances?as_of={day}").get_json()


def test_as_of_a_month_keeps_what_the_reader_typed_and_says_which_day(client) -> None:
    html = client.get("/?as_of=2025-09").get_data(as_text=True)
    assert "bytedance--mercedes-benz" in _rows(html)
    assert 'value="2025-09"' in html and "30 September 2025" in html and "(the end of September 2025)" in html
    assert 'href="/alliances/audi--saic-motor?as_of=2025-09"' in html


@pytest.mark.parametrize("bad", ["2025-13", "2025-02-30", "25", "2025/09", "0000"])
def test_malformed_dates_are_400_with_the_rule(client, bad: str) -> None:
    r = client.get(f"/api/alliances?as_of={bad}")
    assert r.status_code == 400 and "not a date" in r.get_json()["message"]


def test_changes_take_years_and_months(client) -> None:
    d = client.get("/api/changes?from=2024-05&to=2024").get_json()
    assert (d["from"], d["to"]) == ("2024-05-31", "2024-12-31")
    assert "audi--saic-motor" in [a["id"] for a in d["changed"]]


def test_one_date_format_on_the_page(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'type="date"' not in html
    assert re.search(r'<input type="text" id="tt-as-of" name="as_of"[^>]*placeholder="YYYY-MM-DD"', html)
    assert "YYYY, YYYY-MM or YYYY-MM-DD" in html
    changes = client.get("/changes").get_data(as_text=True)
    assert 'type="date"' not in changes and 'id="c-from"' in changes


def test_a_future_date_is_labelled_as_such(client) -> None:
    later = (date.today() + timedelta(days=400)).isoformat()
    html = client.get(f"/?as_of={later}").get_data(as_text=True)
    assert "This date is in the future." in html and "what we expect on" in html
    assert "what was true on" not in html
    assert len(_rows(html)) == 22
    past = client.get("/?as_of=2025-09").get_data(as_text=True)
    assert "what was true on" in past and "in the future" not in past


@pytest.mark.parametrize("query,expected", [
    ("大眾", {"horizon-robotics--volkswagen", "saic-motor--volkswagen", "volkswagen--xpeng"}),
    ("大众", {"horizon-robotics--volkswagen", "saic-motor--volkswagen", "volkswagen--xpeng"}),
    ("ＶＯＬＫＳＷＡＧＥＮ", {"horizon-robotics--volkswagen", "saic-motor--volkswagen", "volkswagen--xpeng"}),
    ("寶馬", {"alibaba--bmw", "bmw--great-wall-motor", "bmw--huawei", "bmw--momenta"}),
    ("鴻蒙智行", {"huawei-hima", "bmw--huawei", "huawei--seres"}),
])
def test_search_reads_traditional_chinese_and_full_width_forms(client, query: str, expected: set[str]) -> None:
    assert set(_rows(client.get("/", query_string={"q": query}).get_data(as_text=True))) == expected
    api = client.get("/api/alliances", query_string={"q": query}).get_json()
    assert {a["id"] for a in api} == expected
