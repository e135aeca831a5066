"""Fetcher against real local HTTP servers: conditional GETs, redirects, limits, errors as values."""

from __future__ import annotations

import gzip
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from feeds.fetch import DEFAULT_USER_AGENT, Fetcher, FetchResult, parse_max_age, parse_retry_after
from feeds.parse import parse_feed

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'


def fetcher(**kwargs: object) -> Fetcher:
    return Fetcher(allow_private=True, **kwargs)  # type: ignore[arg-type]


def test_200_returns_body_validators_and_sends_user_agent(server) -> None:
    url = server.static("/feed", body=FEED, headers={"ETag": '"v1"', "Last-Modified": "Mon, 03 Apr 2023 01:02:03 GMT"})
    result = fetcher().fetch(url)
    assert isinstance(result, FetchResult)
    assert (result.status, result.body, result.error) == (200, FEED, None)
    assert result.etag == '"v1"' and result.last_modified == "Mon, 03 Apr 2023 01:02:03 GMT"
    assert result.ok and not result.not_modified and not result.gone
    assert result.url == url and result.permanent_redirect_to is None
    assert result.elapsed_ms > 0
    sent = server.seen[0].headers
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert "AllianceTracker/" in sent["user-agent"] and "feed poller" in sent["user-agent"]
    assert "gzip" in sent["accept-encoding"]
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_304_with_etag(server) -> None:
    @server.route("/feed")
    def _(h) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, headers={"ETag": '"v1"'})
        else:
            h.reply(200, FEED, {"ETag": '"v1"'})

    result = fetcher().fetch(server.url("/feed"), etag='"v1"')
    assert server.seen[0].headers["if-none-match"] == '"v1"'
    assert result.status == 304 and result.not_modified and result.body is None and result.error is None
    assert result.etag == '"v1"' and result.ok


def test_304_with_last_modified_keeps_stored_validator(server) -> None:
    stamp = "Mon, 03 Apr 2023 01:02:03 GMT"

    @server.route("/feed")
    def _(h) -> None:
        since = h.headers.get("If-Modified-Since")
        h.reply(304 if since == stamp else 200, b"" if since else FEED)

    result = fetcher().fetch(server.url("/feed"), last_modified=stamp)
    assert server.seen[0].headers["if-modified-since"] == stamp
    assert result.not_modified and result.last_modified == stamp  # the 304 did not resend it: keep ours


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_reports_new_url(server, status: int) -> None:
    new = server.static("/new", body=FEED)
    server.static("/old", status, headers={"Location": "/new"})
    result = fetcher().fetch(server.url("/old"))
    assert result.status == 200 and result.body == FEED
    assert result.permanent_redirect_to == new and result.url == new


@pytest.mark.parametrize("status", [302, 307])
def test_temporary_redirect_followed_but_not_permanent(server, status: int) -> None:
    new = server.static("/new", body=FEED)
    server.static("/old", status, headers={"Location": new})
    result = fetcher().fetch(server.url("/old"))
    assert result.status == 200 and result.url == new and result.permanent_redirect_to is None


def test_permanent_then_temporary_reports_the_permanent_target(server) -> None:
    server.static("/a", 301, headers={"Location": "/b"})
    server.static("/b", 302, headers={"Location": "/c"})
    server.static("/c", body=FEED)
    result = fetcher().fetch(server.url("/a"))
    assert result.permanent_redirect_to == server.url("/b") and result.url == server.url("/c")


def test_conditional_headers_survive_redirect_hops(server) -> None:
    server.static("/old", 301, headers={"Location": "/new"})
    server.static("/new", 304)
    result = fetcher().fetch(server.url("/old"), etag='"e"')
    assert [s.headers.get("if-none-match") for s in server.seen] == ['"e"', '"e"']
    assert result.not_modified and result.permanent_redirect_to == server.url("/new")


def test_410_gone(server) -> None:
    result = fetcher().fetch(server.static("/feed", 410, b"gone"))
    assert result.gone and result.status == 410 and result.body is None
    assert result.error == "HTTP 410 Gone"


def test_429_retry_after_seconds(server) -> None:
    result = fetcher().fetch(server.static("/feed", 429, headers={"Retry-After": "120"}))
    assert result.status == 429 and result.retry_after == 120.0
    assert result.error == "HTTP 429 Too Many Requests" and not result.ok


