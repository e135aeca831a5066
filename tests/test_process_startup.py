"""What a process of ours imports before its first piece of work: the CLI's poll path and the pool's children
load only what they use (start-up is a large part of a short command)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ALLIANCES = str(Path(sys.executable).parent / "alliances")


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_a_pool_child_rerunning_the_console_script_imports_neither_the_cli_nor_the_database_layer():
    # multiprocessing's spawn and forkserver children re-run their parent's main script as `__mp_main__`
    modules = imported_after(f"import runpy; runpy.run_path({ALLIANCES!r}, run_name='__mp_main__')")
    assert "service.entry" in modules
    assert not {"service.cli", "click", "sqlalchemy", "sqlmodel"} & modules


def test_the_console_script_still_runs_the_cli():
    done = subprocess.run([ALLIANCES, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "poll" in done.stdout and "Alliance Tracker" in done.stdout
