"""What a process of ours imports before its first piece of work: the CLI's poll path and the pool's children
load only what they use (start-up is a large part of a short command)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ALLIANCES = str(Path(sys.executable).parent / "alliances")


def imported_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint('--modules--', *sys.modules, sep='\\n')"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, **(env or {})})
    return set(done.stdout.split("--modules--")[-1].split())


def test_a_pool_child_rerunning_the_console_script_imports_neither_the_cli_nor_the_database_layer():
    # multiprocessing's spawn and forkserver children re-run their parent's main script as `__mp_main__`
    modules = imported_after(f"import runpy; runpy.run_path({ALLIANCES!r}, run_name='__mp_main__')")
    assert "service.entry" in modules
    assert not {"service.cli", "click", "sqlalchemy", "sqlmodel"} & modules


def test_the_console_script_still_runs_the_cli():
    done = subprocess.run([ALLIANCES, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "poll" in done.stdout and "Alliance Tracker" in done.stdout


def test_a_poll_that_parses_nothing_loads_neither_feedparser_nor_the_extractor_nor_postgresql(tmp_path: Path):
    env = {"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    subprocess.run([ALLIANCES, "db", "upgrade"], env={**os.environ, **env}, capture_output=True, timeout=120,
                   check=True)  # creating the schema is another command's work
    modules = imported_after("from service.cli import main\n"
                             "main(['poll', '--once', '--all', '--json'], standalone_mode=False)", env)
    assert {"service.cli", "feeds.poller", "httpx"} <= modules  # it did run the poll command
    assert not {"feedparser", "feeds.extract.lexicon", "sqlalchemy.dialects.postgresql"} & modules
