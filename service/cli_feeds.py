"""CLI commands for feeds, articles, polling and the worker (registered on the main group)."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
