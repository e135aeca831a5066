"""The web UI: server-rendered pages and a JSON API over the ports in `web.ports`.

`create_app` is the only entry point; it wires the blueprints, security headers, CSRF,
login and time travel. The composition root (service/) passes the implementations; the
views reach the rest of the tracker only through those Protocols.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` is imported on first use: the CLI reads `web.ports` without loading Flask and the views."""
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
