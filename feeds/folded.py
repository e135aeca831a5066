"""Read models kept by pure folds over some event types.

`Stored` keeps a keyed fold in a table as a subscriber of the core's runner (feed state, review queue,
learned company registry); `TableReader` answers from that table. `Folded` keeps a fold in memory and
catches up by itself (an ad-hoc fold of the log, e.g. to check a table against the pure fold).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import orjson
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from events.envelope import Recorded
from events.runner import Runner
from events.store import EventStore

__all__ = ["Folded", "Following", "LogReader", "Stored", "TableReader", "own_reader"]

S = TypeVar("S")
V = TypeVar("V")


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


class Stored(Generic[V]):
    """A keyed pure fold kept in a table by the core's runner: a subscriber (name, types, reset, handle).

    Each batch loads the rows of the keys it touches, folds the batch over them and writes back what
    changed, inside the runner's transaction (so the rows and the checkpoint move together). A reader
    answers from the table, in any process, without folding the log.
    """

    replayable = True

    def __init__(self, name: str, types: Iterable[str], table: Table, key: Callable[[Recorded], str | None],
                 fold: Callable[[Mapping[str, V], Iterable[Recorded]], dict[str, V]],
                 codec: tuple[Callable[[V], Any], Callable[[Any], V]]) -> None:
        self.name = name
        self.types = frozenset(types)
        self.table = table
        self._key = key
        self._fold = fold
        self._encode, self._decode = codec

    def reset(self, conn: Connection) -> None:
        conn.execute(self.table.delete())

    def handle(self, conn: Connection, batch: Any) -> None:
        records = [r for r in batch.records if r.type in self.types]
        keys = {k for r in records if (k := self._key(r)) is not None}
        if not keys:
            return
        before, first = self._load(conn, keys)
        after = self._fold(before, records)
        changed = [k for k, v in after.items() if before.get(k) != v]
        if not changed:
            return
        firsts = {self._key(r): r.position for r in reversed(records)}  # a key's first position in this batch
        conn.execute(self.table.delete().where(self.table.c.key.in_(changed)))
        conn.execute(self.table.insert(), [
            {"key": k, "position": first.get(k, firsts.get(k, batch.last)),
             "doc": orjson.dumps(self._encode(after[k])).decode()} for k in changed])

    def _load(self, conn: Connection, keys: set[str]) -> tuple[dict[str, V], dict[str, int]]:
        t = self.table
        rows = conn.execute(select(t.c.key, t.c.position, t.c.doc).where(t.c.key.in_(sorted(keys)))).all()
        return {k: self._decode(orjson.loads(d)) for k, _, d in rows}, {k: int(p) for k, p, _ in rows}

    def read(self, conn: Connection, key: str | None = None) -> dict[str, V]:
        """Every key's value (or the one key's), in the order the keys were first seen in the log."""
        t = self.table
        q = select(t.c.key, t.c.doc).order_by(t.c.position, t.c.key)
        if key is not None:
            q = q.where(t.c.key == key)
        return {k: self._decode(orjson.loads(d)) for k, d in conn.execute(q)}


class Following(Protocol):
    """What a table reader needs of the runner: the checkpoint of a subscriber, and a catch-up."""

    def checkpoint(self, name: str) -> int: ...

    def catch_up(self, names: Iterable[str] | None = None) -> int: ...


class TableReader(Generic[V]):
    """Answers from a `Stored` read model's table, catching the projection up first when the log is ahead."""

    def __init__(self, engine: Engine, model: Stored[V], runner: Following, tail: Callable[[], int]) -> None:
        self.engine = engine
        self.model = model
        self.runner = runner
        self._tail = tail

    @property
    def name(self) -> str:
        return self.model.name

    def follow(self) -> None:
        """Bring the projection up to the log (only when it is behind: a read stays a read)."""
        if self.runner.checkpoint(self.model.name) < self._tail():
            self.runner.catch_up([self.model.name])

    def state(self) -> dict[str, V]:
        self.follow()
        return self.rows()

    def rows(self) -> dict[str, V]:
        """The table as it stands (no catch-up)."""
        with self.engine.connect() as conn:
            return self.model.read(conn)

    def get(self, key: str) -> V | None:
        self.follow()
        with self.engine.connect() as conn:
            return self.model.read(conn, key).get(key)


def own_reader(store: EventStore, model: Stored[V]) -> TableReader[V]:
    """A reader with a runner of its own over just this model (when no composition root passes one)."""
    return TableReader(store.engine, model, Runner(store, [model]), store.tail)
