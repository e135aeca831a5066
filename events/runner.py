"""The subscriber runner: named subscribers, each with its own checkpoint, fed the log in batches.

A subscriber's checkpoint (the last log position it has handled) is written in the same
transaction as the subscriber's own writes, so a crash never leaves its tables ahead of or
behind its checkpoint. Catch-up reads from the checkpoint in batches of undecoded rows; the
scheduler and the CLI call `catch_up()` again to follow new events.

Replayable subscribers (projections: pure functions of the log) can be reset and replayed by a
rebuild. Subscribers with side effects (`replayable = False`, e.g. notifications) are never
replayed: they see each event exactly once, from the position the log had when they were
first registered. A rebuild replays projections that offer it an alliance at a time (`replay`):
their checkpoints stay at 0 until the replay's last transaction, and a step from 0 first clears
whatever an unfinished replay left, so a checkpoint at 0 still means "nothing written".
"""
from __future__ import annotations

import gc
import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .envelope import Recorded
from .errors import ChainBroken, EventsError
from .store import EventStore

DEFAULT_BATCH = 20_000
Progress = Callable[[int, int], None]  # (done so far, total): a long rebuild draws a bar with it
Chunk = Callable[[Connection], int]  # a replay's next rows: writes them in the given transaction, returns its events
SQLITE_CACHE_KB = 131_072
SQLITE_DEFAULT_CACHE = -2000  # SQLite's own default (2 MB), restored when a catch-up reaches the tail


@dataclass(frozen=True)
class Batch:
    """Consecutive log rows for one subscriber (store.RAW_COLUMNS tuples), decoded on demand."""

    rows: Sequence[tuple[Any, ...]]
    decode: Any = field(repr=False, compare=False)  # (raw row) -> Recorded, from the store
    after: int = 0  # the subscriber's checkpoint before this batch
    end: int = 0  # its checkpoint after it (may lie beyond the last row when types are filtered)
    # values derived from these rows, shared by the subscribers handed the same batch (e.g. decoded timelines)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # the names of the subscribers handed this very batch in this transaction: two projections of one fold
    # can fold it once for both (each still writes only its own tables)
    readers: frozenset[str] = frozenset()

    @cached_property
    def records(self) -> list[Recorded]:
        """The rows as typed, upcast events (decoded once per batch)."""
        return [self.decode(r) for r in self.rows]

    @property
    def last(self) -> int:
        return int(self.rows[-1][0])


@runtime_checkable
class Subscriber(Protocol):
    """What the runner needs of a subscriber.

    `types`: the event types it wants (None: every event). `reset(conn)`: drop what it has
    written (called by a rebuild, for replayable subscribers only). `handle(conn, batch)`: do
    its work for these events inside the runner's transaction, which also writes its checkpoint.
    A subscriber may also name, in `depends_on`, subscribers whose tables it reads: it is never
    fed events beyond their checkpoints (e.g. notifications read the change log of "alliances").
    A projection may offer `replay(others, upto) -> (names, chunks)`: a rebuild's way from nothing to `upto`
    (for itself and those of `others` it folds with it), as writers the runner calls a transaction each.
    """

    name: str
    replayable: bool
    @property
    def types(self) -> frozenset[str] | None: ...

    def reset(self, conn: Connection) -> None: ...

    def handle(self, conn: Connection, batch: Batch) -> None: ...


class UnknownSubscriber(EventsError, ValueError):
    """A rebuild named a subscriber that is not registered, or one that must not be replayed."""


