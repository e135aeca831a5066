"""Fixtures for the feed network edge: real local HTTP servers on 127.0.0.1, port 0."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # the project is not installed into the venv
    sys.path.insert(0, str(REPO_ROOT))

Handler = Callable[["RequestHandler"], None]


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]


class RequestHandler(BaseHTTPRequestHandler):
    """Dispatches GETs to the per-test route table and records them."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body are separate writes: avoid 40 ms delayed-ACK stalls
    server: LocalServer  # type: ignore[assignment]

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        route = self.path.split("?", 1)[0]
        self.server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        handler = self.server.routes.get(route)
        if handler is None:
            self.reply(404, b"not found")
            return
        handler(self)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """Send a complete response with Content-Length."""
        self.send_response(status)
        merged = {"Content-Type": "application/rss+xml; charset=utf-8", **(headers or {})}
        for name, value in merged.items():
            self.send_header(name, value)
        if "Content-Length" not in merged:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reply_chunked(self, status: int, chunks: list[bytes], headers: dict[str, str] | None = None,
                      delay: float = 0.0) -> None:
        """Send a chunked response (no Content-Length), optionally pausing between chunks."""
        import time

        self.send_response(status)
        for name, value in {"Content-Type": "application/rss+xml", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client gave up (size limit / timeout), which is what the test wants

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass


class LocalServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a route table and a request log."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 drops SYNs under parallel clients (1 s stalls)

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RequestHandler)
        self.routes: dict[str, Handler] = {}
        self.seen: list[Seen] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator registering a handler for ``path``."""

        def register(fn: Handler) -> Handler:
            self.routes[path] = fn
            return fn

        return register

    def static(self, path: str, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> str:
        """Register a fixed response and return its URL."""
        self.routes[path] = lambda h: h.reply(status, body, headers)
        return self.url(path)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response are expected in timeout/size tests


@dataclass
class ServerFactory:
    """Starts LocalServers and shuts all of them down after the test."""

    servers: list[LocalServer] = field(default_factory=list)

    def start(self) -> LocalServer:
        server = LocalServer()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def servers() -> Iterator[ServerFactory]:
    factory = ServerFactory()
    yield factory
    factory.close()


@pytest.fixture
def server(servers: ServerFactory) -> LocalServer:
    return servers.start()


RSS_ZH = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>汽车新闻</title><link>https://example.com/</link>
<item><title>比亚迪与大众宣布合作</title><link>https://example.com/1</link><guid>urn:1</guid>
<description>&lt;p&gt;双方将共同开发&lt;b&gt;电动车&lt;/b&gt;平台。&lt;/p&gt;</description>
<pubDate>Mon, 03 Apr 2023 01:02:03 GMT</pubDate></item>
</channel></rss>
""".encode()


@pytest.fixture
def rss_zh() -> bytes:
    return RSS_ZH
