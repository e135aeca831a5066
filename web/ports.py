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
    alliances: list[ListedAlliance]  # a fresh list: the catalog empties it as it makes its rows
    companies: Mapping[str, Json]  # company id -> the company document (names, aliases, country)


@dataclass(frozen=True, slots=True)
class StageSpan:
    """An alliance's stage over one interval of valid time (`end` is exclusive; 9999-12-31: still so)."""

    start: str  # YYYY-MM-DD
    end: str
    stage: str | None
    loi: bool = False
    written: str = ""  # the start as the news gave it (2024-05 for 2024-05-31), when known


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

    def alliances_json(self, as_of: date | None = None, known_at: datetime | None = None) -> bytes:
        """`alliances` as JSON text (UTF-8), written without decoding the stored documents."""
        ...

    def alliance(self, alliance_id: str, as_of: date | None = None,
                 known_at: datetime | None = None) -> Json | None:
        """One alliance with its timeline; None if unknown (or not yet reported then)."""
        ...

    def company(self, company_id: str, as_of: date | None = None,
                known_at: datetime | None = None) -> Json | None:
        """One company with its alliances, partners and milestones; None if unknown."""
        ...

    def stage_spans(self, alliance_ids: Collection[str],
                    known_at: datetime | None = None) -> Mapping[str, list[StageSpan]]:
        """Each alliance's stages over valid time, earliest first (the landscape timeline); unknown ids left out."""
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

    def changes(self, *, after: int = 0, limit: int = 50, newest_first: bool = True,
                alliances: Collection[str] | None = None, corroborations: bool = False) -> list[Json]:
        """The change log after log position `after` (`events.queries.change_json` shape: id, position,
        recorded_at, alliance_id, what, aspects, title, summary, event_type, before, after, source)."""
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
    paused: bool = False  # a person paused it: subscribed, not polled

    @property
    def failing(self) -> bool:
        return not self.disabled and self.failures_in_row > 0

    @property
    def status(self) -> str:
        """One word: gone (410), paused, failing, new (never polled: not known to be healthy) or ok."""
        if self.disabled:
            return "gone"
        if self.paused:
            return "paused"
        if self.failing:
            return "failing"
        return "ok" if self.last_polled_at else "new"


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """The numbers every page's navigation shows; only a feed whose last poll worked counts as healthy."""

    feeds: int
    failing: int
    new: int = 0  # never polled
    paused: int = 0
    gone: int = 0  # disabled after HTTP 410

    @classmethod
    def of(cls, rows: list[FeedRow]) -> FeedHealth:
        statuses = [r.status for r in rows]
        return cls(len(rows), *(statuses.count(s) for s in ("failing", "new", "paused", "gone")))

    @property
    def healthy(self) -> int:
        """Feeds whose last poll worked (never-polled, paused and gone feeds are not)."""
        return self.feeds - self.failing - self.new - self.paused - self.gone


@dataclass(frozen=True, slots=True)
class FeedArticle:
    """One archived article of a feed (its latest version)."""

    id: str
    title: str
    url: str | None
    published: str  # UTC ISO stamp; the fetch time when the feed gave none
    published_estimated: bool = False
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """One poll of a feed: when, what the server said, what it brought."""

    polled_at: str
    status: int | None  # HTTP status; None when no answer came (DNS, timeout, TLS)
    new_articles: int
    not_modified: bool
    error: str | None  # the raw error text; the page words it for people


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

    def feed(self, feed_id: str) -> FeedRow | None:
        """One subscribed feed; None when there is none with this id (or it was removed)."""
        ...

    def articles(self, feed_id: str, *, offset: int = 0, limit: int = 20) -> list[FeedArticle]:
        """A page of the feed's archived articles, newest first."""
        ...

    def polls(self, feed_id: str, *, limit: int = 50) -> list[FeedPoll]:
        """The feed's latest polls, newest first."""
        ...

    def pause(self, feed_id: str) -> FeedRow:
        """Stop polling the feed but keep it (an event); refuses a feed already paused."""
        ...

    def resume(self, feed_id: str) -> FeedRow:
        """Poll a paused feed again (an event); refuses a feed that is not paused."""
        ...

    def poll_feed(self, feed_id: str) -> PollReport:
        """Poll this one feed now and run the whole pipeline; refuses a paused or gone feed."""
        ...

    def export_opml(self) -> str:
        """The subscriptions as an OPML 2.0 document."""
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

    def history(self, limit: int = 100) -> list[Json]:
        """Decided candidates, the latest decision first, each with `status`, `decided_by`, `decided_at`,
        `reason` and `corrected` (what a confirmation changed) beside the candidate's own fields."""
        ...


