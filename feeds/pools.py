"""Worker pools: threads to fetch (network-bound), processes to parse and extract (CPU-bound; the GIL would
serialise them in threads). The process pool starts on first use and lives until `close()`."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .fetch import Fetcher
from .ingest import Article, extract_all
from .parse import ParsedFeed, parse_feed
from .poll import Fetched, fetch_only
from .registry import Registry

if TYPE_CHECKING:
    from .extract import Deal

__all__ = ["MIN_ARTICLES", "MIN_FEEDS", "Pools"]

log = logging.getLogger(__name__)

MIN_FEEDS = 100  # below these, starting processes costs more than it saves
MIN_ARTICLES = 200
RECORD_BATCH = 50  # fetched feeds stored in one transaction ...
RECORD_WAIT = 1.0  # ... or whatever has finished after this many seconds, so slow feeds never hold back the rest
_PRELOAD = ["feedparser", "feeds.parse", "feeds.extract", "feeds.extract.deals", "feeds.ingest"]


class Pools:
    """Bounded fetch concurrency, and an optional pool of parser/extractor processes."""

    def __init__(self, *, fetch_threads: int = 8, processes: int | None = None) -> None:
        self.fetch_threads = max(1, fetch_threads)
        # None: 2 processes when there is more than one CPU; 0 turns the process pool off.
        self.processes = (2 if (os.cpu_count() or 1) > 1 else 0) if processes is None else processes
        self._cpu: ProcessPoolExecutor | None = None
        self._broken = False
        self._lock = threading.Lock()

    def cpu(self, work: int, minimum: int) -> Executor | None:
        """The process pool, when there is enough work for it (None: do it in this process)."""
        if self.processes <= 0 or work < minimum or self._broken:
            return None
        with self._lock:
            if self._cpu is None:
                try:
                    self._cpu = ProcessPoolExecutor(self.processes, mp_context=_context())
                except (OSError, ValueError) as e:
                    log.warning("no worker processes (%s); working in-process", e)
                    self._broken = True
            return self._cpu

    def close(self) -> None:
        with self._lock:
            if self._cpu is not None:
                self._cpu.shutdown(wait=True, cancel_futures=True)
                self._cpu = None

    def fetch(
        self, fetcher: Fetcher, jobs: Iterable[tuple[str, str, str | None, str | None]], *, size_hint: int = 0
    ) -> Iterator[list[Fetched]]:
        """Fetch (feed id, url, etag, last-modified) jobs in threads, yielding whatever has finished as one batch;
        bodies are parsed in the process pool when the poll is big enough (`size_hint`: how many jobs a lazy
        iterable may bring). At most 2x threads of jobs in flight, fetching or parsing; the jobs are drawn only as
        those finish. A fetch thread hands its body over and fetches on: waiting for its parse as well kept the
        parsers short of work whenever this process was busy (each result passes through its threads)."""
        size = len(jobs) if isinstance(jobs, Sized) else size_hint
        if not size:
            return
        todo = iter(jobs)
        batch: list[Fetched] = []
        since = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(self.fetch_threads, size), thread_name_prefix="poll") as pool:
            fetching: set[Future[Fetched]] = set()
            parsing: dict[Future[ParsedFeed], Fetched] = {}
            while True:
                while len(fetching) + len(parsing) < 2 * self.fetch_threads and (job := next(todo, None)) is not None:
                    fetching.add(pool.submit(fetch_only, fetcher, *job))
                if not fetching and not parsing:
                    if batch:
                        yield batch
                    return
                waiting: set[Future[Any]] = {*fetching, *parsing}
                finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for fut in finished:
                    if fut in parsing:
                        batch.append(_parsed(parsing.pop(fut), fut))
                        continue
                    fetching.discard(fut)
                    fetched: Fetched = fut.result()
                    # the pool starts with the first body: a poll of unchanged feeds starts no process at all
                    parse = _submit_parse(self.cpu(size, MIN_FEEDS), fetched) if fetched.result.body else None
                    if parse is None:
                        batch.append(fetched)
                    else:
                        parsing[parse] = fetched
                if batch and (len(batch) >= RECORD_BATCH or time.monotonic() - since >= RECORD_WAIT):
                    yield batch  # one transaction stores a batch: a commit per finished fetch cost 1.8 s of 300 feeds
                    batch, since = [], time.monotonic()

    def extract(self, articles: Sequence[Article], registry: Registry) -> Callable[[], list[list[Deal]]]:
        """Start extracting (in the process pool when there are enough articles); call the result for the deals
        of each article, in order. Starting early lets the caller decide one batch while the next is extracted."""
        pool = self.cpu(len(articles), MIN_ARTICLES)
        if pool is None:
            return lambda: extract_all(articles, registry)
        size = -(-len(articles) // self.processes)  # one chunk per process: the registry is pickled per chunk
        futures = [pool.submit(extract_all, articles[i : i + size], registry) for i in range(0, len(articles), size)]

        def deals() -> list[list[Deal]]:
            try:
                return [d for fut in futures for d in fut.result()]
            except Exception:  # noqa: BLE001 - a broken pool only costs speed
                log.warning("extraction processes failed; extracting in-process", exc_info=True)
                return extract_all(articles, registry)

        return deals


def _submit_parse(parser: Executor | None, fetched: Fetched) -> Future[ParsedFeed] | None:
    """Start parsing a fetched body in the process pool (None: no pool, or it is broken)."""
    r = fetched.result
    if parser is None or r.body is None:
        return None
    try:
        return parser.submit(parse_feed, r.body, headers=r.headers, url=r.url)
    except Exception:  # noqa: BLE001 - a broken pool only costs speed: the poller parses in-process
        log.warning("parser processes unavailable for %s; parsing in-process", fetched.url, exc_info=True)
        return None


def _parsed(fetched: Fetched, parse: Future[ParsedFeed]) -> Fetched:
    """The fetch with its parse; without one when the parser process failed (the poller then parses in-process)."""
    try:
        return replace(fetched, parsed=parse.result())
    except Exception:  # noqa: BLE001 - a broken pool only costs speed
        log.warning("parser process failed for %s; parsing in-process", fetched.url, exc_info=True)
        return fetched


def _context() -> multiprocessing.context.BaseContext:
    """Processes forked from a clean server that imported only parsing and extraction (not fork: we have threads;
    not spawn: that would re-import the whole application in every worker)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx
