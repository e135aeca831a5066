"""SSRF guard for feed URLs: refuse anything that would make the poller talk to our own network.

Design
------
* ``check_url`` validates the scheme, resolves the host exactly ONCE and checks EVERY address the
  resolver returned; it returns those addresses.  One bad address refuses the whole URL, because
  the OS could pick any of them at connect time.
* ``PinnedTransport`` is an ``httpx.HTTPTransport`` whose network backend connects only to the
  addresses that ``check_url`` returned (``pin(host, addresses)``), while httpcore keeps using the
  original hostname for the ``Host`` header and the TLS SNI / certificate check.  A DNS rebinding
  between check and connect therefore cannot happen: there is no second lookup.  A host that was
  never pinned cannot be connected to at all (fail closed).
* Policy hooks, both explicit and narrow:
  - ``allow_private=True`` switches the address check off (tests, or an operator who sets
    ``ALLIANCES_ALLOW_PRIVATE_URLS=1``; see ``allow_private_from_env``).
  - ``private_hosts`` is an allow-list of exact hostnames (an intranet feed mirror, any port) or exact
    origins ``scheme://host:port`` (the offline demo feed: that one port only) that may resolve to
    private addresses.  It is keyed on the *name in the URL*, never on the address, so a permitted
    host that redirects to ``http://127.0.0.1/`` or ``http://[::1]/`` is still refused, and a
    permitted origin does not open the host's other ports (found by an outside test: the demo's
    exemption let an admin add the PostgreSQL port).
  - ``resolver`` replaces ``socket.getaddrinfo`` (same call signature); tests use it to map a fake
    public name onto the local test server.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

__all__ = [
    "ALLOWED_SCHEMES",
    "ENV_ALLOW_PRIVATE",
    "IPAddress",
    "PinnedTransport",
    "Resolver",
    "UnsafeURLError",
    "allow_private_from_env",
    "check_url",
    "unsafe_reason",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
ENV_ALLOW_PRIVATE = "ALLIANCES_ALLOW_PRIVATE_URLS"
_HINT = f"set {ENV_ALLOW_PRIVATE}=1 to allow"

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class UnsafeURLError(ValueError):
    """Raised when a URL must not be fetched; the message says plainly why."""


def allow_private_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """Read the operator switch so the refusal message's advice actually works."""
    return environ.get(ENV_ALLOW_PRIVATE, "").strip().lower() in {"1", "true", "yes", "on"}


def _v4_reason(ip: ipaddress.IPv4Address) -> str | None:
    """Classify an IPv4 address; None means publicly routable."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        # 169.254.169.254 is the cloud metadata endpoint (AWS/GCP/Azure credentials).
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _v6_reason(ip: ipaddress.IPv6Address) -> str | None:
    """Classify an IPv6 address, including every IPv4 address it embeds."""
    embedded: list[tuple[str, ipaddress.IPv4Address]] = []
    if ip.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1 on dual-stack sockets; Python 3.11 calls it non-loopback.
        embedded.append(("an IPv4-mapped", ip.ipv4_mapped))
    if ip.sixtofour is not None:
        embedded.append(("a 6to4", ip.sixtofour))
    if ip.teredo is not None:
        server, client = ip.teredo
        embedded += [("a Teredo server", server), ("a Teredo client", client)]
    if ip in _NAT64:
        embedded.append(("a NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    for kind, v4 in embedded:
        reason = _v4_reason(v4)
        if reason:
            return f"{kind} address embedding {v4}, {reason}"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_site_local:
        return "a site-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _NAT64_LOCAL:
        return "a local-use NAT64 address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def unsafe_reason(ip: IPAddress) -> str | None:
    """Say why an address must not be contacted (e.g. 'a loopback address'), or None if it is public."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_reason(ip)
    return _v6_reason(ip)


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Resolve once; getaddrinfo also normalises 2130706433, 0x7f000001, 0177.0.0.1 and 127.1."""
    infos = resolver(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for info in infos:
        sockaddr = info[4]
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise socket.gaierror(f"no addresses for {host!r}")
    return addresses


def _literal(host: str) -> IPAddress | None:
    """Return the address when the host is already a canonical IP literal (for a shorter message)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL, with the default port spelled out: the unit of an exemption."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').rstrip('.').lower()}:{port}"


