"""The web's ports, implemented over a wired Tracker (the composition root's half of `web.ports`).

Whatever the services are called and however they are split, only this module changes: the web
declares what it needs and never sees a Tracker.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime
from itertools import islice
from typing import Any

from flask import Flask

from events.envelope import Recorded
from events.errors import BadDate
from events.queries import alliance_json
from events.store import Verification
from events.values import FuzzyDate
from feeds.errors import FeedError, UnknownFeed
from feeds.poller import PollSummary
from feeds.subscriptions import FeedInfo
from notify.channels import Outcome
from notify.model import Filters, SubState
from notify.service import Delivery
from web import create_app
from web.catalog import drain
from web.ports import (
    Attempt,
    Created,
    DeliveryRow,
    FeedArticle,
    FeedHealth,
    FeedPoll,
    FeedRow,
    Json,
    ListedAlliance,
    Listing,
    PollReport,
    StageSpan,
    SubscriptionRow,
    SubscriptionSpec,
)

from .bootstrap import Tracker

NAME_EVENTS = frozenset({"CompanyRegistered", "AliasAdded", "AliasRemoved"})  # these change names on many rows
PRIVATE_STREAMS = "subscription-"  # who follows what is nobody else's business: not on /events or /api/events


def web_app(tracker: Tracker, *, testing: bool = False) -> Flask:
    """The UI over this tracker's real services."""
    return create_app(tracker.settings, queries=TrackerQueries(tracker), feeds=TrackerFeeds(tracker),
                      review=TrackerReview(tracker), aliases=TrackerAliases(tracker),
                      subscriptions=TrackerSubscriptions(tracker), ops=tracker.ops, testing=testing)


# --- read side ----------------------------------------------------------------------------------


def _key(value: list[Any] | None) -> tuple[str, str, int] | None:
    """A sort key as the read model stores it (a JSON list) back as the tuple the web sorts by."""
    return (str(value[0]), str(value[1]), int(value[2])) if value else None


def select_events(records: Iterator[Recorded], limit: int, type_: str = "", stream: str = "") -> list[Json]:
    """Up to `limit` of `records`, optionally only one type and/or stream (a trailing '*' makes a prefix);
    never the subscription streams."""
    records = (r for r in records if not r.stream_id.startswith(PRIVATE_STREAMS))
    if type_ or stream:
        prefix = stream[:-1] if stream.endswith("*") else None
        records = (r for r in records if (not type_ or r.type == type_) and (
            not stream or (r.stream_id.startswith(prefix) if prefix is not None else r.stream_id == stream)))
    return [r.to_json() for r in islice(records, limit)]


def _written(start: str, updated: str | None) -> str:
    """The interval's first day as the news wrote it: its latest event's date, when that date ends there."""
    try:
        return updated if updated and FuzzyDate.parse(updated).end.isoformat() == start else start
    except BadDate:
        return start


class TrackerQueries:
    """`web.ports.Queries` over the database read model (events/queries.py) and the store."""

    def __init__(self, tracker: Tracker) -> None:
        self._queries = tracker.queries
        self._store = tracker.store

    def position(self) -> int:
        return min(self._queries.version())  # the log position every read-model table has reached

    def listing(self, as_of: date | None = None, known_at: datetime | None = None, *,
                only: Collection[str] | None = None) -> Listing:
        position, companies, docs = self._queries.listing(as_of, known_at, only)  # one version() per listing
        memo: dict[str, Json] = {}
        rows = [ListedAlliance(alliance_json(d, companies, memo), d["latest"], _key(d["since_key"]),
                               _key(d["updated_key"]), tuple(d.get("names", ()))) for d in drain(docs)]
        return Listing(position, rows, companies)

    def alliances_touched(self, after: int, upto: int) -> frozenset[str] | None:
        touched: set[str] = set()
        for rec in self._store.read(after=after, upto=upto):
            if rec.type in NAME_EVENTS:
                return None
            aid = getattr(rec.event, "alliance_id", None)
            if isinstance(aid, str) and aid:
                touched.add(aid)
        return frozenset(touched)

    def alliances_json(self, as_of: date | None = None, known_at: datetime | None = None) -> bytes:
        return self._queries.alliances_json(as_of, known_at)

    def alliance(self, alliance_id: str, as_of: date | None = None,
                 known_at: datetime | None = None) -> Json | None:
        return self._queries.alliance(alliance_id, as_of, known_at)

    def company(self, company_id: str, as_of: date | None = None,
                known_at: datetime | None = None) -> Json | None:
        return self._queries.company(company_id, as_of, known_at)

    def stage_spans(self, alliance_ids: Collection[str],
                    known_at: datetime | None = None) -> Mapping[str, list[StageSpan]]:
        found = self._queries.stage_spans(alliance_ids, known_at)
        return {aid: [StageSpan(start, end, stage, loi, _written(start, updated))
                      for start, end, stage, loi, updated in spans] for aid, spans in found.items()}

    def companies(self) -> list[Json]:
        return self._queries.companies()

    def diff(self, start: date, end: date, known_at: datetime | None = None) -> Json:
        return self._queries.diff(start, end, known_at)

    def events(self, *, after: int, limit: int, type_: str = "", stream: str = "") -> list[Json]:
        types = [type_] if type_ else None
        if stream.endswith("*") or not stream:  # the store filters by type; the stream is matched here
            return select_events(self._store.read(after=after, types=types, batch=2000), limit, "", stream)
        found = self._store.read(after=after, types=types, streams=[stream], limit=limit)
        return [r.to_json() for r in found if not r.stream_id.startswith(PRIVATE_STREAMS)]

    def verify(self) -> Verification:
        return self._store.verify()

    def checkpoints(self, limit: int) -> list[Json]:
        from events.anchor import CheckpointLog  # cryptography (~8 MB): only this page reads signatures

        return [cp.to_json() for cp in CheckpointLog(self._store).latest(limit)]

    def changes(self, *, after: int = 0, limit: int = 50, newest_first: bool = True,
                alliances: Collection[str] | None = None, corroborations: bool = False) -> list[Json]:
        return self._queries.changes(after=after, limit=limit, newest_first=newest_first, alliances=alliances,
                                     corroborations=corroborations)


