"""People's channels through apprise (e-mail to a local SMTP server), the daily digest, and leases that lapse."""
from __future__ import annotations

import email
import json
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from notify.model import Filters
from notify.service import SubscriptionError
from notify.tables import DELIVERIES
from tests import factories as f
from tests.notify.conftest import Reply, companies


class LoopbackSMTP(Controller):
    """aiosmtpd on 127.0.0.1 at a port the system picks (the controller assumes a fixed one)."""

    def _trigger_server(self) -> None:
        server: Any = self.server
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    server = LoopbackSMTP(inbox, hostname="127.0.0.1", port=0)
    server.start()
    yield inbox, server.port
    server.stop()


def _mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=tracker@example.org&to=alice@example.org&mode=insecure"


def test_an_email_reaches_a_local_smtp_server_through_apprise(tracker, smtp):
    inbox, port = smtp
    companies(tracker.store)
    sid, secret = tracker.notifications.subscribe("apprise", _mailto(port), Filters())
    assert secret is None
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    assert tracker.notify_once().delivered == 1
    (msg,) = inbox.messages
    assert msg.rcpt_tos == ["alice@example.org"]
    mail = email.message_from_bytes(msg.content)
    assert "Leapmotor" in str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    plain: Any = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    text = plain.decode()
    assert "new alliance" in text and "Test Wire" in text
    assert tracker.notifications.get(sid).target_shown == f"mailto://127.0.0.1:{port}/…"


def test_an_unreachable_mail_server_is_retried_then_dead(make_tracker, smtp):
    _, port = smtp
    tracker = make_tracker(ALLIANCES_RETRY_MAX_ATTEMPTS="2")
    companies(tracker.store)
    tracker.notifications.subscribe("apprise", _mailto(1), Filters())  # port 1: nothing listens
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    summary = tracker.notify_once()
    assert (summary.attempts, summary.dead) == (2, 1)
    (d,) = tracker.notifications.deliveries()
    assert d.log[0]["ok"] is False and d.log[0]["excerpt"]


def test_apprise_schemes_off_the_allowlist_and_private_mail_servers_are_refused(make_tracker, smtp):
    _, port = smtp
    with pytest.raises(SubscriptionError, match="apprise scheme 'json' is not allowed"):
        make_tracker().notifications.subscribe("apprise", "json://127.0.0.1/x", Filters())
    guarded = make_tracker(ALLIANCES_ALLOW_PRIVATE_URLS="0")
    with pytest.raises(SubscriptionError, match="refused: 127.0.0.1 is"):
        guarded.notifications.subscribe("apprise", _mailto(port), Filters())


def test_a_daily_digest_is_one_message_listing_the_days_changes(tracker, receiver, clock):
    companies(tracker.store)
    r = receiver()
    _, secret = tracker.notifications.subscribe("webhook", r.url, Filters(digest="daily"))
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    tracker.store.append([f.staged("leapmotor--stellantis", "established", "2024-10")])
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    tracker.notify_once()
    assert r.got == []  # the day is not over
    (d,) = tracker.notifications.deliveries()
    assert d.title.startswith("3 changes to alliances on ")
    clock.offset = timedelta(days=1)
    assert tracker.notify_once().delivered == 1
    (got,) = r.got
    body = json.loads(got.body)
    assert body["type"] == "digest.daily" and body["data"]["count"] == 3
    assert [c["what"] for c in body["data"]["changes"]] == ["new", "changed", "new"]


def test_an_expired_lease_of_a_dispatcher_elsewhere_is_taken_over_with_the_same_id(tracker, receiver, clock):
    companies(tracker.store)
    r = receiver()
    tracker.notifications.subscribe("webhook", r.url, Filters())
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    tracker.projector.catch_up()
    d = tracker.notifications.dispatcher()
    (row,) = d.claim()
    with tracker.store.write() as conn:  # as if another host's dispatcher held it and died
        conn.execute(update(DELIVERIES).values(lease_owner="elsewhere:1:dead"))
    assert tracker.notify_once().attempts == 0  # the lease is still in force
    clock.offset = timedelta(seconds=d.lease_seconds + 1)
    assert tracker.notify_once().delivered == 1
    assert r.got[0].id == row.id


def test_a_removed_subscription_sends_nothing_more_and_its_secret_is_erased(tracker, receiver):
    companies(tracker.store)
    r = receiver([Reply(503)])
    sid, _ = tracker.notifications.subscribe("webhook", r.url, Filters())
    tracker.notifications.remove(sid)
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    tracker.notify_once()
    assert r.got == [] and tracker.notifications.vault.get(sid) is None
    with pytest.raises(SubscriptionError, match="no subscription"):
        tracker.notifications.pause(sid)


def test_a_second_dispatcher_does_not_take_rows_another_has_leased(tracker, receiver):
    companies(tracker.store)
    r = receiver()
    tracker.notifications.subscribe("webhook", r.url, Filters())
    tracker.store.append([f.reported("leapmotor--stellantis", ("leapmotor", "stellantis"))])
    tracker.store.append([f.reported("audi--saic-motor", ("audi", "saic-motor"))])
    tracker.projector.catch_up()
    first, second = tracker.notifications.dispatcher(), tracker.notifications.dispatcher()
    assert len(first.claim()) == 2  # the head and the row behind it, in order
    assert second.claim() == []
    assert second.run_once().attempts == 0 and r.got == []
