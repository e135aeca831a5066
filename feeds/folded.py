"""An in-memory read model kept by a pure fold over some event types, caught up from the log on demand.

The same object is shaped as a subscriber of the core's runner (`name`, `replayable`, `types`, `reset`,
`handle`), so after the runner lands it can be registered there instead of catching up by itself.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Generic, Iterable, Protocol, TypeVar

from events.envelope import Recorded

__all__ = ["Folded", "LogReader"]

S = TypeVar("S")


class LogReader(Protocol):
    """The one read the fold needs of the store."""

    def read(self, *, after: int = 0, types: Any = None) -> Iterable[Recorded]: ...


class Folded(Generic[S]):
    """`state` is `fold(initial(), every event of `types` up to `position`)`; `fold` takes a batch, returns anew."""

    replayable = True

    def __init__(self, name: str, types: Iterable[str], fold: Callable[[S, Iterable[Recorded]], S],
                 initial: Callable[[], S]) -> None:
        self.name = name
        self.types = frozenset(types)
        self._fold = fold
        self._initial = initial
        self._lock = threading.Lock()
        self.state: S = initial()
        self.position = 0

    def catch_up(self, store: LogReader) -> S:
        """Fold the events of our types recorded since the last call (one indexed query) and return the state."""
        with self._lock:
            new = list(store.read(after=self.position, types=sorted(self.types)))
            if new:
                self.state = self._fold(self.state, new)
                self.position = new[-1].position
            return self.state

    def reset(self, conn: Any = None) -> None:
        """Forget everything (a rebuild replays from position 0)."""
        with self._lock:
            self.state, self.position = self._initial(), 0

    def handle(self, conn: Any, batch: Any) -> None:
        """Runner entry point: fold a batch of records (those of other types are ignored)."""
        records = [r for r in batch.records if r.type in self.types]
        with self._lock:
            if records:
                self.state = self._fold(self.state, records)
            self.position = max(self.position, batch.last)
