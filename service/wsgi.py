"""WSGI entry point for an external server (`waitress-serve --call service.wsgi:app_from_env`)."""
from __future__ import annotations

from flask import Flask

from .bootstrap import build
from .cli_web import limit_malloc_arenas
from .webapp import web_app


def app_from_env() -> Flask:
    """The UI for the tracker configured by the environment (no pollers: run `alliances worker`)."""
    limit_malloc_arenas()  # the server calls this before it starts its threads
    return web_app(build())
