"""CLI contract of extraction, scoring, review and aliases."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ALLIANCES = str(Path(sys.executable).parent / "alliances")
ITEMS = [
    {"id": "n1", "published": "2026-03-02", "title": "日产与魔门塔签署战略合作协议",
     "summary": "日产汽车与魔门塔1日签署战略合作协议，双方将在智能驾驶领域展开合作。"},
    {"id": "n2", "published": "2026-03-02", "title": "Stellantis denies talks with Xiaomi",
     "summary": "Stellantis said on Monday it is not in talks with Xiaomi about a partnership."},
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ALLIANCES_DATA_DIR": str(tmp_path)}


def run(env, *args, stdin: str = ""):  # type: ignore[no-untyped-def]
    return subprocess.run([ALLIANCES, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_extract_reads_json_lines_from_stdin_and_writes_one_line_per_item(env):
    out = run(env, "extract", stdin="\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["n1", "n2"]
    (deal,) = lines[0]["deals"]
    assert set(deal["parties"]) == {"Nissan", "Momenta"}
    assert {"parties", "kind", "stage", "loi", "date", "confidence", "evidence"} <= set(deal)
    assert deal["date"] == "2026-03-01" and lines[1]["deals"] == []


def test_extract_reads_a_file_argument(env, tmp_path):
    f = tmp_path / "items.jsonl"
    f.write_text(json.dumps(ITEMS[0], ensure_ascii=False) + "\n", encoding="utf-8")
    out = run(env, "extract", str(f))
    assert out.returncode == 0 and json.loads(out.stdout)["id"] == "n1"


def test_a_malformed_line_is_reported_and_the_rest_still_extracted(env):
    out = run(env, "extract", stdin=json.dumps(ITEMS[0], ensure_ascii=False) + "\n{broken\n")
    assert out.returncode == 1 and "line 2: not JSON" in out.stderr
    assert json.loads(out.stdout.splitlines()[0])["id"] == "n1"


def test_score_prints_precision_recall_f1_and_accuracies(env, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({**ITEMS[0], "deals": [{"parties": ["Nissan", "Momenta"],
        "kind": "strategic_cooperation", "stage": "agreement_signed", "loi": False, "date": "2026-03-01"}]},
        ensure_ascii=False) for _ in range(1)), encoding="utf-8")
    out = run(env, "extract", "--score", str(gold))
    s = json.loads(out.stdout)
    assert s["party_sets"]["f1"] == 1.0 and s["pairs"]["f1"] == 1.0
    assert s["kind_accuracy"] == 1.0 and s["stage_accuracy"] == 1.0 and s["date_accuracy"] == 1.0


def test_review_confirm_of_an_unknown_candidate_is_a_one_line_error(env):
    out = run(env, "review", "confirm", "nope")
    assert out.returncode != 0 and "no candidate 'nope'" in out.stderr and "Traceback" not in out.stderr


def test_alias_add_records_an_event(env):
    out = run(env, "alias", "add", "Momenta", "Mmta Robotics")
    assert out.returncode == 0, out.stderr
    events = json.loads(run(env, "events", "--json").stdout)
    assert any(e["type"] == "AliasAdded" and e["payload"]["alias"] == "Mmta Robotics" for e in events)


def test_review_list_json_shows_queued_candidates(env):
    env = {**env, "ALLIANCES_REVIEW_THRESHOLD": "1.01"}
    from feeds.ingest import Article
    from service.bootstrap import build
    from service.config import Settings

    t = build(Settings.from_env(env))
    i = ITEMS[0]
    t.ingest([Article(id=i["id"], feed_id="wire", url="https://wire.example/1", title=i["title"], summary=i["summary"],
                      content="", lang="zh", published=i["published"], fetched_at=i["published"], feed_title="Wire")])
    t.close()
    rows = json.loads(run(env, "review", "list", "--json").stdout)
    assert len(rows) == 1 and rows[0]["status"] == "pending"
    cid = rows[0]["candidate_id"]
    assert run(env, "review", "confirm", cid, "--stage", "established").returncode == 0
    state = json.loads(run(env, "state", "--json").stdout)
    assert [(r["id"], r["stage"]) for r in state] == [("momenta--nissan", "established")]


def test_score_also_reports_the_deals_applied_without_review_at_the_configured_threshold(env, tmp_path):
    gold = tmp_path / "gold.jsonl"
    lines = (json.dumps({**item, "deals": []}, ensure_ascii=False) for item in ITEMS)
    gold.write_text("\n".join(lines), encoding="utf-8")
    applied = json.loads(run(env, "extract", "--score", str(gold)).stdout)["applied"]
    assert (applied["threshold"], applied["no_deal_items"], applied["no_deal_items_with_applied_deal"]) == (0.6, 2, 1)
    out = run({**env, "ALLIANCES_REVIEW_THRESHOLD": "0.99"}, "extract", "--score", str(gold)).stdout
    strict = json.loads(out)["applied"]
    assert (strict["threshold"], strict["no_deal_items_with_applied_deal"], strict["no_deal_false_rate"]) == (
        0.99, 0, 0.0)
