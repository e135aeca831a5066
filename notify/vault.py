"""The vault: what a subscription needs to send and must never enter the public log.

One row per subscription: the full target URL (apprise URLs carry passwords and tokens; webhook URLs
may carry a token in their path) and the webhook signing secrets, newest first, each with the time it
stops signing (None: the current one). Written by the subscription service, read by the dispatcher.
"""
from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from .tables import VAULT

__all__ = ["Sealed", "Vault"]


@dataclass(frozen=True, slots=True)
class Sealed:
    target: str
    secrets: tuple[tuple[str, str | None], ...]  # (whsec_..., signs until ISO or None), newest first

    def signing(self, now: str) -> list[str]:
        """The secrets that sign at `now`: the current one, and a rotated-out one in its grace period."""
        return [s for s, until in self.secrets if until is None or until > now]


class Vault:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, conn: Connection, sid: str, target: str, secret: str | None, now: str) -> None:
        conn.execute(delete(VAULT).where(VAULT.c.subscription_id == sid))
        secrets = [[secret, None]] if secret else []
        conn.execute(VAULT.insert(), [{"subscription_id": sid, "target": target,
                                       "secrets": orjson.dumps(secrets).decode(), "updated_at": now}])

    def get(self, sid: str, conn: Connection | None = None) -> Sealed | None:
        if conn is None:
            with self.engine.connect() as c:
                return self.get(sid, c)
        row = conn.execute(select(VAULT.c.target, VAULT.c.secrets).where(VAULT.c.subscription_id == sid)).first()
        if row is None:
            return None
        return Sealed(row.target, tuple((s, u) for s, u in orjson.loads(row.secrets)))

    def retarget(self, conn: Connection, sid: str, target: str, now: str) -> None:
        conn.execute(update(VAULT).where(VAULT.c.subscription_id == sid).values(target=target, updated_at=now))

    def rotate(self, conn: Connection, sid: str, secret: str, old_until: str, now: str) -> None:
        """The new secret signs from now on; the others sign until `old_until` at the latest."""
        sealed = self.get(sid, conn)
        kept = [[s, min(u, old_until) if u else old_until] for s, u in (sealed.secrets if sealed else ())
                if u is None or u > now]
        conn.execute(update(VAULT).where(VAULT.c.subscription_id == sid).values(
            secrets=orjson.dumps([[secret, None], *kept]).decode(), updated_at=now))

    def forget(self, conn: Connection, sid: str) -> None:
        """A removed subscription's credentials are erased."""
        conn.execute(delete(VAULT).where(VAULT.c.subscription_id == sid))
