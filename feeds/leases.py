"""Feed leases after a crash: which feeds are held, by whom and until when; and freeing dead holders' leases.

A poller leases the feeds it polls (`feed_health.lease_owner`, `lease_until`); its owner id is
"host:pid:nonce". A poller killed with SIGKILL leaves its leases until they lapse (10 minutes unless set
otherwise). On the same host we can tell that the holder is gone, and free its leases at once; elsewhere we
wait, and say so. The archive's outbox claims use the same owner ids and the same rule.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

__all__ = ["Lease", "holder", "pid_alive", "release_dead", "held"]


@dataclass(frozen=True, slots=True)
class Lease:
    """A feed leased by another poller."""

    feed_id: str
    owner: str
    until: str  # UTC ISO stamp

    def line(self, url: str | None = None) -> str:
        return f"{url or self.feed_id}: leased by {self.owner} until {self.until}"


def holder(owner: str | None) -> tuple[str, int] | None:
    """(host, pid) of an owner id written as 'host:pid:nonce'; None for other spellings."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: os.kill said it exists


def release_dead(conn: Connection, health: Table, *, host: str | None = None,
                 alive: Callable[[int], bool] = pid_alive) -> list[Lease]:
    """Free the leases held by processes of this host that no longer exist; returns what was freed."""
    host = host or socket.gethostname()
    rows = conn.execute(select(health.c.feed_id, health.c.lease_owner, health.c.lease_until)
                        .where(health.c.lease_owner.is_not(None))).all()
    dead = [Lease(r.feed_id, r.lease_owner, r.lease_until or "") for r in rows
            if (h := holder(r.lease_owner)) and h[0] == host and not alive(h[1])]
    for lease in dead:
        conn.execute(update(health).where(health.c.feed_id == lease.feed_id, health.c.lease_owner == lease.owner)
                     .values(lease_owner=None, lease_until=None))
    return dead


def held(conn: Connection, health: Table, now_stamp: str, feed_ids: Collection[str], *,
         mine: str | None = None) -> list[Lease]:
    """Leases of `feed_ids` still in force at `now_stamp` and held by someone other than `mine`."""
    rows = conn.execute(select(health.c.feed_id, health.c.lease_owner, health.c.lease_until)
                        .where(health.c.lease_owner.is_not(None), health.c.lease_until >= now_stamp)).all()
    wanted: Any = set(feed_ids)
    return sorted((Lease(r.feed_id, r.lease_owner, r.lease_until) for r in rows
                   if r.feed_id in wanted and r.lease_owner != mine), key=lambda lease: lease.feed_id)
