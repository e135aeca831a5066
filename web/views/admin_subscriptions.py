"""Admin pages for change notifications: subscriptions (webhook or apprise), their filters, their delivery
log, Send test, Redeliver, pause/resume, rotate secret, remove. Every command goes through the
SubscriptionCommands port; a ValueError it raises is shown as one line on the form, the input kept."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..auth import admin_required
from ..deps import queries, subscriptions
from ..formatting import KIND_LABELS
from ..ports import Attempt, Json, SubscriptionRow, SubscriptionSpec
from .admin_feeds import when

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
CHANNELS = {"webhook": "Webhook (signed JSON POST)", "apprise": "Apprise URL (e-mail, Slack, Telegram, ntfy, Matrix…)"}
LIST_SPLIT = re.compile(r"[,，、;\n]+")
ID_SPLIT = re.compile(r"[\s,，、;]+")
BLANK: dict[str, Any] = {"channel": "webhook", "target": "", "alliances": "", "companies": "", "kinds": [],
                         "new_only": False, "stage_changes": False, "corroborations": False, "digest": "now"}


# --- the form, as pure functions ----------------------------------------------------------------


def form_values(form: Mapping[str, str], kinds: Iterable[str]) -> dict[str, Any]:
    """What the visitor typed, kept as typed (shown again when a command refuses it)."""
    return {"channel": form.get("channel", "webhook"), "target": form.get("target", "").strip(),
            "alliances": form.get("alliances", "").strip(), "companies": form.get("companies", "").strip(),
            "kinds": [k for k in kinds if k in KIND_LABELS], "new_only": form.get("new_only") == "on",
            "stage_changes": form.get("stage_changes") == "on", "corroborations": form.get("corroborations") == "on",
            "digest": "daily" if form.get("digest") == "daily" else "now"}


def spec_values(spec: SubscriptionSpec) -> dict[str, Any]:
    """A subscription's spec as form values (the target left blank: it may hold credentials)."""
    return {"channel": spec.channel, "target": "", "alliances": ", ".join(spec.alliances),
            "companies": ", ".join(spec.companies), "kinds": list(spec.kinds), "new_only": spec.new_only,
            "stage_changes": spec.stage_changes, "corroborations": spec.corroborations,
            "digest": spec.digest or "now"}


def company_ids(text: str, companies: Iterable[Json]) -> tuple[str, ...]:
    """Companies named by id, English or Chinese name or alias (comma-separated); unknown ones refused."""
    names: dict[str, str] = {}
    for c in companies:
        for n in (c["id"], c.get("name"), c.get("name_zh"), *c.get("aliases", ())):
            if n:
                names.setdefault(str(n).casefold(), c["id"])
    found: list[str] = []
    unknown: list[str] = []
    for token in (t.strip() for t in LIST_SPLIT.split(text)):
        if token:
            cid = names.get(token.casefold())
            if cid:
                found.append(cid)
            else:
                unknown.append(token)
    if unknown:
        raise ValueError(f"unknown compan{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}"
                         " (give an id or a name as the company page shows it)")
    return tuple(dict.fromkeys(found))


def to_spec(values: Mapping[str, Any], companies: Iterable[Json], keep_target: str = "") -> SubscriptionSpec:
    """The form values as a SubscriptionSpec (the service checks URLs and alliance ids)."""
    channel = values["channel"]
    if channel not in CHANNELS:
        raise ValueError(f"choose a channel: {' or '.join(CHANNELS)}")
    target = values["target"] or keep_target
    if not target:
        raise ValueError("give the URL to deliver to")
    return SubscriptionSpec(
        channel=channel, target=target,
        alliances=tuple(dict.fromkeys(a for a in ID_SPLIT.split(values["alliances"]) if a)),
        companies=company_ids(values["companies"], companies) if values["companies"] else (),
        kinds=tuple(values["kinds"]), new_only=values["new_only"], stage_changes=values["stage_changes"],
        corroborations=values["corroborations"], digest="daily" if values["digest"] == "daily" else None)


def describe(spec: SubscriptionSpec) -> str:
    """The filters in words for the list ('every change' when there are none)."""
    parts = [f"alliances {', '.join(spec.alliances)}" if spec.alliances else "",
             f"companies {', '.join(spec.companies)}" if spec.companies else "",
             f"kinds {', '.join(k.replace('_', ' ') for k in spec.kinds)}" if spec.kinds else "",
             "new alliances only" if spec.new_only else "", "stage changes only" if spec.stage_changes else "",
             "with corroborations" if spec.corroborations else ""]
    return "; ".join(p for p in parts if p) or "every change"


# --- views --------------------------------------------------------------------------------------


def _found(subscription_id: str) -> SubscriptionRow:
    row = subscriptions().subscription(subscription_id)
    if row is None:
        abort(404, description=f"There is no subscription with the id {subscription_id!r}.")
    return row


def _index(values: dict[str, Any], error: str | None = None, status: int = 200) -> ResponseReturnValue:
    rows = subscriptions().list_subscriptions()
    return render_template("subscriptions.html", rows=rows, values=values, error=error, channels=CHANNELS,
                           kinds=KIND_LABELS, describe=describe, when=when), status


def _detail(row: SubscriptionRow, *, values: dict[str, Any] | None = None, error: str | None = None,
            secret: str | None = None, test: Attempt | None = None, status: int = 200) -> ResponseReturnValue:
    log = subscriptions().deliveries(row.id, limit=100)
    return render_template("subscription.html", s=row, deliveries=log, values=values or spec_values(row.spec),
                           error=error, secret=secret, test=test, channels=CHANNELS, kinds=KIND_LABELS,
                           describe=describe, when=when), status


