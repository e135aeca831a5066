"""What keeps a web process small (the target is bench/bench_readmodel.py's `--web` step: < 150 MB at 1M events).

A fresh web process loads at start only what its pages need: feedgen (with lxml and dateutil) comes with the
first Atom feed, cryptography with the first list of signed checkpoints (~14 MB of RSS until then). Run in a new
interpreter: this one has them loaded. A served process caps glibc's malloc arenas before its threads start."""
from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import REPO

LAZY = ("feedgen", "lxml", "cryptography")
SCRIPT = """
import json, sys
from service.bootstrap import build
from service.config import Settings
from service.webapp import web_app

LAZY = {lazy!r}
tracker = build(Settings.from_env({{"ALLIANCES_DATA_DIR": {data!r}}}))
client = web_app(tracker, testing=True).test_client()
out = {{}}
for path in ("/", "/changes", "/network", "/api/alliances", "/feed.atom", "/api/checkpoints"):
    resp = client.get(path)
    out[path] = {{"status": resp.status_code, "type": resp.mimetype, "body": resp.get_data(as_text=True)[:2000],
                 "loaded": sorted(m for m in LAZY if m in sys.modules)}}
tracker.close()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> dict[str, Any]:
    """The seeded tracker's pages, in order, from a new web process: status, what each left imported."""
    data = tmp_path_factory.mktemp("lazy-web")
    shutil.copy(seed_template, data / "alliances.db")
    code = SCRIPT.format(lazy=LAZY, data=str(data))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_the_status_changes_network_and_api_pages_load_no_feed_writer_and_no_cryptography(pages):
    for path in ("/", "/changes", "/network", "/api/alliances"):
        assert pages[path]["status"] == 200, path
        assert pages[path]["loaded"] == [], path


def test_the_atom_feed_imports_feedgen_on_first_use_and_is_served(pages):
    feed = pages["/feed.atom"]
    assert feed["status"] == 200 and feed["type"] == "application/atom+xml"
    assert "<feed xmlns=\"http://www.w3.org/2005/Atom\"" in feed["body"]
    assert {"feedgen", "lxml"} <= set(feed["loaded"]) and "cryptography" not in feed["loaded"]


def test_the_checkpoint_list_imports_cryptography_on_first_use_and_is_served(pages):
    listed = pages["/api/checkpoints"]
    assert listed["status"] == 200 and listed["type"] == "application/json"
    assert json.loads(listed["body"]) == []  # the seeded log was never signed
    assert "cryptography" in listed["loaded"]


def test_serving_caps_glibcs_malloc_arenas_unless_the_operator_chose(monkeypatch):
    from service.cli_web import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the environment's value stands (glibc read it at start)
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert limit_malloc_arenas() is (platform.libc_ver()[0] == "glibc")


CLI_KEYS = ["id", "parties", "kinds", "stage", "loi", "since", "updated", "events", "sources", "corroborations"]


def test_every_alliances_api_answer_is_written_as_state_json_writes_it(app, client):
    """Filtered answers (rows streamed) and the unfiltered text answer: compact, in the CLI's key order."""
    import orjson

    for query in ("", "?as_of=2024-06-30", "?sort=stage&order=desc", "?q=no-such-alliance"):
        resp = client.get(f"/api/alliances{query}")
        assert resp.mimetype == "application/json"
        body = resp.get_data()
        rows = orjson.loads(body)
        assert body == b"[" + b",".join(orjson.dumps(r) for r in rows) + b"]"
        assert all(list(r) == CLI_KEYS for r in rows)
    assert client.get("/api/alliances?q=no-such-alliance").get_data() == b"[]"
