"""Every event type of the tracker: past-tense facts, with stable names and schema versions.

Type names are strings decoupled from class paths, so classes can move without
breaking stored logs. Old payload shapes are lifted by upcasters (see `UPCASTERS`)
before they meet a class; `tests/fixtures/old_payloads.json` keeps one of each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import MalformedEvent, UnknownEventType
from .values import KINDS, STAGES, Citation


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all events; `type_name` and `schema_version` identify the payload shape."""

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def validate(self) -> None:
        """Refuse payloads that would poison projections; subclasses add their rules."""


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise MalformedEvent(message)


def _check_kind(kind: str | None) -> None:
    _require(kind is None or kind in KINDS, f"unknown kind {kind!r}; one of {sorted(KINDS)}")


def _check_stage(stage: str | None) -> None:
    _require(stage is None or stage in STAGES, f"unknown stage {stage!r}; one of {sorted(STAGES)}")


# --- companies ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanyRegistered(Event):
    """A company became known to the tracker, with its names in both languages."""

    type_name: ClassVar[str] = "CompanyRegistered"
    company_id: str
    name: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    sector: str = ""

    def validate(self) -> None:
        _require(bool(self.company_id and self.name), "a company needs an id and an English name")


@dataclass(frozen=True, slots=True)
class AliasAdded(Event):
    """Someone taught the registry another name for a company."""

    type_name: ClassVar[str] = "AliasAdded"
    company_id: str
    alias: str

    def validate(self) -> None:
        _require(bool(self.company_id and self.alias.strip()), "an alias needs a company and a name")


@dataclass(frozen=True, slots=True)
class AliasRemoved(Event):
    """Someone withdrew a name from the registry (a wrong or too-broad alias); extraction stops using it."""

    type_name: ClassVar[str] = "AliasRemoved"
    company_id: str
    alias: str

    def validate(self) -> None:
        _require(bool(self.company_id and self.alias.strip()), "an alias needs a company and a name")


@dataclass(frozen=True, slots=True)
class CompanyMilestone(Event):
    """Something a company did on its own that matters to the landscape (a unit, a listing...)."""

    type_name: ClassVar[str] = "CompanyMilestone"
    company_id: str
    milestone: str  # unit_founded | company_founded | rd_upgraded | listed | brand_launched | plant_opened | other
    description: str
    citation: Citation | None = None
    alliance_id: str | None = None

    def validate(self) -> None:
        _require(bool(self.company_id and self.milestone), "a milestone needs a company and a kind")


# --- alliances ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllianceReported(Event):
    """A source reported a partnership between two or more companies for the first time."""

    type_name: ClassVar[str] = "AllianceReported"
    schema_version: ClassVar[int] = 2
    alliance_id: str
    parties: tuple[str, ...]
    kind: str
    stage: str
    citation: Citation
    loi: bool = False
    confidence: float = 1.0
    summary: str = ""

    def validate(self) -> None:
        _require(len(set(self.parties)) >= 2, f"an alliance needs two or more distinct parties, got {self.parties!r}")
        _check_kind(self.kind)
        _check_stage(self.stage)
        _require(0.0 <= self.confidence <= 1.0, "confidence must lie in [0, 1]")


@dataclass(frozen=True, slots=True)
class StageChanged(Event):
    """An alliance moved to another stage; it may add a kind or bring in new parties."""

    type_name: ClassVar[str] = "StageChanged"
    alliance_id: str
    stage: str
    citation: Citation
    loi: bool = False
    kind: str | None = None
    parties_added: tuple[str, ...] = ()
    confidence: float = 1.0
    summary: str = ""

    def validate(self) -> None:
        _check_stage(self.stage)
        _check_kind(self.kind)


@dataclass(frozen=True, slots=True)
class AllianceCorroborated(Event):
    """A further source confirmed a fact already in the log."""

    type_name: ClassVar[str] = "AllianceCorroborated"
    alliance_id: str
    citation: Citation
    corroborates: str | None = None  # idempotency key of the confirmed event
    summary: str = ""


@dataclass(frozen=True, slots=True)
class AllianceEnded(Event):
    """A partnership was dissolved, a partner left or a contract ran out."""

    type_name: ClassVar[str] = "AllianceEnded"
    alliance_id: str
    citation: Citation
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportRetracted(Event):
    """An earlier event turned out wrong; it no longer counts (it stays in the log)."""

    type_name: ClassVar[str] = "ReportRetracted"
    alliance_id: str
    supersedes: str  # idempotency key of the retracted event
    reason: str
    citation: Citation | None = None


@dataclass(frozen=True, slots=True)
class ReportCorrected(Event):
    """An earlier event had a detail wrong; the named fields replace its values."""

    type_name: ClassVar[str] = "ReportCorrected"
    alliance_id: str
    supersedes: str
    reason: str
    parties: tuple[str, ...] | None = None
    kind: str | None = None
    stage: str | None = None
    loi: bool | None = None
    date: str | None = None  # corrected valid date, YYYY[-MM[-DD]]
    citation: Citation | None = None

    def validate(self) -> None:
        _check_kind(self.kind)
        _check_stage(self.stage)
        _require(self.parties is None or len(set(self.parties)) >= 2, "corrected parties need two or more")


