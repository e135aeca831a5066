"""Admin pages for change notifications (/subscriptions), over the typed fake of SubscriptionCommands; Send test
really posts to a receiver on loopback. Login and CSRF guard every page and form, as on the other admin pages."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.web.conftest import FakeSubscriptions, csrf_of
from web.ports import Attempt, DeliveryRow, SubscriptionSpec

HOOK = "https://hooks.example/alliances"


class Receiver:
    """A webhook receiver on loopback that answers 202 with a short body and keeps what it was sent."""

    def __init__(self) -> None:
        bodies: list[bytes] = []
        self.bodies = bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                body = b'{"received": true, "by": "test receiver"}'
                self.send_response(202)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def post(client, path: str, **form: Any):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_of(client, "/subscriptions"), **form})


def subscribe(fake: FakeSubscriptions, target: str = HOOK, **kw: Any) -> str:
    return fake.subscribe(SubscriptionSpec("webhook", target, **kw)).id


def text(r) -> str:  # type: ignore[no-untyped-def]
    return r.get_data(as_text=True)


def test_the_pages_need_an_admin_and_every_form_a_csrf_token(client, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    assert client.get("/subscriptions").status_code == 302
    assert client.get(f"/subscriptions/{sid}").headers["Location"].startswith("/login")
    assert client.post(f"/subscriptions/{sid}/pause").status_code in (400, 403)
    assert not fake_subscriptions.subs[sid].paused


def test_a_form_without_the_csrf_token_is_refused(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    r = admin.post(f"/subscriptions/{sid}/pause", data={})
    assert r.status_code == 400 and "security token" in text(r)
    assert not fake_subscriptions.subs[sid].paused


def test_every_form_posts_a_csrf_token_and_every_field_has_a_label(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    fake_subscriptions.delivery_rows.append(DeliveryRow("d1", sid, "msg_1", 70, "A change", "dead", 8, None, "2026"))
    for page in ("/subscriptions", f"/subscriptions/{sid}"):
        html = text(admin.get(page))
        forms = re.findall(r'<form method="post".*?</form>', html, re.S)
        assert forms and all('name="csrf_token"' in f for f in forms), page
        for field in re.findall(r"<input (?![^>]*type=\"hidden\")[^>]*>", html):
            wrapped = re.search(r'<label class="check">' + re.escape(field), html)
            fid = re.search(r'id="([^"]+)"', field)
            assert wrapped or (fid and f'<label for="{fid.group(1)}"' in html), field
        assert len(re.findall(r"<h1>", html)) == 1 and "<h2" in html


def test_subscribing_a_webhook_shows_its_secret_once(admin, fake_subscriptions) -> None:
    r = post(admin, "/subscriptions", channel="webhook", target=HOOK, alliances="leapmotor--stellantis",
             companies="零跑, Stellantis", kind=["joint_venture", "licensing"], new_only="on", digest="daily")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    [sub] = fake_subscriptions.subs.values()
    assert sub.spec == SubscriptionSpec("webhook", HOOK, alliances=("leapmotor--stellantis",),
                                        companies=("leapmotor", "stellantis"), kinds=("joint_venture", "licensing"),
                                        new_only=True, digest="daily")
    assert sub.secret and sub.secret.startswith("whsec_") and f'value="{sub.secret}"' in text(r)
    assert "shown <strong>only once</strong>" in text(r)
    again = text(admin.get(f"/subscriptions/{sub.id}"))
    assert sub.secret not in again and "whsec_" not in again
    listing = text(admin.get("/subscriptions"))
    assert "alliances leapmotor--stellantis; companies leapmotor, stellantis" in listing and "daily digest" in listing


def test_an_apprise_url_with_a_password_is_shown_masked(admin, fake_subscriptions) -> None:
    r = post(admin, "/subscriptions", channel="apprise", target="mailtos://bot:hunter2@mail.example/?to=a@b.example",
             digest="now")
    assert r.status_code == 200 and "whsec_" not in text(r)
    for page in ("/subscriptions", "/subscriptions/sub-1"):
        html = text(admin.get(page))
        assert "hunter2" not in html and "mailtos://bot:***@mail.example" in html


def test_a_refused_subscription_is_one_line_on_the_form_with_the_input_kept(admin, fake_subscriptions) -> None:
    r = post(admin, "/subscriptions", channel="apprise", target="gopher://old.example/x", companies="Stellantis",
             kind="joint_venture", stage_changes="on", digest="daily")
    html = text(r)
    assert r.status_code == 400 and not fake_subscriptions.subs
    errors = re.findall(r'<p class="flash flash-error form-error" role="alert" id="new-error">([^<]*)</p>', html)
    assert errors == ["Could not subscribe: the apprise scheme gopher:// is not allowed"]
    assert 'value="gopher://old.example/x"' in html and 'value="Stellantis"' in html
    assert re.search(r'value="apprise" checked', html) and re.search(r'value="joint_venture" checked', html)
    assert re.search(r'name="stage_changes" checked', html) and re.search(r'value="daily" checked', html)


def test_an_unknown_company_is_named_in_the_error(admin, fake_subscriptions) -> None:
    r = post(admin, "/subscriptions", channel="webhook", target=HOOK, companies="Stellantis, Acme Motors")
    assert r.status_code == 400 and "unknown company: Acme Motors" in text(r)
    assert 'value="Stellantis, Acme Motors"' in text(r)


def test_links_from_alliance_and_company_pages_prefill_the_form(admin, fake_subscriptions) -> None:
    page = text(admin.get("/alliances/leapmotor--stellantis"))
    assert 'href="/subscriptions?alliance=leapmotor--stellantis#new"' in page
    assert 'value="leapmotor--stellantis"' in text(admin.get("/subscriptions?alliance=leapmotor--stellantis"))
    assert 'value="stellantis"' in text(admin.get("/subscriptions?company=stellantis"))
    assert '>Notifications</a>' in page


def test_send_test_shows_the_receivers_real_answer(admin, fake_subscriptions, receiver) -> None:
    sid = subscribe(fake_subscriptions, receiver.url)
    html = text(post(admin, f"/subscriptions/{sid}/test"))
    assert receiver.bodies and b'"type":"test"' in receiver.bodies[0]
    assert "Test delivery: delivered" in html and "HTTP 202" in html
    assert "{&#34;received&#34;: true, &#34;by&#34;: &#34;test receiver&#34;}" in html


def test_send_test_to_nobody_says_there_was_no_answer(admin, fake_subscriptions, receiver) -> None:
    url = receiver.url
    receiver.close()
    sid = subscribe(fake_subscriptions, url)
    html = text(post(admin, f"/subscriptions/{sid}/test"))
    assert "Test delivery: failed" in html and "no answer" in html


def test_rotating_shows_the_new_secret_once(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    first = fake_subscriptions.subs[sid].secret
    html = text(post(admin, f"/subscriptions/{sid}/rotate"))
    new = fake_subscriptions.subs[sid].secret
    assert new != first and f'value="{new}"' in html
    assert new not in text(admin.get(f"/subscriptions/{sid}"))


def test_the_delivery_log_shows_every_attempt(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    log = (Attempt("2026-12-01T10:00:00+00:00", 503, 12.4, "busy, try later", False),
           Attempt("2026-12-01T10:00:30+00:00", None, 10000.0, "no answer: timed out", False),
           Attempt("2026-12-01T10:01:30+00:00", 200, 8.0, "ok", True))
    fake_subscriptions.delivery_rows.append(DeliveryRow(
        "d1", sid, "msg_2Xa", 71, "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -> in production", "delivered",
        3, None, "2026-12-01T10:00:00+00:00", log))
    html = text(admin.get(f"/subscriptions/{sid}"))
    assert "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: established -&gt; in production" in html
    assert "<summary>3 attempts</summary>" in html and "msg_2Xa" in html
    rows = re.findall(r'<tr class="is-(ok|failing)"><td>([^<]+)</td><td>([^<]+)</td><td class="num">([^<]+)</td>'
                      r'<td><pre class="excerpt">([^<]*)</pre>', html)
    assert rows == [("failing", "2026-12-01 10:00 UTC", "HTTP 503", "12 ms", "busy, try later"),
                    ("failing", "2026-12-01 10:00 UTC", "no answer", "10000 ms", "no answer: timed out"),
                    ("ok", "2026-12-01 10:01 UTC", "HTTP 200", "8 ms", "ok")]


def test_redeliver_one_or_all_dead(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    for i, state in enumerate(("dead", "dead", "delivered")):
        fake_subscriptions.delivery_rows.append(DeliveryRow(f"d{i}", sid, f"m{i}", 70 + i, "x", state, 8, None, "t"))
    r = post(admin, f"/subscriptions/{sid}/redeliver", delivery="d2")
    assert r.status_code == 303 and ("redeliver", "d2") in fake_subscriptions.calls
    assert "Delivery d2 is due again." in text(admin.get(r.headers["Location"]))
    r = post(admin, f"/subscriptions/{sid}/redeliver", dead="all")
    assert "2 dead deliveries due again." in text(admin.get(r.headers["Location"]))
    assert [d.state for d in fake_subscriptions.delivery_rows] == ["pending"] * 3
    r = post(admin, f"/subscriptions/{sid}/redeliver", delivery="nope")
    assert "Could not redeliver: no delivery with id &#39;nope&#39;" in text(admin.get(r.headers["Location"]))


def test_redeliver_every_dead_delivery_of_every_subscription(admin, fake_subscriptions) -> None:
    a, b = subscribe(fake_subscriptions), subscribe(fake_subscriptions, HOOK + "/2")
    fake_subscriptions.delivery_rows += [DeliveryRow("d1", a, "m1", 70, "x", "dead", 8, None, "t"),
                                         DeliveryRow("d2", b, "m2", 71, "y", "dead", 8, None, "t")]
    assert "Redeliver every dead delivery (2)" in text(admin.get("/subscriptions"))
    r = post(admin, "/subscriptions/redeliver-dead")
    assert "2 dead deliveries due again." in text(admin.get(r.headers["Location"]))


def test_pause_resume_and_remove(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions)
    r = post(admin, f"/subscriptions/{sid}/pause")
    assert fake_subscriptions.subs[sid].paused and "Paused" in text(admin.get(r.headers["Location"]))
    post(admin, f"/subscriptions/{sid}/resume")
    assert not fake_subscriptions.subs[sid].paused
    r = post(admin, f"/subscriptions/{sid}/remove")
    assert sid not in fake_subscriptions.subs and r.headers["Location"] == "/subscriptions"
    assert admin.get(f"/subscriptions/{sid}").status_code == 404


def test_changing_filters_keeps_the_target_unless_a_new_one_is_given(admin, fake_subscriptions) -> None:
    sid = subscribe(fake_subscriptions, companies=("audi",))
    r = post(admin, f"/subscriptions/{sid}/change", target="", companies="momenta", kind="licensing")
    assert r.status_code == 303
    assert fake_subscriptions.subs[sid].spec == SubscriptionSpec("webhook", HOOK, companies=("momenta",),
                                                                 kinds=("licensing",))
    r = post(admin, f"/subscriptions/{sid}/change", target="ftp://files.example/", companies="momenta")
    assert r.status_code == 400 and "Could not change the subscription: a webhook URL must start with" in text(r)
    assert 'value="ftp://files.example/"' in text(r) and fake_subscriptions.subs[sid].spec.target == HOOK


def test_the_real_service_refuses_a_loopback_webhook_in_one_line(admin, receiver) -> None:
    """Against the real notification service (no private addresses allowed): the SSRF guard's verdict is the line."""
    r = post(admin, "/subscriptions", channel="webhook", target=receiver.url)
    assert r.status_code == 400 and "Could not subscribe:" in text(r) and receiver.url in text(r)
    assert "No subscriptions yet." in text(admin.get("/subscriptions")) and not receiver.bodies


