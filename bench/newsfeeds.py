"""Synthetic news feeds for the pipeline benchmark, and a loopback server for them (run in a child process).

Items are written from templates of our own over the shipped company registry: about six in ten report a
partnership between a foreign carmaker and a Chinese technology company (so extraction, deciding and
appending do real work), the rest are company news that names one company and reports no deal.
"""
from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from feeds.registry import Registry

__all__ = ["feed_bytes", "serve"]

_DEALS_EN = (
    "{a} and {b} sign strategic cooperation agreement",
    "{a} and {b} agree to co-develop electric cars for China",
    "{a} to form joint venture with {b}",
    "{a} invests in {b} for a minority stake",
    "{a} and {b} start production of jointly developed model",
)
_DEALS_ZH = (
    "{a}与{b}签署战略合作协议",
    "{a}与{b}签署合资协议",
    "{a}与{b}联合开发的首款车型量产下线",
)
_NEWS = (
    "{a} reports higher quarterly deliveries",
    "{a} opens a new design studio",
    "{a}发布新款车型",
)
_FILLER = ("The companies said the cooperation covers software, batteries and driver assistance for new models. "
           "Analysts expect the first vehicles to reach dealers within two years, starting in China. ")


def _parties() -> tuple[list[str], list[str]]:
    companies = list(Registry.default().companies())
    foreign = [c.name for c in companies if c.sector == "carmaker" and c.country != "CN"]
    local = [c.name for c in companies if c.country == "CN" and c.sector in (
        "adas", "chips", "tech", "software", "ai", "battery", "ev_startup")]
    return foreign, local


def _item(n: int, i: int, foreign: list[str], local: list[str]) -> tuple[str, str]:
    """Title and body of item i of feed n (deterministic)."""
    k = n * 31 + i * 7
    a, b = foreign[k % len(foreign)], local[(k // 3) % len(local)]
    if (n + i) % 5 in (0, 1):
        title = _NEWS[k % len(_NEWS)].format(a=a)
        return title, f"{title}. " + _FILLER.replace("The companies", a)
    if (n + i) % 5 == 2:
        title = _DEALS_ZH[k % len(_DEALS_ZH)].format(a=a, b=b)
        return title, f"{title}。双方表示，合作涵盖软件、电池和智能驾驶。"
    title = _DEALS_EN[k % len(_DEALS_EN)].format(a=a, b=b)
    return title, f"{title}. " + _FILLER


def feed_bytes(n: int, items: int) -> bytes:
    """An RSS document of `items` news items: guid, link, title, an HTML description, a date."""
    foreign, local = _parties()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    out = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire {n}</title>'
           f"<link>https://wire.example/{n}/</link><description>bench news wire {n}</description>"]
    for i in range(items):
        title, body = _item(n, i, foreign, local)
        when = format_datetime(base + timedelta(hours=n * items + i), usegmt=True)
        out.append(f"<item><guid>urn:wire:{n}:{i}</guid><link>https://wire.example/{n}/{i}</link>"
                   f"<title>{escape(title)}</title><description>{escape(f'<p>{escape(body)}</p>')}</description>"
                   f"<pubDate>{when}</pubDate></item>")
    out.append("</channel></rss>")
    return "".join(out).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    """GET /f/<n>.xml with an ETag; a matching If-None-Match gets 304."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    bodies: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802
        body = self.bodies.get(self.path)
        etag = f'"{self.path}"'
        if body is None:
            self._reply(404, b"", None)
        elif self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", etag)
        else:
            self._reply(200, body, etag)

    def _reply(self, status: int, body: bytes, etag: str | None) -> None:
        self.send_response(status)
        if status == 200:
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(feeds: int, items: int, ports: multiprocessing.Queue[int]) -> None:
    """The feed server, in its own process as a remote server would be (its CPU is not the poller's)."""
    serve_bodies({f"/f/{n}.xml": feed_bytes(n, items) for n in range(feeds)}, ports)


def serve_bodies(bodies: dict[str, bytes], ports: multiprocessing.Queue[int]) -> None:
    """Serve these paths (ETag per path, 304 on a match) on a free loopback port, put on `ports`."""
    _Handler.bodies = bodies
    server = _Server(("127.0.0.1", 0), _Handler)
    ports.put(server.server_address[1])
    server.serve_forever()
