"""Webhooks end to end on both databases: a change in the log reaches a real receiver on loopback, signed,
at least once, in log order, with retries that keep the webhook id."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from events.types import SubscriptionDisabled
from notify.model import Filters
from notify.service import SubscriptionError
from notify.signing import signed_headers
from tests import factories as f
from tests.notify.conftest import Got, Reply, WebhookVerificationError, companies


def _when(g: Got) -> datetime:
    return datetime.fromtimestamp(int(g.headers["webhook-timestamp"]), UTC)


def _subscribe(tracker, url, **filters):  # type: ignore[no-untyped-def]
    return tracker.notifications.subscribe("webhook", url, Filters(**filters))


def _leapmotor(tracker, stage="agreement_signed"):  # type: ignore[no-untyped-def]
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"), stage=stage)])


def test_a_change_reaches_a_receiver_that_verifies_the_signature(tracker, receiver):
    companies(tracker.store)
    r = receiver()
    sid, secret = _subscribe(tracker, r.url)
    _leapmotor(tracker)
    summary = tracker.notify_once()
    assert summary.delivered == 1
    (body,) = r.verified(secret)
    assert body["type"] == "alliance.new"
    data = body["data"]
    assert data["alliance_id"] == "leapmotor--stellantis"
    assert data["title"].startswith("Leapmotor 零跑 + Stellantis 斯特兰蒂斯: new alliance")
    assert data["before"] is None and data["after"]["stage"] == "agreement_signed"
    assert data["source"]["publisher"] == "Test Wire"
    assert data["position"] == tracker.store.last_position()


def test_a_stage_change_carries_before_and_after(tracker, receiver):
    companies(tracker.store)
    _leapmotor(tracker)
    r = receiver()
    _, secret = _subscribe(tracker, r.url)
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.notify_once()
    (body,) = r.verified(secret)
    assert body["type"] == "alliance.changed"
    assert body["data"]["before"]["stage"] == "agreement_signed"
    assert body["data"]["after"]["stage"] == "established"
    assert body["data"]["title"].endswith("agreement signed -> established")


def test_the_verifier_rejects_a_tampered_body_and_a_stale_timestamp():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type": "alliance.new"}'
    now = datetime.now(UTC)
    good = Got(signed_headers("msg_1", now, body, [secret]), body.encode())
    assert good.verify(secret) == {"type": "alliance.new"}
    with pytest.raises(WebhookVerificationError):
        Got(good.headers, b'{"type": "alliance.ended"}').verify(secret)
    with pytest.raises(WebhookVerificationError):
        Got(signed_headers("msg_1", now - timedelta(minutes=10), body, [secret]), body.encode()).verify(secret)


def test_503_three_times_then_200_is_delivered_with_the_same_webhook_id(tracker, receiver):
    companies(tracker.store)
    r = receiver([Reply(503), Reply(503), Reply(503)])
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    summary = tracker.notify_once()
    assert (summary.attempts, summary.delivered) == (4, 1)
    assert len(set(r.ok_ids())) == 1 and len(r.got) == 4
    (d,) = tracker.notifications.deliveries()
    assert d.state == "delivered" and d.attempts == 4
    assert [a["status"] for a in d.log] == [503, 503, 503, 200]


def test_a_receiver_too_slow_times_out_and_is_retried_with_the_same_id(make_tracker, receiver):
    tracker = make_tracker(ALLIANCES_WEBHOOK_TIMEOUT="1")
    companies(tracker.store)
    r = receiver([Reply(200, delay=3)])
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    tracker.notify_once()
    assert len(r.got) == 2 and r.got[0].id == r.got[1].id
    (d,) = tracker.notifications.deliveries()
    assert d.state == "delivered"
    assert d.log[0]["status"] is None and "timed out" in d.log[0]["excerpt"]


def test_410_disables_the_subscription_and_nothing_more_is_sent(tracker, receiver):
    companies(tracker.store)
    r = receiver(then=Reply(410, body=b"gone"))
    sid, _ = _subscribe(tracker, r.url)
    _leapmotor(tracker)
    summary = tracker.notify_once()
    assert summary.disabled == 1 and summary.dead == 1
    assert any(isinstance(e.event, SubscriptionDisabled) for e in tracker.store.read(streams=[f"subscription-{sid}"]))
    assert tracker.notifications.get(sid).disabled.startswith("the receiver answered 410")
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.notify_once()
    assert len(r.got) == 1


def test_retry_after_is_honoured(tracker, receiver, clock):
    companies(tracker.store)
    r = receiver([Reply(429, headers=(("Retry-After", "120"),))])
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    tracker.notify_once()
    (d,) = tracker.notifications.deliveries()
    assert d.state == "pending" and len(r.got) == 1
    due = datetime.fromisoformat(d.next_attempt_at.replace("Z", "+00:00"))
    assert due >= datetime.now(UTC) + timedelta(seconds=100)
    clock.offset = timedelta(seconds=121)
    tracker.notify_once()
    assert len(r.got) == 2 and r.got[0].id == r.got[1].id


def test_after_the_last_attempt_a_delivery_is_dead_and_can_be_redelivered(make_tracker, receiver):
    tracker = make_tracker(ALLIANCES_RETRY_MAX_ATTEMPTS="3")
    companies(tracker.store)
    r = receiver([Reply(500)] * 3)
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    assert tracker.notify_once().dead == 1
    (d,) = tracker.notifications.deliveries(dead_only=True)
    assert d.attempts == 3
    assert tracker.notifications.redeliver_dead() == 1
    assert tracker.notify_once().delivered == 1
    assert len({g.id for g in r.got}) == 1 and len(r.got) == 4


def test_a_receiver_down_for_a_while_gets_everything_in_log_order(make_tracker, receiver, clock):
    tracker = make_tracker(ALLIANCES_RETRY_BASE_SECONDS="3600")
    companies(tracker.store)
    r = receiver([Reply(503)])
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    tracker.notify_once()
    assert len(r.got) == 1  # the head of the queue waits for its retry; the others wait behind it
    clock.offset = timedelta(hours=3)
    tracker.notify_once()
    bodies = [json.loads(g.body) for g in r.got[1:]]
    positions = [b["data"]["position"] for b in bodies]
    assert positions == sorted(positions) and len(positions) == 3
    assert r.got[0].id == r.got[1].id


def test_only_changes_recorded_after_the_subscription_was_created(tracker, receiver):
    companies(tracker.store)
    _leapmotor(tracker)
    r = receiver()
    _subscribe(tracker, r.url)
    tracker.notify_once()
    assert r.got == []
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    tracker.notify_once()
    assert [json.loads(g.body)["data"]["alliance_id"] for g in r.got] == ["audi--saic-motor"]


def test_a_rebuild_sends_nothing(tracker, receiver):
    companies(tracker.store)
    r = receiver()
    _subscribe(tracker, r.url)
    _leapmotor(tracker)
    tracker.notify_once()
    tracker.projector.rebuild()
    assert tracker.notify_once().attempts == 0
    assert len(r.got) == 1 and len(tracker.notifications.deliveries()) == 1


def test_corroborations_are_sent_only_when_asked(tracker, receiver):
    companies(tracker.store)
    _leapmotor(tracker)
    plain, asked = receiver(), receiver()
    _subscribe(tracker, plain.url)
    _subscribe(tracker, asked.url, corroborations=True)
    other = f.Citation(publisher="Other Wire", title="Another report", published="2026-01-03", paragraph=1)
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"), cite=other)])
    tracker.notify_once()
    assert plain.got == []
    assert [json.loads(g.body)["type"] for g in asked.got] == ["alliance.corroborated"]


def test_filters_by_company_kind_and_new_only(tracker, receiver):
    companies(tracker.store)
    by_company, by_kind, new_only = receiver(), receiver(), receiver()
    _subscribe(tracker, by_company.url, companies=("audi",))
    _subscribe(tracker, by_kind.url, kinds=("joint_venture",))
    _subscribe(tracker, new_only.url, new_only=True)
    _leapmotor(tracker)
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"), kind="joint_venture")])
    tracker.notify_once()

    def seen(r):  # type: ignore[no-untyped-def]
        return [(json.loads(g.body)["data"]["alliance_id"], json.loads(g.body)["type"]) for g in r.got]

    assert seen(by_company) == [("audi--saic-motor", "alliance.new")]
    assert seen(by_kind) == [("audi--saic-motor", "alliance.new")]
    assert seen(new_only) == [("leapmotor--stellantis", "alliance.new"), ("audi--saic-motor", "alliance.new")]


def test_a_paused_subscription_collects_and_sends_in_order_on_resume(tracker, receiver):
    companies(tracker.store)
    r = receiver()
    sid, _ = _subscribe(tracker, r.url)
    tracker.notifications.pause(sid)
    _leapmotor(tracker)
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.notify_once()
    assert r.got == []
    tracker.notifications.resume(sid)
    tracker.notify_once()
    assert [json.loads(g.body)["type"] for g in r.got] == ["alliance.new", "alliance.changed"]


def test_rotation_signs_with_both_secrets_during_the_grace_period(tracker, receiver, clock):
    companies(tracker.store)
    r = receiver()
    sid, old = _subscribe(tracker, r.url)
    new = tracker.notifications.rotate(sid)
    assert new != old and new.startswith("whsec_")
    _leapmotor(tracker)
    tracker.notify_once()
    (got,) = r.got
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    got.verify(old)
    got.verify(new)
    clock.offset = timedelta(hours=25)  # after the grace period only the new secret signs
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    r.got.clear()
    tracker.notify_once()
    (later,) = r.got
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).sign(later.id, _when(later), later.body.decode()) == later.headers["webhook-signature"]


def test_a_loopback_webhook_is_refused_without_the_private_address_setting(make_tracker, receiver):
    tracker = make_tracker(ALLIANCES_ALLOW_PRIVATE_URLS="0")
    r = receiver()
    with pytest.raises(SubscriptionError, match="refused"):
        _subscribe(tracker, r.url)


def test_send_test_returns_the_receivers_real_answer(tracker, receiver):
    r = receiver([Reply(418, body=b"I am a teapot")])
    sid, secret = _subscribe(tracker, r.url)
    out = tracker.notifications.send_test(sid)
    assert (out.status, out.ok, out.excerpt) == (418, False, "I am a teapot")
    assert r.verified(secret)[0]["type"] == "test"