# --- feeds and review (the outside world's bookkeeping, also append-only) ---------------


@dataclass(frozen=True, slots=True)
class FeedAdded(Event):
    """A feed was subscribed to."""

    type_name: ClassVar[str] = "FeedAdded"
    feed_id: str
    url: str
    title: str = ""
    interval_seconds: int = 1800
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FeedChanged(Event):
    """A feed's title or polling interval was changed."""

    type_name: ClassVar[str] = "FeedChanged"
    feed_id: str
    title: str | None = None
    interval_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class FeedMoved(Event):
    """A feed answered with a permanent redirect; its address is now another."""

    type_name: ClassVar[str] = "FeedMoved"
    feed_id: str
    old_url: str
    new_url: str
    status: int = 301


@dataclass(frozen=True, slots=True)
class FeedDisabled(Event):
    """A feed stopped being polled because the server said it is gone (410)."""

    type_name: ClassVar[str] = "FeedDisabled"
    feed_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedRemoved(Event):
    """A person unsubscribed from a feed."""

    type_name: ClassVar[str] = "FeedRemoved"
    feed_id: str


@dataclass(frozen=True, slots=True)
class FeedPaused(Event):
    """A person paused a feed: it stays subscribed but is not polled until resumed."""

    type_name: ClassVar[str] = "FeedPaused"
    feed_id: str


@dataclass(frozen=True, slots=True)
class FeedResumed(Event):
    """A person resumed a paused feed: it is polled again on its interval."""

    type_name: ClassVar[str] = "FeedResumed"
    feed_id: str


@dataclass(frozen=True, slots=True)
class DealQueued(Event):
    """The extractor found a deal it is not sure of; a person must decide."""

    type_name: ClassVar[str] = "DealQueued"
    candidate_id: str
    parties: tuple[str, ...]
    kind: str
    stage: str
    citation: Citation
    loi: bool = False
    date: str | None = None
    confidence: float = 0.0
    article_id: str | None = None


@dataclass(frozen=True, slots=True)
class DealConfirmed(Event):
    """A person confirmed a queued deal, possibly correcting its parties, kind or stage."""

    type_name: ClassVar[str] = "DealConfirmed"
    candidate_id: str
    parties: tuple[str, ...] | None = None
    kind: str | None = None
    stage: str | None = None
    by: str = ""


@dataclass(frozen=True, slots=True)
class DealRejected(Event):
    """A person rejected a queued deal."""

    type_name: ClassVar[str] = "DealRejected"
    candidate_id: str
    reason: str = ""
    by: str = ""


EVENT_CLASSES: tuple[type[Event], ...] = (
    CompanyRegistered,
    AliasAdded,
    AliasRemoved,
    CompanyMilestone,
    AllianceReported,
    StageChanged,
    AllianceCorroborated,
    AllianceEnded,
    ReportRetracted,
    ReportCorrected,
    FeedAdded,
    FeedChanged,
    FeedMoved,
    FeedDisabled,
    FeedRemoved,
    FeedPaused,
    FeedResumed,
    DealQueued,
    DealConfirmed,
    DealRejected,
)
REGISTRY: dict[str, type[Event]] = {c.type_name: c for c in EVENT_CLASSES}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _alliance_reported_v1_to_v2(p: dict[str, Any]) -> dict[str, Any]:
    """v1 knew only two-party alliances (`party_a`, `party_b`); v2 has a `parties` list."""
    q = {k: v for k, v in p.items() if k not in ("party_a", "party_b")}
    q["parties"] = [p["party_a"], p["party_b"]]
    return q


# (type name, from version) -> function lifting the payload to from version + 1
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("AllianceReported", 1): _alliance_reported_v1_to_v2,
}

_TUPLE_FIELDS = {"aliases", "parties", "parties_added", "alliances", "companies", "kinds"}


