"""Canonical JSON and the hash chain: the bytes that the chain proves."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
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


HASH_VERSION = 2  # what new events are chained with; version 1 events keep verifying as they were written
_V2_TAG = "alliance-tracker/event-chain/v2"
V2_COLUMNS = (
    "position", "stream_id", "stream_version", "type", "schema_version", "payload", "valid", "valid_from",
    "valid_to", "valid_precision", "recorded_at", "provenance", "idempotency_key",
)


def _sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash_v2(prev_hash: str, row: Sequence[Any]) -> str:
    """Version 2 covers every stored column a read uses (valid_from/_to/_precision and provenance too).

    `row` holds the V2_COLUMNS values in that order. The fields are one canonical JSON array, so None
    and "" differ and no separator can be forged; payload and provenance enter through their own
    hashes (redactable, as in version 1).
    """
    (pos, stream, ver, typ, sv, payload, valid, v_from, v_to, v_prec, at, prov, key) = row[:13]
    fields = [_V2_TAG, prev_hash, pos, stream, ver, typ, sv, _sha(payload), valid, v_from, v_to, v_prec, at,
              _sha(prov), key]
    return hashlib.sha256(_ENCODER.encode(fields).encode("utf-8")).hexdigest()


def row_hash(version: int, prev_hash: str, row: Sequence[Any]) -> str | None:
    """The hash a stored row (V2_COLUMNS order) must carry under its version; None for an unknown version."""
    if version == 2:
        return chain_hash_v2(prev_hash, row)
    if version == 1:
        return chain_hash(prev_hash, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[10], row[12])
    return None
