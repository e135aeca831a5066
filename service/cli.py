"""The `alliances` command line. Its commands, flags and JSON shapes are a contract: keep them stable."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any

import click

from events.errors import EventsError
from events.seed import load_seed
from events.values import parse_day, parse_instant

from .bootstrap import Tracker, build
from .config import ConfigError


class _Group(click.Group):
    """Turns expected failures into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (EventsError, ConfigError) as e:
            click.echo(f"alliances: error: {e}", err=True)
            sys.exit(2)


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    return parse_day(value) if value else None


def _instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    return parse_instant(value) if value else None


def _tracker(ctx: click.Context) -> Tracker:
    """The tracker for this invocation, opened on first use and closed with the command."""
    ctx = ctx.find_root()
    if ctx.obj is None:
        ctx.obj = build()
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
    rows = t.queries.alliances(as_of=as_of, known_at=known_at)
    if as_json:
        _dump(rows)
        return
    for r in rows:
        names = " + ".join(p["name"] for p in r["parties"])
        click.echo(f"{r['id']:<40} {r['stage'] or '-':<17} {','.join(r['kinds']):<35} since {r['since']}  {names}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--after", type=int, default=0, help="Only events after this position.")
@click.pass_context
def events(ctx: click.Context, as_json: bool, after: int) -> None:
    """The stored events in position order."""
    t = _tracker(ctx)
    if as_json:
        click.echo("[", nl=False)
        for i, rec in enumerate(t.store.read(after=after)):
            click.echo(("," if i else "") + "\n" + json.dumps(rec.to_json(), ensure_ascii=False), nl=False)
        click.echo("\n]")
        return
    for rec in t.store.read(after=after):
        valid = str(rec.valid) if rec.valid else "-"
        click.echo(f"{rec.position:>7} {rec.recorded_at} {valid:<10} {rec.type:<22} {rec.stream_id}")


@main.command()
@click.argument("names", nargs=-1)
@click.pass_context
def rebuild(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Rebuild the read models from position 0 (only the named projections, if any are named)."""
    n = _tracker(ctx).projector.rebuild(list(names) or None)
    click.echo(f"rebuild: folded {n} events")


@main.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Recompute the hash chain; exit 1 and name the first bad position if it is broken."""
    v = _tracker(ctx).store.verify()
    if v.ok:
        click.echo(f"verify: ok, {v.checked} events chained")
        return
    click.echo(f"verify: BROKEN at position {v.first_bad_position}: {v.reason} ({v.checked} good before it)", err=True)
    sys.exit(1)


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
            click.echo(f"  {a['id']:<40} {a['before_stage'] or '-'} -> {a['after_stage'] or '-'}  {names}")


def _register_extensions() -> None:
    from . import cli_extract, cli_feeds, cli_web

    for module in (cli_feeds, cli_extract, cli_web):
        module.register(main)


_register_extensions()

if __name__ == "__main__":
    main()
