"""The seed event log: the partnerships of the Xinhua article of 2026-05-04, shipped as data.

Every event carries a fixed idempotency key, so loading the seed twice stores it once.
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .envelope import NewEvent
from .errors import MalformedEvent
from .store import EventStore
from .types import REGISTRY, from_payload
from .values import FuzzyDate

SEED_FILE = "seed_xinhua_2026-05-04.json"


def seed_records(name: str = SEED_FILE) -> list[dict[str, Any]]:
    """The raw seed items: {"type", "valid", "key", "payload"}."""
    text = resources.files("events").joinpath("data", name).read_text(encoding="utf-8")
    items: list[dict[str, Any]] = json.loads(text)["events"]
    return items


def seed_events(name: str = SEED_FILE) -> list[NewEvent]:
    """The seed as events ready to append, validated."""
    out = []
    for i, item in enumerate(seed_records(name)):
        t = item["type"]
        if t not in REGISTRY:
            raise MalformedEvent(f"seed item {i}: unknown type {t!r}")
        ev = from_payload(t, REGISTRY[t].schema_version, item["payload"])
        ev.validate()
        valid = FuzzyDate.parse(item["valid"]) if item.get("valid") else None
        out.append(NewEvent(ev, valid=valid, idempotency_key=item["key"]))
    return out


def load_seed(store: EventStore, name: str = SEED_FILE) -> int:
    """Append the seed (all or nothing); returns how many events were new."""
    before = store.last_position()
    store.append(seed_events(name))
    return store.last_position() - before
