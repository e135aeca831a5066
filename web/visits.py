"""The visitor's last visit, kept in two cookies, so pages can say what changed since then.

`alliances_seen` (a year) holds the log position at the end of the last visit; `alliances_since`
(this browser session only) holds the baseline of the present visit, so every page of one visit marks
the same changes even though `alliances_seen` moves on with each page shown.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request

SEEN_COOKIE = "alliances_seen"
SESSION_COOKIE = "alliances_since"
YEAR = 365 * 24 * 3600


def _cookie_int(name: str) -> int | None:
    raw = request.cookies.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@dataclass(frozen=True, slots=True)
class Visit:
    seen: int | None  # the position shown at the end of the last visit (None: first visit)
    baseline: int | None  # changes after it are "new since your last visit"
    session: int | None

    @property
    def first(self) -> bool:
        return self.seen is None


def current() -> Visit:
    seen, session = _cookie_int(SEEN_COOKIE), _cookie_int(SESSION_COOKIE)
    return Visit(seen, session if session is not None else seen, session)


def remember(resp: Response, visit: Visit, position: int) -> None:
    """Move `alliances_seen` to what this page showed; fix the visit's baseline for the session."""
    if visit.seen != position:
        resp.set_cookie(SEEN_COOKIE, str(position), max_age=YEAR, httponly=True, samesite="Lax")
    if visit.session is None:
        resp.set_cookie(SESSION_COOKIE, str(visit.baseline if visit.baseline is not None else position),
                        httponly=True, samesite="Lax")


def cookie_key() -> str:
    """The part of a page's cache key that these cookies decide: the baseline and whether it is a first
    visit (not the raw cookies: `alliances_seen` moves with every page while the page stays the same)."""
    visit = current()
    return f"{visit.baseline}/{visit.first}"
