"""Errors of the feed subscription service: each one a clear one-line message for the CLI and the web."""
from __future__ import annotations

__all__ = ["BadOPML", "DuplicateFeed", "FeedError", "UnknownFeed"]


class FeedError(ValueError):
    """A feed command that cannot be carried out; the message says why in one line."""


class UnknownFeed(FeedError):
    """No active feed has this id."""


class DuplicateFeed(FeedError):
    """The URL is already subscribed."""


class BadOPML(FeedError):
    """An OPML document we cannot or will not read (malformed, or with a DTD/entities)."""
