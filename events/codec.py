"""Canonical JSON and the hash chain: the bytes that the chain proves."""
from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept (Chinese stays readable)."""
    return _ENCODER.encode(value)


def payload_hash(payload_json: str) -> str:
    return hashlib.sha256(payload_json.encode("utf-8")).hexdigest()


def chain_hash(
    prev_hash: str,
    position: int,
    stream_id: str,
    stream_version: int,
    type_name: str,
    schema_version: int,
    payload_json: str,
    valid: str | None,
    recorded_at: str,
    idempotency_key: str,
) -> str:
    """Hash an event together with its predecessor's hash.

    The payload enters through its own hash, so a payload could later be redacted while
    the chain still proves what was recorded, when and where.
    """
    parts = (
        prev_hash, str(position), stream_id, str(stream_version), type_name, str(schema_version),
        payload_hash(payload_json), valid or "", recorded_at, idempotency_key,
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
