"""One frozen Settings object: defaults < ALLIANCES_* environment < explicit arguments.

Nothing is read at import time; `Settings.from_env()` is called by the composition root.
"""
from __future__ import annotations

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("ALLIANCES_DATA_DIR") or _default_data_dir(env)).expanduser()
        url = env.get("ALLIANCES_DATABASE_URL") or f"sqlite:///{data_dir / 'alliances.db'}"
        if "://" not in url:
            raise ConfigError(f"ALLIANCES_DATABASE_URL is not a database URL: {url!r}")
        try:
            port = int(env.get("ALLIANCES_PORT", "8000"))
            threshold = float(env.get("ALLIANCES_REVIEW_THRESHOLD", "0.6"))
            conc = int(env.get("ALLIANCES_POLL_CONCURRENCY", "8"))
        except ValueError as e:
            raise ConfigError(f"bad number in the environment: {e}") from e
        s = cls(
            data_dir=data_dir, database_url=url,
            allow_private_urls=_flag(env, "ALLIANCES_ALLOW_PRIVATE_URLS"),
            admin_password=env.get("ALLIANCES_ADMIN_PASSWORD") or None,
            secret_key=env.get("ALLIANCES_SECRET_KEY") or None,
            host=env.get("ALLIANCES_HOST", "127.0.0.1"), port=port, poll_concurrency=conc,
            review_threshold=threshold, demo_feed=not env.get("ALLIANCES_NO_DEMO_FEED"),
        )
        return replace(s, **overrides) if overrides else s  # type: ignore[arg-type]
