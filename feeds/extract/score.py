"""Scoring predicted deals against labelled items (format of dev_news.jsonl).

Deals are matched per item by their party set; pair scores use every unordered pair
of parties of every deal, per item, so a three-party deal found as two of its pairs
still earns partial credit. Kind/stage/date/LOI accuracies are over matched deals.

`applied` scores only the deals that would change the live state without review
(confidence >= the review threshold), and counts the items that report no deal yet yield
such an applied deal: the false-alliance rate a reader of the status page sees.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

from .model import Deal

__all__ = ["score"]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    recall = tp / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _field(deal: Deal | dict[str, Any], name: str) -> Any:
    return deal[name] if isinstance(deal, dict) else getattr(deal, name)


def _pairs(deals: Iterable[Deal | dict[str, Any]]) -> set[frozenset[str]]:
    return {frozenset(p) for d in deals for p in combinations(sorted(set(_field(d, "parties"))), 2)}


APPLY_THRESHOLD = 0.6  # feeds.decide.DEFAULT_THRESHOLD; deals below it go to the review queue


def score(gold: list[dict[str, Any]], predicted: dict[str, list[Deal]], threshold: float = APPLY_THRESHOLD) -> dict[str, Any]:
    """Party-set and pair precision/recall/F1, field accuracies over matched deals, and the
    same for the deals applied without review."""
    result = _score(gold, predicted)
    applied = {k: [d for d in v if _field(d, "confidence") >= threshold] for k, v in predicted.items()}
    ap = _score(gold, applied)
    no_deal = [item["id"] for item in gold if not item.get("deals")]
    false_items = [i for i in no_deal if applied.get(i)]
    result["applied"] = {
        "threshold": threshold,
        "party_sets": ap["party_sets"], "pairs": ap["pairs"],
        "kind_accuracy": ap["kind_accuracy"], "stage_accuracy": ap["stage_accuracy"],
        "date_accuracy": ap["date_accuracy"], "matched": ap["matched"],
        "no_deal_items": len(no_deal), "no_deal_items_with_applied_deal": len(false_items),
        "no_deal_false_rate": round(len(false_items) / len(no_deal), 4) if no_deal else 0.0,
    }
    return result


def _score(gold: list[dict[str, Any]], predicted: dict[str, list[Deal]]) -> dict[str, Any]:
    set_tp = set_pred = set_gold = 0
    pair_tp = pair_pred = pair_gold = 0
    matched: list[tuple[dict[str, Any], Deal | dict[str, Any]]] = []
    for item in gold:
        gold_deals = item.get("deals", [])
        pred_deals = list(predicted.get(item["id"], []))
        set_pred += len(pred_deals)
        set_gold += len(gold_deals)
        remaining = list(pred_deals)
        for g in gold_deals:
            key = frozenset(g["parties"])
            hit = next((p for p in remaining if frozenset(_field(p, "parties")) == key), None)
            if hit is not None:
                remaining.remove(hit)
                matched.append((g, hit))
                set_tp += 1
        gp, pp = _pairs(gold_deals), _pairs(pred_deals)
        pair_tp += len(gp & pp)
        pair_pred += len(pp)
        pair_gold += len(gp)

    def accuracy(name: str) -> float:
        if not matched:
            return 0.0
        hits = sum(1 for g, p in matched if g.get(name) == _field(p, name))
        return round(hits / len(matched), 4)

    return {
        "party_sets": _prf(set_tp, set_pred, set_gold),
        "pairs": _prf(pair_tp, pair_pred, pair_gold),
        "kind_accuracy": accuracy("kind"),
        "stage_accuracy": accuracy("stage"),
        "date_accuracy": accuracy("date"),
        "loi_accuracy": accuracy("loi"),
        "items": len(gold),
        "matched": len(matched),
    }
