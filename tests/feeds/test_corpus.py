"""Robustness: every file of feedparser's real-world corpus survives Fetcher + parse_feed, memory bounded."""

from __future__ import annotations

import re
import resource
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from feeds.fetch import Fetcher, FetchResult
from feeds.parse import ParsedFeed, parse_feed
from tests.skips import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "feedparser"
BATCH = 200  # bodies held at once; keeps peak memory independent of corpus size
MAX_RSS_GROWTH_MB = 200
TIME_BUDGET_S = 60

# feedparser's own harness reads "Header: Name: value" lines from the test file's leading comment
# and serves them as HTTP response headers (e.g. encoding/http_*.xml rely on a declared charset).
_HEADER_LINE = re.compile(rb"^\s*Header:\s*([A-Za-z0-9-]+):[ \t]*(.*?)\s*$", re.MULTILINE)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in {"LICENSE", "SOURCE.md"})


def response_headers(data: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/xml"}
    for name, value in _HEADER_LINE.findall(data[:4096]):
        key = name.decode("ascii").title()
        headers["Content-Type" if key == "Content-Type" else key] = value.decode("latin-1")
    return headers


class CorpusHandler(BaseHTTPRequestHandler):
    """Serves CORPUS/<relative path> with the headers the file asks for."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body are separate writes: avoid 40 ms delayed-ACK stalls

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = (CORPUS / unquote(self.path.split("?", 1)[0]).lstrip("/")).resolve()
        if CORPUS.resolve() not in path.parents or not path.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = path.read_bytes()
        self.send_response(200)
        for name, value in response_headers(data).items():
            if name.lower() not in {"content-length", "transfer-encoding", "connection", "content-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class CorpusServer(ThreadingHTTPServer):
    """The default listen backlog of 5 drops SYNs under 8 parallel clients (1 s retransmit stalls)."""

    daemon_threads = True
    request_queue_size = 128


def vm_rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; falls back to the peak from getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def corpus_server() -> Iterator[str]:
    if not CORPUS.is_dir():
        unavailable(f"feedparser corpus not found at {CORPUS} (shared data folder absent)")
    server = CorpusServer(("127.0.0.1", 0), CorpusHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_whole_corpus_survives_fetch_and_parse(corpus_server: str) -> None:
    files = corpus_files()
    assert len(files) > 2000, f"corpus looks truncated: {len(files)} files"
    fetcher = Fetcher(allow_private=True)
    started = time.monotonic()
    rss_before = vm_rss_mb()
    rss_peak = rss_before
    outcomes: dict[str, str] = {}
    fetch_errors: list[str] = []

    pool = ThreadPoolExecutor(max_workers=8)
    for offset in range(0, len(files), BATCH):
        batch = files[offset : offset + BATCH]
        urls = [corpus_server + quote(p.relative_to(CORPUS).as_posix()) for p in batch]
        results = list(pool.map(fetcher.fetch, urls))
        assert len(results) == len(batch)
        for path, url, result in zip(batch, urls, results, strict=True):
            assert isinstance(result, FetchResult) and result.url == url
            name = path.relative_to(CORPUS).as_posix()
            if result.error is not None:
                fetch_errors.append(f"{name}: {result.error}")
                outcomes[name] = "fetch error"
                continue
            feed = parse_feed(result.body or b"", headers=result.headers, url=result.url)
            assert isinstance(feed, ParsedFeed)
            # A result is entries, a recorded error, or a valid feed with no items (big5.xml is "<rss></rss>").
            outcomes[name] = "error" if feed.error else ("entries" if feed.entries else "empty feed")
        rss_peak = max(rss_peak, vm_rss_mb())
    pool.shutdown()

    elapsed = time.monotonic() - started
    assert len(outcomes) == len(files)
    assert fetch_errors == []  # every file is served as-is, so every fetch must succeed
    counts = {kind: sum(1 for v in outcomes.values() if v == kind) for kind in ("entries", "empty feed", "error")}
    print(f"corpus: {len(files)} files in {elapsed:.1f}s, {counts}, RSS +{rss_peak - rss_before:.0f} MB")
    assert counts["entries"] > 1000, counts  # the corpus is mostly real feeds
    assert rss_peak - rss_before < MAX_RSS_GROWTH_MB, f"RSS grew {rss_peak - rss_before:.0f} MB"
    assert elapsed < TIME_BUDGET_S * 2, f"corpus took {elapsed:.0f}s"  # generous on slow CI; ~15 s on 2 cores
