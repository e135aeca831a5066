"""Test-client tests for every reading page: content, filters, time travel, errors."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from events.envelope import NewEvent
from events.types import AllianceCorroborated, AllianceReported, ReportCorrected, StageChanged
from events.values import Citation, FuzzyDate

CITE = Citation("Test Wire", "A test story", url="https://news.example/test", evidence="The test says so.")


def rows_of(html: str) -> list[str]:
    """The alliance ids linked from the status table, in order."""
    return re.findall(r'class="alliance-link" href="/alliances/([^"?]+)', html)


# --- status page ---------------------------------------------------------------------------


def test_status_lists_every_seed_alliance_with_both_names(client) -> None:
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert len(rows_of(html)) == 22
    assert "bytedance--mercedes-benz" in rows_of(html)
    assert 'lang="zh"' in html and "梅赛德斯-奔驰" in html and "字节跳动" in html
    assert 'class="badge stage-expanded"' in html  # stage as a badge
    assert '<html lang="en">' in html and 'href="#content"' in html and '<main id="content"' in html


def test_status_as_of_hides_mercedes_bytedance_before_september_2025(client) -> None:
    before = client.get("/?as_of=2025-08-31").get_data(as_text=True)
    after = client.get("/?as_of=2025-09-30").get_data(as_text=True)
    assert "bytedance--mercedes-benz" not in rows_of(before)
    assert "bytedance--mercedes-benz" in rows_of(after)
    assert "You are looking at a past state" in before
    # links keep the chosen date
    assert 'href="/alliances/audi--saic-motor?as_of=2025-08-31"' in before
    assert 'href="/network?as_of=2025-08-31"' in before


def test_status_filters_search_and_sort(client) -> None:
    assert set(rows_of(client.get("/?q=魔门塔").get_data(as_text=True))) == {
        "audi--momenta", "bmw--momenta", "bosch--momenta", "general-motors--momenta", "mercedes-benz--momenta",
        "momenta--saic-motor", "momenta--toyota"}
    assert set(rows_of(client.get("/?q=momenta").get_data(as_text=True))) == set(
        rows_of(client.get("/?q=魔门塔").get_data(as_text=True)))
    assert set(rows_of(client.get("/?company=saic-motor").get_data(as_text=True))) == {
        "audi--saic-motor", "huawei-hima", "momenta--saic-motor", "saic-motor--volkswagen"}
    assert rows_of(client.get("/?country=JP").get_data(as_text=True)) == ["momenta--toyota"]
    staged = rows_of(client.get("/?stage=talks").get_data(as_text=True))
    assert staged == ["bmw--great-wall-motor"]
    jv = rows_of(client.get("/?kind=joint_venture").get_data(as_text=True))
    assert set(jv) == {"chery--jaguar-land-rover", "leapmotor--stellantis", "saic-motor--volkswagen"}
    oldest = rows_of(client.get("/?sort=since&order=asc").get_data(as_text=True))
    assert oldest[0] == "saic-motor--volkswagen"
    newest = rows_of(client.get("/?sort=updated&order=desc").get_data(as_text=True))
    assert newest[0] in {"audi--momenta", "bmw--momenta", "changan--horizon-robotics", "chery--horizon-robotics",
                         "horizon-robotics--volkswagen", "mercedes-benz--momenta", "volkswagen--xpeng"}
    assert "No alliances match" in client.get("/?q=nothing-like-this").get_data(as_text=True)


def test_status_paginates(client) -> None:
    html = client.get("/?per=10").get_data(as_text=True)
    assert len(rows_of(html)) == 10 and 'rel="next"' in html
    html3 = client.get("/?per=10&page=3").get_data(as_text=True)
    assert len(rows_of(html3)) == 2 and 'aria-current="page">3<' in html3
    assert client.get("/?page=0").status_code == 400
    assert client.get("/?per=x").status_code == 400


def test_status_marks_changes_since_last_visit(client, tracker) -> None:
    first = client.get("/")
    assert "alliances_seen=" in first.headers.get("Set-Cookie", "")
    assert "is-new" not in first.get_data(as_text=True)  # a first visit marks nothing
    tracker.store.append([NewEvent(StageChanged("audi--saic-motor", "expanded", CITE), FuzzyDate.parse("2026-06"))])
    # same browsing session: the baseline stays, so the change is marked (and on every page)
    html = client.get("/").get_data(as_text=True)
    new_row = r'<tr class="is-new">\s*<td data-label="Parties"><a class="alliance-link" href="/alliances/([^"]+)"'
    assert re.findall(new_row, html) == ["audi--saic-motor"]
    assert "1 changed since your last visit" in html
    # a new browser session starts from the position seen last time: nothing new
    client.delete_cookie("alliances_since")
    assert "is-new" not in client.get("/").get_data(as_text=True)


# --- alliance page -------------------------------------------------------------------------


def test_alliance_timeline_with_sources(client) -> None:
    r = client.get("/alliances/bytedance--mercedes-benz")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "September 2025" in html  # month precision, not a made-up day
    assert "Xinhua News Agency" in html and "Doubao" in html
    assert '<blockquote class="evidence">' in html
    assert html.index("signed an upgraded strategic cooperation") < html.index("Doubao")


def test_alliance_corroborations_and_corrections_in_place(client, tracker) -> None:
    key = "seed:bytedance--mercedes-benz:reported"
    tracker.store.append([
        NewEvent(AllianceCorroborated("bytedance--mercedes-benz",
                                      Citation("Second Paper", "Also reported", evidence="Same deal."),
                                      corroborates=key, summary="A second source"), FuzzyDate.parse("2025-09")),
        NewEvent(ReportCorrected("bytedance--mercedes-benz", key, "The stage was agreement signed",
                                 stage="agreement_signed")),
    ])
    html = client.get("/alliances/bytedance--mercedes-benz").get_data(as_text=True)
    notes = html[html.index('<ul class="notes">'):]
    assert "Second Paper" in notes and "The stage was agreement signed" in notes
    assert 'badge badge-corrected' in html


def test_alliance_unknown_is_404_and_not_yet_reported_is_404(client) -> None:
    r = client.get("/alliances/no-such-thing")
    assert r.status_code == 404 and "no alliance with the id" in r.get_data(as_text=True)
    r = client.get("/alliances/bytedance--mercedes-benz?as_of=2025-01-01")
    assert r.status_code == 404 and "not yet reported" in r.get_data(as_text=True)


# --- company page --------------------------------------------------------------------------


def test_company_alliances_and_partners_as_of(client) -> None:
    now = client.get("/companies/momenta").get_data(as_text=True)
    assert "Momenta" in now and "魔门塔" in now and "bmw--momenta" in now
    then = client.get("/companies/momenta?as_of=2022-01-01").get_data(as_text=True)
    assert "momenta--toyota" in then and "bmw--momenta" not in then
    assert client.get("/companies/nobody").status_code == 404


# --- network -------------------------------------------------------------------------------


def test_network_svg_and_table(client) -> None:
    html = client.get("/network").get_data(as_text=True)
    # a group, not an img: an img's children are presentational and its links would be hidden (axe: nested-interactive)
    assert "<svg" in html and 'role="group" aria-labelledby="net-title" aria-describedby="net-desc"' in html
    assert '<title id="net-title">' in html and '<desc id="net-desc">' in html
    assert html.count('class="edge stage-') >= 21 and html.count('class="edge spoke stage-expanded"') == 6
    assert 'id="network-table"' in html and "<th scope=\"col\">Parties</th>" in html
    past = client.get("/network?as_of=2025-08-31").get_data(as_text=True)
    assert "bytedance--mercedes-benz" not in past and "bytedance--mercedes-benz" in html


def test_network_layout_is_deterministic() -> None:
    from web.network_chart import layout

    alliances = [{"id": "a--b", "stage": "talks", "parties": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]},
                 {"id": "h", "stage": "expanded",
                  "parties": [{"id": x, "name": x.upper(), "country": "CN"} for x in "cdef"]}]
    n1, e1, h1, left1 = layout(alliances)
    n2, e2, h2, _ = layout(list(reversed(alliances)))
    assert [(n.id, n.x, n.y) for n in n1] == [(n.id, n.x, n.y) for n in n2]
    assert len(e1) == 1 and len(h1) == 1 and left1 == 0 and [(h.x, h.y) for h in h1] == [(h.x, h.y) for h in h2]
    _, _, _, left = layout(alliances, max_nodes=3)
    assert left == 3


# --- changes -------------------------------------------------------------------------------


def test_changes_between_dates_with_stepping(client) -> None:
    html = client.get("/changes?from=2025-01-01&to=2026-01-01").get_data(as_text=True)
    added = html[html.index('id="h-added"'):html.index('id="h-changed"')]
    assert "bytedance--mercedes-benz" in added and "alibaba--bmw" in added
    assert 'href="/changes?from=2024-01-01&amp;to=2025-01-01&amp;step=year"' in html
    assert 'href="/changes?from=2026-01-01&amp;to=2027-01-01&amp;step=year"' in html
    month = client.get("/changes?from=2025-09-01&to=2025-10-01&step=month").get_data(as_text=True)
    assert "bytedance--mercedes-benz" in month
    assert 'from=2025-08-01&amp;to=2025-09-01&amp;step=month' in month
    assert client.get("/changes").status_code == 200


def test_changes_bad_input_is_400(client) -> None:
    assert client.get("/changes?from=2026-01-01&to=2025-01-01").status_code == 400
    assert client.get("/changes?from=yesterday").status_code == 400
    assert client.get("/changes?step=decade").status_code == 400


# --- events --------------------------------------------------------------------------------


def test_events_page_paginates_filters_and_verifies(client, tracker) -> None:
    html = client.get("/events").get_data(as_text=True)
    assert "Chain verified" in html
    assert len(re.findall(r'<tr id="p\d+">', html)) == 50 and 'href="/events?after=50"' in html
    page2 = client.get("/events?after=50").get_data(as_text=True)
    assert '<tr id="p51">' in page2 and '<tr id="p1">' not in page2
    only = client.get("/events?type=AllianceReported").get_data(as_text=True)
    assert "StageChanged</td>" not in only and "AllianceReported</td>" in only
    first = tracker.store.read().__next__()
    by_stream = client.get(f"/events?stream={first.stream_id}").get_data(as_text=True)
    assert all(s == first.stream_id for s in re.findall(r'<td data-label="Stream"><a [^>]+>([^<]+)<', by_stream))


def test_events_page_shows_a_broken_chain(tracker) -> None:
    from events.store import Verification
    from service.webapp import TrackerAliases, TrackerFeeds, TrackerQueries, TrackerReview, TrackerSubscriptions
    from web import create_app

    class BrokenChain(TrackerQueries):
        def verify(self) -> Verification:
            return Verification(False, 6, 7, "content does not match its hash")

    app = create_app(tracker.settings, queries=BrokenChain(tracker), feeds=TrackerFeeds(tracker),
                     review=TrackerReview(tracker), aliases=TrackerAliases(tracker),
                     subscriptions=TrackerSubscriptions(tracker), testing=True)
    html = app.test_client().get("/events").get_data(as_text=True)
    assert "Chain broken" in html and "position 7" in html and "content does not match its hash" in html


# --- time travel errors and static files ---------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/network", "/alliances/audi--saic-motor", "/companies/audi", "/changes",
                                  "/events", "/api/alliances"])
@pytest.mark.parametrize("query", ["as_of=2025-13-01", "as_of=yesterday", "known_at=soon"])
def test_bad_dates_are_400_everywhere(client, path: str, query: str) -> None:
    r = client.get(f"{path}?{query}")
    assert r.status_code == 400
    assert "date" in r.get_data(as_text=True).lower() or "timestamp" in r.get_data(as_text=True).lower()


def test_known_at_shows_what_the_log_knew(client, tracker) -> None:
    first_at = next(tracker.store.read()).recorded_at
    tracker.store.append([NewEvent(AllianceReported("nio--test", ("nio", "test"), "licensing", "talks", CITE),
                                   FuzzyDate.parse("2020"))])
    assert "nio--test" in rows_of(client.get("/").get_data(as_text=True))
    html = client.get(f"/?known_at={first_at}").get_data(as_text=True)
    assert "nio--test" not in rows_of(html) and "as the log knew it at" in html


def test_static_files_are_local_and_pages_have_no_inline_script_or_style(client) -> None:
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>[^<]*</script>", html)
    assert scripts == ['<script src="/static/live.js" defer></script>']  # same-origin files only, never inline
    assert " style=" not in html and "<style" not in html
    assert client.get("/static/live.js").status_code == 200
    assert re.findall(r'(?:href|src)="(https?:)?//', html) == []
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.get_data(as_text=True)
    assert "@media (max-width" in css.get_data(as_text=True)


def test_catalog_update_equals_rebuild(tracker) -> None:
    from events.types import AllianceEnded, CompanyRegistered
    from service.webapp import TrackerQueries
    from web.catalog import Catalog

    cat = Catalog(TrackerQueries(tracker))
    first = cat.snapshot()
    tracker.store.append([
        NewEvent(StageChanged("audi--saic-motor", "expanded", CITE, kind="licensing"), FuzzyDate.parse("2026-07")),
        NewEvent(AllianceReported("nio--test", ("nio", "test"), "licensing", "talks", CITE),
                 FuzzyDate.parse("2026-08")),
        NewEvent(AllianceEnded("bmw--huawei", CITE, reason="contract ran out"), FuzzyDate.parse("2026-09")),
    ])
    updated = cat.snapshot()
    assert updated is not first and updated.position > first.position
    fresh = Catalog(TrackerQueries(tracker)).snapshot()
    strip = lambda rows: [{k: v for k, v in r.items()} for r in rows]  # noqa: E731
    assert strip(updated.rows) == strip(fresh.rows)
    assert (updated.companies, updated.kinds, updated.stages) == (fresh.companies, fresh.kinds, fresh.stages)
    # a company event changes names on many rows: a full rebuild, still equal
    tracker.store.append([NewEvent(CompanyRegistered("nio", "NIO", "蔚来", country="CN", sector="carmaker"))])
    again = cat.snapshot()
    rebuilt = Catalog(TrackerQueries(tracker)).snapshot()
    assert [r["parties"] for r in again.rows] == [r["parties"] for r in rebuilt.rows]
    assert any(p["name_zh"] == "蔚来" for r in again.rows for p in r["parties"])


def test_the_wsgi_entry_point_builds_the_app_from_the_environment(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from service.wsgi import app_from_env

    monkeypatch.setenv("ALLIANCES_DATA_DIR", str(tmp_path / "b"))
    app = app_from_env()
    assert app.test_client().get("/api/alliances").get_json() == []
    assert (tmp_path / "b" / "alliances.db").exists()


def test_the_catalog_keeps_the_present_and_the_last_date_asked_for(tracker) -> None:
    """A snapshot of 10,000 alliances is tens of megabytes: a worker keeps two, and the present is never
    dropped for a time-travel date."""
    from datetime import date

    from service.webapp import TrackerQueries
    from web.catalog import Catalog

    cat = Catalog(TrackerQueries(tracker))
    present = cat.snapshot()
    first = cat.snapshot(date(2024, 1, 1))
    second = cat.snapshot(date(2025, 1, 1))
    assert len(cat._cache) == 2 and first not in cat._cache.values()
    assert cat.snapshot() is present and cat.snapshot(date(2025, 1, 1)) is second
    assert cat.snapshot(date(2024, 1, 1)) is not first  # built again


def test_a_snapshot_holds_one_copy_of_each_recurring_stage_kinds_list_and_date(tracker) -> None:
    """Decoded documents carry their own string per row; a snapshot of 10,000 alliances keeps one of each."""
    from service.webapp import TrackerQueries
    from web.catalog import Catalog

    rows = Catalog(TrackerQueries(tracker)).snapshot().rows
    for field in ("stage", "kinds", "since", "updated"):
        by_value: dict[object, set[int]] = {}
        for r in rows:
            by_value.setdefault(repr(r[field]), set()).add(id(r[field]))
        assert any(len(ids) == 1 for ids in by_value.values()), field
        assert all(len(ids) == 1 for ids in by_value.values()), field


def test_a_status_row_reads_as_its_state_json_object_plus_private_fields(tracker) -> None:
    from service.webapp import TrackerQueries
    from web.catalog import Catalog

    rows = Catalog(TrackerQueries(tracker)).snapshot().rows
    assert [r.public() for r in rows] == tracker.queries.alliances()
    assert [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows] == tracker.queries.alliances()
    assert all(k.startswith("_") for k in list(rows[0])[10:]) and len(rows[0]) == len(list(rows[0]))
    with pytest.raises(KeyError):
        rows[0]["_search"]  # derived when a search asks, not kept


def test_the_changes_page_leaves_the_start_date_in_the_catalog_in_place_of_the_last_date(client, app) -> None:
    """/changes words each change from the status table's snapshot as of its start: it takes the past date's
    place in the catalog (which keeps two), never sits beside it."""
    from datetime import date

    cat = app.extensions["alliances.catalog"]
    client.get("/")
    client.get("/?as_of=2023-06-30")
    assert client.get("/changes?from=2024-01-01&to=2025-01-01").status_code == 200
    assert sorted((k[1] for k in cat._cache), key=str) == [date(2024, 1, 1), None]


def test_a_server_start_builds_the_present_snapshot_and_counts_its_alliances(app, tracker) -> None:
    """`alliances serve` prints the alliances it holds from the snapshot the first '/' will show, built at start
    (no full answer built only to be counted)."""
    from web.app import present_alliances

    assert present_alliances(app) == len(tracker.queries.alliances())
    assert [k[1:] for k in app.extensions["alliances.catalog"]._cache] == [(None, None)]
