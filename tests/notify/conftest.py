"""Real receivers on loopback for the notification tests: webhook servers that script their answers, and an
SMTP server for e-mail through apprise."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from events.store import EventStore
from service.bootstrap import Tracker, build
from service.config import Settings
from tests import factories as f


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"ok"


@dataclass
class Got:
    """One request a receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The standard's own verifier (raises WebhookVerificationError when it does not check out)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    """A webhook receiver: answers with `script` in order (then `then`), records every request."""

    script: list[Reply] = field(default_factory=list)
    then: Reply = Reply()
    got: list[Got] = field(default_factory=list)
    url: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)

    def next_reply(self) -> Reply:
        return self.script.pop(0) if self.script else self.then

    def verified(self, secret: str) -> list[Any]:
        return [g.verify(secret) for g in self.got]

    def ok_ids(self) -> list[str]:
        return [g.id for g in self.got]


def serve(receiver: Receiver) -> Callable[[], None]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                receiver.got.append(Got({k.lower(): v for k, v in self.headers.items()}, body))
                reply = receiver.next_reply()
            receiver.arrived.set()
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for k, v in reply.headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the sender gave up (timeout) before we answered

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """make(script=[Reply(503)], then=Reply()) -> a running receiver."""
    stops: list[Callable[[], None]] = []

    def make(script: list[Reply] | None = None, then: Reply | None = None) -> Receiver:
        r = Receiver(list(script or []), then or Reply())
        stops.append(serve(r))
        return r

    yield make
    for stop in stops:
        stop()


class Clock:
    """A settable clock for the tracker (digests fall due at midnight)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def notify_env(tmp_path: Path, db_url: str, **extra: str) -> dict[str, str]:
    return {"ALLIANCES_DATA_DIR": str(tmp_path / "data"), "ALLIANCES_DATABASE_URL": db_url,
            "ALLIANCES_ALLOW_PRIVATE_URLS": "1", "ALLIANCES_RETRY_BASE_SECONDS": "0",
            "ALLIANCES_WEBHOOK_TIMEOUT": "2", **extra}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_tracker(tmp_path: Path, db_url: str, clock: Clock) -> Iterator[Callable[..., Tracker]]:
    """make(**env overrides) -> an opened tracker on this backend whose dispatcher talks to loopback."""
    made: list[Tracker] = []

    def make(**extra: str) -> Tracker:
        t = build(Settings.from_env(notify_env(tmp_path, db_url, **extra)), clock=clock)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


@pytest.fixture
def tracker(make_tracker: Callable[..., Tracker]) -> Tracker:
    return make_tracker()


def companies(store: EventStore) -> None:
    store.append([f.company("leapmotor", "Leapmotor", "零跑"), f.company("stellantis", "Stellantis", "斯特兰蒂斯"),
                  f.company("audi", "Audi", "奥迪"), f.company("saic-motor", "SAIC Motor", "上汽集团")])


__all__ = ["Clock", "Got", "Receiver", "Reply", "WebhookVerificationError", "companies", "notify_env"]
