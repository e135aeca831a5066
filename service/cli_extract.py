"""CLI commands for extraction, re-extraction and the review queue (registered on the main group)."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
