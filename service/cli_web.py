"""CLI commands that serve the web UI (registered on the main group)."""
from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from .config import ConfigError

if TYPE_CHECKING:
    from .bootstrap import Tracker


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
    main.add_command(serve)


def start_pollers(tracker: Tracker, demo: bool) -> object | None:
    """Start the in-process pollers if the scheduler module exists; otherwise warn and carry on."""
    try:
        from service.scheduler import start_background  # written alongside; optional until it lands
    except ImportError as e:
        click.echo(f"alliances serve: warning: pollers not started ({e}); serving the UI only", err=True)
        return None
    return start_background(tracker, demo=demo)


M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)
MALLOC_ARENAS = 1  # the GIL lets one thread run Python at a time: more arenas buy little but kept leftovers


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at MALLOC_ARENAS before the server's threads start (True: done).

    glibc gives each thread an arena of its own, up to 8 per core, and keeps what a page freed in the arena of the
    thread that served it: 8 waitress threads each holding the leftovers of a 10,000-alliance page cost a web
    process at 1M events ~30 MB of RSS (`serve --no-pollers` on SQLite: peak 174 MB with glibc's default, 146 MB
    with two arenas; on PostgreSQL 151 MB with two, 145 MB with one, pages as fast). No-op where the C library is
    not glibc, or where MALLOC_ARENA_MAX is set (the operator's choice)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS))


def waitress_options(settings: Any) -> dict[str, Any]:
    """Slow or idle clients are cut off after channel_timeout; at most connection_limit are served at once.

    A client that trickles its headers byte by byte is only stopped by a reverse proxy in front (README).
    X-Forwarded-* headers pass to the app only when ALLIANCES_TRUSTED_PROXIES says a proxy sets them.
    """
    return {
        "channel_timeout": settings.channel_timeout,
        "cleanup_interval": max(1, min(30, settings.channel_timeout // 2)),
        "connection_limit": settings.connection_limit,
        "clear_untrusted_proxy_headers": settings.trusted_proxies == 0,
    }


DEMO_PASSWORD = "demo"  # what `make serve` sets when ALLIANCES_ADMIN_PASSWORD is unset


def address(host: str, port: int, path: str = "/") -> str:
    """The address people type: IPv6 hosts in brackets, a wildcard host shown as this machine."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}{path}"


def bound_port(server: Any, asked: int) -> int:
    """The port the server listens on (port 0 asks the system for a free one)."""
    if hasattr(server, "effective_port"):
        return int(server.effective_port)
    listening = getattr(server, "effective_listen", None)  # several sockets (a host name with IPv4 and IPv6)
    return int(listening[0][1]) if listening else asked


def loaded_line(tracker: Tracker, alliances: Callable[[], int]) -> str:
    """What this server holds: events, alliances (counted by `alliances`, after the catch-up), feeds (with how many
    are failing or never polled)."""
    tracker.projector.catch_up()
    feeds = tracker.subscriptions.feeds()
    statuses = [f.status for f in feeds]
    notes = ", ".join(f"{n} {word}" for word, n in (("failing", statuses.count("failing")),
                                                    ("not polled yet", statuses.count("new")),
                                                    ("paused", statuses.count("paused"))) if n)
    return (f"alliances serve: loaded {tracker.store.count()} events, {alliances()} alliances, "
            f"{len(feeds)} feeds" + (f" ({notes})" if notes else ""))


def admin_line(password: str | None, base: str, demo: bool) -> str:
    """Where the admin pages are and how their password is set: never the password, unless it is the demo's."""
    login = f"{base}login"
    if not password:
        return (f"alliances serve: admin pages (feeds, review) are disabled: set ALLIANCES_ADMIN_PASSWORD and "
                f"restart, then log in at {login}")
    if demo and password == DEMO_PASSWORD:
        return (f"alliances serve: admin: log in at {login} with the password 'demo', the demo default that "
                f"`make serve` sets (set ALLIANCES_ADMIN_PASSWORD to choose your own)")
    return f"alliances serve: admin: log in at {login} with the password set in ALLIANCES_ADMIN_PASSWORD"


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: ALLIANCES_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: ALLIANCES_PORT or 8000).")
@click.option("--demo", is_flag=True, help="Demo mode: the scheduler adds the demo feed and polls it.")
@click.option("--threads", type=click.IntRange(1, 1024), default=8, show_default=True,
              help="Waitress worker threads.")
@click.option("--no-pollers", is_flag=True,
              help="Serve the UI only; the pollers, ingest and projections run in `alliances worker` processes.")
@click.option("--migrate", is_flag=True, help="Upgrade a database schema behind head at start-up (else refused).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, demo: bool, threads: int, no_pollers: bool,
          migrate: bool) -> None:
    """Serve the web UI with waitress and run the feed pollers in-process (unless --no-pollers)."""
    from waitress.server import create_server

    from web.app import present_alliances

    from .cli import _tracker
    from .webapp import web_app

    if demo and no_pollers:
        raise ConfigError("--demo needs the pollers: drop --no-pollers (or run `alliances worker --demo`)")
    limit_malloc_arenas()  # before any thread: the pollers' and waitress's
    tracker = _tracker(ctx, migrate=migrate)
    settings = tracker.settings
    host = host or settings.host
    port = settings.port if port is None else port
    app = web_app(tracker)
    app.config["ALLIANCES_STREAM_LIMIT"] = max(1, threads // 2)  # live streams leave half the threads to pages
    logging.basicConfig()  # waitress reports its own warnings through logging
    try:  # bind first: a taken port fails before the pollers start; port 0 learns its number here
        server = create_server(app, host=host, port=port, threads=threads, ident="alliances",
                               **waitress_options(settings))
    except (OSError, OverflowError, ValueError) as e:  # a taken port; a port number out of range
        reason = (e.strerror if isinstance(e, OSError) else None) or e
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}"
                          " (is another server running? choose a port with --port or ALLIANCES_PORT)") from None
    pollers = None if no_pollers else start_pollers(tracker, demo)
    role = "; UI only: no pollers" if no_pollers else ""
    try:
        base = address(host, bound_port(server, port))
        click.echo(loaded_line(tracker, lambda: present_alliances(app)))  # the first '/' built, not a count
        click.echo(f"alliances serve: {base} (waitress, {threads} threads{role}; stop with Ctrl-C)")
        click.echo(admin_line(settings.admin_password, base, demo))
        server.run()
    finally:
        server.close()
        stop = getattr(pollers, "shutdown", None) or getattr(pollers, "stop", None)
        if callable(stop):
            stop()
