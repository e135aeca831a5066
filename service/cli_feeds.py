"""CLI commands for feeds, articles, polling and the worker (registered on the main group)."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from feeds.errors import FeedError
from feeds.subscriptions import FeedInfo

from .config import ConfigError, Settings
from .terminal import echo, json_safe, one_line_errors

# bad input (unsafe URL, bad interval, unknown id, broken OPML): one line on stderr, exit 2
_one_line_errors = one_line_errors(FeedError)


def _tracker(ctx: click.Context, *, migrate: bool = False, settings: Settings | None = None) -> Any:
    from .cli import _tracker as open_tracker

    return open_tracker(ctx, migrate=migrate, settings=settings)


def _dump(value: Any) -> None:
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, indent=2)))


def _status(f: FeedInfo) -> str:
    """The feed's own status word, with the count of failures in a row when failing."""
    return f"failing:{f.failures_in_row}" if f.status == "failing" else f.status


def _row(f: FeedInfo) -> str:
    text = f"{f.id:<34} {_status(f):<11} {f.articles:>5}  {f.url}"
    if f.title:
        text += f"  ({f.title})"
    if f.last_error:
        text += f"  last error: {f.last_error}"
    return text


@click.group()
def feeds() -> None:
    """Feed subscriptions (event-sourced) and their polling health."""


@feeds.command("add")
@click.argument("url")
@click.option("--interval", default=None, help="Polling interval such as 30m, 2h, 90s (default 30m).")
@click.option("--title", default=None, help="Title to show (default: the feed's own).")
@click.pass_context
@_one_line_errors
def feeds_add(ctx: click.Context, url: str, interval: str | None, title: str | None) -> None:
    """Subscribe to a feed URL (a web page's advertised feed is found by autodiscovery)."""
    f = _tracker(ctx).subscriptions.add(url, interval=interval, title=title)
    echo(f"added {f.id} {f.url}" + (f"  ({f.title})" if f.title else ""))


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (the stable format).")
@click.pass_context
@_one_line_errors
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """The subscribed feeds, with how polling them goes."""
    infos = _tracker(ctx).subscriptions.feeds()
    if as_json:
        _dump([f.to_json() for f in infos])
        return
    for f in infos:
        echo(_row(f))


@feeds.command("change")
@click.argument("feed_id")
@click.option("--interval", default=None, help="New polling interval such as 30m or 2h.")
@click.option("--title", default=None, help="New title.")
@click.pass_context
@_one_line_errors
def feeds_change(ctx: click.Context, feed_id: str, interval: str | None, title: str | None) -> None:
    """Change a feed's interval or title."""
    echo(_row(_tracker(ctx).subscriptions.change(feed_id, interval=interval, title=title)))


@feeds.command("remove")
@click.argument("feed_id")
@click.pass_context
@_one_line_errors
def feeds_remove(ctx: click.Context, feed_id: str) -> None:
    """Unsubscribe from a feed (its articles stay archived)."""
    _tracker(ctx).subscriptions.remove(feed_id)
    click.echo(f"removed {feed_id}")


@feeds.command("pause")
@click.argument("feed_id")
@click.pass_context
@_one_line_errors
def feeds_pause(ctx: click.Context, feed_id: str) -> None:
    """Stop polling a feed without unsubscribing (an event; `feeds resume` undoes it)."""
    echo(_row(_tracker(ctx).subscriptions.pause(feed_id)))


@feeds.command("resume")
@click.argument("feed_id")
@click.pass_context
@_one_line_errors
def feeds_resume(ctx: click.Context, feed_id: str) -> None:
    """Poll a paused feed again."""
    echo(_row(_tracker(ctx).subscriptions.resume(feed_id)))


@feeds.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
@_one_line_errors
def feeds_import(ctx: click.Context, file: str) -> None:
    """Subscribe to the feeds of an OPML file."""
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as e:
        raise FeedError(f"cannot read {file}: {e.strerror or e}") from None
    added = _tracker(ctx).subscriptions.import_opml(data)
    for f in added:
        echo(f"added {f.id} {f.url}")
    click.echo(f"import: {len(added)} feeds added")


