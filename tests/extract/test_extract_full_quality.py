"""Full-length articles (issue 13): the levels the extractor reached, asserted as regression tests.

Counting only the deals applied without review (confidence >= 0.6). The blind sets were written
by writers who never saw the rules; their first scores and the scores after each round of tuning
are in the README. Round 1: fullA, fullB, nodeal 1-3; round 2: fullC, nodeal 4-5; round 3: fullD, nodeal 6-7;
round 4: fullE, nodeal 8-9 (first reading in the README and in the comments below). Every item of rounds 1-4 has
been read for tuning (round 3 of tuning calibrated what a full article applies: its headline names a party and
reports rather than analyses, a supply or licence states an act; round 4 fixed kinds and a headline that denies),
so these are in-sample levels (rounded down). Rounds 5 (fullF, nodeal 10-11) and 6 (fullG, nodeal 12-13) were asserted
at their first readings; round 7 of tuning read the misses of fullG and of fullA-F (general fixes: wordings of an
act, clauses naming a partner after "with", investments in what others hold together), so fullF and fullG are now
in-sample too; nodeal 10-13 were not read. Round 7's sets (fullH, fullI, nodeal 14-15) were scored once by the
extractor of main f36ed51 and then read for the date rules (dateline, same/next day, a clause's sentence date, a
calendar day refining a month, announced vs acted) and for nodeal 15's two applied items (a headline that looks
back). Round 8 (fullJ, fullK, nodeal 16-17) was scored once (first reading in the README and the comments below), then
read by tuning round 8 for its no-deal false positives. Round 9 (fullL, fullM, nodeal 18-19), written by four new writers
while round 8 was tuned, was scored once with main a544eb8 and asserted at its first reading; tuning round 9 then read the kind errors of
every full set (the headline's act decides the kind), so fullL and fullM are in-sample too. Round 10 (fullN, fullO,
nodeal 20-21), written by four new writers while round 9 was tuned, was scored once with main 8753510 and has not
been read: asserted at its first reading. The rows give the levels of today's extractor, their comments the first
readings.
"""
from __future__ import annotations

from typing import Any

import pytest

from feeds.extract import Deal, extract, score

from .conftest import HELDOUT, load_jsonl

# name, items, no-deal items, then minimum deal-set precision, recall, kind, stage and date accuracy, and the most
# no-deal items allowed to yield an applied deal. Round 3 (D, nodeal 6 and 7) was first read by the third round of
# tuning, round 4 (E, nodeal 8 and 9) by the fourth; their first-reading scores are in the README.
FULL_SETS = [
    ("full_dev.jsonl", 46, 22, 1.00, 1.00, 0.83, 1.00, 0.95, 0),
    ("full_blindA.jsonl", 50, 25, 1.00, 1.00, 0.93, 0.96, 0.89, 0),
    ("full_blindB.jsonl", 50, 25, 0.96, 0.92, 1.00, 0.92, 0.96, 0),
    ("full_blindC.jsonl", 50, 25, 0.96, 0.96, 0.96, 0.96, 0.96, 0),
    ("full_blindD.jsonl", 50, 25, 1.00, 0.92, 1.00, 0.88, 0.92, 0),
    ("full_blindE.jsonl", 50, 25, 0.96, 0.92, 0.92, 0.92, 0.96, 0),  # round 4, first reading 0.96 / 0.86, 0.83, 0.88, 0.96
    ("full_blindF.jsonl", 50, 25, 0.96, 1.00, 0.96, 0.89, 0.92, 0),  # round 5, first reading 0.93 / 0.93, 0.92, 0.88, 0.92
    ("full_blindG.jsonl", 50, 15, 0.97, 0.94, 0.94, 0.94, 0.97, 0),  # round 6, first reading 0.97 / 0.84, 0.84, 0.97, 0.91
    ("full_blindH.jsonl", 50, 25, 1.00, 1.00, 1.00, 0.85, 0.96, 0),  # round 7, first reading 1.00 / 1.00, 0.93, 0.89, 0.82
    ("full_blindI.jsonl", 50, 25, 1.00, 1.00, 0.96, 0.88, 1.00, 0),  # round 7, first reading 1.00 / 1.00, 0.85, 0.89, 0.67
    ("full_blindJ.jsonl", 50, 25, 0.92, 0.85, 0.91, 0.91, 0.82, 0),  # round 8, first reading 0.91 / 0.78, 0.76, 0.90, 0.81
    ("full_blindK.jsonl", 50, 25, 0.96, 1.00, 0.96, 0.92, 0.89, 0),  # round 8, first reading 0.93 / 0.96, 0.89, 0.89, 0.89, 1 no-deal
    ("full_blindL.jsonl", 50, 25, 0.96, 0.92, 0.92, 0.92, 0.92, 0),  # round 9, first reading 0.96 / 0.93, 0.80, 0.88, 0.92
    ("full_blindM.jsonl", 50, 25, 0.96, 0.92, 0.92, 0.92, 0.92, 0),  # round 9, first reading 0.96 / 0.93, 0.80, 0.88, 0.92
    ("full_blindN.jsonl", 50, 25, 1.00, 0.96, 0.92, 0.89, 0.96, 0),  # round 10, first reading (never read)
    ("full_blindO.jsonl", 50, 25, 1.00, 0.96, 0.88, 0.92, 0.84, 0),  # round 10, first reading (never read)
]
# name, items, most no-deal items allowed to yield an applied deal
NO_DEAL_SETS = [("nodeal_blind1.jsonl", 70, 0), ("nodeal_blind2.jsonl", 70, 0), ("nodeal_blind3.jsonl", 70, 0),
                ("nodeal_blind4.jsonl", 100, 0), ("nodeal_blind5.jsonl", 100, 0),
                ("nodeal_blind6.jsonl", 100, 0), ("nodeal_blind7.jsonl", 100, 0),
                ("nodeal_blind8.jsonl", 100, 0), ("nodeal_blind9.jsonl", 100, 0),  # round 4: 4 at first reading
                ("nodeal_blind10.jsonl", 100, 0), ("nodeal_blind11.jsonl", 100, 3),  # round 5: 0 and 4 at first reading
                ("nodeal_blind12.jsonl", 100, 0), ("nodeal_blind13.jsonl", 100, 0),  # round 6: 1 and 0 at first reading
                ("nodeal_blind14.jsonl", 100, 0), ("nodeal_blind15.jsonl", 100, 0),  # round 7: 0 and 2 at first reading
                ("nodeal_blind16.jsonl", 100, 1), ("nodeal_blind17.jsonl", 100, 0),  # round 8: 2 and 3 at first reading
                ("nodeal_blind18.jsonl", 100, 0), ("nodeal_blind19.jsonl", 100, 1),  # round 9, first reading
                ("nodeal_blind20.jsonl", 100, 0), ("nodeal_blind21.jsonl", 100, 2)]  # round 10, first reading


def _applied(name: str) -> tuple[list[dict], dict]:
    items = load_jsonl(HELDOUT.with_name(name))
    return items, score(items, {item["id"]: extract(item) for item in items})["applied"]


@pytest.mark.parametrize("name,size,no_deal,precision,recall,kind,stage,date,allowed", FULL_SETS)
def test_full_articles_keep_their_applied_deal_levels(name, size, no_deal, precision, recall, kind, stage, date,
                                                      allowed):
    items, applied = _applied(name)
    assert (len(items), applied["no_deal_items"]) == (size, no_deal)
    assert applied["party_sets"]["precision"] >= precision, applied
    assert applied["party_sets"]["recall"] >= recall, applied
    assert applied["kind_accuracy"] >= kind and applied["stage_accuracy"] >= stage and applied["date_accuracy"] >= date, applied
    assert applied["no_deal_items_with_applied_deal"] <= allowed, applied


