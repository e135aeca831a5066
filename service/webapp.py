"""The web's ports, implemented over a wired Tracker (the composition root's half of `web.ports`).

Whatever the services are called and however they are split, only this module changes: the web
declares what it needs and never sees a Tracker.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any

from flask import Flask

from events.anchor import CheckpointLog
from events.envelope import Recorded
from events.queries import alliance_json
from events.store import Verification
from feeds.subscriptions import FeedInfo
from web import create_app
from web.ports import (
    Attempt,
    Created,
    DeliveryRow,
    FeedHealth,
    FeedRow,
    Json,
    ListedAlliance,
    Listing,
    PollReport,
    SubscriptionRow,
    SubscriptionSpec,
)

from .bootstrap import Tracker

NAME_EVENTS = frozenset({"CompanyRegistered", "AliasAdded", "AliasRemoved"})  # these change names on many rows


def web_app(tracker: Tracker, *, testing: bool = False) -> Flask:
    """The UI over this tracker's real services."""
    return create_app(tracker.settings, queries=TrackerQueries(tracker), feeds=TrackerFeeds(tracker),
                      review=TrackerReview(tracker), aliases=TrackerAliases(tracker),
                      subscriptions=NoSubscriptions(), testing=testing)


# --- read side ----------------------------------------------------------------------------------


def _key(value: list[Any] | None) -> tuple[str, str, int] | None:
    """A sort key as the read model stores it (a JSON list) back as the tuple the web sorts by."""
    return (str(value[0]), str(value[1]), int(value[2])) if value else None


def select_events(records: Iterator[Recorded], limit: int, type_: str = "", stream: str = "") -> list[Json]:
    """Up to `limit` of `records`, optionally only one type and/or stream (a trailing '*' makes a prefix)."""
    if type_ or stream:
        prefix = stream[:-1] if stream.endswith("*") else None
        records = (r for r in records if (not type_ or r.type == type_) and (
            not stream or (r.stream_id.startswith(prefix) if prefix is not None else r.stream_id == stream)))
    return [r.to_json() for r in islice(records, limit)]


class TrackerQueries:
    """`web.ports.Queries` over the database read model (events/queries.py) and the store."""

    def __init__(self, tracker: Tracker) -> None:
        self._queries = tracker.queries
        self._store = tracker.store

    def position(self) -> int:
        return min(self._queries.version())  # the log position every read-model table has reached

    def listing(self, as_of: date | None = None, known_at: datetime | None = None, *,
                only: Collection[str] | None = None) -> Listing:
        position = self.position()
        companies = self._queries.company_docs(known_at)
        docs = self._queries.alliance_docs(as_of, known_at)
        if only is not None:
            docs = [d for d in docs if d["id"] in only]
        rows = [ListedAlliance(alliance_json(d, companies), d["latest"], _key(d["since_key"]), _key(d["updated_key"]),
                               tuple(d.get("names", ()))) for d in docs]
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

    def alliances(self, as_of: date | None = None, known_at: datetime | None = None) -> list[Json]:
        return self._queries.alliances(as_of, known_at)

    def alliance(self, alliance_id: str, as_of: date | None = None,
                 known_at: datetime | None = None) -> Json | None:
        return self._queries.alliance(alliance_id, as_of, known_at)

    def company(self, company_id: str, as_of: date | None = None,
                known_at: datetime | None = None) -> Json | None:
        return self._queries.company(company_id, as_of, known_at)

    def companies(self) -> list[Json]:
        return self._queries.companies()

    def diff(self, start: date, end: date, known_at: datetime | None = None) -> Json:
        return self._queries.diff(start, end, known_at)

    def events(self, *, after: int, limit: int, type_: str = "", stream: str = "") -> list[Json]:
        types = [type_] if type_ else None
        if stream.endswith("*"):  # a prefix: the store filters by type, the stream prefix is matched here
            return select_events(self._store.read(after=after, types=types, batch=2000), limit, "", stream)
        found = self._store.read(after=after, types=types, streams=[stream] if stream else None, limit=limit)
        return [r.to_json() for r in found]

    def verify(self) -> Verification:
        return self._store.verify()

    def checkpoints(self, limit: int) -> list[Json]:
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
                   next_poll_at=f.next_poll_at, articles=f.articles)


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
        rows = self.list_feeds()
        return FeedHealth(feeds=len(rows), failing=sum(1 for f in rows if f.failing))

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
        s = self._tracker.poll_once(all=True)
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


class TrackerAliases:
    """`web.ports.AliasCommands` over the tracker's registry command."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def add_alias(self, company_id: str, alias: str) -> None:
        self._tracker.add_alias(company_id, alias)

    def remove_alias(self, company_id: str, alias: str) -> None:
        self._tracker.remove_alias(company_id, alias)


NOT_WIRED = "change notifications are not wired into this build yet (the notify service is missing)"


class NoSubscriptions:
    """`web.ports.SubscriptionCommands` until the notification service lands: nothing listed, every command
    refused with one line. The integrator replaces it with the adapter over the real service."""

    def list_subscriptions(self) -> list[SubscriptionRow]:
        return []

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        return None

    def subscribe(self, spec: SubscriptionSpec) -> Created:
        raise ValueError(NOT_WIRED)

    def change(self, subscription_id: str, spec: SubscriptionSpec) -> SubscriptionRow:
        raise ValueError(NOT_WIRED)

    def pause(self, subscription_id: str) -> None:
        raise ValueError(NOT_WIRED)

    def resume(self, subscription_id: str) -> None:
        raise ValueError(NOT_WIRED)

    def remove(self, subscription_id: str) -> None:
        raise ValueError(NOT_WIRED)

    def rotate_secret(self, subscription_id: str) -> str:
        raise ValueError(NOT_WIRED)

    def send_test(self, subscription_id: str) -> Attempt:
        raise ValueError(NOT_WIRED)

    def deliveries(self, subscription_id: str | None = None, *, dead_only: bool = False,
                   limit: int = 100) -> list[DeliveryRow]:
        return []

    def redeliver(self, delivery_id: str) -> None:
        raise ValueError(NOT_WIRED)

    def redeliver_dead(self, subscription_id: str | None = None) -> int:
        raise ValueError(NOT_WIRED)
