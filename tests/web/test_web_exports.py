"""Exports and the API: CSV of every table with the page's filters, API filters, /api/changes, and
conditional GET (ETag, Last-Modified, 304) on pages and API."""
from __future__ import annotations

import csv
import io
import re

from events.envelope import NewEvent
from events.types import AllianceReported, StageChanged
from events.values import Citation, FuzzyDate
from tests.web.conftest import login

CITE = Citation("Test Wire", "A test story", url="https://news.example/test")


def _leapmotor_in_production(tracker) -> None:
    tracker.store.append([NewEvent(StageChanged("leapmotor--stellantis", "production", CITE),
                                   FuzzyDate.parse("2026-06"))])


def _csv(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


# --- CSV -----------------------------------------------------------------------------------


def test_status_csv_has_every_matching_row_with_the_filters(client) -> None:
    rows = _csv(client.get("/?q=魔门塔&sort=name&per=10&page=1&format=csv"))
    assert {r["id"] for r in rows} == {"audi--momenta", "bmw--momenta", "bosch--momenta", "general-motors--momenta",
                                       "mercedes-benz--momenta", "momenta--saic-motor", "momenta--toyota"}
    assert rows[0]["parties"] == "Audi + Momenta" and rows[0]["parties_zh"] == "奥迪 + 魔门塔"
    staged = _csv(client.get("/?stage=talks&format=csv"))
    assert [(r["id"], r["stage"], r["stage_code"]) for r in staged] == [("bmw--great-wall-motor", "Talks", "talks")]
    everything = _csv(client.get("/?per=10&format=csv"))
    assert len(everything) == 22  # every page, not one


def test_the_data_links_keep_the_page_query(client) -> None:
    html = client.get("/?q=momenta&stage=production&sort=since").get_data(as_text=True)
    assert 'href="/api/alliances?q=momenta&amp;stage=production&amp;sort=since"' in html
    assert 'href="/?q=momenta&amp;stage=production&amp;sort=since&amp;format=csv"' in html
    changes = client.get("/changes?from=2024&to=2025").get_data(as_text=True)
    assert 'href="/api/changes?from=2024&amp;to=2025"' in changes
    assert 'href="/changes?from=2024&amp;to=2025&amp;format=csv"' in changes


def test_changes_events_company_and_latest_as_csv(client, tracker) -> None:
    changes = _csv(client.get("/changes?from=2024-06&to=2024-12&format=csv"))
    audi = next(r for r in changes if r["alliance_id"] == "audi--saic-motor")
    assert audi["alliance"] == "Audi + SAIC Motor"
    assert audi["what_changed"] == "stage: agreement signed -> in production"
    events = _csv(client.get("/events?type=AllianceReported&format=csv"))
    assert events and {r["type"] for r in events} == {"AllianceReported"}
    assert len(events) == len([e for e in tracker.store.read() if e.type == "AllianceReported"])
    company = _csv(client.get("/companies/momenta?format=csv"))
    assert "bmw--momenta" in {r["id"] for r in company} and all("Momenta" in r["parties"] for r in company)
    _leapmotor_in_production(tracker)
    latest = _csv(client.get("/latest?format=csv"))
    assert latest[0]["alliance"] == "Leapmotor + Stellantis" and latest[0]["change"] == "Stage change"
    assert latest[0]["what_changed"] == "stage: established -> in production"
    assert latest[0]["source_url"] == "https://news.example/test"


def test_csv_cells_never_run_as_formulas(client, tracker) -> None:
    tracker.store.append([NewEvent(AllianceReported("bmw--xpeng", ("bmw", "xpeng"), "co_development", "talks",
                                                    Citation("=HYPERLINK(\"http://evil\")", "@SUM(A1)")),
                                   FuzzyDate.parse("2026-06"))])
    latest = _csv(client.get("/latest?format=csv"))
    assert latest[0]["source_publisher"] == "'=HYPERLINK(\"http://evil\")" and latest[0]["source_title"] == "'@SUM(A1)"


# --- the API -------------------------------------------------------------------------------


def test_api_alliances_take_the_status_filters(client) -> None:
    momenta = client.get("/api/alliances?q=魔门塔").get_json()
    assert len(momenta) == 7 and all(not k.startswith("_") for a in momenta for k in a)
    assert set(momenta[0]) == set(client.get("/api/alliances").get_json()[0])
    assert [a["id"] for a in client.get("/api/alliances?stage=talks").get_json()] == ["bmw--great-wall-motor"]
    assert [a["id"] for a in client.get("/api/alliances?country=JP").get_json()] == ["momenta--toyota"]
    oldest = client.get("/api/alliances?sort=since&order=asc").get_json()
    assert oldest[0]["id"] == "saic-motor--volkswagen"


def test_api_changes_is_the_changes_page_as_json(client, tracker) -> None:
    from datetime import date

    d = client.get("/api/changes?from=2024-06-01&to=2024-12-31").get_json()
    assert d == tracker.queries.diff(date(2024, 6, 1), date(2024, 12, 31))
    assert client.get("/api/changes?from=2025&to=2024").status_code == 400
    assert client.get("/api/changes?step=week").status_code == 400


def test_api_latest_filters_like_the_page(client, tracker) -> None:
    _leapmotor_in_production(tracker)
    changed = client.get("/api/latest?what=changed&limit=5").get_json()
    assert changed and {c["what"] for c in changed} == {"changed"}
    assert changed[0]["alliance_id"] == "leapmotor--stellantis"
    assert {c["alliance_id"] for c in client.get("/api/latest?q=零跑").get_json()} == {"leapmotor--stellantis"}
    assert client.get("/api/latest?what=x").status_code == 400


# --- conditional GET -----------------------------------------------------------------------


def test_api_answers_304_until_the_log_moves(client, tracker) -> None:
    first = client.get("/api/alliances?stage=production")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/api/alliances?stage=production", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    since = client.get("/api/alliances?stage=production", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other_query = client.get("/api/alliances?stage=talks", headers={"If-None-Match": etag})
    assert other_query.status_code == 200
    _leapmotor_in_production(tracker)
    moved = client.get("/api/alliances?stage=production", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert "leapmotor--stellantis" in [a["id"] for a in moved.get_json()]


def test_pages_are_private_vary_by_cookie_and_answer_304(client, tracker) -> None:
    r = client.get("/alliances/audi--saic-motor")
    assert r.headers["Cache-Control"] == "private, no-cache" and "Cookie" in r.headers["Vary"]
    assert client.get("/alliances/audi--saic-motor", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    # the status page depends on the last-visit cookies: a later visit is a different page
    first = client.get("/")
    _leapmotor_in_production(tracker)
    second = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and "1 changed since your last visit" in second.get_data(as_text=True)
    third = client.get("/", headers={"If-None-Match": second.headers["ETag"]})
    assert third.status_code == 304


def test_the_admin_is_never_answered_304(client) -> None:
    etag = client.get("/alliances/audi--saic-motor").headers["ETag"]
    assert login(client).status_code == 302
    r = client.get("/alliances/audi--saic-motor", headers={"If-None-Match": etag})
    assert r.status_code == 200 and "ETag" not in r.headers and "Log out" in r.get_data(as_text=True)


def test_every_api_answer_has_an_etag(client) -> None:
    for path in ("/api/alliances", "/api/alliances/audi--saic-motor", "/api/companies", "/api/companies/audi",
                 "/api/latest", "/api/changes", "/api/events?limit=2", "/api/checkpoints", "/api/openapi.json"):
        r = client.get(path)
        assert r.status_code == 200 and re.fullmatch(r'"[0-9a-f]{32}"', r.headers["ETag"]), path


def test_api_latest_pages_forward_oldest_first(client) -> None:
    newest = client.get("/api/latest?limit=500").get_json()
    first = client.get("/api/latest?order=asc&limit=10").get_json()
    assert [c["id"] for c in first] == [c["id"] for c in reversed(newest)][:10]
    rest = client.get(f"/api/latest?order=asc&limit=500&after={first[-1]['position']}").get_json()
    assert [c["id"] for c in first + rest] == [c["id"] for c in reversed(newest)]
    assert client.get("/api/latest?order=sideways").status_code == 400


def test_the_latest_page_links_its_json_from_the_last_visit(client, tracker) -> None:
    client.get("/")
    seen = tracker.store.last_position()
    html = client.get("/latest?since=visit&what=changed").get_data(as_text=True)
    assert f'href="/api/latest?after={seen}&amp;what=changed"' in html


def test_a_new_release_never_answers_304_to_an_old_page(client, monkeypatch) -> None:
    from web import conditional

    etag = client.get("/network").headers["ETag"]
    assert client.get("/network", headers={"If-None-Match": etag}).status_code == 304
    monkeypatch.setattr(conditional, "code_version", lambda: "another release")
    assert client.get("/network", headers={"If-None-Match": etag}).status_code == 200
