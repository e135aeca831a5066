"""The composition root: settings in, a wired tracker out. The only place that knows every part."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from events.engine import check_connection, make_engine
from events.projector import Projector
from events.queries import Queries
from events.store import EventStore

from .config import Settings


@dataclass
class Tracker:
    """A wired tracker: store, projector and queries over one database."""

    settings: Settings
    store: EventStore = field(init=False)

    def __post_init__(self) -> None:
        if self.settings.database_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.database_url)
        check_connection(engine)
        self.store = EventStore(engine)
        self.store.migrate()

    @cached_property
    def projector(self) -> Projector:
        return Projector(self.store)

    @cached_property
    def queries(self) -> Queries:
        return Queries(self.store)

    def close(self) -> None:
        self.store.engine.dispose()


def build(settings: Settings | None = None) -> Tracker:
    """Open (and migrate) the tracker configured by `settings` or the environment."""
    return Tracker(settings or Settings.from_env())
