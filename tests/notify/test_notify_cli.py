"""The notification CLI contract, driven as an operator would: subprocesses against a real receiver."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from events.engine import make_engine
from events.store import EventStore
from feeds.ingest import Article
from service.bootstrap import build
from service.config import Settings
from service.webapp import web_app
from tests import factories as f
from tests.notify.conftest import Reply, notify_env

ALLIANCES = str(Path(sys.executable).parent / "alliances")


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    return notify_env(tmp_path, db_url)


@pytest.fixture
def sqlite_env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    """For checks of the command line itself (bad input): one backend is enough."""
    return notify_env(tmp_path, sqlite_url)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALLIANCES, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def append(env: dict[str, str], *events) -> None:  # type: ignore[no-untyped-def]
    store = EventStore(make_engine(env["ALLIANCES_DATABASE_URL"]))
    try:
        store.migrate()
        store.append(list(events))
    finally:
        store.engine.dispose()


def test_subscribe_prints_the_id_and_the_secret_and_notify_once_delivers(env, receiver):
    r = receiver()
    out = run(env, "subscribe", "--webhook", r.url, "--company", "stellantis")
    assert out.returncode == 0, out.stderr
    sid, secret = out.stdout.split()
    assert sid.startswith("sub_") and secret.startswith("whsec_")
    append(env, f.company("leapmotor", "Leapmotor", "零跑"), f.company("stellantis", "Stellantis", "斯特兰蒂斯"),
           f.reported("leapmotor--stellantis", ("leapmotor", "stellantis")))
    done = run(env, "notify", "--once")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "1 delivered" in done.stdout
    (body,) = r.verified(secret)
    assert body["data"]["alliance_id"] == "leapmotor--stellantis"


def test_a_change_from_the_real_pipeline_reaches_the_receiver(env, receiver):
    """An article goes through extraction and decision; the change it makes is sent by `notify --once`."""
    r = receiver()
    sid, secret = run(env, "subscribe", "--webhook", r.url).stdout.split()
    t = build(Settings.from_env(env))
    try:
        t.ingest([Article("a1", "feed-x", "https://news.example/a1", "Stellantis and Leapmotor sign joint venture"
                          " agreement for overseas sales", "Stellantis and Leapmotor signed an agreement on Tuesday"
                          " to form a joint venture, Leapmotor International.", "", "en",
                          "2026-11-30T08:00:00Z", "2026-11-30T09:00:00Z")])
    finally:
        t.close()
    assert run(env, "notify", "--once").returncode == 0
    bodies = r.verified(secret)
    assert bodies and bodies[0]["type"] == "alliance.new"
    assert {p["id"] for p in bodies[0]["data"]["after"]["parties"]} == {"stellantis", "leapmotor"}
    assert bodies[0]["data"]["source"]["url"] == "https://news.example/a1"


def test_subscriptions_list_pause_resume_rotate_remove(env, receiver):
    r = receiver()
    sid = run(env, "subscribe", "--webhook", r.url, "--kind", "joint_venture", "--new-only").stdout.split()[0]
    listed = json.loads(run(env, "subscriptions", "list", "--json").stdout)
    assert [(s["id"], s["kinds"], s["new_only"], s["paused"]) for s in listed] == [
        (sid, ["joint_venture"], True, False)]
    assert "whsec_" not in json.dumps(listed)
    assert run(env, "subscriptions", "pause", sid).returncode == 0
    assert json.loads(run(env, "subscriptions", "list", "--json").stdout)[0]["paused"] is True
    assert run(env, "subscriptions", "resume", sid).returncode == 0
    rotated = run(env, "subscriptions", "rotate", sid)
    assert rotated.stdout.strip().startswith("whsec_")
    test = run(env, "subscriptions", "test", sid)
    assert test.returncode == 0 and "ok, 200" in test.stdout
    assert run(env, "subscriptions", "remove", sid).returncode == 0
    assert json.loads(run(env, "subscriptions", "list", "--json").stdout) == []


def test_deliveries_and_redeliver(env, receiver):
    r = receiver(then=Reply(500))
    sid = run(env, "subscribe", "--webhook", r.url).stdout.split()[0]
    append(env, f.company("audi"), f.company("saic-motor"), f.reported("audi--saic-motor", ("audi", "saic-motor")))
    assert "1 dead" in run({**env, "ALLIANCES_RETRY_MAX_ATTEMPTS": "2"}, "notify", "--once").stdout
    dead = json.loads(run(env, "deliveries", "--json", "--dead", "--subscription", sid).stdout)
    assert [(d["state"], d["attempts"], [a["status"] for a in d["log"]]) for d in dead] == [("dead", 2, [500, 500])]
    r.then = Reply(200)
    one = run(env, "redeliver", dead[0]["id"])
    assert one.returncode == 0
    assert "1 delivered" in run(env, "notify", "--once").stdout
    assert len({g.id for g in r.got}) == 1
    assert run(env, "redeliver", "--dead").stdout.strip() == "redeliver: 0 dead deliveries due again"


def test_apprise_subscription_prints_only_the_id(sqlite_env):
    env = sqlite_env
    out = run(env, "subscribe", "--apprise", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.split()) == 1 and out.stdout.startswith("sub_")
    listed = json.loads(run(env, "subscriptions", "list", "--json").stdout)
    assert listed[0]["target"] == "slack://…"


@pytest.mark.parametrize(("args", "needle"), [
    (["subscribe"], "exactly one of --webhook URL or --apprise URL"),
    (["subscribe", "--webhook", "http://127.0.0.1:9/x", "--kind", "merger"], "unknown kind 'merger'"),
    (["subscribe", "--webhook", "http://127.0.0.1:9/x", "--digest", "weekly"], "unknown digest 'weekly'"),
    (["subscribe", "--webhook", "http://127.0.0.1:9/x", "--alliance", "nope--none"], "no alliance with id"),
    (["subscribe", "--webhook", "ftp://example.org/x"], "scheme 'ftp' is not allowed"),
    (["subscribe", "--apprise", "json://example.org/x"], "apprise scheme 'json' is not allowed"),
    (["subscriptions", "pause", "sub_nothing"], "no subscription with id 'sub_nothing'"),
    (["redeliver", "msg_nothing"], "no delivery with id 'msg_nothing'"),
    (["redeliver"], "give a DELIVERY_ID or --dead"),
])
def test_bad_input_gets_one_line_and_a_non_zero_exit(sqlite_env, args, needle):
    out = run(sqlite_env, *args)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and needle in out.stderr, out.stderr


def test_a_loopback_url_is_refused_without_the_private_address_setting(sqlite_env, receiver):
    out = run({**sqlite_env, "ALLIANCES_ALLOW_PRIVATE_URLS": "0"}, "subscribe", "--webhook", receiver().url)
    assert out.returncode == 2 and "refused: 127.0.0.1 is" in out.stderr and out.stderr.count("\n") == 1


def test_bad_retry_settings_get_one_line(sqlite_env):
    out = run({**sqlite_env, "ALLIANCES_RETRY_MAX_ATTEMPTS": "0"}, "notify", "--once")
    assert out.returncode == 2 and "ALLIANCES_RETRY_MAX_ATTEMPTS must be a whole number from 1" in out.stderr


def test_a_dispatcher_killed_mid_delivery_loses_nothing(env, receiver):
    """kill -9 while the receiver stalls; the next pass sends the same message again, with the same id."""
    r = receiver([Reply(200, delay=20)])
    sid, secret = run(env, "subscribe", "--webhook", r.url).stdout.split()
    append(env, f.company("audi"), f.company("saic-motor"), f.reported("audi--saic-motor", ("audi", "saic-motor")))
    slow = {**env, "ALLIANCES_WEBHOOK_TIMEOUT": "60"}
    proc = subprocess.Popen([ALLIANCES, "notify", "--once"], env={**os.environ, **slow},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert r.arrived.wait(60), "the dispatcher never reached the receiver"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    again = run(env, "notify", "--once")
    assert "1 delivered" in again.stdout and "1 leases of a stopped dispatcher freed" in again.stdout
    assert len(r.got) == 2 and r.got[0].id == r.got[1].id
    r.verified(secret)


def test_subscription_events_and_secrets_stay_out_of_the_public_log(env, receiver, tmp_path):
    r = receiver()
    _, secret = run(env, "subscribe", "--webhook", r.url + "?token=hook-token-123").stdout.split()
    run(env, "subscribe", "--apprise", "mailto://alice:mail-pass-456@127.0.0.1:2525?to=bob@example.org")
    append(env, f.company("audi"))
    log = run(env, "events", "--json").stdout
    for private in (secret, "hook-token-123", "mail-pass-456", "alice"):
        assert private not in log
    assert "SubscriptionCreated" in log  # the CLI shows the whole log, masked
    t = build(Settings.from_env(env))
    try:
        client = web_app(t, testing=True).test_client()
        api = client.get("/api/events?limit=1000").get_json()
        assert [e["type"] for e in api] == ["CompanyRegistered"]
        assert client.get("/api/events?stream=subscription-*").get_json() == []
        assert b"SubscriptionCreated</td>" not in client.get("/events").data
    finally:
        t.close()



def test_list_and_deliveries_without_json_print_one_line_each(sqlite_env, receiver):
    r = receiver()
    sid = run(sqlite_env, "subscribe", "--webhook", r.url, "--company", "audi", "--digest", "daily").stdout.split()[0]
    assert run(sqlite_env, "subscriptions", "test", sid).returncode == 0
    listed = run(sqlite_env, "subscriptions", "list").stdout.splitlines()
    assert len(listed) == 1 and sid in listed[0] and "company=audi digest=daily" in listed[0]
    log = run(sqlite_env, "deliveries").stdout.splitlines()
    assert len(log) == 1 and "delivered" in log[0] and "last: 200 ok" in log[0]
