"""CLI commands that serve the web UI (registered on the main group)."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
