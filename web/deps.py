"""Per-app services the views share: the ports, the status catalog, cached health numbers."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import Flask, current_app

from .catalog import Catalog
from .ports import AliasCommands, FeedCommands, FeedHealth, Ports, Queries, ReviewCommands, SubscriptionCommands

T = TypeVar("T")
PORTS = "alliances.ports"


def install(app: Flask, ports: Ports) -> None:
    """Keep the ports, the catalog and the health cache on the app (one of each per app)."""
    app.extensions[PORTS] = ports
    app.extensions["alliances.catalog"] = Catalog(ports.queries)
    app.extensions["alliances.health"] = TTLCache[FeedHealth](5.0)


def ports() -> Ports:
    found: Ports = current_app.extensions[PORTS]
    return found


def queries() -> Queries:
    return ports().queries


def feeds() -> FeedCommands:
    return ports().feeds


def review() -> ReviewCommands:
    return ports().review


def aliases() -> AliasCommands:
    return ports().aliases


def subscriptions() -> SubscriptionCommands:
    return ports().subscriptions


def catalog() -> Catalog:
    found: Catalog = current_app.extensions["alliances.catalog"]
    return found


class TTLCache(Generic[T]):
    """One value recomputed at most every `ttl` seconds (for numbers shown on every page)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._at = -1e18
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], T]) -> T | None:
        now = time.monotonic()
        if now - self._at < self.ttl:
            return self._value
        with self._lock:
            if now - self._at >= self.ttl:
                try:
                    self._value = compute()
                except Exception:  # noqa: BLE001 - a broken feed service must not break every page
                    self._value = None
                self._at = now
            return self._value

    def clear(self) -> None:
        self._at = -1e18


def _health_cache() -> TTLCache[FeedHealth]:
    found: TTLCache[FeedHealth] = current_app.extensions["alliances.health"]
    return found


def failing_feeds() -> int | None:
    """How many feeds failed their last poll (cached 5 s; None if the feed service is failing itself)."""
    health = _health_cache().get(lambda: feeds().health())
    return None if health is None else health.failing


def new_feeds() -> int | None:
    """How many feeds were never polled (not known to be healthy; cached with the failing count)."""
    health = _health_cache().get(lambda: feeds().health())
    return None if health is None else health.new


def invalidate_health() -> None:
    _health_cache().clear()
