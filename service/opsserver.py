"""The worker's small HTTP listener: /healthz, /readyz and /metrics (ALLIANCES_METRICS_PORT; off by default).

`alliances serve` answers the same paths from its web app; a worker has no web app, so it gets this.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from web.ports import Operations

__all__ = ["OpsServer"]


class OpsServer:
    """Serve the operators' endpoints of `ops` in a daemon thread; `port` 0 picks a free one (tests)."""

    def __init__(self, ops: Operations, host: str, port: int) -> None:
        self.httpd = ThreadingHTTPServer((host, port), _handler(ops))
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="ops-http", daemon=True)

    def start(self) -> OpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(ops: Operations) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's API
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, json.dumps({"alive": True}).encode(), "application/json")
            elif path == "/readyz":
                r = ops.readiness()
                body = json.dumps({"ready": r.ready, "checks": dict(r.checks)}).encode()
                self._send(200 if r.ready else 503, body, "application/json")
            elif path == "/metrics":
                self._send(200, *ops.metrics())
            else:
                self._send(404, b"not found: /healthz, /readyz or /metrics\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # scrapes every few seconds: not worth a log line each
            pass

    return Handler
