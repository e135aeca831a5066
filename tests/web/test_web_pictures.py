"""The pictures: the network (links, hubs, year steps, words not ids) and the landscape timeline
(bars by stage over valid time, year links that replay the status page, paging, filters)."""
from __future__ import annotations

import math
import re
from datetime import date

from flask.testing import FlaskClient

from web.ports import StageSpan
from web.timeline_chart import MAX_YEARS, chart, stage_runs

# --- network -------------------------------------------------------------------------------


def test_network_nodes_and_edges_are_links_keeping_the_date(client: FlaskClient) -> None:
    html = client.get("/network?as_of=2025-12-31").get_data(as_text=True)
    picture = html[html.index("<svg"):html.index("</svg>")]
    assert '<a href="/companies/momenta?as_of=2025-12-31" class="node' in picture
    assert '<a href="/alliances/bytedance--mercedes-benz?as_of=2025-12-31" class="edge-link"' in picture
    assert '<a href="/alliances/huawei-hima?as_of=2025-12-31" class="hub"' in picture


def test_network_table_names_alliances_in_words(client: FlaskClient) -> None:
    html = client.get("/network").get_data(as_text=True)
    table = html[html.index('id="network-table"'):]
    assert ">Alibaba + BMW</a>" in table and ">alibaba--bmw<" not in table


def test_network_steps_a_year_back_and_forth(client: FlaskClient) -> None:
    html = client.get("/network?as_of=2024-12-31").get_data(as_text=True)
    assert 'href="/network?as_of=2023-12-31" rel="prev"' in html
    assert 'href="/network?as_of=2025-12-31" rel="next"' in html
    mid = client.get("/network?as_of=2024-06-30").get_data(as_text=True)
    assert 'href="/network?as_of=2023-12-31" rel="prev"' in mid
    assert 'href="/network?as_of=2024-12-31" rel="next"' in mid


def test_year_steps_end_at_the_present() -> None:
    from datetime import date

    from web.views.network import year_steps

    today = date(2026, 5, 10)
    assert year_steps(None, today) == (date(2025, 12, 31), None)
    assert year_steps(date(2025, 12, 31), today) == (date(2024, 12, 31), None)  # the end of 2026 lies ahead
    assert year_steps(date(2024, 12, 31), today) == (date(2023, 12, 31), date(2025, 12, 31))
    assert year_steps(date(2024, 3, 1), today) == (date(2023, 12, 31), date(2024, 12, 31))


def test_an_alliance_of_more_than_two_is_one_hub_joined_to_each_party() -> None:
    from web.network_chart import layout

    six = {"id": "huawei-hima", "stage": "expanded", "_names": (),
           "parties": [{"id": x, "name": x.upper(), "country": "CN"} for x in "abcdef"]}
    nodes, edges, hubs, _ = layout([six])
    assert edges == [] and len(hubs) == 1  # not the 15 lines of every pair
    hub = hubs[0]
    assert [n.id for n in hub.parties] == list("abcdef") and hub.label == "6-party alliance"
    cx, cy = 500, 460  # the hub sits inside the circle, not on it
    assert all(math.dist((hub.x, hub.y), (cx, cy)) < math.dist((n.x, n.y), (cx, cy)) for n in nodes)


def test_a_named_alliance_is_called_by_its_name() -> None:
    from web.network_chart import alliance_title, short_title

    hima = {"_names": ("HIMA", "鸿蒙智行"), "parties": [{"name": "Huawei"}, {"name": "Seres"}, {"name": "Chery"}]}
    assert alliance_title(hima) == "HIMA (Huawei + Seres + Chery)" and short_title(hima) == "HIMA"
    pair = {"_names": (), "parties": [{"name": "Audi"}, {"name": "SAIC Motor"}]}
    assert alliance_title(pair) == short_title(pair) == "Audi + SAIC Motor"


# --- the landscape timeline: geometry ------------------------------------------------------


def _span(start: str, end: str, stage: str | None, written: str = "") -> StageSpan:
    return StageSpan(start, end, stage, written=written)


def test_stage_runs_join_intervals_of_one_stage_and_stop_at_the_date_shown() -> None:
    spans = [_span("2024-05-31", "2024-11-30", "agreement_signed", "2024-05"),
             _span("2024-11-30", "2025-08-31", "production", "2024-11"),
             _span("2025-08-31", "2026-03-31", "production", "2025-08"), _span("2026-03-31", "9999-12-31", "expanded")]
    assert stage_runs(spans, date(2026, 6, 1)) == [
        (date(2024, 5, 31), date(2024, 11, 30), "agreement_signed", "2024-05"),
        (date(2024, 11, 30), date(2026, 3, 31), "production", "2024-11"),  # a new source, not a new stage: one run
        (date(2026, 3, 31), None, "expanded", "2026-03-31"),  # no written date: the day itself
    ]
    assert stage_runs(spans, date(2025, 1, 1)) == [
        (date(2024, 5, 31), date(2024, 11, 30), "agreement_signed", "2024-05"),
        (date(2024, 11, 30), None, "production", "2024-11")]
    assert stage_runs(spans, date(2024, 1, 1)) == []


def _rows(*ids: str) -> list[dict[str, object]]:
    return [{"id": i} for i in ids]


