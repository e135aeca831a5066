"""Registry aliases with limits, and their removal as an event (issue 10, finding 11), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.extract import extract

ALLIANCES = str(Path(sys.executable).parent / "alliances")




def _parties(tracker, title: str) -> set[str]:  # type: ignore[no-untyped-def]
    item = {"id": "x", "published": "2026-03-02", "title": title, "summary": ""}
    return {p for d in extract(item, tracker.pipeline.registry()) for p in d.parties}


@pytest.mark.parametrize("alias, message", [
    ("the", "common word"), ("The", "common word"), ("firm", "common word"), ("汽车", "common word"),
    ("Q", "too short"), ("ab", "too short"), ("汽", "too short"), ("  ", "needs a name"),
    ("Audi", "already names Audi"), ("x" * 81, "at most 80"), ("Bad\x1b[31m", "control characters"),
])
def test_aliases_that_would_match_ordinary_text_are_refused(tracker, alias, message):
    with pytest.raises(ValueError, match=message):
        tracker.add_alias("momenta", alias)
    assert not any(r.type == "AliasAdded" for r in tracker.store.read())


@pytest.mark.parametrize("alias", ["Mmta Robotics", "MQ", "魔门塔科技"])
def test_real_names_and_capitalised_acronyms_are_accepted(tracker, alias):
    tracker.add_alias("momenta", alias)
    assert alias in tracker.pipeline.registry().get("momenta").aliases


def test_the_the_alias_attack_no_longer_makes_deals(tracker):
    with pytest.raises(ValueError):
        tracker.add_alias("audi", "the")
    assert "Audi" not in _parties(tracker, "The firm and Momenta sign a strategic cooperation agreement")


def test_a_removed_alias_is_an_event_and_extraction_stops_matching_it(tracker):
    title = "Mmta Robotics and Nissan sign a strategic cooperation agreement"
    tracker.add_alias("momenta", "Mmta Robotics")
    assert "Momenta" in _parties(tracker, title)
    tracker.remove_alias("momenta", "Mmta Robotics")
    assert [r.type for r in tracker.store.read() if r.type.startswith("Alias")] == ["AliasAdded", "AliasRemoved"]
    assert "Momenta" not in _parties(tracker, title)
    assert "Mmta Robotics" not in tracker.queries.company("momenta")["aliases"]


def test_removing_a_shipped_alias_is_honoured_and_adding_it_again_restores_it(tracker):
    assert "Xiaopeng" in tracker.pipeline.registry().get("xpeng").aliases
    tracker.remove_alias("xpeng", "Xiaopeng")
    assert "Xiaopeng" not in tracker.pipeline.registry().get("xpeng").aliases
    tracker.projector.rebuild()  # the removal survives a rebuild of the read models
    assert "Xiaopeng" not in tracker.pipeline.registry().get("xpeng").aliases
    tracker.add_alias("xpeng", "Xiaopeng")
    assert "Xiaopeng" in tracker.pipeline.registry().get("xpeng").aliases


def test_removing_a_name_that_is_not_an_alias_is_refused(tracker):
    with pytest.raises(ValueError, match="is not an alias of"):
        tracker.remove_alias("momenta", "Nothing Like It")
    with pytest.raises(ValueError, match="unknown company"):
        tracker.remove_alias("no-such-company", "X Y Z")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALLIANCES, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_cli_alias_remove_records_an_event(tmp_path):
    env = {"ALLIANCES_DATA_DIR": str(tmp_path / "data")}
    assert _run(env, "alias", "add", "Momenta", "Mmta Robotics").returncode == 0
    out = _run(env, "alias", "remove", "Momenta", "Mmta Robotics")
    assert out.returncode == 0 and out.stdout.strip() == "alias removed: Mmta Robotics -> Momenta", out.stderr
    events = json.loads(_run(env, "events", "--json").stdout)
    assert any(e["type"] == "AliasRemoved" and e["payload"]["alias"] == "Mmta Robotics" for e in events)


@pytest.mark.parametrize("args, message", [
    (("alias", "add", "Audi", "the"), "common word"),
    (("alias", "remove", "Audi", "Never Was"), "is not an alias of"),
])
def test_cli_alias_refusals_are_one_line(tmp_path, args, message):
    out = _run({"ALLIANCES_DATA_DIR": str(tmp_path / "data")}, *args)
    assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr
