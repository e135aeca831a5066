"""CLI commands for extraction, scoring, re-extraction, the review queue and registry aliases."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import IO, Any

import click

from .terminal import echo, json_safe


def extract(*args: Any) -> Any:
    """feeds.extract.extract, imported on first use: compiling its lexicons would slow every other command's start."""
    from feeds.extract import extract as run

    return run(*args)


def score(*args: Any) -> Any:
    """feeds.extract.score, imported on first use."""
    from feeds.extract import score as run

    return run(*args)



def _tracker(ctx: click.Context):  # type: ignore[no-untyped-def]
    from .cli import _tracker as open_tracker

    return open_tracker(ctx)


def _read_jsonl(stream: IO[bytes]) -> tuple[list[dict[str, Any]], list[str]]:
    """Items and one message per line that is not a UTF-8 JSON object (nothing is silently dropped)."""
    items, errors = [], []
    for n, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            errors.append(f"line {n}: not UTF-8 (byte {e.start + 1})")
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: not JSON ({e.msg})")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("title", ""), str):
            errors.append(f"line {n}: expected an object with id, published, title, summary")
            continue
        items.append(item)
    return items, errors


def _deal_json(d: Any) -> dict[str, Any]:
    out = asdict(d)
    out["parties"] = list(d.parties)
    return out


@click.command("extract")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--score", "gold", type=click.File("rb"), help="Score against a gold JSONL file.")
@click.pass_context
def extract_cmd(ctx: click.Context, file: IO[bytes], gold: IO[bytes] | None) -> None:
    """Read news items as JSON Lines (FILE or stdin) and write the deals each reports."""
    tracker = _tracker(ctx)
    registry = tracker.pipeline.registry()
    if gold is not None:
        items, errors = _read_jsonl(gold)
        predicted = {str(i.get("id")): extract(i, registry) for i in items}
        # "applied": the deals at or above the review threshold, which change the live state
        click.echo(json.dumps(score(items, predicted, tracker.settings.review_threshold), indent=2))
    else:
        items, errors = _read_jsonl(file)
        for item in items:
            deals = [_deal_json(d) for d in extract(item, registry)]
            click.echo(json_safe(json.dumps({"id": item.get("id"), "deals": deals}, ensure_ascii=False)))
    for e in errors:
        echo(f"alliances: error: {e}", err=True)
    if errors:
        sys.exit(1)


@click.command()
@click.option("--since", help="Only articles published on or after YYYY-MM-DD.")
@click.pass_context
def reextract(ctx: click.Context, since: str | None) -> None:
    """Run the current extractor over the archive; append only what is new."""
    from events.values import parse_day

    from .progress import bar

    with bar("Re-extracting") as progress:
        s = _tracker(ctx).pipeline.reextract(parse_day(since) if since else None, progress)
    click.echo(f"reextract: {s.articles} articles, {s.deals} deals, {s.events} new events, {s.queued} queued")


@click.group()
def review() -> None:
    """The review queue of low-confidence deals."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "show_all", is_flag=True, help="Include confirmed and rejected candidates.")
@click.pass_context
def review_list(ctx: click.Context, as_json: bool, show_all: bool) -> None:
    """Pending candidates with their evidence."""
    rows = _tracker(ctx).review.candidates(status="all" if show_all else "pending")
    if as_json:
        click.echo(json_safe(json.dumps(rows, ensure_ascii=False, indent=2)))
        return
    for r in rows:
        names = " + ".join(p["name"] for p in r["parties"])
        echo(f"{r['candidate_id']}  {r['status']:<9} {r['confidence']:.2f} {r['kind']}/{r['stage']}  {names}")
        echo(f"    {r['citation']['title']} — {r['citation'].get('evidence') or ''}")
        if r.get("decided_at"):
            why = f": {r['reason']}" if r.get("reason") else ""
            echo(f"    {r['status']} by {r.get('decided_by') or 'unknown'} at {r['decided_at']}{why}")


def _fail(e: ValueError) -> None:
    raise click.ClickException(str(e)) from e


@review.command("confirm")
@click.argument("candidate_id")
@click.option("--parties", help="Corrected parties, comma-separated names or ids.")
@click.option("--kind", help="Corrected kind.")
@click.option("--stage", help="Corrected stage.")
@click.pass_context
def review_confirm(ctx: click.Context, candidate_id: str, parties: str | None, kind: str | None,
                   stage: str | None) -> None:
    """Confirm a candidate (optionally corrected); it becomes alliance events."""
    try:
        _tracker(ctx).review.confirm(candidate_id, parties=[p.strip() for p in parties.split(",")] if parties else None,
                                     kind=kind, stage=stage, by="cli")
    except ValueError as e:
        _fail(e)
    click.echo(f"confirmed {candidate_id}")


@review.command("reject")
@click.argument("candidate_id")
@click.option("--reason", default="")
@click.pass_context
def review_reject(ctx: click.Context, candidate_id: str, reason: str) -> None:
    """Reject a candidate."""
    try:
        _tracker(ctx).review.reject(candidate_id, reason=reason, by="cli")
    except ValueError as e:
        _fail(e)
    click.echo(f"rejected {candidate_id}")


@click.group()
def alias() -> None:
    """Registry aliases (each one an event)."""


@alias.command("add")
@click.argument("company")
@click.argument("name")
@click.pass_context
def alias_add(ctx: click.Context, company: str, name: str) -> None:
    """Teach the registry another NAME for COMPANY (id or canonical name)."""
    try:
        _tracker(ctx).add_alias(company, name)
    except ValueError as e:
        _fail(e)
    echo(f"alias added: {name} -> {company}")


@alias.command("remove")
@click.argument("company")
@click.argument("name")
@click.pass_context
def alias_remove(ctx: click.Context, company: str, name: str) -> None:
    """Withdraw NAME from COMPANY's names (an event); extraction stops matching it."""
    try:
        _tracker(ctx).remove_alias(company, name)
    except ValueError as e:
        _fail(e)
    echo(f"alias removed: {name} -> {company}")


def register(main: click.Group) -> None:
    """Attach this module's commands to `alliances`."""
    for cmd in (extract_cmd, reextract, review, alias):
        main.add_command(cmd)