def _back(subscription_id: str) -> ResponseReturnValue:
    return redirect(url_for("subscriptions.detail", subscription_id=subscription_id)), 303


@bp.get("")
@admin_required
def index() -> ResponseReturnValue:
    """Every subscription, and the form for a new one (prefilled by ?alliance= / ?company= links)."""
    values = {**BLANK, "alliances": ", ".join(request.args.getlist("alliance")),
              "companies": ", ".join(request.args.getlist("company"))}
    return _index(values)


@bp.post("")
@admin_required
def create() -> ResponseReturnValue:
    """Subscribe; a webhook's secret is shown on the page this answers with, and never again."""
    values = form_values(request.form, request.form.getlist("kind"))
    try:
        created = subscriptions().subscribe(to_spec(values, queries().companies()))
    except ValueError as e:
        return _index(values, f"Could not subscribe: {e}", 400)
    flash("Subscribed. Deliveries start with the next change recorded.", "ok")
    return _detail(_found(created.id), secret=created.secret)


@bp.get("/<subscription_id>")
@admin_required
def detail(subscription_id: str) -> ResponseReturnValue:
    """One subscription: its filters, its delivery log and what can be done with it."""
    return _detail(_found(subscription_id))


@bp.post("/<subscription_id>/change")
@admin_required
def change(subscription_id: str) -> ResponseReturnValue:
    """New filters or delivery for a subscription (its target kept unless a new one is given)."""
    row = _found(subscription_id)
    values = form_values({**request.form, "channel": row.spec.channel}, request.form.getlist("kind"))
    try:
        subscriptions().change(subscription_id, to_spec(values, queries().companies(), keep_target=row.spec.target))
    except ValueError as e:
        return _detail(row, values=values, error=f"Could not change the subscription: {e}", status=400)
    flash("Changed the subscription.", "ok")
    return _back(subscription_id)


@bp.post("/<subscription_id>/test")
@admin_required
def send_test(subscription_id: str) -> ResponseReturnValue:
    """Deliver a test message now and show what the receiver answered."""
    row = _found(subscription_id)
    try:
        attempt = subscriptions().send_test(subscription_id)
    except ValueError as e:
        return _detail(row, error=f"Could not send a test: {e}", status=400)
    return _detail(_found(subscription_id), test=attempt)


@bp.post("/<subscription_id>/rotate")
@admin_required
def rotate(subscription_id: str) -> ResponseReturnValue:
    """A new signing secret, shown once; the old one keeps signing during the grace period."""
    row = _found(subscription_id)
    try:
        secret = subscriptions().rotate_secret(subscription_id)
    except ValueError as e:
        return _detail(row, error=f"Could not rotate the secret: {e}", status=400)
    return _detail(row, secret=secret)


def _command(subscription_id: str, verb: str, done: str) -> ResponseReturnValue:
    _found(subscription_id)
    try:
        if verb == "pause":
            subscriptions().pause(subscription_id)
        else:
            subscriptions().resume(subscription_id)
    except ValueError as e:
        flash(f"Could not {verb} the subscription: {e}", "error")
    else:
        flash(done, "ok")
    return _back(subscription_id)


@bp.post("/<subscription_id>/pause")
@admin_required
def pause(subscription_id: str) -> ResponseReturnValue:
    return _command(subscription_id, "pause", "Paused: changes are kept and delivered on resume.")


@bp.post("/<subscription_id>/resume")
@admin_required
def resume(subscription_id: str) -> ResponseReturnValue:
    return _command(subscription_id, "resume", "Resumed.")


@bp.post("/<subscription_id>/remove")
@admin_required
def remove(subscription_id: str) -> ResponseReturnValue:
    _found(subscription_id)
    try:
        subscriptions().remove(subscription_id)
    except ValueError as e:
        flash(f"Could not remove the subscription: {e}", "error")
        return _back(subscription_id)
    flash(f"Removed the subscription {subscription_id}.", "ok")
    return redirect(url_for("subscriptions.index")), 303


@bp.post("/<subscription_id>/redeliver")
@admin_required
def redeliver(subscription_id: str) -> ResponseReturnValue:
    """Make one delivery due again (same message id), or with `dead=all` every dead one of this subscription."""
    _found(subscription_id)
    try:
        if request.form.get("dead") == "all":
            n = subscriptions().redeliver_dead(subscription_id)
            flash(f"{n} dead deliver{'y' if n == 1 else 'ies'} due again.", "ok")
        else:
            delivery_id = request.form.get("delivery", "")
            subscriptions().redeliver(delivery_id)
            flash(f"Delivery {delivery_id} is due again.", "ok")
    except ValueError as e:
        flash(f"Could not redeliver: {e}", "error")
    return _back(subscription_id)


@bp.post("/redeliver-dead")
@admin_required
def redeliver_all_dead() -> ResponseReturnValue:
    """Every dead delivery of every subscription due again (after a receiver's outage is over)."""
    try:
        n = subscriptions().redeliver_dead()
    except ValueError as e:
        flash(f"Could not redeliver: {e}", "error")
    else:
        flash(f"{n} dead deliver{'y' if n == 1 else 'ies'} due again.", "ok")
    return redirect(url_for("subscriptions.index")), 303