@feeds.command("export")
@click.pass_context
@_one_line_errors
def feeds_export(ctx: click.Context) -> None:
    """Print the subscriptions as OPML."""
    click.echo(_tracker(ctx).subscriptions.export_opml(), nl=False)


@feeds.command("add-defaults")
@click.pass_context
@_one_line_errors
def feeds_add_defaults(ctx: click.Context) -> None:
    """Subscribe to the shipped list of auto-industry and China-EV news feeds."""
    added = _tracker(ctx).subscriptions.add_defaults()
    for f in added:
        echo(f"added {f.id} {f.url}  ({f.title})")
    click.echo(f"add-defaults: {len(added)} feeds added")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--feed", "feed_url", default=None, help="Only the articles of the feed with this URL.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many, newest first.")
@click.pass_context
@_one_line_errors
def articles(ctx: click.Context, as_json: bool, feed_url: str | None, limit: int | None) -> None:
    """Archived feed articles, newest first."""
    t = _tracker(ctx)
    feed_ids = t.subscriptions.feed_ids_for(feed_url) if feed_url is not None else None
    rows = t.archive.articles(t.subscriptions.states(), feed_ids=feed_ids, limit=limit)
    if as_json:
        _dump([a.to_json() for a in rows])
        return
    for a in rows:
        flag = "~" if a.published_estimated else " "
        echo(f"{a.published[:16]}{flag} {a.lang or '--':<3} {a.title}  <{a.url or ''}>")


@click.command()
@click.option("--once", is_flag=True, help="Poll once and return (the worker polls continuously).")
@click.option("--all", "all_", is_flag=True, help="Poll every active feed, not only the due ones.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
@click.pass_context
@_one_line_errors
def poll(ctx: click.Context, once: bool, all_: bool, as_json: bool) -> None:
    """Fetch due feeds, archive new articles, hand them to extraction and update the projections."""
    if not once:
        raise FeedError("use `alliances poll --once` (or `alliances worker` to keep polling)")
    from .progress import bar

    with bar("Polling") as polled, bar("Extracting") as extracted:
        summary = _tracker(ctx).poll_once(all=all_, polled=polled, extracted=extracted)
    if as_json:
        _dump(summary.to_json())
    else:
        click.echo(summary.line())
        for url, error in summary.error_details:
            echo(f"  {url}: {error}", err=True)
    urls = {f.id: f.url for f in _tracker(ctx).subscriptions.feeds()} if summary.leased or summary.released else {}
    for lease in summary.released:
        echo(f"  {lease.line(urls.get(lease.feed_id))}: its process is gone, lease released", err=True)
    for lease in summary.leased:
        echo(f"  {lease.line(urls.get(lease.feed_id))} (another poller; skipped)", err=True)
    if summary.handoff_error:
        echo(f"alliances: warning: extraction hand-off failed, articles stay pending: {summary.handoff_error}",
             err=True)


@click.command()
@click.option("--demo", is_flag=True, help="Also serve and subscribe to the offline demo feed.")
@click.option("--migrate", is_flag=True, help="Upgrade a database schema behind head at start-up (else refused).")
@click.pass_context
def worker(ctx: click.Context, demo: bool, migrate: bool) -> None:
    """Run the polling scheduler until Ctrl-C or SIGTERM."""
    from .scheduler import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    tracker = _tracker(ctx, migrate=migrate, settings=Settings.from_env().for_worker())
    server = None
    if tracker.settings.metrics_port:
        server = _ops_server(tracker)
        logging.getLogger(__name__).info("health and metrics on http://%s:%d/metrics", tracker.settings.host,
                                         server.port)
    try:
        run_forever(tracker, demo=demo)
    finally:
        if server is not None:
            server.stop()


def _ops_server(tracker: Any) -> Any:
    """/healthz, /readyz and /metrics on ALLIANCES_HOST:ALLIANCES_METRICS_PORT; a taken port is one clear line."""
    from .opsserver import OpsServer

    host, port = tracker.settings.host, tracker.settings.metrics_port
    try:
        return OpsServer(tracker.ops, host, port).start()
    except OSError as e:
        raise ConfigError(f"cannot listen on {host}:{port} for metrics (ALLIANCES_METRICS_PORT):"
                          f" {e.strerror or e}") from None


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
    for command in (feeds, articles, poll, worker):
        main.add_command(command)
