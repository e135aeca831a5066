"""The offline demo: a local feed server with sample items, subscribed to with only its origin allowed."""
from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from feeds.subscriptions import FeedInfo, Subscriptions

__all__ = ["DEMO_FEED_ID", "DEMO_HOST", "demo_feed_bytes", "ensure_demo_feed", "serve_demo_feed"]

DEMO_FEED_ID = "demo"
DEMO_HOST = "127.0.0.1"
DEMO_TITLE = "Alliance Tracker demo feed"


def demo_feed_bytes() -> bytes:
    """The shipped sample RSS document."""
    return resources.files("feeds").joinpath("data/demo_feed.xml").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    """Serves the demo feed at /feed.xml with an ETag, so polls after the first are 304s."""

    protocol_version = "HTTP/1.1"
    body = b""
    etag = '"demo-1"'

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path.split("?", 1)[0] != "/feed.xml":
            self._send(404, b"not found", "text/plain")
        elif self.headers.get("If-None-Match") == self.etag:
            self._send(304, b"", None)
        else:
            self._send(200, self.body, "application/rss+xml; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str | None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("ETag", self.etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the worker's output quiet
        pass


def serve_demo_feed() -> tuple[str, Callable[[], None]]:
    """Start the demo feed server on 127.0.0.1 (a free port); returns its feed URL and a stop function."""
    handler = type("DemoHandler", (_Handler,), {"body": demo_feed_bytes()})
    server = ThreadingHTTPServer((DEMO_HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                              name="demo-feed")
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{DEMO_HOST}:{server.server_address[1]}/feed.xml", stop


def ensure_demo_feed(feeds: Subscriptions, url: str) -> FeedInfo:
    """Subscribe to the demo feed once (id 'demo'); on a new port it is moved, not added again."""
    feeds.allow_origin(url)  # this one origin only: the SSRF guard stays on for every other port and URL
    current = {f.id: f for f in feeds.feeds()}.get(DEMO_FEED_ID)
    if current is None:
        return feeds.add(url, title=DEMO_TITLE, feed_id=DEMO_FEED_ID, interval="30m", probe=False)
    return feeds.move(DEMO_FEED_ID, url)
