"""Wake-ups from PostgreSQL's LISTEN/NOTIFY: one thread per process listens on a few channels and calls back.

Writers notify inside the transaction that commits their rows (the store on every append, the archive on
new articles), so a listener hears of work only once it is visible. Notifications are hints: a listener
that was down or reconnecting misses some, so every woken job keeps a slow poll behind it. SQLite has no
NOTIFY; there the jobs poll.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

__all__ = ["Listener"]

log = logging.getLogger(__name__)

_RETRY_SECONDS = 2.0


class Listener:
    """LISTEN on `channels` over a connection of its own; call each channel's callback when it is notified."""

    def __init__(self, engine: Engine, callbacks: Mapping[str, Callable[[], None]], *, poll_seconds: float = 1.0):
        if engine.dialect.name != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self.engine = engine
        self.callbacks = dict(callbacks)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while LISTEN is in force (tests wait for it)

    def start(self) -> Listener:
        self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as e:  # noqa: BLE001 - a dropped connection: the fallback poll covers the gap
                log.warning("LISTEN connection lost (%s); reconnecting", e)
            self.listening.clear()
            self._stop.wait(_RETRY_SECONDS)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        try:
            conn: Any = raw.driver_connection  # a psycopg 3 connection
            conn.autocommit = True
            for channel in self.callbacks:
                conn.execute(f'LISTEN "{channel}"')
            self.listening.set()
            while not self._stop.is_set():
                woken = {n.channel for n in conn.notifies(timeout=self.poll_seconds)}
                for channel in woken:
                    self._call(channel)
        finally:
            raw.invalidate()  # never back to the pool: it still LISTENs

    def _call(self, channel: str) -> None:
        try:
            self.callbacks[channel]()
        except Exception:  # noqa: BLE001 - a callback's failure must not stop the listening
            log.exception("wake-up for %s failed", channel)