def upcast(type_name: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Lift an old payload, one version at a time, to the class's current version."""
    cls = REGISTRY.get(type_name)
    if cls is None:
        raise UnknownEventType(f"unknown event type {type_name!r}")
    if version > cls.schema_version:
        raise UnknownEventType(f"{type_name} v{version} is newer than this code (v{cls.schema_version})")
    while version < cls.schema_version:
        step = UPCASTERS.get((type_name, version))
        if step is None:
            raise UnknownEventType(f"no upcaster for {type_name} v{version}")
        payload, version = step(payload), version + 1
    return payload


def from_payload(type_name: str, version: int, payload: dict[str, Any]) -> Event:
    """Build the typed event from a stored payload (upcasting first)."""
    payload = (
        upcast(type_name, version, payload) if version != REGISTRY.get(type_name, Event).schema_version else payload
    )
    cls = REGISTRY.get(type_name)
    if cls is None:
        raise UnknownEventType(f"unknown event type {type_name!r}")
    try:
        kwargs = {}
        for k, v in payload.items():
            if k == "citation" and v is not None:
                v = Citation(**v)
            elif k in _TUPLE_FIELDS and v is not None:
                v = tuple(v)
            kwargs[k] = v
        return cls(**kwargs)
    except TypeError as e:
        raise MalformedEvent(f"{type_name} payload does not fit: {e}") from e


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_CITATION_FIELDS = tuple(f.name for f in dataclasses.fields(Citation))


def to_payload(event: Event) -> dict[str, Any]:
    """The JSON-ready payload of an event (tuples become lists, citations dicts).

    On the append hot path: field names are cached per class instead of `dataclasses.asdict`.
    """
    names = _FIELD_NAMES.get(type(event))
    if names is None:
        names = _FIELD_NAMES[type(event)] = tuple(f.name for f in dataclasses.fields(event))
    out: dict[str, Any] = {}
    for name in names:
        v = getattr(event, name)
        if type(v) is tuple:
            v = list(v)
        elif type(v) is Citation:
            v = {k: x for k in _CITATION_FIELDS if (x := getattr(v, k)) is not None}
        out[name] = v
    return out


def stream_of(event: Event) -> str:
    """The stream an event belongs to, derived from its subject."""
    for attr, prefix in (
        ("alliance_id", "alliance"),
        ("company_id", "company"),
        ("feed_id", "feed"),
        ("candidate_id", "candidate"),
        ("subscription_id", "subscription"),
    ):
        v = getattr(event, attr, None)
        if v:
            return f"{prefix}-{v}"
    raise MalformedEvent(f"{event.type_name} has no subject to derive a stream from")


@dataclass(frozen=True, slots=True)
class AllianceNamed(Event):
    """A venture's or alliance's own name was seen for it (HIMA/鸿蒙智行, Horse Powertrain):
    searchable, shown on the alliance's page, and a mention of it stands for its parties."""

    type_name: ClassVar[str] = "AllianceNamed"
    alliance_id: str
    name: str
    citation: Citation | None = None

    def validate(self) -> None:
        _require(bool(self.name.strip()), "an alliance name must not be empty")


EVENT_CLASSES = (*EVENT_CLASSES, AllianceNamed)
REGISTRY[AllianceNamed.type_name] = AllianceNamed


# --- change-notification subscriptions (no secret and no full target URL: the log is public) -------

CHANNELS = ("webhook", "apprise")
DIGESTS = ("daily",)


@dataclass(frozen=True, slots=True)
class SubscriptionCreated(Event):
    """Someone asked to be told of changes. `target_shown` is the target with credentials masked and
    `fingerprint` a short hash of the secret (webhooks) or of the URL (apprise); both live in a vault."""

    type_name: ClassVar[str] = "SubscriptionCreated"
    subscription_id: str
    channel: str
    target_shown: str
    fingerprint: str
    alliances: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    new_only: bool = False
    stage_changes: bool = False
    corroborations: bool = False
    digest: str | None = None

    def validate(self) -> None:
        _require(bool(self.subscription_id), "a subscription needs an id")
        _require(self.channel in CHANNELS, f"unknown channel {self.channel!r}; one of {list(CHANNELS)}")
        _require(self.digest is None or self.digest in DIGESTS, f"unknown digest {self.digest!r}")
        for k in self.kinds:
            _check_kind(k)


@dataclass(frozen=True, slots=True)
class SubscriptionChanged(Event):
    """A subscription's target or filters were replaced (the whole set, as in SubscriptionCreated)."""

    type_name: ClassVar[str] = "SubscriptionChanged"
    subscription_id: str
    target_shown: str
    fingerprint: str
    alliances: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    new_only: bool = False
    stage_changes: bool = False
    corroborations: bool = False
    digest: str | None = None

    def validate(self) -> None:
        _require(self.digest is None or self.digest in DIGESTS, f"unknown digest {self.digest!r}")
        for k in self.kinds:
            _check_kind(k)


@dataclass(frozen=True, slots=True)
class SubscriptionPaused(Event):
    """Deliveries are held (still collected) until the subscription is resumed."""

    type_name: ClassVar[str] = "SubscriptionPaused"
    subscription_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionResumed(Event):
    """Held deliveries go out again, in log order."""

    type_name: ClassVar[str] = "SubscriptionResumed"
    subscription_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionRemoved(Event):
    """Someone unsubscribed: nothing more is collected or sent."""

    type_name: ClassVar[str] = "SubscriptionRemoved"
    subscription_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionSecretRotated(Event):
    """A webhook got a new signing secret (the old one signs too for a grace period)."""

    type_name: ClassVar[str] = "SubscriptionSecretRotated"
    subscription_id: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SubscriptionDisabled(Event):
    """Delivery stopped for good because the receiver said so (410 Gone)."""

    type_name: ClassVar[str] = "SubscriptionDisabled"
    subscription_id: str
    reason: str


SUBSCRIPTION_EVENTS: tuple[type[Event], ...] = (
    SubscriptionCreated, SubscriptionChanged, SubscriptionPaused, SubscriptionResumed, SubscriptionRemoved,
    SubscriptionSecretRotated, SubscriptionDisabled)
EVENT_CLASSES = (*EVENT_CLASSES, *SUBSCRIPTION_EVENTS)
REGISTRY.update({c.type_name: c for c in SUBSCRIPTION_EVENTS})
