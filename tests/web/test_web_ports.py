"""The web's ports: the real adapters (service/webapp.py) and the test fakes implement the same Protocols.

Statically, mypy (run by `make test`) checks the `Ports(...)` built below; at run time each method's
signature (parameter names, kinds, defaults and resolved type hints) is compared with the Protocol's, so a
fake cannot accept what the real service refuses (the old "interval" bug had exactly that shape).
"""
from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from service.bootstrap import Tracker
from service.webapp import TrackerAliases, TrackerFeeds, TrackerQueries, TrackerReview, TrackerSubscriptions
from tests.web.conftest import FakeFeeds, FakeOperations, FakeReview, FakeSubscriptions
from web.ports import (
    AliasCommands,
    FeedCommands,
    FeedRow,
    Operations,
    Ports,
    Queries,
    ReviewCommands,
    SubscriptionCommands,
)

PROTOCOLS: dict[str, type[Any]] = {"queries": Queries, "feeds": FeedCommands, "review": ReviewCommands,
                                   "aliases": AliasCommands, "subscriptions": SubscriptionCommands,
                                   "ops": Operations}


def protocol_methods(protocol: type[Any]) -> list[str]:
    return sorted(n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_"))


def mismatches(protocol: type[Any], impl: object) -> list[str]:
    """How `impl`'s methods differ from the Protocol's (names, kinds, defaults, type hints); [] if none."""
    found = []
    for name in protocol_methods(protocol):
        theirs = getattr(type(impl), name, None)
        if theirs is None:
            found.append(f"{name}: missing")
            continue
        want, got = inspect.signature(getattr(protocol, name)), inspect.signature(theirs)
        shape = [(p.name, p.kind, p.default) for p in want.parameters.values()]
        if shape != [(p.name, p.kind, p.default) for p in got.parameters.values()]:
            found.append(f"{name}: parameters {got} differ from {want}")
        if typing.get_type_hints(getattr(protocol, name)) != typing.get_type_hints(theirs):
            found.append(f"{name}: type hints differ")
    return found


def real_ports(tracker: Tracker) -> Ports:
    return Ports(queries=TrackerQueries(tracker), feeds=TrackerFeeds(tracker), review=TrackerReview(tracker),
                 aliases=TrackerAliases(tracker), subscriptions=TrackerSubscriptions(tracker), ops=tracker.ops)


def fake_ports(tracker: Tracker) -> Ports:
    return Ports(queries=TrackerQueries(tracker), feeds=FakeFeeds(), review=FakeReview(),
                 aliases=TrackerAliases(tracker), subscriptions=FakeSubscriptions(), ops=FakeOperations())


@pytest.mark.parametrize("build", [real_ports, fake_ports], ids=["real", "fake"])
@pytest.mark.parametrize("port", sorted(PROTOCOLS))
def test_each_implementation_has_the_protocols_signatures(tracker: Tracker, build: Any, port: str) -> None:
    impl = getattr(build(tracker), port)
    assert mismatches(PROTOCOLS[port], impl) == []


def test_a_fake_that_takes_other_arguments_than_the_protocol_is_caught() -> None:
    class SecondsFeeds(FakeFeeds):  # the shape of the old bug: seconds where the port says minutes
        def add(self, url: str, *, interval: int | None = None,  # type: ignore[override]
                title: str | None = None) -> FeedRow:
            return super().add(url, interval_minutes=interval, title=title)

    assert mismatches(FeedCommands, SecondsFeeds()) == [
        "add: parameters (self, url: 'str', *, interval: 'int | None' = None, title: 'str | None' = None) -> "
        "'FeedRow' differ from (self, url: 'str', *, interval_minutes: 'int | None' = None, "
        "title: 'str | None' = None) -> 'FeedRow'",
        "add: type hints differ",
    ]


def test_a_fake_missing_a_command_is_caught() -> None:
    class OnlyPending:
        def pending(self) -> list[dict[str, Any]]:
            return []

    assert "confirm: missing" in mismatches(ReviewCommands, OnlyPending())


def test_every_protocol_declares_only_what_the_web_calls() -> None:
    """A method no view uses is dead weight in a port: each one is called somewhere under web/."""
    from pathlib import Path

    source = "\n".join(p.read_text(encoding="utf-8") for p in (Path(__file__).parents[2] / "web").rglob("*.py")
                       if p.name != "ports.py")
    unused = [f"{proto.__name__}.{m}" for proto in PROTOCOLS.values() for m in protocol_methods(proto)
              if f".{m}(" not in source]
    assert unused == []


def test_the_web_never_probes_what_a_service_offers() -> None:
    """No hasattr/getattr under web/: what a port offers is its Protocol, checked by mypy, not found out at run time."""
    from pathlib import Path

    offenders = [str(p) for p in (Path(__file__).parents[2] / "web").rglob("*.py")
                 if "hasattr(" in (text := p.read_text(encoding="utf-8")) or "getattr(" in text]
    assert offenders == []
