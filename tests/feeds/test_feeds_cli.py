"""The feed CLI contract, run as a subprocess against a local feed server (no traffic leaves 127.0.0.0/8)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_feeds_service import ITEMS, rss

ALLIANCES = Path(sys.executable).with_name("alliances")


def run(tmp_path: Path, *args: str, private: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    env.update(ALLIANCES_DATA_DIR=str(tmp_path / "data"), ALLIANCES_ALLOW_PRIVATE_URLS="1" if private else "0")
    return subprocess.run([str(ALLIANCES), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert ALLIANCES.exists(), f"{ALLIANCES} is not installed: run the suite with `make test`"


def test_add_list_poll_articles(tmp_path: Path, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    added = run(tmp_path, "feeds", "add", url, "--interval", "30m", "--title", "Local")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added ") and url in added.stdout
    listed = run(tmp_path, "feeds", "list", "--json")
    (feed,) = json.loads(listed.stdout)
    assert (feed["url"], feed["title"], feed["interval_seconds"], feed["articles"]) == (url, "Local", 1800, 0)
    polled = run(tmp_path, "poll", "--once", "--all")
    assert polled.returncode == 0, polled.stderr
    assert polled.stdout.startswith("poll: 1 feeds polled, 0 not modified, 2 new articles, 0 errors")
    again = run(tmp_path, "poll", "--once", "--all", "--json")
    summary = json.loads(again.stdout)
    assert (summary["polled"], summary["new_articles"], summary["errors"]) == (1, 0, 0)
    arts = json.loads(run(tmp_path, "articles", "--json", "--feed", url).stdout)
    assert sorted(a["title"] for a in arts) == sorted(i["title"] for i in ITEMS)
    assert {a["feed_url"] for a in arts} == {url}
    exported = run(tmp_path, "feeds", "export")
    assert exported.returncode == 0 and f'xmlUrl="{url}"' in exported.stdout
    removed = run(tmp_path, "feeds", "remove", feed["id"])
    assert removed.returncode == 0 and json.loads(run(tmp_path, "feeds", "list", "--json").stdout) == []


@pytest.mark.parametrize("args, message", [
    (("feeds", "add", "http://127.0.0.1:9/feed.xml"), "loopback address"),
    (("feeds", "add", "http://example.invalid/", "--interval", "soon"), "invalid interval"),
    (("feeds", "remove", "no-such-feed"), "no feed with id 'no-such-feed'"),
    (("articles", "--json", "--feed", "http://nowhere.invalid/"), "no feed with URL"),
    (("poll",), "--once"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    r = run(tmp_path, *args, private=False)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("alliances: error: ") and message in r.stderr and r.stderr.count("\n") == 1


def test_broken_and_hostile_opml(tmp_path: Path) -> None:
    broken = tmp_path / "broken.opml"
    broken.write_bytes(b"<opml><body><outline")
    hostile = tmp_path / "hostile.opml"
    hostile.write_bytes(b'<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body>&a;</body></opml>')
    for path, message in ((broken, "malformed OPML"), (hostile, "DTD"), (tmp_path / "missing.opml", "cannot read")):
        r = run(tmp_path, "feeds", "import", str(path))
        assert r.returncode == 2 and r.stderr.startswith("alliances: error: ") and message in r.stderr


def test_add_defaults_offline_show_failing(tmp_path: Path) -> None:
    r = run(tmp_path, "feeds", "add-defaults")
    assert r.returncode == 0, r.stderr
    n = len(json.loads(run(tmp_path, "feeds", "list", "--json").stdout))
    assert n >= 8 and "add-defaults: " in r.stdout
    assert "add-defaults: 0 feeds added" in run(tmp_path, "feeds", "add-defaults").stdout


def test_worker_demo_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    env["ALLIANCES_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen([str(ALLIANCES), "worker", "--demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = proc.stderr.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "worker started" in line or not line:
                break
        assert any("worker started" in x for x in lines), lines
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "worker stopped" in err
    feeds = json.loads(run(tmp_path, "feeds", "list", "--json", private=False).stdout)
    assert [(f["id"], f["articles"]) for f in feeds] == [("demo", 8)]


DEAL_ITEMS = [
    {"guid": "urn:deal-1", "link": "https://example.com/deal-1",
     "title": "Renault and Geely sign joint venture agreement",
     "description": "Renault and Geely signed an agreement on Monday to form a joint venture for hybrid powertrains.",
     "pubDate": "Wed, 04 Mar 2026 08:00:00 GMT"},
    {"guid": "urn:deal-2", "link": "https://example.com/deal-2", "title": "长安汽车与宁德时代签署战略合作协议",
     "description": "长安汽车与宁德时代3日签署战略合作协议，双方将在动力电池领域合作。",
     "pubDate": "Wed, 04 Mar 2026 09:00:00 GMT"},
]


def test_poll_once_runs_the_whole_pipeline_before_state_is_read(tmp_path: Path, server: Any) -> None:
    url = server.static("/deals.xml", body=rss(DEAL_ITEMS))
    assert run(tmp_path, "feeds", "add", url).returncode == 0
    polled = run(tmp_path, "poll", "--once")
    assert polled.returncode == 0 and "2 new articles" in polled.stdout, polled.stdout + polled.stderr
    state = {r["id"]: r for r in json.loads(run(tmp_path, "state", "--json").stdout)}
    assert set(state) == {"geely--renault", "catl--changan"}
    assert state["geely--renault"]["kinds"] == ["joint_venture"] and state["catl--changan"]["since"] == "2026-03-03"
    events = json.loads(run(tmp_path, "events", "--json").stdout)
    reported = [e for e in events if e["type"] == "AllianceReported"]
    assert {e["provenance"]["url"] for e in reported} == {"https://example.com/deal-1", "https://example.com/deal-2"}
    again = run(tmp_path, "reextract")
    assert again.returncode == 0 and "0 new events" in again.stdout
    assert len(json.loads(run(tmp_path, "events", "--json").stdout)) == len(events)


def test_pause_and_resume_from_the_command_line(tmp_path: Path, server: Any) -> None:
    url = server.static("/feed.xml", body=rss(ITEMS))
    assert run(tmp_path, "feeds", "add", url, "--title", "Local").returncode == 0
    (feed,) = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert (feed["status"], feed["paused"]) == ("new", False)
    paused = run(tmp_path, "feeds", "pause", feed["id"])
    assert paused.returncode == 0 and " paused " in paused.stdout
    assert run(tmp_path, "poll", "--once", "--all").stdout.startswith("poll: 0 feeds polled")
    again = run(tmp_path, "feeds", "pause", feed["id"])
    assert again.returncode == 2 and again.stderr == f"alliances: error: feed {feed['id']!r} is already paused\n"
    assert run(tmp_path, "feeds", "resume", feed["id"]).returncode == 0
    assert run(tmp_path, "poll", "--once", "--all").stdout.startswith("poll: 1 feeds polled")
    (feed,) = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert (feed["status"], feed["paused"]) == ("ok", False)
