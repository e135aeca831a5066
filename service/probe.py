"""The container health check (`python -m service.probe`): no dependencies beyond what the tracker has.

Without arguments it asks the web process on 127.0.0.1:ALLIANCES_PORT for /healthz: any HTTP answer below 500
proves the server is up and answering (a 404 from a version without that route too); a refused connection, a
timeout or a 5xx is unhealthy. With `--database` (the workers, which listen nowhere) it checks instead that the
database answers and its schema is at head.
"""
from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

__all__ = ["main"]


def _web(port: str) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310 - loopback
            return None
    except urllib.error.HTTPError as e:
        return None if e.code < 500 else f"HTTP {e.code}"
    except OSError as e:
        return str(e)


def _database() -> str | None:
    from events.engine import make_engine
    from events.store import EventStore

    from .bootstrap import open_database
    from .config import Settings
    from .migrations import status

    settings = Settings.from_env()
    store = EventStore(make_engine(settings.database_url))
    try:
        open_database(settings, store)
        with store.engine.connect() as conn:
            s = status(conn)
        return None if s.at_head else s.line()
    except Exception as e:  # noqa: BLE001 - any failure is "unhealthy", said in one line
        return str(e).splitlines()[0] if str(e) else type(e).__name__
    finally:
        store.engine.dispose()


def main(argv: list[str]) -> int:
    """0 healthy, 1 not (with one line on stderr saying why)."""
    why = _database() if "--database" in argv else _web(os.environ.get("ALLIANCES_PORT", "8000"))
    if why:
        print(f"unhealthy: {why}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