class AliasCommands(Protocol):
    """The company registry."""

    def add_alias(self, company_id: str, alias: str) -> None:
        """Teach the registry another name for a company (an event; extraction uses it from then on)."""
        ...

    def remove_alias(self, company_id: str, alias: str) -> None:
        """Withdraw a name (an event; extraction stops matching it). ValueError when it is not an alias."""
        ...


# --- change notifications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """What a subscription asks for. Empty filters: every change recorded after it was created."""

    channel: str  # "webhook" | "apprise"
    target: str  # the webhook URL, or the apprise URL
    alliances: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    new_only: bool = False  # only new alliances
    stage_changes: bool = False  # only stage changes (new, stage moved, ended)
    corroborations: bool = False  # also tell of further sources for known facts
    digest: str | None = None  # None: each change at once; "daily": one message a day


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """A subscription as the admin pages show it (the target with any credentials masked)."""

    id: str
    spec: SubscriptionSpec
    target_shown: str
    created_at: str
    paused: bool
    disabled: str | None  # why delivery stopped for good (e.g. "the receiver answered 410 Gone"), else None
    pending: int
    dead: int
    delivered: int


@dataclass(frozen=True, slots=True)
class Created:
    """A new subscription; `secret` (whsec_...) is shown once, for webhooks only."""

    id: str
    secret: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt as logged (also the answer to "Send test")."""

    at: str
    status: int | None  # HTTP status, None when no answer (timeout, refused)
    latency_ms: float
    excerpt: str  # the start of the response body, or the error in words
    ok: bool


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One change to one subscription, and how delivering it goes."""

    id: str
    subscription_id: str
    message_id: str  # the webhook-id header: the same on every retry
    position: int  # log position of the change (or of the digest's last change)
    title: str
    state: str  # "pending" | "delivered" | "dead"
    attempts: int
    next_attempt_at: str | None
    created_at: str
    log: tuple[Attempt, ...] = ()


class SubscriptionCommands(Protocol):
    """Managing change-notification subscriptions (each command an event) and their deliveries."""

    def list_subscriptions(self) -> list[SubscriptionRow]:
        """Every subscription not removed, oldest first."""
        ...

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        ...

    def subscribe(self, spec: SubscriptionSpec) -> Created:
        """Refuses an unsafe URL (SSRF guard), an apprise scheme not on the allowlist, unknown filters."""
        ...

    def change(self, subscription_id: str, spec: SubscriptionSpec) -> SubscriptionRow:
        ...

    def pause(self, subscription_id: str) -> None:
        ...

    def resume(self, subscription_id: str) -> None:
        ...

    def remove(self, subscription_id: str) -> None:
        ...

    def rotate_secret(self, subscription_id: str) -> str:
        """A new whsec_ secret (shown once); the old one keeps signing too during the grace period."""
        ...

    def send_test(self, subscription_id: str) -> Attempt:
        """Deliver a test message now and return the receiver's real answer."""
        ...

    def deliveries(self, subscription_id: str | None = None, *, dead_only: bool = False,
                   limit: int = 100) -> list[DeliveryRow]:
        """Newest first, each with its attempt log."""
        ...

    def redeliver(self, delivery_id: str) -> None:
        """Make one delivery due now again (a dead one too), keeping its message id."""
        ...

    def redeliver_dead(self, subscription_id: str | None = None) -> int:
        """Make every dead delivery (of one subscription, or all) due again; returns how many."""
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
    subscriptions: SubscriptionCommands
    ops: Operations | None = None  # None: /readyz and /metrics are not served (tests of pages alone)
