"""The web's subscription port over the real service, and the dispatcher in the background scheduler."""
from __future__ import annotations

import json

import pytest

from notify.model import Filters
from service.scheduler import start_background
from service.webapp import TrackerSubscriptions, web_app
from tests import factories as f
from tests.notify.conftest import Reply, companies
from tests.web.test_web_ports import mismatches
from web.deps import PORTS
from web.ports import SubscriptionCommands, SubscriptionSpec


def test_the_real_adapter_has_the_protocols_signatures(tracker):
    assert mismatches(SubscriptionCommands, TrackerSubscriptions(tracker)) == []


def test_the_web_app_is_given_the_subscriptions_port(tracker):
    app = web_app(tracker, testing=True)
    assert isinstance(app.extensions[PORTS].subscriptions, TrackerSubscriptions)


def test_subscribe_list_send_test_and_the_delivery_log_through_the_port(tracker, receiver):
    port = TrackerSubscriptions(tracker)
    companies(tracker.store)
    r = receiver([Reply(500, body=b"down for maintenance")])
    created = port.subscribe(SubscriptionSpec("webhook", r.url, companies=("audi",)))
    assert created.secret and created.secret.startswith("whsec_")
    (row,) = port.list_subscriptions()
    assert (row.id, row.spec.companies, row.target_shown) == (created.id, ("audi",), r.url.rsplit("/", 1)[0] + "/…")
    attempt = port.send_test(created.id)
    assert (attempt.status, attempt.ok, attempt.excerpt) == (500, False, "down for maintenance")
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    tracker.notify_once()
    newest = port.deliveries(created.id)[0]
    assert newest.message_id == r.got[-1].id and newest.state == "delivered"
    assert newest.title.startswith("Audi 奥迪 + SAIC Motor 上汽集团: new alliance")
    shown = port.subscription(created.id)
    assert shown is not None and (shown.delivered, shown.dead) == (1, 1)  # the failed test message is logged too
    changed = port.change(created.id, SubscriptionSpec("webhook", row.target_shown, new_only=True))
    assert changed.spec.new_only and changed.spec.companies == ()
    with pytest.raises(ValueError, match="no subscription"):
        port.pause("sub_missing")


def test_the_background_scheduler_runs_the_dispatcher(tracker, receiver):
    companies(tracker.store)
    r = receiver()
    tracker.notifications.subscribe("webhook", r.url, Filters())
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    handle = start_background(tracker, tick_seconds=3600, ingest_seconds=3600, notify_seconds=0.2)
    try:
        assert r.arrived.wait(60)
    finally:
        handle.stop()
    assert json.loads(r.got[0].body)["data"]["alliance_id"] == "audi--saic-motor"
