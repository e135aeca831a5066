"""Quality targets on the shared dev set and on the project's own held-out set."""
from __future__ import annotations

from typing import Any

import pytest

from feeds.extract import Deal, extract, score

from .conftest import HELDOUT, load_jsonl

# Short items (headline + one or two sentences), issue 13: pair F1 >= 0.90, deal-set F1 >= 0.85, kind and stage >= 0.85.
TARGETS = {"party_f1": 0.85, "pair_f1": 0.90, "kind": 0.85, "stage": 0.85}


def _check(items, strict_negatives=True):
    predicted = {item["id"]: extract(item) for item in items}
    result = score(items, predicted)
    assert result["party_sets"]["f1"] >= TARGETS["party_f1"], result
    assert result["pairs"]["f1"] >= TARGETS["pair_f1"], result
    assert result["kind_accuracy"] >= TARGETS["kind"], result
    assert result["stage_accuracy"] >= TARGETS["stage"], result
    negatives = [item["id"] for item in items if not item["deals"] and predicted[item["id"]]]
    if strict_negatives:
        assert negatives == [], "deals predicted for items that report none"
    else:
        assert len(negatives) <= 0.05 * len(items), negatives


def test_dev_set_meets_targets(dev_items):
    _check(dev_items)


def test_heldout_set_meets_targets(heldout_items):
    assert len(heldout_items) >= 40
    _check(heldout_items)


def test_stress_set_meets_targets(stress_items):
    """Harder phrasing written after the first rules (passives, background, deliveries, rumours)."""
    _check(stress_items)


def test_fresh_set_meets_targets(fresh_items):
    """Later batches (respectively-lists, owner descriptors, launches, background); one known
    false positive remains (a joint venture selling a plant to a third party)."""
    _check(fresh_items, strict_negatives=False)


# Blind sets, each written by someone who saw neither the rules nor the other sets. Their first
# scores are in the README: set 2 and 3 drove general veto fixes, set 4 was scored once as written.
BLIND_SETS = [("blind_news.jsonl", 80), ("blind2_news.jsonl", 60), ("blind3_news.jsonl", 60), ("blind4_news.jsonl", 60)]


@pytest.mark.parametrize("name,size", BLIND_SETS)
def test_blind_set_meets_targets(name, size):
    """Party-set F1, pair F1, kind and stage targets, and no deal from any item that reports none."""
    items = load_jsonl(HELDOUT.with_name(name))
    assert len(items) >= size
    _check(items)


def test_score_counts_party_sets_pairs_and_field_accuracy():
    gold: list[dict[str, Any]] = [{"id": "a", "deals": [{"parties": ["A", "B", "C"], "kind": "co_development", "stage": "talks", "loi": False, "date": None}]},
            {"id": "b", "deals": []}]
    predicted = {"a": [Deal(("A", "B", "C"), "co_development", "agreement_signed", False, None, 0.9, "")],
                 "b": [Deal(("A", "B"), "joint_venture", "talks", False, None, 0.5, "")]}
    result = score(gold, predicted)
    assert result["party_sets"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(0.6667, abs=1e-4)}
    assert result["pairs"]["precision"] == pytest.approx(3 / 4) and result["pairs"]["recall"] == 1.0
    assert (result["kind_accuracy"], result["stage_accuracy"], result["date_accuracy"]) == (1.0, 0.0, 1.0)
    assert (result["items"], result["matched"]) == (2, 1)