# --- commands -----------------------------------------------------------------------------------


def feed_row(f: FeedInfo) -> FeedRow:
    return FeedRow(id=f.id, url=f.url, title=f.title, interval_seconds=f.interval_seconds, disabled=f.disabled,
                   failures_in_row=f.failures_in_row, last_polled_at=f.last_polled_at,
                   last_success_at=f.last_success_at, last_error=f.last_error, last_status=f.last_status,
                   next_poll_at=f.next_poll_at, articles=f.articles, paused=f.paused)


def interval_text(minutes: int | None) -> str | None:
    """The feed service reads intervals as text ('30m'); the web sends whole minutes."""
    return None if minutes is None else f"{minutes}m"


class TrackerFeeds:
    """`web.ports.FeedCommands` over the feed subscriptions; "poll now" runs the tracker's whole pipeline."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def list_feeds(self) -> list[FeedRow]:
        return [feed_row(f) for f in self._tracker.subscriptions.feeds()]

    def health(self) -> FeedHealth:
        return FeedHealth.of(self.list_feeds())

    def add(self, url: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        return feed_row(self._tracker.subscriptions.add(url, interval=interval_text(interval_minutes), title=title))

    def change(self, feed_id: str, *, interval_minutes: int | None = None, title: str | None = None) -> FeedRow:
        changed = self._tracker.subscriptions.change(feed_id, interval=interval_text(interval_minutes), title=title)
        return feed_row(changed)

    def remove(self, feed_id: str) -> None:
        self._tracker.subscriptions.remove(feed_id)

    def import_opml(self, data: bytes) -> list[FeedRow]:
        return [feed_row(f) for f in self._tracker.subscriptions.import_opml(data)]

    def poll_now(self) -> PollReport:
        return _report(self._tracker.poll_once(all=True))

    def feed(self, feed_id: str) -> FeedRow | None:
        try:
            info = self._tracker.subscriptions.feed(feed_id)
        except UnknownFeed:
            return None
        return None if info.removed else feed_row(info)

    def articles(self, feed_id: str, *, offset: int = 0, limit: int = 20) -> list[FeedArticle]:
        t = self._tracker
        found = t.archive.articles(t.subscriptions.states(), feed_ids=[feed_id], limit=limit, offset=offset)
        return [FeedArticle(a.id, a.title, a.url, a.published, a.published_estimated, a.lang) for a in found]

    def polls(self, feed_id: str, *, limit: int = 50) -> list[FeedPoll]:
        return [FeedPoll(r["polled_at"], r["status"], r["new_entries"], bool(r["not_modified"]), r["error"])
                for r in self._tracker.health.poll_log(feed_id, limit)]

    def pause(self, feed_id: str) -> FeedRow:
        return feed_row(self._tracker.subscriptions.pause(feed_id))

    def resume(self, feed_id: str) -> FeedRow:
        return feed_row(self._tracker.subscriptions.resume(feed_id))

    def poll_feed(self, feed_id: str) -> PollReport:
        info = self._tracker.subscriptions.feed(feed_id)
        if info.removed or info.disabled or info.paused:
            why = "removed" if info.removed else "gone (HTTP 410)" if info.disabled else "paused: resume it first"
            raise FeedError(f"feed {feed_id!r} is {why}")
        return _report(self._tracker.poll_once(all=True, only={feed_id}))

    def export_opml(self) -> str:
        return self._tracker.subscriptions.export_opml()


def _report(s: PollSummary) -> PollReport:
    return PollReport(polled=s.polled, not_modified=s.not_modified, new_articles=s.new_articles, errors=s.errors)


class TrackerReview:
    """`web.ports.ReviewCommands` over the review service."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def pending(self) -> list[Json]:
        return self._tracker.review.candidates()

    def confirm(self, candidate_id: str, *, parties: list[str] | None = None, kind: str | None = None,
                stage: str | None = None, by: str = "admin") -> None:
        self._tracker.review.confirm(candidate_id, parties=parties, kind=kind, stage=stage, by=by)

    def reject(self, candidate_id: str, *, reason: str = "", by: str = "admin") -> None:
        self._tracker.review.reject(candidate_id, reason=reason, by=by)

    def history(self, limit: int = 100) -> list[Json]:
        return self._tracker.review.history(limit)


