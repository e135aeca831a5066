"""What the web needs from the rest of the tracker: the read side and three kinds of command.

`create_app` takes one implementation of each Protocol; the views reach nothing else. The composition
root (service/) passes the real ones, adapting whatever shape the services have; tests pass fakes.
Documents are JSON objects in the CLI/API contract shapes (`Json`); everything else is a frozen value.
Every command refuses bad input with a ValueError whose message is one line for people.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from events.store import Verification

Json = dict[str, Any]  # one JSON document in a contract shape (`state --json`, `events --json`, the API)
SortKey = tuple[str, str, int]  # (earliest day, latest day, position): how a fuzzy date sorts


class WebSettings(Protocol):
    """The settings the web reads (service.config.Settings has them)."""

    @property
    def admin_password(self) -> str | None: ...

    @property
    def secret_key(self) -> str | None: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def trusted_proxies(self) -> int: ...


# --- read side ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedAlliance:
    """One alliance for the status table: its contract document plus what sorting and "new" marks need."""

    doc: Json
    latest: int  # position of the latest event about it
    since_key: SortKey | None
    updated_key: SortKey | None
    names: tuple[str, ...] = ()  # the alliance's own names (HIMA, 鸿蒙智行): searchable


@dataclass(frozen=True, slots=True)
class Listing:
    """Alliances (sorted by id) as of a date / as known at a time, and the companies that name them."""

    position: int  # the log position this listing reflects
    alliances: list[ListedAlliance]
    companies: Mapping[str, Json]  # company id -> the company document (names, aliases, country)


class Queries(Protocol):
    """Reading the landscape, optionally as of a valid date and as known at a transaction time."""

    def position(self) -> int:
        """The last log position (cheap: pages key their caches on it)."""
        ...

    def listing(self, as_of: date | None = None, known_at: datetime | None = None, *,
                only: Collection[str] | None = None) -> Listing:
        """Every alliance (or just those in `only`) for the status table and the network."""
        ...

    def alliances_touched(self, after: int, upto: int) -> frozenset[str] | None:
        """Alliances the events in (after, upto] are about; None when names changed (every row may differ)."""
        ...

    def alliances(self, as_of: date | None = None, known_at: datetime | None = None) -> list[Json]:
        """Every alliance in the `state --json` shape, sorted by id."""
        ...

    def alliance(self, alliance_id: str, as_of: date | None = None,
                 known_at: datetime | None = None) -> Json | None:
        """One alliance with its timeline; None if unknown (or not yet reported then)."""
        ...

    def company(self, company_id: str, as_of: date | None = None,
                known_at: datetime | None = None) -> Json | None:
        """One company with its alliances, partners and milestones; None if unknown."""
        ...

    def companies(self) -> list[Json]:
        """Every known company (names in both languages, aliases, country)."""
        ...

    def diff(self, start: date, end: date, known_at: datetime | None = None) -> Json:
        """Alliances added, changed and ended between two valid dates (the `diff --json` shape)."""
        ...

    def events(self, *, after: int, limit: int, type_: str = "", stream: str = "") -> list[Json]:
        """Up to `limit` stored events after `after` (`events --json` shape); one type and/or stream
        (a stream ending in '*' is a prefix)."""
        ...

    def verify(self) -> Verification:
        """Recompute the hash chain."""
        ...

    def checkpoints(self, limit: int) -> list[Json]:
        """The latest signed checkpoints of the chain (position, head hash, time, signature), newest first."""
        ...


# --- feeds --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A subscribed feed and how polling it goes; timestamps are ISO-8601 UTC text."""

    id: str
    url: str
    title: str
    interval_seconds: int
    disabled: bool  # the server said 410 Gone
    failures_in_row: int
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_status: int | None = None
    next_poll_at: str | None = None
    articles: int = 0

    @property
    def failing(self) -> bool:
        return not self.disabled and self.failures_in_row > 0


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """The numbers every page's navigation shows."""

    feeds: int
    failing: int


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one "poll now" did (fetch, archive, extract, append, project)."""

    polled: int
    not_modified: int
    new_articles: int
    errors: int

    def line(self) -> str:
        return (f"{self.polled} feeds polled, {self.not_modified} not modified, "
                f"{self.new_articles} new articles, {self.errors} errors")


class FeedCommands(Protocol):
    """Subscriptions and polling."""

    def list_feeds(self) -> list[FeedRow]:
        """Every subscribed feed with its polling health, in the order they were added."""
        ...

    def health(self) -> FeedHealth:
        """How many feeds there are and how many failed their last poll."""
        ...

    def add(self, url: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        """Subscribe (an HTML page is swapped for the feed it advertises); refuses unsafe and duplicate URLs."""
        ...

    def change(self, feed_id: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        """Change a feed's polling interval and/or title."""
        ...

    def remove(self, feed_id: str) -> None:
        """Unsubscribe; the feed's articles stay in the archive."""
        ...

    def import_opml(self, data: bytes) -> list[FeedRow]:
        """Subscribe to every feed of an OPML document not yet subscribed; returns those added."""
        ...

    def poll_now(self) -> PollReport:
        """Poll every feed now and run the whole pipeline before returning."""
        ...


# --- review and registry ------------------------------------------------------------------------


class ReviewCommands(Protocol):
    """The queue of candidate deals the extractor was unsure of."""

    def pending(self) -> list[Json]:
        """Pending candidates with their evidence, newest first (`review list --json` shape)."""
        ...

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        """Confirm a candidate, optionally corrected; the landscape reflects it on return."""
        ...

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        """Reject a candidate; no alliance changes."""
        ...


class AliasCommands(Protocol):
    """The company registry."""

    def add_alias(self, company_id: str, alias: str) -> None:
        """Teach the registry another name for a company (an event; extraction uses it from then on)."""
        ...

    def remove_alias(self, company_id: str, alias: str) -> None:
        """Withdraw a name (an event; extraction stops matching it). ValueError when it is not an alias."""
        ...


# --- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether this process should get traffic, and each check's verdict ("ok" or the reason it fails)."""

    ready: bool
    checks: Mapping[str, str]


class Operations(Protocol):
    """What the operators' endpoints read: readiness, metrics, and where request timings go."""

    def readiness(self) -> Readiness:
        """Database reachable, projections near the log head, and whatever else the service checks."""
        ...

    def metrics(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, and its content type."""
        ...

    def observe_request(self, endpoint: str, seconds: float) -> None:
        """Record how long one request to `endpoint` (a route name) took."""
        ...


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything the web reaches, as one value stored on the app."""

    queries: Queries
    feeds: FeedCommands
    review: ReviewCommands
    aliases: AliasCommands
    ops: Operations | None = None  # None: /readyz and /metrics are not served (tests of pages alone)
