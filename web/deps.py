"""Per-app services the views share: the tracker, the status catalog, cached health numbers."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from flask import current_app

from .catalog import Catalog

if TYPE_CHECKING:
    from service.bootstrap import Tracker


def tracker() -> "Tracker":
    return current_app.extensions["tracker"]


def catalog() -> Catalog:
    ext = current_app.extensions
    cat = ext.get("catalog")
    if cat is None:
        cat = ext["catalog"] = Catalog(tracker().queries)
    return cat


def feeds_service() -> Any | None:
    """tracker.subscriptions (feed commands and listing) if this build has one."""
    return getattr(tracker(), "subscriptions", None)


def review_service() -> Any | None:
    """tracker.review (the review queue) if this build has one."""
    return getattr(tracker(), "review", None)


class TTLCache:
    """One value recomputed at most every `ttl` seconds (for numbers shown on every page)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._at = -1e18
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], Any]) -> Any:
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


def failing_feeds() -> int | None:
    """How many active feeds failed their last poll (cached 5 s; None if unknown)."""
    ext = current_app.extensions
    cache = ext.setdefault("failing_cache", TTLCache(5.0))
    svc = feeds_service()
    if svc is None:
        return None
    return cache.get(lambda: sum(1 for f in svc.feeds() if is_failing(f)))


def is_failing(f: Any) -> bool:
    return (not getattr(f, "removed", False) and not getattr(f, "disabled", False)
            and (getattr(f, "failures_in_row", 0) or 0) > 0)


def invalidate_health() -> None:
    cache = current_app.extensions.get("failing_cache")
    if cache is not None:
        cache.clear()
