"""The registry of subscribers: a new projection is one module and one line here.

Other packages add their own (feeds registers its feed state, review queue and company
registry) with `register(factory)`; the composition root builds the runner from the registry.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .readmodel import AllianceProjection, CompanyProjection
from .runner import Runner, Subscriber
from .store import EventStore

Factory = Callable[[EventStore], Subscriber]


class Registry:
    """Named subscriber factories, in the order catch-up runs them."""

    def __init__(self, factories: Iterable[Factory] = ()) -> None:
        self._factories: list[Factory] = list(factories)

    def register(self, factory: Factory) -> Factory:
        """Add a subscriber factory (usable as a decorator)."""
        self._factories.append(factory)
        return factory

    def build(self, store: EventStore, extra: Iterable[Subscriber] = ()) -> list[Subscriber]:
        return [f(store) for f in self._factories] + list(extra)

    def runner(self, store: EventStore, extra: Iterable[Subscriber] = (), batch: int | None = None) -> Runner:
        subs = self.build(store, extra)
        return Runner(store, subs) if batch is None else Runner(store, subs, batch)


REGISTRY = Registry([
    lambda store: CompanyProjection(),
    lambda store: AllianceProjection(store, "alliances"),
    lambda store: AllianceProjection(store, "history"),
])
register = REGISTRY.register

__all__ = ["Factory", "REGISTRY", "Registry", "register"]
