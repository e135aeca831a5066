"""/healthz, /readyz and /metrics: from the web app (serve) and from the worker's small listener."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from events.envelope import NewEvent
from events.seed import load_seed
from events.types import AliasAdded, FeedAdded
from service.bootstrap import Tracker, bootstrap, build
from service.config import Settings
from service.opsserver import OpsServer
from service.webapp import web_app


def open_tracker(db_url: str, tmp_path: Path, **env: str) -> Tracker:
    return build(Settings.from_env({"ALLIANCES_DATABASE_URL": db_url, "ALLIANCES_DATA_DIR": str(tmp_path), **env}))


@pytest.fixture
def ops_tracker(db_url: str, tmp_path: Path) -> Iterator[Tracker]:
    t = open_tracker(db_url, tmp_path, ALLIANCES_READY_MAX_LAG="1")
    yield t
    t.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def lag_behind(t: Tracker, n: int) -> None:
    """Append n events without letting any projection follow them."""
    t.store.append([NewEvent(AliasAdded("byd", f"Dream Builder {i}")) for i in range(n)])


def test_healthz_answers_without_the_database(tmp_path: Path) -> None:
    t = bootstrap(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path),
                                     "ALLIANCES_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}))
    client = web_app(t, testing=True).test_client()
    assert client.get("/healthz").get_json() == {"alive": True}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"].startswith("OperationalError")


def test_readyz_is_ready_when_the_projections_are_at_the_head(ops_tracker: Tracker) -> None:
    ops_tracker.projector.catch_up()
    r = web_app(ops_tracker, testing=True).test_client().get("/readyz")
    assert r.status_code == 200
    assert r.get_json() == {"ready": True, "checks": {"database": "ok", "projections": "ok", "migrations": "ok"}}


def test_readyz_refuses_traffic_when_projections_lag_more_than_the_setting(ops_tracker: Tracker) -> None:
    ops_tracker.projector.catch_up()
    lag_behind(ops_tracker, 2)  # ALLIANCES_READY_MAX_LAG=1
    r = web_app(ops_tracker, testing=True).test_client().get("/readyz")
    assert r.status_code == 503
    assert "behind the log head by more than 1 events" in r.get_json()["checks"]["projections"]
    assert "alliances (2)" in r.get_json()["checks"]["projections"]


def test_readyz_refuses_traffic_when_the_schema_is_behind_the_code(ops_tracker: Tracker) -> None:
    ops_tracker.projector.catch_up()
    with ops_tracker.store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'events_0001' WHERE version_num LIKE :p"),
                     {"p": "events%"})
    r = web_app(ops_tracker, testing=True).test_client().get("/readyz")
    assert r.status_code == 503 and "run `alliances db upgrade`" in r.get_json()["checks"]["migrations"]


def test_metrics_report_head_lag_feeds_and_request_latency(ops_tracker: Tracker) -> None:
    ops_tracker.store.append([NewEvent(FeedAdded("f1", "https://feeds.example/1.xml"))])
    ops_tracker.health.ensure(["f1"])  # due at once
    ops_tracker.projector.catch_up()
    lag_behind(ops_tracker, 3)
    client = web_app(ops_tracker, testing=True).test_client()
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    got = samples(r.get_data(as_text=True))
    head = ops_tracker.store.tail()
    assert got[("alliances_log_head", ())] == head
    assert got[("alliances_subscriber_lag_events", (("subscriber", "alliances"),))] == 3
    assert got[("alliances_feeds_due", ())] == 1 and got[("alliances_feeds_failing", ())] == 0
    assert got[("alliances_outbox_pending", ())] == 0
    assert got[("alliances_request_seconds_count", (("endpoint", "operations.healthz"),))] == 1


def test_metrics_count_notification_deliveries_pending_and_dead(db_url: str, tmp_path: Path) -> None:
    from notify.model import Filters
    from tests.factories import staged

    t = open_tracker(db_url, tmp_path, ALLIANCES_ALLOW_PRIVATE_URLS="1")
    try:
        load_seed(t.store)
        t.projector.catch_up()
        t.notifications.subscribe("webhook", "http://127.0.0.1:9/hook", Filters())
        t.projector.catch_up()  # the notification subscriber starts at the tail
        t.store.append([staged("leapmotor--stellantis", "expanded", "2026-11")])
        t.projector.catch_up()  # ... and enqueues the change
        got = samples(t.ops.metrics()[0].decode())
        assert got[("alliances_deliveries_pending", ())] == 1 and got[("alliances_deliveries_dead", ())] == 0
    finally:
        t.close()


def test_polls_are_timed_in_the_poll_latency_histogram(ops_tracker: Tracker) -> None:
    ops_tracker.store.append([NewEvent(FeedAdded("f1", "http://127.0.0.1:1/closed.xml"))])
    ops_tracker.fetcher.allow_private = True
    ops_tracker.poller.poll()  # a refused connection is a poll too
    body, _ = ops_tracker.ops.metrics()
    got = samples(body.decode())
    assert got[("alliances_poll_seconds_count", ())] == 1
    assert got[("alliances_feeds_failing", ())] == 1


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - loopback
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def test_the_worker_listener_serves_the_same_endpoints(ops_tracker: Tracker) -> None:
    ops_tracker.projector.catch_up()
    server = OpsServer(ops_tracker.ops, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert get(f"{base}/healthz")[0] == 200
        status, _, body = get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["ready"] is True
        lag_behind(ops_tracker, 2)
        status, _, body = get(f"{base}/readyz")
        assert status == 503 and json.loads(body)["checks"]["projections"] != "ok"
        status, ctype, body = get(f"{base}/metrics")
        assert status == 200 and ctype.startswith("text/plain")
        assert samples(body)[("alliances_log_head", ())] == ops_tracker.store.tail()
        assert get(f"{base}/other")[0] == 404
    finally:
        server.stop()


def test_pages_without_an_operations_port_still_say_alive(tracker: Any) -> None:
    from web import create_app

    ports = web_app(tracker, testing=True).extensions["alliances.ports"]
    plain = create_app(tracker.settings, queries=ports.queries, feeds=ports.feeds, review=ports.review,
                       aliases=ports.aliases, subscriptions=ports.subscriptions, testing=True)
    client = plain.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503 and client.get("/metrics").status_code == 404


def test_the_web_answers_readyz_from_whatever_the_port_says(tracker: Any) -> None:
    """The views hold no logic of their own: a fake port's verdict and metrics pass through as they are."""
    from tests.web.conftest import FakeOperations
    from web import create_app
    from web.ports import Readiness

    ports = web_app(tracker, testing=True).extensions["alliances.ports"]
    fake = FakeOperations(Readiness(False, {"database": "ok", "migrations": "schema behind"}))
    client = create_app(tracker.settings, queries=ports.queries, feeds=ports.feeds, review=ports.review,
                        aliases=ports.aliases, subscriptions=ports.subscriptions, ops=fake,
                        testing=True).test_client()
    r = client.get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"] == {"database": "ok", "migrations": "schema behind"}
    assert client.get("/metrics").get_data() == b"alliances_log_head 7.0\n"
    assert fake.timed == ["operations.readyz", "operations.metrics"]
