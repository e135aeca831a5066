"""CLI commands that serve the web UI (registered on the main group)."""
from __future__ import annotations

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


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: ALLIANCES_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: ALLIANCES_PORT or 8000).")
@click.option("--demo", is_flag=True, help="Demo mode: the scheduler adds the demo feed and polls it.")
@click.option("--threads", type=int, default=8, show_default=True, help="Waitress worker threads.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, demo: bool, threads: int) -> None:
    """Serve the web UI with waitress and run the feed pollers in-process."""
    import waitress

    from .cli import _tracker
    from .webapp import web_app

    tracker = _tracker(ctx)
    settings = tracker.settings
    host = host or settings.host
    port = settings.port if port is None else port
    app = web_app(tracker)
    app.config["ALLIANCES_STREAM_LIMIT"] = max(1, threads // 2)  # live streams leave half the threads to pages
    if not settings.admin_password:
        click.echo("alliances serve: no ALLIANCES_ADMIN_PASSWORD set: admin pages (feeds, review) are disabled",
                   err=True)
    pollers = start_pollers(tracker, demo)
    click.echo(f"alliances serve: http://{host}:{port}/ (waitress, {threads} threads)")
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="alliances", **waitress_options(settings))
    except (OSError, OverflowError) as e:  # a taken port; a port number out of range
        reason = (e.strerror if isinstance(e, OSError) else None) or e
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}"
                          " (is another server running? choose a port with --port or ALLIANCES_PORT)") from None
    finally:
        stop = getattr(pollers, "shutdown", None) or getattr(pollers, "stop", None)
        if callable(stop):
            stop()
