"""Signed checkpoints: anchors that make tail truncation and whole-chain rewrites detectable.

The hash chain alone proves that the stored events fit together; someone able to write the database
can still delete the last events or recompute every later hash. A checkpoint (position, head hash,
time) signed with an Ed25519 key kept outside the database, and kept by someone else, pins the log:
a later log must still hold that position with that hash.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

from .codec import canonical_json
from .store import EventStore

_DOMAIN = "alliance-tracker/checkpoint/v1"


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """What a keeper stores; its JSON form is what `/api/checkpoints` publishes."""

    position: int
    head_hash: str
    signed_at: str
    public_key: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Any) -> SignedCheckpoint:
        """Read one checkpoint object; ValueError in one line when it is not one."""
        fields = ("position", "head_hash", "signed_at", "public_key", "signature")
        if not isinstance(obj, dict) or any(f not in obj for f in fields):
            raise ValueError(f"a checkpoint is an object with {', '.join(fields)}")
        if not isinstance(obj["position"], int) or isinstance(obj["position"], bool) or obj["position"] < 1:
            raise ValueError("a checkpoint's position is a positive integer")
        if not all(isinstance(obj[f], str) for f in fields[1:]):
            raise ValueError("a checkpoint's hash, time, key and signature are strings")
        return cls(*(obj[f] for f in fields))

    @property
    def key_id(self) -> str:
        return self.public_key[:16]


def message(position: int, head_hash: str, signed_at: str) -> bytes:
    """The exact bytes signed: a domain tag and the three anchored values as canonical JSON."""
    return canonical_json([_DOMAIN, position, head_hash, signed_at]).encode("utf-8")


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(key: Ed25519PrivateKey, position: int, head_hash: str, signed_at: str) -> SignedCheckpoint:
    sig = key.sign(message(position, head_hash, signed_at)).hex()
    return SignedCheckpoint(position, head_hash, signed_at, public_hex(key), sig)


def signature_ok(cp: SignedCheckpoint) -> bool:
    """Whether `cp` was signed by the key it names (compare that key with the operator's published one)."""
    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp.public_key))
        pub.verify(bytes.fromhex(cp.signature), message(cp.position, cp.head_hash, cp.signed_at))
    except (ValueError, InvalidSignature):
        return False
    return True


def mismatch(store: EventStore, cp: SignedCheckpoint, trusted_key: str | None = None, *,
             chain_verified: bool = False) -> str | None:
    """None when the log still holds what `cp` anchors; else why not, in one line.

    Pass `chain_verified` when `store.verify()` has just passed, to skip walking the chain again.
    """
    if trusted_key is not None and cp.public_key != trusted_key:
        return f"checkpoint at position {cp.position} was signed by key {cp.key_id}…, not this tracker's key"
    if not signature_ok(cp):
        return f"checkpoint at position {cp.position} has a bad signature"
    last = store.last_position()
    if last < cp.position:
        return f"the log ends at position {last}, before the checkpoint's {cp.position}: events were removed"
    if store.hash_at(cp.position) != cp.head_hash:
        return f"the hash at position {cp.position} differs from the checkpoint's: the log was rewritten"
    v = None if chain_verified else store.verify(upto=cp.position)
    if v is not None and not v.ok:
        return f"the chain up to the checkpoint is broken at position {v.first_bad_position}: {v.reason}"
    return None


class CheckpointLog:
    """The `chain_checkpoints` table: where a tracker keeps the checkpoints it signed (and publishes them)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def add(self, cp: SignedCheckpoint) -> None:
        """Keep `cp`; the first checkpoint signed at a position stays (two signers racing are harmless)."""
        with self.store.write() as conn:
            conn.execute(text("INSERT INTO chain_checkpoints (position, head_hash, signed_at, public_key, signature)"
                              " VALUES (:position, :head_hash, :signed_at, :public_key, :signature)"
                              " ON CONFLICT (position) DO NOTHING"), cp.to_json())

    def latest(self, limit: int = 100) -> list[SignedCheckpoint]:
        """The newest checkpoints first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(text("SELECT position, head_hash, signed_at, public_key, signature FROM"
                                     " chain_checkpoints ORDER BY position DESC LIMIT :n"), {"n": limit}).all()
        return [SignedCheckpoint(*r) for r in rows]