@pytest.fixture
def real_admin(tmp_path, seed_template) -> Iterator[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """An admin client over the real services of a seeded tracker that may deliver to loopback receivers."""
    import shutil

    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app
    from tests.web.conftest import PASSWORD, login

    shutil.copy(seed_template, tmp_path / "alliances.db")
    tracker = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_ADMIN_PASSWORD": PASSWORD,
                                       "ALLIANCES_ALLOW_PRIVATE_URLS": "1"}))
    client = web_app(tracker, testing=True).test_client()
    assert login(client).status_code == 302
    yield client, tracker
    tracker.close()


def test_journey_subscribe_test_and_receive_a_change_through_the_real_service(real_admin, receiver) -> None:
    from events.envelope import NewEvent
    from events.types import StageChanged
    from events.values import Citation, FuzzyDate

    client, tracker = real_admin
    r = post(client, "/subscriptions", channel="webhook", target=receiver.url, companies="Leapmotor")
    assert r.status_code == 200 and "whsec_" in text(r)
    [row] = tracker.notifications.subscriptions()
    assert "Test delivery: delivered" in text(post(client, f"/subscriptions/{row.id}/test"))
    cite = Citation(publisher="Test Wire", title="Leapmotor and Stellantis build more", url="https://wire.example/1")
    moved = StageChanged("leapmotor--stellantis", "expanded", cite)
    tracker.store.append([NewEvent(moved, FuzzyDate.parse("2026-11"))])
    tracker.notify_once()
    change = [b for b in receiver.bodies if b'"type":"test"' not in b]
    assert len(change) == 1 and b"leapmotor--stellantis" in change[0] and b"expanded" in change[0]
    page = text(client.get(f"/subscriptions/{row.id}"))
    assert "delivered" in page and "HTTP 202" in page
