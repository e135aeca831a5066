"""`alliances serve` says what it loaded, where it listens, where the admin pages are and how their password is set
(never the password, unless it is the demo default of `make serve`): a real server process on a free port."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.cli_web import address, admin_line

ALLIANCES = str(Path(sys.executable).parent / "alliances")
REPO = Path(__file__).resolve().parents[1]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCES_")}
    return {**base, "ALLIANCES_DATA_DIR": str(tmp_path / "data"), **extra}


class Served:
    """`alliances serve --port 0 ...` started in its own process; its first three lines of output."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([ALLIANCES, "serve", "--port", "0", *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.lines = [self.proc.stdout.readline().rstrip("\n") for _ in range(3)]
        m = re.search(r"(http://127\.0\.0\.1:\d+/) ", self.lines[1])
        assert m, self.lines
        self.url = m.group(1)

    def stop(self) -> str:
        """Ctrl-C, as a person stops it; returns what it wrote on stderr."""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Path]:
    env = clean_env(tmp_path)
    assert subprocess.run([ALLIANCES, "seed"], env=env, capture_output=True, timeout=120).returncode == 0
    yield tmp_path


def test_make_serve_demo_prints_what_it_loaded_the_url_and_the_demo_password(seeded: Path) -> None:
    served = Served(clean_env(seeded, ALLIANCES_ADMIN_PASSWORD="demo"), "--demo")
    try:
        loaded, url, admin = served.lines
        assert re.fullmatch(r"alliances serve: loaded \d+ events, \d+ alliances, 1 feeds", loaded), loaded
        assert int(loaded.split()[3]) > 72 and url.startswith(f"alliances serve: {served.url} (waitress")
        assert admin == (f"alliances serve: admin: log in at {served.url}login with the password 'demo', the demo "
                         "default that `make serve` sets (set ALLIANCES_ADMIN_PASSWORD to choose your own)")
        with urllib.request.urlopen(served.url + "feeds", timeout=30) as r:
            assert r.status == 200 and b"Alliance Tracker demo feed" in r.read()
    finally:
        assert "Traceback" not in served.stop()


def test_a_chosen_password_is_never_printed(seeded: Path) -> None:
    secret = "correct-horse-battery-42"
    served = Served(clean_env(seeded, ALLIANCES_ADMIN_PASSWORD=secret))
    try:
        assert served.lines[0].startswith("alliances serve: loaded 72 events, ") and served.lines[0].endswith(
            " 0 feeds")
        assert served.lines[2] == (f"alliances serve: admin: log in at {served.url}login with the password set in "
                                   "ALLIANCES_ADMIN_PASSWORD")
    finally:
        err = served.stop()
    assert secret not in "\n".join(served.lines) + err


def test_without_a_password_the_admin_pages_are_said_to_be_disabled(seeded: Path) -> None:
    served = Served(clean_env(seeded))
    try:
        assert served.lines[2].startswith("alliances serve: admin pages (feeds, review) are disabled: set "
                                          "ALLIANCES_ADMIN_PASSWORD")
    finally:
        served.stop()


def test_the_password_demo_is_only_named_when_the_demo_runs() -> None:
    assert "'demo'" not in admin_line("demo", "http://127.0.0.1:8000/", demo=False)
    assert "'demo'" in admin_line("demo", "http://127.0.0.1:8000/", demo=True)
    assert "hunter2" not in admin_line("hunter2", "http://127.0.0.1:8000/", demo=True)


def test_addresses_are_written_as_people_type_them() -> None:
    assert address("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert address("::1", 8080, "/login") == "http://[::1]:8080/login"


def test_make_serve_installs_only_what_the_server_needs() -> None:
    """The server's stamp installs the package alone; the test tools come with the test stamp (`make test`)."""
    out = subprocess.run(["make", "-n", "-B", "serve"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    installs = [ln for ln in out.stdout.splitlines() if "pip install" in ln and "-e" in ln]
    assert installs and all("[test]" not in ln for ln in installs)
    out = subprocess.run(["make", "-n", "-B", "test"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert any("pip install" in ln and ".[test]" in ln for ln in out.stdout.splitlines())
