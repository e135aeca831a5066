"""Slow clients cannot take the site down (issue 10, finding 6): a real `alliances serve` on loopback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

ALLIANCES = str(Path(sys.executable).parent / "alliances")
PARTIAL = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"  # headers never finished


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, timeout: float) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/companies", timeout=timeout) as r:
        return r.status


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., int]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> int:
        port = _free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
        p = subprocess.Popen([ALLIANCES, "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env={**base, "ALLIANCES_DATA_DIR": str(tmp_path / "data"), **env})
        procs.append(p)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(port, 2) == 200:
                    return port
            except OSError:
                time.sleep(0.2)
        raise AssertionError("alliances serve did not come up within 60 s")

    yield start
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _stall(stack: ExitStack, port: int, n: int) -> list[socket.socket]:
    """n connections that sent part of their request headers and then nothing."""
    out = []
    for _ in range(n):
        s = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        s.sendall(PARTIAL)
        out.append(s)
    return out


def test_150_connections_holding_partial_headers_do_not_lock_others_out(serve) -> None:
    port = serve()
    with ExitStack() as stack:
        _stall(stack, port, 150)
        time.sleep(0.5)  # let the server take them all in
        assert _get(port, 5) == 200


def test_stalled_connections_are_cut_after_the_channel_timeout_and_the_site_comes_back(serve) -> None:
    port = serve(ALLIANCES_CONNECTION_LIMIT="20", ALLIANCES_CHANNEL_TIMEOUT="2")
    with ExitStack() as stack:
        stalled = _stall(stack, port, 40)  # twice the limit: the server stops accepting for a while
        started = time.monotonic()
        closed = 0
        for s in stalled:
            s.settimeout(max(0.1, 15 - (time.monotonic() - started)))
            try:
                closed += s.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
        assert closed == len(stalled), f"only {closed} of {len(stalled)} stalled connections were cut"
        assert _get(port, 10) == 200