class Runner:
    """Feeds every registered subscriber the events after its checkpoint."""

    def __init__(self, store: EventStore, subscribers: Iterable[Subscriber], batch: int = DEFAULT_BATCH) -> None:
        self.store = store
        self.subscribers = list(subscribers)
        names = [s.name for s in self.subscribers]
        if len(set(names)) != len(names):
            raise ValueError(f"subscriber names must be unique: {names}")
        self.batch = batch

    def names(self, *, replayable: bool | None = None) -> list[str]:
        return [s.name for s in self.subscribers if replayable is None or s.replayable == replayable]

    # --- checkpoints --------------------------------------------------------------------

    def checkpoint(self, name: str) -> int:
        with self.store.engine.connect() as conn:
            return _checkpoint(conn, name)

    def checkpoints(self) -> dict[str, int]:
        with self.store.engine.connect() as conn:
            return {s.name: _checkpoint(conn, s.name) for s in self.subscribers}

    # --- running ------------------------------------------------------------------------

    def catch_up(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Bring the named subscribers (default: all) up to the log's tail; returns the events handled.

        Subscribers at the same checkpoint advance together: each batch of the log is read (and decoded)
        once for all of them, in one transaction that writes each one's rows and checkpoint. One that is
        behind the others first catches up to them alone, then joins them. A subscriber never passes the
        checkpoints of those it `depends_on`. `progress` hears (log positions folded, positions to fold),
        summed over the subscribers, after each batch."""
        wanted = self._select(names)
        handled = 0
        with _no_gc():
            for sub in wanted:
                self._start(sub)
            while (n := self._next(wanted)) is not None:
                handled += n
                if progress is not None:
                    progress(*self._progress(wanted))
            for sub in wanted:
                _end(sub)
        return handled

    def _next(self, subs: list[Subscriber]) -> int | None:
        """One step of the subscribers furthest behind (None: every one is at the tail)."""
        with self.store.engine.connect() as conn:
            tail = self.store.tail(conn)
            at = {n: _checkpoint(conn, n) for n in {s.name for s in subs} | {d for s in subs for d in _deps(s)}}
        limit = {s.name: min([tail, *(at[d] for d in _deps(s))]) for s in subs}
        ready = [s for s in subs if at[s.name] < limit[s.name]]
        behind = sorted({at[s.name] for s in ready})
        if not behind:
            return None
        group = [s for s in ready if at[s.name] == behind[0]]
        upto = min([behind[1] if len(behind) > 1 else tail, *(limit[s.name] for s in group)])
        return self._step(group, behind[0], upto)

    def _progress(self, subs: list[Subscriber]) -> tuple[int, int]:
        """(positions folded, positions to fold), summed over the subscribers."""
        with self.store.engine.connect() as conn:
            tail = self.store.tail(conn)
            return sum(min(tail, _checkpoint(conn, s.name)) for s in subs), len(subs) * tail

    run_once = catch_up

    def rebuild(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Reset the named projections (default: every replayable one) and replay them from position 0.

        Returns how many events the log holds. Subscribers with side effects are refused by name
        and skipped by default: a rebuild never repeats a side effect.
        """
        wanted = self._select(names) if names is not None else [s for s in self.subscribers if s.replayable]
        for sub in wanted:
            if not sub.replayable:
                raise UnknownSubscriber(f"{sub.name!r} has side effects and is never replayed")
        check = self.store.verify()  # a read model is never rebuilt from a tampered log: refuse before any reset
        if not check.ok:
            raise ChainBroken(check.first_bad_position or 0, check.reason)
        for sub in wanted:
            with self.store.write() as conn:
                self._lock(conn, sub.name)
                sub.reset(conn)
                _save(conn, sub.name, 0)
        self._replay_all(wanted, progress)
        self.catch_up([s.name for s in wanted], progress)
        return self.store.count()

    def _replay_all(self, wanted: list[Subscriber], progress: Progress | None) -> None:
        """Projections that can replay from nothing (`replay`) are brought to the tail that way, before the
        catch-up that takes every other one (and the events appended meanwhile)."""
        upto, left = self.store.tail(), list(wanted)
        total = len(wanted) * upto
        while left:
            sub = left.pop(0)
            replay = getattr(sub, "replay", None)
            if callable(replay):
                names, chunks = replay([s.name for s in left], upto)
                together = [sub, *(s for s in left if s.name in names)]
                left = [s for s in left if s.name not in names]
                with _no_gc():
                    self._replay(together, chunks, upto, lambda n: progress(n, total) if progress else None)

    def _replay(self, subs: list[Subscriber], chunks: Iterable[Chunk], upto: int, progress: Callable[[int], None]
                ) -> None:
        """Write a replay's chunks, a transaction each, and move the checkpoints from 0 to `upto` in the last.

        Between chunks the checkpoints stay at 0 and a `replay:` row holds this replay's token: a runner
        that steps one of these subscribers from 0 meanwhile first clears what the replay wrote (`_step`), and
        a replay whose token or checkpoints changed stops there, leaving the rest to the catch-up."""
        names, token, first, done = sorted(s.name for s in subs), secrets.randbits(62), True, 0
        mark = f"replay:{names[0]}"
        for write in itertools.chain(chunks, [None]):
            with self.store.write() as conn:
                for n in names:
                    self._lock(conn, n)
                if any(_checkpoint(conn, n) for n in names) or (not first and _stored(conn, mark) != token):
                    return
                if first:
                    _clear(conn, subs)
                    _save(conn, mark, token)
                    first = False
                if write is None:
                    conn.execute(text("DELETE FROM checkpoints WHERE name = :n"), {"n": mark})
                    for n in names:
                        _save(conn, n, upto)
                    return
                done += write(conn)
            progress(done * len(names))

    def _select(self, names: Iterable[str] | None) -> list[Subscriber]:
        if names is None:
            return list(self.subscribers)
        by_name = {s.name: s for s in self.subscribers}
        out = []
        for n in names:
            if n not in by_name:
                raise UnknownSubscriber(f"no projection named {n!r}; known: {', '.join(sorted(by_name))}")
            out.append(by_name[n])
        return out

    def _start(self, sub: Subscriber) -> None:
        """A subscriber with side effects starts at the log's tail the first time it is seen."""
        if sub.replayable:
            return
        with self.store.write() as conn:
            self._lock(conn, sub.name)
            if _stored(conn, sub.name) is None:
                _save(conn, sub.name, self.store.tail(conn))

    def _step(self, group: list[Subscriber], start: int, upto: int) -> int:
        """One batch in one transaction: each subscriber's writes and its new checkpoint together.

        `group`: subscribers at checkpoint `start`; the batch ends at `upto` at the latest (where the next
        subscriber waits, so they can go on together). One whose checkpoint moved meanwhile (another process)
        sits this step out."""
        with self.store.write() as conn:
            for sub in sorted(group, key=lambda s: s.name):
                self._lock(conn, sub.name)
            group = [s for s in group if _checkpoint(conn, s.name) == start]
            upto = min([upto, self.store.tail(conn), *(_checkpoint(conn, d) for s in group for d in _deps(s))])
            if not group or upto <= start:
                return 0
            types = None if any(s.types is None for s in group) else frozenset().union(*(s.types or () for s in group))
            # Within a batch of the tail, read in position order and filter here: asked for types, SQLite takes the
            # type index and scans and sorts every event of those types after the checkpoint (0.4 s per read at 1 M
            # events, for ten new ones). Further behind, the type index is what skips the log's other events (a
            # fresh process catching up the feed or review projections at 1 M events: 19 s by position on PostgreSQL).
            far = types is not None and upto - start > self.batch
            rows = list(self.store.read_raw(after=start, upto=upto, types=types if far else None, limit=self.batch,
                                            conn=conn))
            end = rows[-1][0] if len(rows) == self.batch else upto
            if types is not None and not far:
                rows = [r for r in rows if r[1] in types]
            batches: dict[frozenset[str] | None, Batch] = {}
            for sub in group:
                key = _key(sub)
                if key not in batches:
                    mine = rows if key is None or key == types else [r for r in rows if r[1] in key]
                    readers = frozenset(s.name for s in group if _key(s) == key)
                    batches[key] = Batch(mine, self.store.decode, start, end, readers=readers)
                if start == 0:
                    _clear(conn, [sub])  # rows of a replay that did not finish: a checkpoint at 0 means no rows
                sub.handle(conn, batches[key])  # empty too: the checkpoint moves
                _save(conn, sub.name, end)
            if not self.store.is_postgres and end >= self.store.tail(conn):
                # the catch-up is done: a pooled reader keeps its RSS (kept between steps, the cache stays warm)
                conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")
            return len(rows)

    def _lock(self, conn: Connection, name: str) -> None:
        """One runner at a time per subscriber (SQLite: the write transaction already serialises).

        On SQLite the connection also gets a page cache large enough for the read model's indexes:
        with the default 2 MB, a long catch-up spends its time re-reading index pages."""
        if not self.store.is_postgres:
            conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
            return
        if self.store.is_postgres:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
            conn.execute(text("SELECT pg_advisory_xact_lock(:a, :k)"), {"a": 0x72756E, "k": key - 2**31})


@contextmanager
def _no_gc() -> Iterator[None]:
    """A long catch-up or replay holds millions of small documents: cyclic GC passes over them are pure cost."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _clear(conn: Connection, subs: Iterable[Subscriber]) -> None:
    """Drop what an unfinished replay of these subscribers wrote (those that replay; others write nothing
    before their checkpoint moves)."""
    for sub in subs:
        if callable(getattr(sub, "replay", None)):
            sub.reset(conn)
            conn.execute(text("DELETE FROM checkpoints WHERE name = :n"), {"n": f"replay:{sub.name}"})


def _key(sub: Subscriber) -> frozenset[str] | None:
    return None if sub.types is None else frozenset(sub.types)


def _deps(sub: Subscriber) -> tuple[str, ...]:
    """The subscribers whose tables `sub` reads: it never runs ahead of their checkpoints."""
    return tuple(getattr(sub, "depends_on", ()))


def _end(sub: Subscriber) -> None:
    done = getattr(sub, "done", None)
    if callable(done):
        done()


def _stored(conn: Connection, name: str) -> int | None:
    row = conn.execute(text("SELECT position FROM checkpoints WHERE name = :n"), {"n": name}).first()
    return int(row[0]) if row else None


def _checkpoint(conn: Connection, name: str) -> int:
    return _stored(conn, name) or 0


def _save(conn: Connection, name: str, position: int) -> None:
    conn.execute(text("DELETE FROM checkpoints WHERE name = :n"), {"n": name})
    conn.execute(text("INSERT INTO checkpoints (name, position) VALUES (:n, :p)"), {"n": name, "p": position})


__all__ = ["Batch", "DEFAULT_BATCH", "Runner", "Subscriber", "UnknownSubscriber"]
