"""`alliances import FILE.jsonl`: backfill the tracker from an archive of past news (registered on the main group)."""
from __future__ import annotations

import sys
from typing import IO

import click

from .progress import bar
from .terminal import echo


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.pass_context
def import_cmd(ctx: click.Context, file: IO[bytes]) -> None:
    """Load an archive of past news: JSON Lines in the `extract` input shape plus url and publisher.

    Each article takes the polled articles' path (archive, extract, decide, append) and is cited with its
    publisher and URL; an article already archived (same URL or same text) adds nothing, so importing a file
    twice equals importing it once. A bad line gets one line on stderr (its number and why) and costs only itself.
    """
    from .cli import _tracker

    tracker = _tracker(ctx)
    with bar("Extracting") as progress:
        done = tracker.import_archive(file, progress)
    for e in done.read.errors:
        echo(f"alliances: error: {e}", err=True)
    click.echo(done.line())
    if done.error:
        echo(f"alliances: warning: extraction stopped, the rest stays pending: {done.error}", err=True)
    if done.read.errors or done.error:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
    main.add_command(import_cmd)