def _exempt(scheme: str, host: str, port: int, allowed: Collection[str]) -> bool:
    """True when the exact host name, or the exact origin, is on the private allow-list."""
    names = {h.lower().rstrip(".") for h in allowed}
    return host.lower() in names or f"{scheme}://{host.lower()}:{port}" in names


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
    private_hosts: Collection[str] = frozenset(),
) -> list[IPAddress]:
    """Validate ``url`` for fetching and return the checked addresses to connect to.

    Raises ``UnsafeURLError`` (scheme, missing host, or any non-public address) and lets
    ``OSError``/``socket.gaierror`` from the resolver through (a DNS failure is not an SSRF).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"refused: invalid URL {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "(none)"
        raise UnsafeURLError(f"refused: scheme {shown!r} is not allowed; only http and https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURLError(f"refused: URL {url!r} has no host")
    if port is None:
        port = 443 if scheme == "https" else 80
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UnsafeURLError(f"refused: host {host!r} is not a valid domain name") from None

    addresses = _resolve(ascii_host, port, resolver)
    if allow_private or _exempt(scheme, ascii_host, port, private_hosts):
        return addresses
    for ip in addresses:
        reason = unsafe_reason(ip)
        if reason:
            subject = str(ip) if _literal(ascii_host) == ip else f"{host} resolves to {ip}, which"
            raise UnsafeURLError(f"refused: {subject} is {reason}; {_HINT}")
    return addresses


class Deadline:
    """A wall-clock limit shared by every socket operation of one fetch.

    httpx's timeouts apply per read, so a server that sends one header line every few seconds
    was never cut off (found by an outside test: `feeds add` hung for 100 s). Every connect,
    read and write is given at most what is left of this deadline.
    """

    def __init__(self) -> None:
        self.at: float | None = None

    def cap(self, timeout: float | None) -> float | None:
        """The operation's timeout, shortened to what is left; raises once nothing is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("total deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cap(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, self._deadline.cap(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Network backend that connects a hostname only to its pre-validated addresses."""

    def __init__(
        self, pins: dict[str, tuple[IPAddress, ...]], inner: httpcore.NetworkBackend, deadline: Deadline | None = None
    ) -> None:
        self._pins = pins
        self._inner = inner
        self._deadline = deadline or Deadline()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._pins.get(host.lower().strip("[]").rstrip("."))
        if not addresses:
            raise httpcore.ConnectError(f"refused: {host} was not validated by the SSRF guard")
        last: Exception | None = None
        for ip in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(ip), port, timeout=self._deadline.cap(timeout), local_address=local_address,
                    socket_options=socket_options,
                )
                return _DeadlineStream(stream, self._deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # happy-eyeballs-lite: a dead AAAA must not hide a live A record
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("refused: unix sockets are never used for feeds")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)  # a feed fetch needs few connections


class PinnedTransport(httpx.HTTPTransport):
    """httpx transport whose TCP connections go only to addresses pinned via ``pin()``.

    Host header and TLS SNI stay the URL's hostname (httpcore takes both from the request URL);
    only the socket's destination is swapped.  Proxies from the environment are never used,
    since a proxy would make the pinned address meaningless.
    """

    def __init__(
        self,
        *,
        verify: Any = True,
        limits: httpx.Limits = _LIMITS,
        network_backend: httpcore.NetworkBackend | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> None:
        # Build the SSL context once (loading CA certificates costs ~10 ms); pass a shared one in.
        ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pins: dict[str, tuple[IPAddress, ...]] = {}
        self.deadline = Deadline()
        # httpx.HTTPTransport has no network_backend argument, so rebuild its (private) pool with one;
        # tests/feeds/test_feed_urlguard.py pins this behaviour in case an httpx upgrade moves it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            socket_options=socket_options,
            network_backend=_PinnedBackend(self._pins, network_backend or httpcore.SyncBackend(), self.deadline),
        )

    def pin(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Allow connections to ``host`` (as spelled in the URL, ASCII) only at ``addresses``."""
        self._pins[host.lower().strip("[]").rstrip(".")] = tuple(addresses)
