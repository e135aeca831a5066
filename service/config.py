"""One frozen Settings object: defaults < ALLIANCES_* environment < explicit arguments.

Nothing is read at import time; `Settings.from_env()` is called by the composition root.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


class ConfigError(ValueError):
    """A setting with a value we cannot use."""


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alliance-tracker"


def _flag(env: Mapping[str, str], name: str) -> bool:
    v = env.get(name, "").strip().lower()
    if v in ("", "0", "false", "no", "off"):
        return False
    if v in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, got {v!r}")


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        v = int(raw)
    except ValueError:
        v = lo - 1
    if not lo <= v <= hi:
        raise ConfigError(f"{name} must be a whole number from {lo} to {hi}, got {raw!r}")
    return v


def _optional_int(env: Mapping[str, str], name: str, lo: int, hi: int) -> int | None:
    """A whole number in range, or None when the variable is unset (the code then picks)."""
    return _int(env, name, 0, lo, hi) if env.get(name, "").strip() else None


def _threshold(env: Mapping[str, str], name: str, default: float) -> float:
    """A confidence threshold: finite and not negative (above 1 sends every deal to review)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):  # nan compares false with everything: refuse it explicitly
        raise ConfigError(f"{name} must be a number from 0 to 1 (above 1: every deal goes to review), got {raw!r}")
    return v


_SCHEMES = ("sqlite", "postgresql")


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    url = env.get("ALLIANCES_DATABASE_URL") or f"sqlite:///{data_dir / 'alliances.db'}"
    if "://" not in url:
        raise ConfigError(f"ALLIANCES_DATABASE_URL is not a database URL: {url!r}")
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ConfigError(f"ALLIANCES_DATABASE_URL: {scheme!r} databases are not supported;"
                          " use sqlite:///path.db or postgresql+psycopg://user@host/db")
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about one running tracker."""

    data_dir: Path
    database_url: str
    allow_private_urls: bool = False
    admin_password: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    poll_concurrency: int = 8
    review_threshold: float = 0.6
    demo_feed: bool = True
    checkpoint_key: Path | None = None  # Ed25519 key file for signed checkpoints; None: data_dir/checkpoint_key.pem
    channel_timeout: int = 20  # waitress: seconds an idle (or half-sent) connection may stay open
    connection_limit: int = 500  # waitress: connections served at once; more wait in the listen backlog
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto to believe (0: none)
    retry_base_seconds: int = 30  # notifications: the first retry waits about this long, then doubling
    retry_max_attempts: int = 8  # notifications: a delivery is dead after this many failed attempts
    webhook_timeout: int = 10  # notifications: seconds a receiver has to answer
    secret_grace_hours: int = 24  # notifications: a rotated-out webhook secret keeps signing this long
    lease_seconds: int = 600  # how long a worker's claim on a feed or an outbox batch holds if it never lets go
    poll_tick_seconds: int = 30  # how often a worker asks which feeds are due
    wake_fallback_seconds: int = 60  # PostgreSQL: the slow poll behind LISTEN/NOTIFY (SQLite polls every 15 s)
    ready_max_lag: int = 1000  # /readyz: projections at most this many events behind the log head
    metrics_port: int = 0  # `alliances worker`: serve /healthz, /readyz, /metrics on this port (0: off)
    cpu_processes: int | None = None  # parse/extract processes per tracker (None: 2 on > 1 CPU; 0: in-process)

    def for_worker(self) -> Settings:
        """An `alliances worker` parses and extracts in-process unless told otherwise: workers scale out as
        processes (one per core, `--scale worker=N`), and pools inside each would put N x 3 processes on the cores
        (measured: 3 workers with 2 pool processes each were 0.72-1.06x one worker on 2 cores; in-process 1.62x)."""
        return self if self.cpu_processes is not None else replace(self, cpu_processes=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("ALLIANCES_DATA_DIR") or _default_data_dir(env)).expanduser()
        url = _database_url(env, data_dir)
        key = env.get("ALLIANCES_CHECKPOINT_KEY")
        s = cls(
            data_dir=data_dir, database_url=url,
            allow_private_urls=_flag(env, "ALLIANCES_ALLOW_PRIVATE_URLS"),
            admin_password=env.get("ALLIANCES_ADMIN_PASSWORD") or None,
            secret_key=env.get("ALLIANCES_SECRET_KEY") or None,
            host=env.get("ALLIANCES_HOST", "127.0.0.1"), port=_int(env, "ALLIANCES_PORT", 8000, 1, 65535),
            poll_concurrency=_int(env, "ALLIANCES_POLL_CONCURRENCY", 8, 1, 256),
            review_threshold=_threshold(env, "ALLIANCES_REVIEW_THRESHOLD", 0.6),
            demo_feed=not env.get("ALLIANCES_NO_DEMO_FEED"),
            checkpoint_key=Path(key).expanduser() if key else None,
            channel_timeout=_int(env, "ALLIANCES_CHANNEL_TIMEOUT", 20, 1, 3600),
            connection_limit=_int(env, "ALLIANCES_CONNECTION_LIMIT", 500, 1, 10_000),
            trusted_proxies=_int(env, "ALLIANCES_TRUSTED_PROXIES", 0, 0, 5),
            retry_base_seconds=_int(env, "ALLIANCES_RETRY_BASE_SECONDS", 30, 0, 86_400),
            retry_max_attempts=_int(env, "ALLIANCES_RETRY_MAX_ATTEMPTS", 8, 1, 100),
            webhook_timeout=_int(env, "ALLIANCES_WEBHOOK_TIMEOUT", 10, 1, 300),
            secret_grace_hours=_int(env, "ALLIANCES_SECRET_GRACE_HOURS", 24, 0, 720),
            lease_seconds=_int(env, "ALLIANCES_LEASE_SECONDS", 600, 1, 86_400),
            poll_tick_seconds=_int(env, "ALLIANCES_POLL_TICK_SECONDS", 30, 1, 3600),
            wake_fallback_seconds=_int(env, "ALLIANCES_WAKE_FALLBACK_SECONDS", 60, 1, 3600),
            ready_max_lag=_int(env, "ALLIANCES_READY_MAX_LAG", 1000, 0, 1_000_000_000),
            metrics_port=_int(env, "ALLIANCES_METRICS_PORT", 0, 0, 65535),
            cpu_processes=_optional_int(env, "ALLIANCES_CPU_PROCESSES", 0, 64),
        )
        return replace(s, **overrides) if overrides else s  # type: ignore[arg-type]
