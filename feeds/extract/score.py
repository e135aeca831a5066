"""Scoring predicted deals against labelled items (format of dev_news.jsonl).

Deals are matched per item by their party set; pair scores use every unordered pair
of parties of every deal, per item, so a three-party deal found as two of its pairs
still earns partial credit. Kind/stage/date/LOI accuracies are over matched deals.
"""
from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any, Iterable

from .model import Deal

__all__ = ["score"]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    recall = tp / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _field(deal: Deal | dict, name: str) -> Any:
    return deal[name] if isinstance(deal, dict) else getattr(deal, name)


def _pairs(deals: Iterable[Deal | dict]) -> set[frozenset[str]]:
    return {frozenset(p) for d in deals for p in combinations(sorted(set(_field(d, "parties"))), 2)}


def score(gold: list[dict], predicted: dict[str, list[Deal]]) -> dict:
    """Party-set and pair precision/recall/F1 plus field accuracies over matched deals."""
    set_tp = set_pred = set_gold = 0
    pair_tp = pair_pred = pair_gold = 0
    matched: list[tuple[dict, Deal | dict]] = []
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
        return round(sum(g.get(name) == _field(p, name) for g, p in matched) / len(matched), 4)

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
