"""Backfill (`alliances import FILE.jsonl`): an archive of past news takes the polled articles' path, cited with its
publisher and URL; twice equals once; a bad line costs only itself; long commands draw a bar only on a terminal."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from feeds.backfill import read_archive, source_id, split_new

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "service" / "data" / "sample_archive.jsonl"
ALLIANCES = str(Path(sys.executable).parent / "alliances")
TODAY = date(2026, 6, 1)


def line(**fields: Any) -> bytes:
    base = {"id": "x1", "published": "2019-07-19", "title": "Toyota and BYD agree to jointly develop electric cars",
            "summary": "Toyota and BYD signed an agreement to jointly develop battery electric vehicles.",
            "url": "https://news.example/toyota-byd", "publisher": "Local Wire"}
    return json.dumps({k: v for k, v in {**base, **fields}.items() if v is not ...}).encode() + b"\n"


# --- reading lines (pure) --------------------------------------------------------------------------


def test_a_good_line_becomes_an_item_filed_under_its_publisher() -> None:
    read = read_archive([line()], TODAY)
    assert read.errors == [] and read.lines == 1
    item = read.items[0]
    assert (item.publisher, item.url, item.published.isoformat()) == (
        "Local Wire", "https://news.example/toyota-byd", "2019-07-19T00:00:00+00:00")
    assert item.feed_id == source_id("Local  Wire") and item.feed_id.startswith("archive-local-wire-")
    assert item.lang == "en"  # guessed when the line gives none


@pytest.mark.parametrize(("raw", "why"), [
    (b"\xff\xfe not utf-8\n", "line 2: not UTF-8 (byte 1)"),
    (b"{not json\n", "line 2: not JSON"),
    (b"[1, 2]\n", "line 2: expected a JSON object"),
    (line(url=...), "line 2: no url"),
    (line(url="ftp://news.example/x"), "line 2: url must be an http(s) URL, got 'ftp://news.example/x'"),
    (line(publisher="  "), "line 2: no publisher"),
    (line(title=...), "line 2: no title"),
    (line(published=...), "line 2: no published date (YYYY-MM-DD)"),
    (line(published="19 July 2019"), "line 2: published must be a date YYYY-MM-DD, got '19 July 2019'"),
    (line(published="2027-01-01"), "line 2: published '2027-01-01' is in the future"),
    (line(summary=42), "line 2: summary must be text, got int"),
])
def test_a_bad_line_gets_one_message_with_its_number_and_loses_nothing_else(raw: bytes, why: str) -> None:
    read = read_archive([line(url="https://news.example/a"), raw, b"\n", line(url="https://news.example/b",
                                                                              title="Another one")], TODAY)
    assert len(read.errors) == 1 and read.errors[0].startswith(why)
    assert [it.line for it in read.items] == [1, 4] and read.lines == 3


def test_an_item_is_new_unless_its_url_or_its_text_is_already_archived() -> None:
    a, same_url, same_text, other = read_archive([
        line(), line(title="A new title"), line(url="https://elsewhere.example/copy"),
        line(url="https://news.example/other", title="Other news")], TODAY).items
    new, known = split_new([a, same_url, same_text, other], set(), set())
    assert new == [a, other] and known == [same_url, same_text]
    new, known = split_new([other], {other.url}, set())
    assert new == [] and known == [other]


def test_the_shipped_sample_archive_reads_without_a_bad_line() -> None:
    read = read_archive(SAMPLE.read_bytes().splitlines(keepends=True), TODAY)
    assert read.errors == [] and 20 <= len(read.items) <= 40
    years = {it.published.year for it in read.items}
    assert min(years) == 2018 and max(years) == 2025
    assert all(it.url.startswith("https://sample-archive.example/") for it in read.items)  # clearly examples
    assert len({it.url for it in read.items}) == len(read.items)


# --- the real pipeline, on both databases ------------------------------------------------------------


def test_an_imported_archive_becomes_alliances_cited_with_publisher_and_url(tracker: Any) -> None:
    from events.seed import load_seed

    load_seed(tracker.store)
    tracker.projector.catch_up()
    before = {a["id"] for a in tracker.queries.alliances(as_of=date(2021, 12, 31))}
    done = tracker.import_archive(SAMPLE.open("rb"))
    assert done.read.errors == [] and done.new == done.read.lines and done.known == 0 and done.error is None
    assert done.extracted.articles == done.new and done.extracted.events > 0
    after = {a["id"] for a in tracker.queries.alliances(as_of=date(2021, 12, 31))}
    assert {"byd--toyota", "baidu--geely", "bmw--catl"} <= after - before
    toyota_byd = tracker.queries.alliance("byd--toyota")
    assert toyota_byd["since"].startswith("2019")
    reported = next(r for r in tracker.store.read(streams=["alliance-byd--toyota"]) if r.type == "AllianceReported")
    assert reported.provenance["publisher"] == "Reuters"
    assert reported.provenance["url"] == "https://sample-archive.example/reuters/2019-07-19-toyota-byd-develop"
    imported = [a for a in tracker.archive.articles(tracker.subscriptions.states()) if a.feed_id.startswith("archive-")]
    assert len(imported) == done.new and {a.feed_title for a in imported} >= {"Reuters", "Xinhua"}
    assert tracker.subscriptions.feeds() == []  # an archive is no subscription: nothing to poll


def test_importing_the_same_archive_twice_adds_nothing(tracker: Any) -> None:
    tracker.import_archive(SAMPLE.open("rb"))
    events, articles = tracker.store.last_position(), len(tracker.archive.articles({}))
    again = tracker.import_archive(SAMPLE.open("rb"))
    assert (again.new, again.known, again.extracted.events) == (0, again.read.lines, 0)
    assert tracker.store.last_position() == events and len(tracker.archive.articles({})) == articles


# --- the command, as a user runs it ---------------------------------------------------------------------


def run(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([ALLIANCES, *args], env={**os.environ, **env}, capture_output=True, timeout=300,
                          input=stdin)


def on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout piped); returns the exit code and what the terminal showed."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([ALLIANCES, *args], env={**os.environ, **env, "COLUMNS": "100"},
                                stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            shown += chunk
        return proc.wait(timeout=300), shown.decode("utf-8", "replace")
    finally:
        os.close(leader)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data")}


def test_the_import_command_names_each_bad_line_and_imports_the_rest(env: dict[str, str], tmp_path: Path) -> None:
    archive = tmp_path / "mixed.jsonl"
    archive.write_bytes(line(url="https://news.example/a") + b"{oops\n" + line(url="https://news.example/b",
                                                                                 title="Other", publisher=...))
    out = run(env, "import", str(archive))
    assert out.returncode == 1
    assert out.stderr.decode().splitlines() == ["alliances: error: line 2: not JSON (Expecting property name "
                                                "enclosed in double quotes)", "alliances: error: line 3: no publisher"]
    assert out.stdout.decode().startswith("import: 3 lines, 1 new articles, 0 already archived, 2 bad lines;")
    missing = run(env, "import", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and b"No such file" in missing.stderr and b"Traceback" not in missing.stderr


def test_long_commands_are_quiet_on_stderr_when_it_is_not_a_terminal(env: dict[str, str]) -> None:
    out = run(env, "import", str(SAMPLE))
    assert out.returncode == 0 and out.stderr == b""
    assert out.stdout.decode().startswith("import: ") and out.stdout.count(b"\n") == 1
    for args in (("rebuild",), ("reextract",), ("poll", "--once", "--all")):
        done = run(env, *args)
        assert done.returncode == 0 and done.stderr == b"", (args, done.stderr)


def test_long_commands_draw_a_progress_bar_on_a_terminal(env: dict[str, str]) -> None:
    code, shown = on_a_terminal(env, "import", str(SAMPLE))
    lines = SAMPLE.read_bytes().count(b"\n")
    assert code == 0 and "Extracting" in shown and f"{lines}/{lines}" in shown
    code, shown = on_a_terminal(env, "rebuild")
    assert code == 0 and "Rebuilding" in shown and re.search(r"\b(\d+)/\1\b", shown), shown
    code, shown = on_a_terminal(env, "reextract")
    assert code == 0 and "Re-extracting" in shown and f"{lines}/{lines}" in shown


def test_poll_all_draws_its_bar_on_a_terminal(env: dict[str, str]) -> None:
    from tests.web.conftest import FeedServer, rss

    env = {**env, "ALLIANCES_ALLOW_PRIVATE_URLS": "1"}
    with FeedServer({"/a": rss([("One", "Nothing here.", "http://127.0.0.1/1")]), "/b": rss([])}) as fs:
        for path in ("/a", "/b"):
            assert run(env, "feeds", "add", f"{fs.url}{path}").returncode == 0
        code, shown = on_a_terminal(env, "poll", "--once", "--all")
    assert code == 0 and "Polling" in shown and "2/2" in shown and "Extracting" in shown