def test_bars_begin_at_the_first_report_and_segments_follow_in_time() -> None:
    spans = {"a": [_span("2024-05-31", "2025-05-31", "talks"), _span("2025-05-31", "9999-12-31", "production")],
             "b": [_span("2025-12-31", "9999-12-31", "established")]}
    c = chart(_rows("a", "b"), spans, date(2026, 6, 30), lambda r: str(r["id"]), lambda r: str(r["id"]))
    assert [y.year for y in c.years] == [2024, 2025, 2026] and c.years[-1].labelled
    a, b = c.bars
    assert [s.stage for s in a.segments] == ["talks", "production"] and b.y > a.y
    assert a.segments[0].x < a.segments[1].x == round(a.segments[0].x + a.segments[0].width, 1)
    assert b.segments[0].x > a.segments[1].x  # b was first reported later
    assert round(a.segments[1].x + a.segments[1].width, 1) == c.now_x  # open bars run to the date shown


def test_a_long_history_starts_at_the_axis_edge_marked_as_earlier() -> None:
    spans = {"old": [_span("1983-12-31", "9999-12-31", "production")]}
    c = chart(_rows("old"), spans, date(2026, 5, 1), str, str)
    assert len(c.years) == MAX_YEARS and c.years[0].year == 2026 - MAX_YEARS + 1
    seg = c.bars[0].segments[0]
    assert seg.earlier and seg.start == date(1983, 12, 31) and seg.x == c.label_width


def test_year_labels_never_crowd_but_every_year_has_its_band() -> None:
    spans = {"a": [_span("2011-01-31", "9999-12-31", "talks")]}
    c = chart(_rows("a"), spans, date(2026, 5, 1), str, str)
    labelled = [y.x for y in c.years if y.labelled]
    assert all(b - a >= 44 for a, b in zip(labelled, labelled[1:], strict=False))
    assert all(y.width > 0 for y in c.years) and len(labelled) < len(c.years)


# --- the landscape timeline: the page ------------------------------------------------------


def test_timeline_draws_a_bar_per_alliance_latest_change_first(client: FlaskClient) -> None:
    html = client.get("/timeline").get_data(as_text=True)
    assert 'aria-current="page">Timeline</a>' in html
    picture = html[html.index("<svg viewBox"):html.index("</svg>", html.index("<svg viewBox"))]
    assert 'role="group" aria-labelledby="tl-title" aria-describedby="tl-desc"' in picture
    bars = re.findall(r'<a href="/alliances/([^"?]+)" class="bar-link"', picture)
    assert len(bars) == 22 and bars[-1] == "saic-motor--volkswagen"  # the oldest last change comes last
    assert 'class="seg stage-agreement_signed"' in picture and 'class="seg-pattern stage-agreement_signed"' in picture
    table = html[html.index('id="timeline-table"'):]
    assert ">Audi + SAIC Motor</a>" in table
    assert 'Agreement signed</span> from <time datetime="2024-05" title="precision: month">May 2024</time>' in table


def test_clicking_a_year_replays_the_status_page_to_its_end(client: FlaskClient) -> None:
    html = client.get("/timeline").get_data(as_text=True)
    assert '<a href="/?as_of=2024-12-31" class="year-link" aria-label="Replay to the end of 2024">' in html
    assert '<a href="/?as_of=2024-12-31" class="replay-year">2024</a>' in html  # the same, as a list of links
    filtered = client.get("/timeline?q=huawei&known_at=2026-12-31T00:00:00Z").get_data(as_text=True)
    assert 'href="/?q=huawei&amp;as_of=2024-12-31&amp;known_at=2026-12-31T00%3A00%3A00Z"' in filtered


def test_timeline_takes_the_status_filters(client: FlaskClient) -> None:
    html = client.get("/timeline?q=momenta&stage=established").get_data(as_text=True)
    bars = set(re.findall(r'class="alliance-link">([^<]+)</a>', html))
    assert bars and all("Momenta" in b for b in bars) and "Audi + Momenta" not in bars  # expanded, not established


def test_timeline_pages_through_many_alliances(client: FlaskClient) -> None:
    first = client.get("/timeline?per=5").get_data(as_text=True)
    assert first.count('class="bar-link"') == 5 and "Page 1 of 5" in first
    assert 'href="?per=5&amp;page=2" rel="next"' in first
    last = client.get("/timeline?per=5&page=5").get_data(as_text=True)
    assert last.count('class="bar-link"') == 2 and 'rel="prev"' in last
    assert client.get("/timeline?per=100000").status_code == 400


def test_timeline_as_of_a_date_ends_the_bars_there(client: FlaskClient) -> None:
    html = client.get("/timeline?as_of=2024-12-31").get_data(as_text=True)
    assert "bytedance--mercedes-benz" not in html and "audi--saic-motor" in html
    assert "In production</span> from <time datetime=\"2024-11\"" in html and "2026-03" not in html
    assert '<a href="/?as_of=2025-12-31"' not in html  # the axis ends with the year shown


def test_stage_spans_from_the_read_model(tracker) -> None:
    from service.webapp import TrackerQueries

    spans = TrackerQueries(tracker).stage_spans(["audi--saic-motor", "no-such-alliance"])
    assert list(spans) == ["audi--saic-motor"]
    audi = spans["audi--saic-motor"]
    assert audi[0] == StageSpan("2024-05-31", audi[1].start, "agreement_signed", audi[0].loi, "2024-05")
    assert audi[-1].end == "9999-12-31" and all(x.end == y.start for x, y in zip(audi, audi[1:], strict=False))
