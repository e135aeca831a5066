"""The composition root: settings in, a wired tracker out. The only place that knows every part."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from events.engine import check_connection, make_engine
from events.queries import Queries
from events.runner import Runner
from events.store import EventStore
from events.subscribers import REGISTRY
from feeds import tables as feed_tables
from feeds.service import FeedService

from .config import Settings

if TYPE_CHECKING:
    from .pipeline import ExtractSummary, Pipeline, ReviewService


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
        feed_tables.migrate(engine)

    @cached_property
    def projector(self) -> Runner:
        """The subscriber runner over every registered projection (`catch_up()`, `rebuild(names)`)."""
        return REGISTRY.runner(self.store)

    @cached_property
    def queries(self) -> Queries:
        return Queries(self.store, self.projector)

    @cached_property
    def feeds(self) -> FeedService:
        return FeedService(self.store, allow_private=self.settings.allow_private_urls,
                           concurrency=self.settings.poll_concurrency)

    @cached_property
    def pipeline(self) -> "Pipeline":
        from .pipeline import Pipeline

        return Pipeline(self)

    @cached_property
    def review(self) -> "ReviewService":
        from .pipeline import ReviewService

        return ReviewService(self, self.pipeline)

    def extract_articles(self, articles: list[dict]) -> "ExtractSummary":
        """Extraction hand-off for freshly archived articles (the poller calls this)."""
        return self.pipeline.extract_articles(articles)

    def poll_once(self, *, all: bool = False):  # type: ignore[no-untyped-def]
        """The whole pipeline once: fetch, archive, extract, append, project."""
        return self.pipeline.poll_once(all=all)

    def add_alias(self, company: str, alias: str) -> None:
        """Teach the registry another name (an AliasAdded event)."""
        from .pipeline import add_alias

        add_alias(self, self.pipeline, company, alias)

    def close(self) -> None:
        self.store.engine.dispose()


def build(settings: Settings | None = None) -> Tracker:
    """Open (and migrate) the tracker configured by `settings` or the environment."""
    return Tracker(settings or Settings.from_env())
