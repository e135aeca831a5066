"""Standard Webhooks signing: `webhook-id`, `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 over
`id.timestamp.body`, keyed by the base64 secret after `whsec_`), several signatures during a rotation."""
from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

__all__ = ["fingerprint", "new_secret", "signed_headers"]


def new_secret() -> str:
    """A fresh signing secret: 24 random bytes, base64, with the standard's prefix."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def fingerprint(secret: str) -> str:
    """A short public name for a secret (or URL): tells two apart without revealing either."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def signed_headers(msg_id: str, when: datetime, body: str, secrets_: Iterable[str]) -> dict[str, str]:
    """The three headers; one `v1,` signature per secret, space-separated (the newest first)."""
    when = when.astimezone(UTC)
    sigs = [Webhook(s).sign(msg_id, when, body) for s in secrets_]
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": " ".join(sigs), "content-type": "application/json"}
