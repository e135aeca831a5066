"""SSRF guard: address classification, hop-by-hop redirect checks, and IP pinning against rebinding."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import pytest

from feeds.fetch import Fetcher
from feeds.urlguard import PinnedTransport, UnsafeURLError, allow_private_from_env, check_url, origin_of, unsafe_reason

HINT = "set ALLIANCES_ALLOW_PRIVATE_URLS=1 to allow"


def fake_resolver(mapping: dict[str, list[str]], calls: list[str] | None = None):
    """getaddrinfo look-alike: names in ``mapping`` resolve to the given addresses; the rest really resolve."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if calls is not None:
            calls.append(host)
        if host in mapping:
            out = []
            for ip in mapping[host]:
                family = socket.AF_INET6 if ":" in ip else socket.AF_INET
                sockaddr = (ip, port, 0, 0) if family == socket.AF_INET6 else (ip, port)
                out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return out
        return socket.getaddrinfo(host, port, *args, **kwargs)

    return resolve


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address; " + HINT),
        ("http://localhost/", "loopback"),
        ("http://10.0.0.1/", "refused: 10.0.0.1 is a private address; " + HINT),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "refused: ::1 is a loopback address"),
        ("http://2130706433/", "refused: 2130706433 resolves to 127.0.0.1, which is a loopback address"),
        ("http://0x7f000001/", "resolves to 127.0.0.1"),
        ("http://0177.0.0.1/", "resolves to 127.0.0.1"),
        ("http://127.1/", "resolves to 127.0.0.1"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://224.0.0.251/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped address embedding 127.0.0.1, a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "embedding 169.254.169.254, a link-local"),
        ("http://[2002:a00:1::]/", "6to4 address embedding 10.0.0.1"),
        ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "Teredo"),
        ("http://[64:ff9b::7f00:1]/", "NAT64 address embedding 127.0.0.1"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fec0::1]/", "site-local"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://[ff02::1]/", "multicast"),
        ("https://127.0.0.1:8443/feed", "loopback"),
    ],
)
def test_private_and_special_addresses_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url)
    assert reason in str(info.value)
    assert str(info.value).startswith("refused: ")


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd", "gopher://example.com/",
                                 "javascript:alert(1)", "//example.com/x", "example.com/feed"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="only http and https"):
        check_url(url, allow_private=True)


