"""The live stream (`GET /api/stream`), read with a real HTTP client from the app under waitress, and from a
real `alliances serve` for the cap on concurrent streams."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from tests.factories import staged
from tests.web.conftest import LiveServer, make_tracker

ALLIANCES = str(Path(sys.executable).parent / "alliances")


def messages(response: httpx.Response) -> Iterator[dict[str, str]]:
    """SSE messages as field dicts (comment lines skipped), as an EventSource would split them."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def read(url: str, headers: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Every message of one stream response, to its end."""
    with httpx.stream("GET", url, headers=headers, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        return list(messages(r))


def changes(msgs: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [json.loads(m["data"]) for m in msgs if m.get("event") == "change"]


@pytest.fixture
def stream_app(tracker: Any) -> Flask:
    from service.webapp import web_app

    app = web_app(tracker)
    app.config.update(ALLIANCES_STREAM_SECONDS=1.5, ALLIANCES_STREAM_POLL_SECONDS=0.1)
    return app


@pytest.fixture
def live(stream_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(stream_app) as srv:
        yield srv


def test_a_change_recorded_while_streaming_arrives_as_an_event(live: LiveServer, tracker: Any) -> None:
    with httpx.stream("GET", f"{live.url}/api/stream", timeout=30) as r:
        got = messages(r)
        assert next(got) == {"retry": "2000"}  # the stream is open: now record a change
        tracker.store.append([staged("leapmotor--stellantis", "production", "2026-11")])
        event = next(got)
    latest = httpx.get(f"{live.url}/api/latest?limit=1").json()[0]
    assert event["event"] == "change" and event["id"] == str(latest["position"])
    assert json.loads(event["data"]) == latest
    assert latest["title"] == "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production"


def test_the_stream_ends_with_a_retry_hint_and_the_position_it_reached(live: LiveServer, tracker: Any) -> None:
    position = tracker.store.last_position()
    msgs = read(f"{live.url}/api/stream")
    assert msgs == [{"retry": "2000"}, {"id": str(position), "retry": "2000"}]


def test_last_event_id_resumes_after_that_position(live: LiveServer, tracker: Any) -> None:
    start = tracker.store.last_position()
    tracker.store.append([staged("leapmotor--stellantis", "production", "2026-10")])
    tracker.store.append([staged("leapmotor--stellantis", "expanded", "2026-11")])
    first, second = changes(read(f"{live.url}/api/stream?after={start}"))
    assert (first["position"], second["position"]) == (start + 1, start + 2)
    resumed = read(f"{live.url}/api/stream?after={start}", {"Last-Event-ID": str(first["position"])})
    assert changes(resumed) == [second]  # the header wins over ?after= (the browser's reconnect sends both)
    assert changes(read(f"{live.url}/api/stream", {"Last-Event-ID": str(start + 2)})) == []


def test_the_status_filters_narrow_the_stream(live: LiveServer, tracker: Any) -> None:
    start = tracker.store.last_position()
    tracker.store.append([staged("leapmotor--stellantis", "production", "2026-10")])
    tracker.store.append([staged("saic-motor--volkswagen", "expanded", "2026-11")])
    only = changes(read(f"{live.url}/api/stream?after={start}&company=volkswagen"))
    assert [c["alliance_id"] for c in only] == ["saic-motor--volkswagen"]


def test_a_bad_resume_position_is_one_clear_line(live: LiveServer) -> None:
    r = httpx.get(f"{live.url}/api/stream", headers={"Last-Event-ID": "yesterday"})
    assert r.status_code == 400 and r.json()["message"] == (
        "'Last-Event-ID' must be a log position (a whole number), got 'yesterday'.")
    assert httpx.get(f"{live.url}/api/stream?after=-3").status_code == 400


def test_a_finished_stream_frees_its_slot(live: LiveServer, stream_app: Flask) -> None:
    stream_app.config["ALLIANCES_STREAM_LIMIT"] = 1
    for _ in range(3):  # one at a time, each after the last ended: never refused
        assert read(f"{live.url}/api/stream")[-1]["retry"] == "2000"
    with httpx.stream("GET", f"{live.url}/api/stream", timeout=30) as first:
        next(messages(first))
        assert httpx.get(f"{live.url}/api/stream").status_code == 429


def test_a_stream_whose_client_went_away_frees_its_slot_before_its_end(live: LiveServer, stream_app: Flask) -> None:
    stream_app.config.update(ALLIANCES_STREAM_LIMIT=1, ALLIANCES_STREAM_SECONDS=600)
    with httpx.stream("GET", f"{live.url}/api/stream", timeout=30) as gone:
        next(messages(gone))
    answers: list[int] = []  # the server finds out at a keep-alive write; until then a second stream is refused
    while (not answers or answers[-1] == 429) and len(answers) < 150:  # bounded: the 600 s end must not count
        threading.Event().wait(0.2)
        with httpx.stream("GET", f"{live.url}/api/stream", timeout=30) as r:
            answers.append(r.status_code)
    assert answers[-1] == 200


def test_serve_caps_concurrent_streams_and_keeps_serving_pages(tmp_path: Path) -> None:
    """`alliances serve --threads 2` allows one stream; a second gets 429, and pages still load meanwhile."""
    import socket

    make_tracker(tmp_path / "data").close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    proc = subprocess.Popen([ALLIANCES, "serve", "--port", str(port), "--threads", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**base, "ALLIANCES_DATA_DIR": str(tmp_path / "data")})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url)
        with httpx.stream("GET", f"{url}/api/stream", timeout=60) as first:
            assert next(messages(first)) == {"retry": "2000"}
            second = httpx.get(f"{url}/api/stream", timeout=30)
            assert second.status_code == 429 and second.headers["Retry-After"] == "10"
            assert "live streams are open already" in second.json()["message"]
            assert httpx.get(f"{url}/api/companies", timeout=30).status_code == 200
    finally:
        proc.terminate()
        proc.wait(30)


def _wait_up(url: str) -> None:
    stop = threading.Event()
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/companies", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            stop.wait(0.2)
    raise AssertionError("alliances serve did not come up")


def test_the_status_page_points_its_script_at_the_stream(client: Any, tracker: Any) -> None:
    html = client.get("/?stage=production").get_data(as_text=True)
    position = tracker.store.last_position()
    assert f'data-stream="/api/stream?after={position}&amp;stage=production"' in html
    assert '<script src="/static/live.js" defer></script>' in html
    assert "data-stream" not in client.get("/?as_of=2025-01-01").get_data(as_text=True)  # the past does not move
