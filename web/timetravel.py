"""Time travel on every page: `?as_of=` (valid time) and `?known_at=` (transaction time).

`as_of` (and every date argument) takes `YYYY`, `YYYY-MM` or `YYYY-MM-DD` and means the last day of
that period, the rule event dates follow: "as of 2024-05" is the state once May 2024 is over.
Parsed once per request into `g.as_of` / `g.known_at`; a bad value is a 400 with the parser's
message. `href()` builds links that keep the chosen date.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, g, request, url_for

from events.errors import BadDate
from events.values import FuzzyDate, parse_instant

KEEP = ("as_of", "known_at")


def _parse() -> None:
    g.as_of = g.known_at = None
    g.as_of_text = g.known_at_text = ""
    try:
        raw = request.args.get("as_of", "").strip()
        if raw:
            g.as_of, g.as_of_text = period_end(raw), raw
        raw = request.args.get("known_at", "").strip()
        if raw:
            g.known_at, g.known_at_text = parse_instant(raw), raw
    except BadDate as e:
        abort(400, description=f"Bad date in the address: {e}.")
    g.past = g.as_of is not None or g.known_at is not None
    g.future = g.as_of is not None and g.as_of > date.today()
    g.tt = {k: v for k, v in (("as_of", g.as_of_text), ("known_at", g.known_at_text)) if v}
    g.tt_query = ("?" + urlencode(g.tt)) if g.tt else ""


def period_end(text: str) -> date:
    """The last day of `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (BadDate otherwise)."""
    return FuzzyDate.parse(text).end


def parse_day_arg(name: str, default: date | None = None) -> date | None:
    """A `YYYY`, `YYYY-MM` or `YYYY-MM-DD` query argument as the period's last day, or 400 with a clear message."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return period_end(raw)
    except BadDate as e:
        abort(400, description=f"Bad date for '{name}': {e}.")


MAX_INT64 = 2**63 - 1


def parse_int_arg(name: str, default: int, lo: int = 0, hi: int | None = None) -> int:
    """A non-negative integer query argument, or 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        v = int(raw)
    except ValueError:
        abort(400, description=f"'{name}' must be a whole number, got {raw!r}.")
    hi = MAX_INT64 if hi is None else hi  # what the databases' BIGINT holds: larger values would fail as 500s
    if v < lo or v > hi:
        abort(400, description=f"'{name}' must lie between {lo} and {hi}.")
    return v


def href(endpoint: str, **values: Any) -> str:
    """url_for that keeps ?as_of= and ?known_at= (pass as_of=None to drop one)."""
    params = dict(g.get("tt") or {})
    for k in KEEP:
        if k in values:
            v = values.pop(k)
            if v:
                params[k] = v
            else:
                params.pop(k, None)
    values = {k: v for k, v in values.items() if v not in (None, "")}
    return url_for(endpoint, **values, **params)


def today_or_as_of() -> date:
    return g.as_of or date.today()


def known_at_label(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else ""


def init(app: Flask) -> None:
    app.before_request(_parse)
    app.jinja_env.globals["href"] = href
    app.jinja_env.globals["today"] = date.today
    app.jinja_env.filters["known_at_label"] = known_at_label