def test_public_addresses_pass_and_are_returned() -> None:
    resolver = fake_resolver({"news.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    addresses = check_url("https://news.example.com/rss", resolver=resolver)
    assert addresses == [ipaddress.ip_address("93.184.216.34"),
                         ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946")]
    assert check_url("http://8.8.8.8/") == [ipaddress.ip_address("8.8.8.8")]


def test_every_resolved_address_is_checked() -> None:
    resolver = fake_resolver({"mixed.example.com": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(UnsafeURLError, match="mixed.example.com resolves to 10.1.2.3, which is a private address"):
        check_url("http://mixed.example.com/", resolver=resolver)


def test_allow_private_and_private_hosts() -> None:
    assert check_url("http://127.0.0.1/", allow_private=True) == [ipaddress.ip_address("127.0.0.1")]
    resolver = fake_resolver({"intranet.example": ["10.0.0.5"]})
    assert check_url("http://intranet.example/", resolver=resolver, private_hosts={"Intranet.Example"})
    with pytest.raises(UnsafeURLError):
        check_url("http://10.0.0.5/", resolver=resolver, private_hosts={"intranet.example"})


def test_a_private_origin_exempts_that_port_only() -> None:
    resolver = fake_resolver({"localhost": ["127.0.0.1"]})
    allowed = {origin_of("http://127.0.0.1:8123/feed.xml")}
    assert check_url("http://127.0.0.1:8123/other", private_hosts=allowed)
    for url in ("http://127.0.0.1:5432/", "http://127.0.0.1/", "https://127.0.0.1:8123/", "http://localhost:8123/"):
        with pytest.raises(UnsafeURLError):
            check_url(url, resolver=resolver, private_hosts=allowed)


def test_env_switch() -> None:
    assert allow_private_from_env({"ALLIANCES_ALLOW_PRIVATE_URLS": "1"})
    assert not allow_private_from_env({"ALLIANCES_ALLOW_PRIVATE_URLS": "0"})
    assert not allow_private_from_env({})


def test_unsafe_reason_public() -> None:
    assert unsafe_reason(ipaddress.ip_address("1.1.1.1")) is None
    assert unsafe_reason(ipaddress.ip_address("2002:5db8:d822::")) is None  # 6to4 of a public IPv4


def test_resolver_is_called_once_per_check() -> None:
    calls: list[str] = []
    check_url("http://a.example/", resolver=fake_resolver({"a.example": ["93.184.216.34"]}, calls))
    assert calls == ["a.example"]


# -- through the Fetcher -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/feed",
        "http://localhost:{port}/feed",
        "http://[::1]:{port}/feed",
        "http://2130706433:{port}/feed",
        "http://0x7f000001:{port}/feed",
        "http://127.1:{port}/feed",
        "http://10.0.0.1/feed",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://127.0.0.1/feed",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
    ],
)
def test_fetcher_refuses_without_contacting(server, url: str) -> None:
    server.static("/feed", body=b"<rss/>")
    result = Fetcher().fetch(url.format(port=server.port))
    assert result.error is not None and result.error.startswith("refused: ")
    assert result.status is None and result.body is None
    assert server.seen == []


def test_allowed_host_redirecting_to_loopback_is_refused(server) -> None:
    """feeds.example.test is explicitly allowed to live at 127.0.0.1; its redirect target is not."""
    server.static("/feed", body=b"<rss/>")
    server.static("/hop", 302, headers={"Location": f"http://127.0.0.1:{server.port}/feed"})
    server.static("/hop-localhost", 301, headers={"Location": f"http://localhost:{server.port}/feed"})
    server.static("/hop-v6", 307, headers={"Location": f"http://[::1]:{server.port}/feed"})
    server.static("/hop-decimal", 308, headers={"Location": f"http://2130706433:{server.port}/feed"})
    f = Fetcher(resolver=fake_resolver({"feeds.example.test": ["127.0.0.1"]}), private_hosts={"feeds.example.test"})

    ok = f.fetch(f"http://feeds.example.test:{server.port}/feed")
    assert ok.error is None and ok.body == b"<rss/>"
    assert server.seen[-1].headers["host"] == f"feeds.example.test:{server.port}"  # Host kept, IP pinned

    hops = [("/hop", "127.0.0.1"), ("/hop-localhost", "localhost"), ("/hop-v6", "::1"), ("/hop-decimal", "2130706433")]
    for path, shown in hops:
        before = len(server.seen)
        result = f.fetch(f"http://feeds.example.test:{server.port}{path}")
        assert result.error is not None and result.error.startswith(f"refused: {shown}"), result.error
        assert "loopback" in result.error
        assert [s.path for s in server.seen[before:]] == [path]  # the loopback target was never requested
        assert result.permanent_redirect_to is None


def test_pinning_defeats_dns_rebinding(server) -> None:
    """The second answer of a rebinding resolver must never be used: the checked address is pinned."""
    server.static("/feed", body=b"<rss/>")
    answers = iter([["127.0.0.1"], ["10.255.255.1"], ["10.255.255.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return fake_resolver({host: next(answers)})(host, port)

    f = Fetcher(resolver=rebinding, private_hosts={"rebind.example.test"})
    result = f.fetch(f"http://rebind.example.test:{server.port}/feed")
    assert result.error is None and result.body == b"<rss/>"
    assert calls == ["rebind.example.test"]


class _RecordingStream(httpcore.NetworkStream):
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        self.log.append(("sni", server_hostname))
        raise httpcore.ConnectError("stop here: the test only inspects the handshake parameters")

    def close(self) -> None:
        pass


class _RecordingBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        self.log.append(("connect", (host, port)))
        return _RecordingStream(self.log)


def test_pinned_transport_connects_to_ip_but_keeps_sni_hostname() -> None:
    import httpx

    backend = _RecordingBackend()
    transport = PinnedTransport(network_backend=backend)
    transport.pin("feeds.example.com", [ipaddress.ip_address("93.184.216.34")])
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError, match="stop here"):
        client.get("https://feeds.example.com/rss")
    assert backend.log == [("connect", ("93.184.216.34", 443)), ("sni", "feeds.example.com")]


def test_pinned_transport_refuses_unpinned_hosts() -> None:
    import httpx

    backend = _RecordingBackend()
    with (httpx.Client(transport=PinnedTransport(network_backend=backend)) as client,
          pytest.raises(httpx.ConnectError, match="not validated by the SSRF guard")):
        client.get("http://unpinned.example.com/")
    assert backend.log == []


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://127.0.0.1:70/_x"])
def test_redirect_to_non_http_scheme_refused(server, location: str) -> None:
    server.static("/hop", 302, headers={"Location": location})
    result = Fetcher(allow_private=True).fetch(server.url("/hop"))
    assert result.error is not None and "only http and https" in result.error
    assert [s.path for s in server.seen] == ["/hop"]