def test_429_retry_after_http_date(server) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    result = fetcher().fetch(server.static("/feed", 429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    assert result.retry_after is not None and 3590 <= result.retry_after <= 3600


def test_503_with_retry_after(server) -> None:
    result = fetcher().fetch(server.static("/feed", 503, headers={"Retry-After": "30"}))
    assert result.status == 503 and result.retry_after == 30.0 and result.error == "HTTP 503 Service Unavailable"


def test_500_is_an_error_value_and_keeps_validators(server) -> None:
    result = fetcher().fetch(server.static("/feed", 500, b"boom"), etag='"e"')
    assert result.status == 500 and result.error == "HTTP 500 Internal Server Error"
    assert result.body is None and result.retry_after is None and result.etag == '"e"'


def test_cache_control_max_age(server) -> None:
    url = server.static("/feed", body=FEED, headers={"Cache-Control": "public, max-age=1800, must-revalidate"})
    assert fetcher().fetch(url).max_age == 1800.0


def test_slow_response_times_out(server) -> None:
    @server.route("/slow")
    def _(h) -> None:
        time.sleep(1.5)
        h.reply(200, FEED)

    started = time.monotonic()
    result = fetcher(timeout=httpx.Timeout(connect=1.0, read=0.5, write=1.0, pool=1.0)).fetch(server.url("/slow"))
    assert time.monotonic() - started < 1.4
    assert result.error == "timeout after 0.5s" and result.status is None and result.body is None


def test_total_deadline_enforced_while_streaming(server) -> None:
    @server.route("/trickle")
    def _(h) -> None:
        h.reply_chunked(200, [b"<rss>"] * 30, delay=0.1)

    started = time.monotonic()
    result = fetcher(total_timeout=0.6).fetch(server.url("/trickle"))
    assert time.monotonic() - started < 1.5
    assert result.error == "total timeout after 0.6s" and result.body is None


def _trickle_headers(h, count: int = 40, delay: float = 0.1) -> None:
    """A hostile server: the status line at once, then one header line every `delay` seconds."""
    try:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        for i in range(count):
            time.sleep(delay)
            h.wfile.write(f"X-Slow-{i}: 1\r\n".encode())
            h.wfile.flush()
    except OSError:
        pass  # the client gave up, as it should
    h.close_connection = True


def test_total_deadline_covers_headers_trickled_line_by_line(server) -> None:
    server.route("/headers")(_trickle_headers)
    started = time.monotonic()
    result = fetcher(total_timeout=0.8).fetch(server.url("/headers"))
    assert time.monotonic() - started < 1.5
    assert result.error == "total timeout after 0.8s" and result.body is None


def test_one_slow_feed_does_not_hold_up_the_others(server) -> None:
    """Fetches run side by side and each is cut at its own deadline."""
    server.route("/headers")(_trickle_headers)
    healthy = [server.static(f"/ok{i}", body=FEED) for i in range(6)]
    f = fetcher(total_timeout=1.0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        slow = pool.submit(f.fetch, server.url("/headers"))
        started = time.monotonic()
        results = list(pool.map(f.fetch, healthy))
        healthy_done = time.monotonic() - started
    assert all(r.body == FEED for r in results) and healthy_done < 0.9
    assert slow.result().error == "total timeout after 1s"


def test_oversize_body_with_content_length_rejected_early(server) -> None:
    result = fetcher(max_bytes=1000).fetch(server.static("/big", body=b"x" * 5000))
    assert result.error == "body exceeds 1000 bytes (Content-Length 5000)" and result.body is None


def test_oversize_chunked_body_stops_while_streaming(server) -> None:
    @server.route("/big")
    def _(h) -> None:
        h.reply_chunked(200, [b"y" * 512] * 2000)  # 1 MB without Content-Length

    result = fetcher(max_bytes=4096).fetch(server.url("/big"))
    assert result.error == "body exceeds 4096 bytes" and result.body is None


def test_default_limit_message_in_megabytes(server) -> None:
    big = server.static("/big", headers={"Content-Length": str(20 * 1024 * 1024)})
    result = fetcher(max_bytes=1024 * 1024).fetch(big)
    assert result.error == "body exceeds 1 MB (Content-Length 20971520)"


def test_redirect_loop_stops_after_five_hops(server) -> None:
    server.static("/a", 302, headers={"Location": "/b"})
    server.static("/b", 302, headers={"Location": "/a"})
    result = fetcher().fetch(server.url("/a"))
    assert result.error == "too many redirects (5)"
    assert len(server.seen) == 6  # the original request plus 5 followed hops
    assert result.permanent_redirect_to is None


def test_permanent_redirect_into_loop_is_not_reported(server) -> None:
    server.static("/a", 301, headers={"Location": "/b"})
    server.static("/b", 301, headers={"Location": "/b"})
    result = fetcher().fetch(server.url("/a"))
    assert result.error == "too many redirects (5)" and result.permanent_redirect_to is None


def test_redirect_without_location(server) -> None:
    assert fetcher().fetch(server.static("/a", 302)).error == "HTTP 302 without a Location header"


def test_gzip_body_is_decoded(server) -> None:
    url = server.static("/gz", body=gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    result = fetcher().fetch(url)
    assert result.body == FEED and result.error is None


def test_gzip_bomb_limited_by_decoded_size(server) -> None:
    bomb = gzip.compress(b"\0" * (2 * 1024 * 1024))
    assert len(bomb) < 10_000
    result = fetcher(max_bytes=100_000).fetch(server.static("/bomb", body=bomb, headers={"Content-Encoding": "gzip"}))
    assert result.error == "body exceeds 100000 bytes"


def test_corrupt_gzip_is_an_error_value(server) -> None:
    result = fetcher().fetch(server.static("/bad", body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    assert result.error is not None and result.error.startswith("bad content encoding")


@pytest.mark.parametrize(
    ("declared", "body"),
    [
        # Apache's AddDefaultCharset ISO-8859-1 in front of a UTF-8 feed: the classic mismatch.
        ("application/rss+xml; charset=iso-8859-1", "utf-8"),
        ("text/xml; charset=windows-1252", "utf-8"),
        # The reverse: a GB2312 feed served by a stack that stamps charset=utf-8 on everything.
        ("application/rss+xml; charset=utf-8", "gb2312"),
    ],
)
def test_wrong_declared_charset_still_parses_chinese(server, rss_zh: bytes, declared: str, body: str) -> None:
    payload = rss_zh.decode("utf-8").replace('encoding="utf-8"', f'encoding="{body}"').encode(body)
    result = fetcher().fetch(server.static("/zh", body=payload, headers={"Content-Type": declared}))
    assert result.error is None
    assert result.headers["content-type"] == declared
    feed = parse_feed(result.body or b"", headers=result.headers, url=result.url)
    assert feed.error is None and feed.title == "汽车新闻"
    assert feed.entries[0].title == "比亚迪与大众宣布合作"
    assert feed.entries[0].summary == "双方将共同开发电动车平台。"
    assert feed.entries[0].language == "zh"


def test_connection_refused_is_an_error_value(server) -> None:
    port = server.port
    server.shutdown()
    server.server_close()
    result = fetcher(timeout=httpx.Timeout(1.0)).fetch(f"http://127.0.0.1:{port}/feed")
    assert result.status is None and result.error and "refused" in result.error.lower()


def test_dns_failure_is_an_error_value() -> None:
    def no_dns(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = fetcher(resolver=no_dns).fetch("http://no-such-host.invalid/feed")
    assert result.error == "DNS lookup failed for 'no-such-host.invalid': [Errno -2] Name or service not known"
    assert result.status is None


@pytest.mark.parametrize("url", ["", "not a url", "http://", "http://[::1/"])
def test_garbage_urls_are_error_values(url: str) -> None:
    result = fetcher().fetch(url)
    assert result.error and result.status is None


def test_conditional_fetch_sends_the_validators(server) -> None:
    server.static("/feed", 304)
    result = fetcher().fetch(server.url("/feed"), etag='"x"', last_modified="Mon, 03 Apr 2023 01:02:03 GMT")
    assert result.not_modified
    assert server.seen[0].headers["if-none-match"] == '"x"'
    assert server.seen[0].headers["if-modified-since"] == "Mon, 03 Apr 2023 01:02:03 GMT"


def test_injected_transport_is_used_and_not_closed() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=FEED)

    transport = httpx.MockTransport(handler)
    f = Fetcher(transport=transport, resolver=lambda host, port, **kw: [(2, 1, 6, "", ("93.184.216.34", port))])
    assert f.fetch("https://feeds.example.com/a").body == FEED
    assert f.fetch("https://feeds.example.com/b").body == FEED  # still usable: Client.close() did not close it
    assert calls == ["https://feeds.example.com/a", "https://feeds.example.com/b"]


def test_parse_retry_after_and_max_age_helpers() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("-5") is None
    assert parse_max_age("max-age=60") == 60.0
    assert parse_max_age('no-cache, max-age="90"') == 90.0
    assert parse_max_age("s-maxage=5") is None and parse_max_age("max-age=abc") is None and parse_max_age(None) is None
