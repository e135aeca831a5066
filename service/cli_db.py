"""CLI commands for the database itself: its schema revisions (`db`) and moving the whole log (`log`)."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import click

from events.engine import make_engine
from events.store import EventStore

from .bootstrap import open_database
from .config import Settings
from .logfile import read_log, write_log
from .migrations import ensure, status

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
    main.add_command(db)
    main.add_command(log)


@click.group()
def db() -> None:
    """The database schema: which revision it is at, and upgrading it."""


def _store() -> EventStore:
    settings = Settings.from_env()
    store = EventStore(make_engine(settings.database_url))
    open_database(settings, store)
    return store


@db.command("current")
def db_current() -> None:
    """Print the database's schema revisions and whether they are the head."""
    store = _store()
    try:
        with store.engine.connect() as conn:
            click.echo(f"db current: {status(conn).line()}")
    finally:
        store.engine.dispose()


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to head (an empty database is created at head); safe to run on every deploy."""
    store = _store()
    try:
        before, after = ensure(store, migrate=True)
    finally:
        store.engine.dispose()
    if before.empty:
        click.echo(f"db upgrade: created at head {after.names()}")
    elif before.at_head:
        click.echo(f"db upgrade: already at head {after.names()}")
    else:
        click.echo(f"db upgrade: {before.names()} -> {after.names()} (head)")


@click.group()
def log() -> None:
    """The whole log as a file: export it, import it into an empty database."""


@log.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def log_export(ctx: click.Context, file: Path | None) -> None:
    """Write every stored event, every column and hash, as JSON Lines to FILE (stdout without FILE)."""
    from .cli import _tracker

    store = _tracker(ctx).store
    if file is None:  # UTF-8 whatever the locale says
        sys.stdout.flush()
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            write_log(store.read_stored(), stdout)
            stdout.flush()
        finally:
            stdout.detach()
        return
    n = _write_atomically(file, lambda out: write_log(store.read_stored(), out))
    click.echo(f"log export: {n} events to {file}")


def _write_atomically(path: Path, write: Callable[[IO[str]], int]) -> int:
    """Write beside `path`, then rename: a failed export never leaves a file that looks whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            n = write(out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


@log.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def log_import(ctx: click.Context, file: Path) -> None:
    """Load an exported log into an empty database (positions, times and hashes kept; the chain verified as it is
    read, refused at the first break), then rebuild the read models."""
    from .cli import _tracker

    t = _tracker(ctx)
    with file.open("rb") as lines:
        n = t.store.import_raw(read_log(lines))
    folded = t.projector.rebuild()
    click.echo(f"log import: {n} events, chain verified, head at position {t.store.last_position()};"
               f" read models rebuilt ({folded} events folded)")