class TrackerAliases:
    """`web.ports.AliasCommands` over the tracker's registry command."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def add_alias(self, company_id: str, alias: str) -> None:
        self._tracker.add_alias(company_id, alias)

    def remove_alias(self, company_id: str, alias: str) -> None:
        self._tracker.remove_alias(company_id, alias)


# --- change notifications -------------------------------------------------------------------------


def spec_of(s: SubState) -> SubscriptionSpec:
    f = s.filters
    return SubscriptionSpec(channel=s.channel, target=s.target_shown, alliances=f.alliances, companies=f.companies,
                            kinds=f.kinds, new_only=f.new_only, stage_changes=f.stage_changes,
                            corroborations=f.corroborations, digest=f.digest)


def filters_of(spec: SubscriptionSpec) -> Filters:
    return Filters(tuple(spec.alliances), tuple(spec.companies), tuple(spec.kinds), spec.new_only,
                   spec.stage_changes, spec.corroborations, spec.digest)


def subscription_row(s: SubState, counts: dict[str, int] | None) -> SubscriptionRow:
    c = counts or {}
    return SubscriptionRow(id=s.id, spec=spec_of(s), target_shown=s.target_shown, created_at=s.created_at,
                           paused=s.paused, disabled=s.disabled, pending=c.get("pending", 0), dead=c.get("dead", 0),
                           delivered=c.get("delivered", 0))


def attempt_of(a: dict[str, Any]) -> Attempt:
    return Attempt(at=a["at"], status=a["status"], latency_ms=a["latency_ms"], excerpt=a["excerpt"], ok=a["ok"])


def delivery_row(d: Delivery) -> DeliveryRow:
    return DeliveryRow(id=d.id, subscription_id=d.subscription_id, message_id=d.id, position=d.position,
                       title=d.title, state=d.state, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                       created_at=d.created_at, log=tuple(attempt_of(a) for a in d.log))


def outcome_attempt(out: Outcome, at: str) -> Attempt:
    return Attempt(at=at, status=out.status, latency_ms=out.latency_ms, excerpt=out.excerpt, ok=out.ok)


class TrackerSubscriptions:
    """`web.ports.SubscriptionCommands` over the notification service (notify/service.py)."""

    def __init__(self, tracker: Tracker) -> None:
        self._n = tracker.notifications
        self._clock = tracker.clock

    def list_subscriptions(self) -> list[SubscriptionRow]:
        counts = self._n.counts()
        return [subscription_row(s, counts.get(s.id)) for s in self._n.subscriptions()]

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        found = [s for s in self._n.subscriptions() if s.id == subscription_id]
        return subscription_row(found[0], self._n.counts().get(subscription_id)) if found else None

    def subscribe(self, spec: SubscriptionSpec) -> Created:
        sid, secret = self._n.subscribe(spec.channel, spec.target, filters_of(spec))
        return Created(id=sid, secret=secret)

    def change(self, subscription_id: str, spec: SubscriptionSpec) -> SubscriptionRow:
        target = spec.target if "…" not in spec.target else None  # the masked target shown back: keep the stored one
        s = self._n.change(subscription_id, target, filters_of(spec))
        return subscription_row(s, self._n.counts().get(subscription_id))

    def pause(self, subscription_id: str) -> None:
        self._n.pause(subscription_id)

    def resume(self, subscription_id: str) -> None:
        self._n.resume(subscription_id)

    def remove(self, subscription_id: str) -> None:
        self._n.remove(subscription_id)

    def rotate_secret(self, subscription_id: str) -> str:
        return self._n.rotate(subscription_id)

    def send_test(self, subscription_id: str) -> Attempt:
        at = self._clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return outcome_attempt(self._n.send_test(subscription_id), at)

    def deliveries(self, subscription_id: str | None = None, *, dead_only: bool = False,
                   limit: int = 100) -> list[DeliveryRow]:
        return [delivery_row(d) for d in self._n.deliveries(subscription_id, dead_only=dead_only, limit=limit)]

    def redeliver(self, delivery_id: str) -> None:
        self._n.redeliver(delivery_id)

    def redeliver_dead(self, subscription_id: str | None = None) -> int:
        return self._n.redeliver_dead(subscription_id)
