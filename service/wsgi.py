"""WSGI entry point for an external server (`waitress-serve --call service.wsgi:app_from_env`)."""
from __future__ import annotations

from flask import Flask

from .bootstrap import build
from .webapp import web_app


def app_from_env() -> Flask:
    """The UI for the tracker configured by the environment (no pollers: run `alliances worker`)."""
    return web_app(build())
