"""The `alliances` command line. Its commands, flags and JSON shapes are a contract: keep them stable."""
from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from typing import Any

import click
import orjson
from sqlalchemy.exc import OperationalError

from events.errors import EventsError
from events.seed import load_seed
from events.values import parse_day, parse_instant

from .bootstrap import Tracker, build
from .config import ConfigError, Settings
from .terminal import echo, json_safe

MAX_POSITION = 2**63 - 1  # positions are 64-bit integers in both databases


class _Group(click.Group):
    """Turns expected failures into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (EventsError, ConfigError) as e:
            echo(f"alliances: error: {e}", err=True)
            sys.exit(2)
        except OperationalError as e:  # a full disk, a lost connection: the transaction was rolled back
            first = str(e.orig or e).strip().splitlines()
            echo(f"alliances: error: the database failed: {first[0] if first else type(e.orig).__name__}"
                 " (that transaction was rolled back; run the command again once this is fixed)", err=True)
            sys.exit(2)
        except BrokenPipeError:  # the reader went away (`alliances events --json | head`): stop quietly
            _silence_stdout()
            sys.exit(141)
        except OSError as e:  # the file system: no space, no permission, read-only
            where = f" ({e.filename})" if e.filename else ""
            echo(f"alliances: error: {e.strerror or e}{where}", err=True)
            sys.exit(2)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dump(value: Any) -> None:
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, indent=2)))


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    return parse_day(value) if value else None


def _position(_ctx: click.Context, param: click.Parameter, value: int) -> int:
    if not 0 <= value <= MAX_POSITION:
        raise ConfigError(f"--{param.name} must be a position from 0 to {MAX_POSITION}, got {value}")
    return value


def _instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    return parse_instant(value) if value else None


def _tracker(ctx: click.Context, *, migrate: bool = False, settings: Settings | None = None) -> Tracker:
    """The tracker for this invocation, opened on first use and closed with the command (`migrate`: upgrade a
    schema behind head instead of refusing it; `settings`: instead of the environment's)."""
    ctx = ctx.find_root()
    if ctx.obj is None:
        ctx.obj = build(settings, migrate=migrate)
        ctx.call_on_close(ctx.obj.close)
    return ctx.obj




@click.group(cls=_Group)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Alliance Tracker: partnerships between global carmakers and Chinese tech companies."""


@main.command()
@click.pass_context
def seed(ctx: click.Context) -> None:
    """Load the seed event log (idempotent: twice equals once)."""
    t = _tracker(ctx)
    added = load_seed(t.store)
    t.projector.catch_up()
    click.echo(f"seed: {added} new events, {t.store.last_position()} in the log")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (the stable format).")
@click.option("--as-of", callback=_day, help="Valid date YYYY-MM-DD: what was true then.")
@click.option("--known-at", callback=_instant, help="Transaction time (ISO-8601): what the log knew then.")
@click.pass_context
def state(ctx: click.Context, as_json: bool, as_of: date | None, known_at: datetime | None) -> None:
    """The alliances, now or as of a date and/or as known at a time."""
    t = _tracker(ctx)
    t.projector.catch_up()
    if as_json:  # written from the stored documents' text, indented as `_dump` indents
        text = t.queries.alliances_json(as_of=as_of, known_at=known_at)
        click.echo(json_safe(orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()))
        return
    rows = t.queries.alliances(as_of=as_of, known_at=known_at)
    for r in rows:
        names = " + ".join(p["name"] for p in r["parties"])
        echo(f"{r['id']:<40} {r['stage'] or '-':<17} {','.join(r['kinds']):<35} since {r['since']}  {names}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--after", type=int, default=0, callback=_position, help="Only events after this position.")
@click.pass_context
def events(ctx: click.Context, as_json: bool, after: int) -> None:
    """The stored events in position order."""
    t = _tracker(ctx)
    if as_json:
        click.echo("[", nl=False)
        for i, rec in enumerate(t.store.read(after=after)):
            click.echo(("," if i else "") + "\n" + json_safe(json.dumps(rec.to_json(), ensure_ascii=False)), nl=False)
        click.echo("\n]")
        return
    for rec in t.store.read(after=after):
        valid = str(rec.valid) if rec.valid else "-"
        echo(f"{rec.position:>7} {rec.recorded_at} {valid:<10} {rec.type:<22} {rec.stream_id}")


@main.command()
@click.argument("names", nargs=-1)
@click.pass_context
def rebuild(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Rebuild the read models from position 0 (only the named projections, if any are named)."""
    from .progress import bar

    with bar("Rebuilding") as progress:
        n = _tracker(ctx).projector.rebuild(list(names) or None, progress)
    click.echo(f"rebuild: folded {n} events")


@main.command()
@click.option("--checkpoint", "kept", metavar="FILE|URL",
              help="Also check the log against signed checkpoints someone kept (a file, or /api/checkpoints).")
@click.pass_context
def verify(ctx: click.Context, kept: str | None) -> None:
    """Recompute the hash chain; exit 1 and name the first bad position if it is broken."""
    from .checkpoints import read_kept, trusted_key

    t = _tracker(ctx)
    checkpoints = read_kept(kept) if kept else []
    v = t.store.verify()
    if not v.ok:
        click.echo(f"verify: BROKEN at position {v.first_bad_position}: {v.reason} ({v.checked} good before it)",
                   err=True)
        sys.exit(1)
    click.echo(f"verify: ok, {v.checked} events chained")
    if checkpoints:
        _check_kept(t, checkpoints, trusted_key(t))


def _check_kept(t: Tracker, checkpoints: list[Any], key: str | None) -> None:
    from events.anchor import mismatch

    for cp in checkpoints:
        why = mismatch(t.store, cp, key, chain_verified=True)  # the whole chain verified just before
        if why:
            click.echo(f"verify: CHECKPOINT MISMATCH: {why}", err=True)
            sys.exit(1)
    newest = max(checkpoints, key=lambda c: c.position)
    note = "" if key else ", not this tracker key: compare it"
    click.echo(f"verify: {len(checkpoints)} checkpoint(s) match, the newest at position {newest.position}"
               f" (signed {newest.signed_at}, key {newest.key_id}…{note})")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoint as a JSON object.")
@click.pass_context
def checkpoint(ctx: click.Context, as_json: bool) -> None:
    """Verify the chain, then sign (position, head hash, time) with the key file and keep it."""
    from .checkpoints import write_checkpoint

    cp = write_checkpoint(_tracker(ctx))
    if cp is None:
        click.echo("checkpoint: the log is empty, nothing to sign")
    elif as_json:
        _dump(cp.to_json())
    else:
        click.echo(f"checkpoint: position {cp.position}, head {cp.head_hash}, signed {cp.signed_at},"
                   f" public key {cp.public_key}")


@main.command()
@click.option("--from", "start", required=True, callback=_day, help="Earlier valid date YYYY-MM-DD.")
@click.option("--to", "end", required=True, callback=_day, help="Later valid date YYYY-MM-DD.")
@click.option("--known-at", callback=_instant, help="Transaction time (ISO-8601).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def diff(ctx: click.Context, start: date, end: date, known_at: datetime | None, as_json: bool) -> None:
    """Alliances added, changed and ended between two dates."""
    if end < start:
        raise click.BadParameter("--to must not be before --from")
    t = _tracker(ctx)
    t.projector.catch_up()
    d = t.queries.diff(start, end, known_at)
    if as_json:
        _dump(d)
        return
    for kind in ("added", "changed", "ended"):
        click.echo(f"{kind}: {len(d[kind])}")
        for a in d[kind]:
            names = " + ".join(p["name"] for p in a["parties"])
            echo(f"  {a['id']:<40} {a['before_stage'] or '-'} -> {a['after_stage'] or '-'}  {names}")


def _register_extensions() -> None:
    from . import cli_backfill, cli_db, cli_extract, cli_feeds, cli_notify, cli_web

    for module in (cli_feeds, cli_extract, cli_backfill, cli_web, cli_notify, cli_db):
        module.register(main)


_register_extensions()

if __name__ == "__main__":
    main()
