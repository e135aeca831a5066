"""The `alliances` console script's target. It imports the CLI only when called: multiprocessing's children
(the parse/extract pool) re-run the script that started their parent as `__mp_main__`, and a script importing
`service.cli` at the top would load the whole application (SQLAlchemy, sqlmodel, click, ...) in each of them
before their first task."""
from __future__ import annotations

from typing import Any

__all__ = ["main"]


def main() -> Any:
    from service.cli import main as cli

    return cli()


if __name__ == "__main__":
    main()
