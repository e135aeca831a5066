"""CLI commands for change notifications: subscribe, subscriptions, deliveries, redeliver, notify."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from notify.model import Filters, SubState
from notify.service import Notifications, SubscriptionError

from .terminal import echo, json_safe, one_line_errors

# bad input (unsafe URL, unknown id, filter or scheme): one line on stderr, exit 2
_one_line_errors = one_line_errors(SubscriptionError)


def _tracker(ctx: click.Context) -> Any:
    from .cli import _tracker as open_tracker

    return open_tracker(ctx)


def _service(ctx: click.Context) -> Notifications:
    n: Notifications = _tracker(ctx).notifications
    return n


def _dump(value: Any) -> None:
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, indent=2)))


def subscription_json(s: SubState, counts: dict[str, int] | None) -> dict[str, Any]:
    """The stable shape of `subscriptions list --json` (no secret, the target masked)."""
    c = counts or {}
    return {"id": s.id, "channel": s.channel, "target": s.target_shown, "fingerprint": s.fingerprint,
            **s.filters.to_json(), "created_at": s.created_at, "created_position": s.created_position,
            "paused": s.paused, "disabled": s.disabled, "pending": c.get("pending", 0), "dead": c.get("dead", 0),
            "delivered": c.get("delivered", 0)}


@click.command()
@click.option("--webhook", metavar="URL", help="POST each change, signed (Standard Webhooks), to this URL.")
@click.option("--apprise", "apprise_url", metavar="URL", help="Send through an apprise URL (mailto://, slack://, ...).")
@click.option("--alliance", "alliances", multiple=True, metavar="ID", help="Only this alliance (repeatable).")
@click.option("--company", "companies", multiple=True, metavar="ID", help="Only alliances of this company.")
@click.option("--kind", "kinds", multiple=True, metavar="K", help="Only alliances of this kind (repeatable).")
@click.option("--new-only", is_flag=True, help="Only new alliances.")
@click.option("--stage-changes", is_flag=True, help="Only stage changes (new, stage moved, ended).")
@click.option("--corroborations", is_flag=True, help="Also further sources for facts already known.")
@click.option("--digest", metavar="daily", help="One message a day listing the day's changes.")
@click.pass_context
@_one_line_errors
def subscribe(ctx: click.Context, webhook: str | None, apprise_url: str | None, alliances: tuple[str, ...],
              companies: tuple[str, ...], kinds: tuple[str, ...], new_only: bool, stage_changes: bool,
              corroborations: bool, digest: str | None) -> None:
    """Be told of changes recorded from now on; prints the id (and a webhook's secret, shown once)."""
    if bool(webhook) == bool(apprise_url):
        raise SubscriptionError("give exactly one of --webhook URL or --apprise URL")
    channel, target = ("webhook", webhook) if webhook else ("apprise", apprise_url)
    filters = Filters(alliances, companies, kinds, new_only, stage_changes, corroborations, digest)
    sid, secret = _service(ctx).subscribe(channel, target or "", filters)
    click.echo(sid)
    if secret:
        click.echo(secret)
        echo("alliances: keep this secret now: it is shown only once (`subscriptions rotate ID` makes a new one)",
             err=True)


@click.group()
def subscriptions() -> None:
    """List and manage notification subscriptions."""


@subscriptions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    n = _service(ctx)
    counts = n.counts()
    rows = [subscription_json(s, counts.get(s.id)) for s in n.subscriptions()]
    if as_json:
        _dump(rows)
        return
    for r in rows:
        state = "disabled" if r["disabled"] else "paused" if r["paused"] else "active"
        filters = [*(f"alliance={a}" for a in r["alliances"]), *(f"company={c}" for c in r["companies"]),
                   *(f"kind={k}" for k in r["kinds"]), *(["new-only"] if r["new_only"] else []),
                   *(["stage-changes"] if r["stage_changes"] else []),
                   *(["corroborations"] if r["corroborations"] else []),
                   *([f"digest={r['digest']}"] if r["digest"] else [])]
        echo(f"{r['id']}  {r['channel']:<8} {state:<8} {r['target']}  {' '.join(filters) or 'every change'}"
             f"  (pending {r['pending']}, delivered {r['delivered']}, dead {r['dead']})")


def _simple(name: str, doc: str, act: Callable[[Notifications, str], str]) -> None:
    @subscriptions.command(name, help=doc)
    @click.argument("subscription_id")
    @click.pass_context
    @_one_line_errors
    def command(ctx: click.Context, subscription_id: str) -> None:
        echo(act(_service(ctx), subscription_id))


def _pause(n: Notifications, sid: str) -> str:
    n.pause(sid)
    return f"{sid}: paused (changes are still collected, and sent in order on resume)"


def _resume(n: Notifications, sid: str) -> str:
    n.resume(sid)
    return f"{sid}: resumed"


def _remove(n: Notifications, sid: str) -> str:
    n.remove(sid)
    return f"{sid}: removed"


def _rotate(n: Notifications, sid: str) -> str:
    secret = n.rotate(sid)
    echo("alliances: the old secret keeps signing during the grace period (ALLIANCES_SECRET_GRACE_HOURS)", err=True)
    return secret


_simple("pause", "Hold deliveries (still collected) until resumed.", _pause)
_simple("resume", "Send held deliveries again, in log order.", _resume)
_simple("remove", "Unsubscribe (the target and secrets are erased).", _remove)
_simple("rotate", "Print a new webhook secret (shown once); the old one signs too for a grace period.", _rotate)


@subscriptions.command("test")
@click.argument("subscription_id")
@click.pass_context
@_one_line_errors
def test(ctx: click.Context, subscription_id: str) -> None:
    """Send a test message now and print the receiver's answer (exit 1 if it failed)."""
    out = _service(ctx).send_test(subscription_id)
    status = out.status if out.status is not None else "no status"
    echo(f"test: {'ok' if out.ok else 'FAILED'}, {status}, {out.latency_ms:.0f} ms: {out.excerpt[:200]}")
    if not out.ok:
        sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (newest first, with attempts).")
@click.option("--subscription", "sid", metavar="ID", help="Only this subscription's deliveries.")
@click.option("--dead", is_flag=True, help="Only deliveries that gave up.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.pass_context
@_one_line_errors
def deliveries(ctx: click.Context, as_json: bool, sid: str | None, dead: bool, limit: int) -> None:
    """The delivery log, newest first."""
    n = _service(ctx)
    if sid is not None:
        n.get(sid)
    rows = n.deliveries(sid, dead_only=dead, limit=limit)
    if as_json:
        _dump([d.to_json() for d in rows])
        return
    for d in rows:
        last = d.log[-1] if d.log else None
        tail = f"  last: {last['status'] or '-'} {last['excerpt'][:60]}" if last else ""
        echo(f"{d.id}  {d.subscription_id}  {d.state:<9} attempts {d.attempts}  {d.title[:70]}{tail}")


@click.command()
@click.argument("delivery_id", required=False)
@click.option("--dead", is_flag=True, help="Every dead delivery.")
@click.pass_context
@_one_line_errors
def redeliver(ctx: click.Context, delivery_id: str | None, dead: bool) -> None:
    """Make a delivery (or every dead one) due now again, with the same message id."""
    if bool(delivery_id) == dead:
        raise SubscriptionError("give a DELIVERY_ID or --dead")
    n = _service(ctx)
    if dead:
        click.echo(f"redeliver: {n.redeliver_dead()} dead deliveries due again")
    else:
        n.redeliver(delivery_id or "")
        click.echo(f"redeliver: {delivery_id} due again")


@click.command()
@click.option("--once", is_flag=True, help="One pass: deliver everything due now, print a summary line, exit.")
@click.option("--interval", type=click.FloatRange(0.5, 3600), default=5.0, show_default=True,
              help="Seconds between passes when running on.")
@click.pass_context
def notify(ctx: click.Context, once: bool, interval: float) -> None:
    """Run the dispatcher (the worker and `serve` run it too)."""
    t = _tracker(ctx)
    while True:
        summary = t.notify_once()
        if once:
            click.echo(summary.line())
            return
        if summary.attempts:
            echo(summary.line())
        time.sleep(interval)


def register(main: click.Group) -> None:
    for command in (subscribe, subscriptions, deliveries, redeliver, notify):
        main.add_command(command)
