"""The JSON API mirrors the pages and the CLI's --json shapes."""
from __future__ import annotations


def test_api_alliances_and_time_travel(client, tracker) -> None:
    rows = client.get("/api/alliances").get_json()
    assert rows == tracker.queries.alliances()
    assert "bytedance--mercedes-benz" in [r["id"] for r in rows]
    past = client.get("/api/alliances?as_of=2025-08-31").get_json()
    assert "bytedance--mercedes-benz" not in [r["id"] for r in past] and len(past) < len(rows)
    r = client.get("/api/alliances?as_of=31/08/2025")
    assert r.status_code == 400 and r.is_json and "not a date" in r.get_json()["message"]


def test_api_alliance_and_company(client) -> None:
    a = client.get("/api/alliances/bytedance--mercedes-benz").get_json()
    assert a["since"] == "2025-09" and [e["type"] for e in a["timeline"]] == ["AllianceReported", "StageChanged"]
    assert a["parties"][1]["name_zh"] == "梅赛德斯-奔驰"
    r = client.get("/api/alliances/bytedance--mercedes-benz?as_of=2025-08-31")
    assert r.status_code == 404 and r.is_json
    assert client.get("/api/alliances/nope").status_code == 404
    c = client.get("/api/companies/momenta").get_json()
    assert c["name_zh"] == "魔门塔" and "bmw--momenta" in [x["id"] for x in c["alliances"]]
    old = client.get("/api/companies/momenta?as_of=2022-01-01").get_json()
    assert "bmw--momenta" not in [x["id"] for x in old["alliances"]]
    assert client.get("/api/companies/nope").status_code == 404
    assert len(client.get("/api/companies").get_json()) >= 25


def test_api_events_pages_with_link_header(client, tracker) -> None:
    r = client.get("/api/events?after=5&limit=3")
    events = r.get_json()
    assert [e["position"] for e in events] == [6, 7, 8]
    assert events[0] == next(tracker.store.read(after=5)).to_json()
    assert r.headers["Link"] == '</api/events?after=8&limit=3>; rel="next"'
    everything = client.get("/api/events").get_json()
    assert len(everything) == tracker.store.last_position() and "Link" not in client.get("/api/events").headers
    assert client.get("/api/events?after=-1").status_code == 400
    assert client.get("/api/events?limit=999999").status_code == 400
    only = client.get("/api/events?type=AllianceEnded").get_json()
    assert all(e["type"] == "AllianceEnded" for e in only)


def test_api_errors_are_json(client) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.is_json and r.get_json()["status"] == 404


def test_api_latest_lists_what_was_learned_newest_first(client, tracker) -> None:
    every = client.get("/api/latest?limit=500").get_json()
    assert every == tracker.queries.changes(limit=500)
    positions = [c["position"] for c in every]
    assert positions == sorted(positions, reverse=True) and every[-1]["what"] == "new"
    assert client.get(f"/api/latest?after={positions[1]}").get_json() == every[:1]
    one = client.get("/api/latest?alliance=bytedance--mercedes-benz").get_json()
    assert {c["alliance_id"] for c in one} == {"bytedance--mercedes-benz"}
    assert "Mercedes-Benz 梅赛德斯-奔驰" in one[0]["title"]
    assert client.get("/api/latest?limit=0").status_code == 400
