"""The read models feeds/ keeps on the core's runner: the composition root registers these subscribers.

A new one is a `Stored` fold (a table, a key, a pure fold, a codec) and one line here.
"""
from __future__ import annotations

from dataclasses import dataclass

from .folded import Stored
from .learned import Taught, stored_learned
from .review import Candidate, stored_review_queue
from .sources import FeedState, stored_feed_states

__all__ = ["FeedModels", "feed_models"]


@dataclass(frozen=True)
class FeedModels:
    """One instance of each feeds/ projection, to register on a runner and to read through."""

    feed_state: Stored[FeedState]
    review_queue: Stored[Candidate]
    company_registry: Stored[Taught]

    def subscribers(self) -> list[Stored[FeedState] | Stored[Candidate] | Stored[Taught]]:
        return [self.feed_state, self.review_queue, self.company_registry]


def feed_models() -> FeedModels:
    return FeedModels(stored_feed_states(), stored_review_queue(), stored_learned())