@pytest.mark.parametrize("name,size,allowed", NO_DEAL_SETS)
def test_no_deal_articles_rarely_yield_an_applied_deal(name, size, allowed):
    items, applied = _applied(name)
    assert len(items) == size and all(not item["deals"] for item in items)
    assert applied["no_deal_items_with_applied_deal"] <= allowed, applied


def test_all_no_deal_full_articles_together_stay_at_their_measured_rate():
    """2,375 no-deal full articles (the twenty-one no-deal sets and the no-deal parts of A-O). Rounds 1-4 (935, all read
    for tuning): none yields an applied deal (in-sample). Unseen: round 5 (225) 4 at its first reading (1.8%), round 6
    (215, written by two new writers and scored once with the round-5 extractor) 1 (0.47%), round 7 (250, scored once
    with main f36ed51) 2 (0.8%), round 8 (250, scored once with main 0b541e0) 6 (2.4%), round 9 (250, scored once with
    main a544eb8) 1 (0.4%), round 10 (250, scored once with main 8753510) 2 (0.8%): 16 of 1,440 at first reading,
    1.1%. Today: 7 of 2,375 (nodeal 11's three, nodeal 16's one, nodeal 19's one and nodeal 21's two; the rest were
    read and fixed in tuning rounds 7-8)."""
    false = total = 0
    halves = ["full_blindA.jsonl", "full_blindB.jsonl", "full_blindC.jsonl", "full_blindD.jsonl", "full_blindE.jsonl",
              "full_blindF.jsonl", "full_blindG.jsonl", "full_blindH.jsonl", "full_blindI.jsonl", "full_blindJ.jsonl",
              "full_blindK.jsonl", "full_blindL.jsonl", "full_blindM.jsonl",
              "full_blindN.jsonl", "full_blindO.jsonl"]
    for name in [n for n, *_ in NO_DEAL_SETS] + halves:
        _, applied = _applied(name)
        false += applied["no_deal_items_with_applied_deal"]
        total += applied["no_deal_items"]
    assert total == 2375 and false <= 7


def test_applied_scores_count_only_confident_deals_and_no_deal_items():
    gold: list[dict[str, Any]] = [{"id": "a", "deals": [{"parties": ["A", "B"], "kind": "joint_venture", "stage": "talks", "loi": False, "date": "2024"}]},
            {"id": "b", "deals": []}, {"id": "c", "deals": []}]
    predicted = {"a": [Deal(("A", "B"), "joint_venture", "talks", False, "2024", 0.9, ""),
                       Deal(("A", "C"), "licensing", "talks", False, None, 0.5, "")],
                 "b": [Deal(("A", "B"), "licensing", "talks", False, None, 0.55, "")],
                 "c": [Deal(("C", "D"), "licensing", "talks", False, None, 0.6, "")]}
    result = score(gold, predicted)
    assert result["party_sets"]["precision"] == 0.25
    applied = result["applied"]
    assert applied["party_sets"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(0.6667, abs=1e-4)}
    assert (applied["kind_accuracy"], applied["stage_accuracy"], applied["date_accuracy"]) == (1.0, 1.0, 1.0)
    assert (applied["no_deal_items"], applied["no_deal_items_with_applied_deal"], applied["no_deal_false_rate"]) == (2, 1, 0.5)
    assert applied["threshold"] == 0.6


def test_the_threshold_of_applied_scores_can_be_set():
    gold = [{"id": "a", "deals": []}]
    predicted = {"a": [Deal(("A", "B"), "licensing", "talks", False, None, 0.7, "")]}
    assert score(gold, predicted, threshold=0.8)["applied"]["no_deal_items_with_applied_deal"] == 0
    assert score(gold, predicted)["applied"]["no_deal_items_with_applied_deal"] == 1
