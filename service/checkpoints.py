"""Signing checkpoints of the hash chain with a key file kept outside the database, and reading kept ones.

The key is an Ed25519 private key (PEM, PKCS#8, mode 0600) at ALLIANCES_CHECKPOINT_KEY, by default
`checkpoint_key.pem` in the data directory; it is created on first use. Keep a copy of the public key
(printed with every checkpoint) and of some checkpoints somewhere the database's owner cannot write.
"""
from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from events.anchor import CheckpointLog, SignedCheckpoint, public_hex, sign
from events.errors import ChainBroken
from events.store import utc_stamp

from .config import ConfigError

if TYPE_CHECKING:
    from .bootstrap import Tracker

log = logging.getLogger(__name__)
MAX_CHECKPOINT_BYTES = 5 * 1024 * 1024
CHECKPOINT_SECONDS = 3600.0  # the scheduler signs one an hour (only when the log has grown)


def key_path(tracker: Tracker) -> Path:
    s = tracker.settings
    return s.checkpoint_key or (s.data_dir / "checkpoint_key.pem")


def load_key(path: Path, *, create: bool = False) -> Ed25519PrivateKey | None:
    """The signing key at `path` (created if `create` and absent); None if absent; ConfigError if unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _create_key(path) if create else None
    except OSError as e:
        raise ConfigError(f"cannot read the checkpoint key {path}: {e.strerror or e}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{path} is not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use that one
        return load_key(path) or key
    except OSError as e:
        raise ConfigError(f"cannot create the checkpoint key {path}: {e.strerror or e}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def write_checkpoint(tracker: Tracker, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
                     ) -> SignedCheckpoint | None:
    """Verify the whole chain, then sign and keep (position, head hash, time); None for an empty log.

    A broken chain is never signed: ChainBroken is raised instead.
    """
    store = tracker.store
    v = store.verify()
    if not v.ok:
        raise ChainBroken(v.first_bad_position or 0, v.reason)
    if v.checked == 0:
        return None
    key = load_key(key_path(tracker), create=True)
    assert key is not None
    head = store.hash_at(v.checked)
    assert head is not None
    cp = sign(key, v.checked, head, utc_stamp(clock()))
    CheckpointLog(store).add(cp)
    return cp


def checkpoint_job(tracker: Tracker) -> None:
    """The scheduler's periodic checkpoint; failures are logged, never kill the scheduler."""
    try:
        cp = write_checkpoint(tracker)
    except Exception:  # noqa: BLE001 - the next run tries again
        log.exception("checkpoint failed")
        return
    if cp is not None:
        log.info("checkpoint: position %s, head %s", cp.position, cp.head_hash[:16])


def trusted_key(tracker: Tracker) -> str | None:
    """This tracker's own public key, when its key file is here (an outside checker has none)."""
    key = load_key(key_path(tracker))
    return public_hex(key) if key else None


def read_kept(source: str) -> list[SignedCheckpoint]:
    """Checkpoints from a file or an http(s) URL: one object, a list, or /api/checkpoints' answer."""
    raw = _fetch(source) if source.startswith(("http://", "https://")) else _read_file(source)
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source} is not JSON: {e}") from None
    if isinstance(data, dict) and "checkpoints" in data:
        data = data["checkpoints"]
    items = data if isinstance(data, list) else [data]
    try:
        cps = [SignedCheckpoint.from_json(x) for x in items]
    except ValueError as e:
        raise ConfigError(f"{source}: {e}") from None
    if not cps:
        raise ConfigError(f"{source} holds no checkpoint")
    return cps


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_CHECKPOINT_BYTES + 1)[:MAX_CHECKPOINT_BYTES]
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}") from None


def _fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=15) as resp:  # noqa: S310 - http(s) only, checked above
            return resp.read(MAX_CHECKPOINT_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ConfigError(f"cannot fetch {url}: {getattr(e, 'reason', None) or e}") from None
