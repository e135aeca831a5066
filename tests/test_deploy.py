"""The deployment shape (issue 11, part 4). No container engine runs here, so these read docker-compose.yml and the
Dockerfile: the services and their roles, and every command, flag and ALLIANCES_* variable they use must exist in
the CLI (parsed by click itself) and in the settings."""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from service import probe
from service.cli import main
from service.config import Settings
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
TRACKER = [name for name, s in SERVICES.items() if s.get("build") == "."]  # the services that run our image
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "WEB_PUBLISH"}  # variables compose itself substitutes, not settings


class _Reads(dict):  # type: ignore[type-arg]
    """An empty environment that remembers every name the settings ask it for."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return default


def setting_names() -> set[str]:
    env = _Reads()
    Settings.from_env(env)
    return {n for n in env.names if n.startswith("ALLIANCES_")}


def _instruction(name: str) -> list[str]:
    """The arguments of each Dockerfile instruction `name` (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(f"{name} ")]


def commands() -> list[tuple[str, list[str]]]:
    """Every command line the compose file and the Dockerfile run: (where, argv)."""
    found: list[tuple[str, list[str]]] = []
    for name in TRACKER:
        s = SERVICES[name]
        found.append((f"{name}.command", s["command"]))
        test = s.get("healthcheck", {}).get("test")
        if test:
            found.append((f"{name}.healthcheck", test[1:]))
    found.append(("Dockerfile CMD", json.loads(_instruction("CMD")[0])))
    found.append(("Dockerfile HEALTHCHECK", json.loads(_instruction("HEALTHCHECK")[0].split(" CMD ", 1)[1])))
    out = []
    for where, argv in found:
        if argv[:2] == ["sh", "-c"]:
            out += [(where, shlex.split(part)) for part in argv[2].split("&&")]
        else:
            out.append((where, argv))
    return out


def parse_in_click(argv: list[str]) -> click.Command:
    """Parse `alliances ...` exactly as click would before running it; an unknown command or flag raises."""
    assert argv[0] == "alliances"
    cmd: click.Command = main
    ctx = main.make_context("alliances", argv[1:], resilient_parsing=False)
    while isinstance(cmd, click.Group):
        name, sub, rest = cmd.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None, argv
        cmd, ctx = sub, sub.make_context(name or "", rest, parent=ctx)
    return cmd


def test_the_four_services_play_their_roles():
    assert {"db", "migrate", "web", "worker"} <= set(SERVICES)
    db = SERVICES["db"]
    assert db["image"].startswith("postgres:16")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_migrate_service_upgrades_then_seeds():
    steps = [argv for where, argv in commands() if where == "migrate.command"]
    assert steps == [["alliances", "db", "upgrade"], ["alliances", "seed"]]


def test_web_serves_without_pollers_on_several_threads():
    argv = SERVICES["web"]["command"]
    assert parse_in_click(argv).name == "serve" and "--no-pollers" in argv
    assert int(argv[argv.index("--threads") + 1]) > 1


def test_workers_can_be_scaled():
    """`--scale worker=N` needs a service with no fixed container name and no published port."""
    worker = SERVICES["worker"]
    assert worker["command"] == ["alliances", "worker"]
    assert "container_name" not in worker and "ports" not in worker


@pytest.mark.parametrize(("where", "argv"), commands(), ids=[w for w, _ in commands()])
def test_every_command_exists_with_every_flag(where, argv):
    if argv[0] == "alliances":
        parse_in_click(argv)
    else:
        assert argv[:2] == ["python", "-m"], where
        assert importlib.util.find_spec(argv[2]) is not None, where
        assert set(argv[3:]) <= {"--database"}, where  # the probe's one flag


def test_the_command_check_refuses_what_the_cli_does_not_have():
    with pytest.raises(click.NoSuchOption):
        parse_in_click(["alliances", "serve", "--no-such-flag"])
    with pytest.raises(click.UsageError):
        parse_in_click(["alliances", "db", "downgrade"])


def test_every_variable_the_tracker_services_set_is_a_setting():
    settings = setting_names()
    for name in TRACKER:
        env = SERVICES[name].get("environment", {})
        assert set(env) <= settings, name
        used = set(re.findall(r"\$\{(\w+)", json.dumps(env)))
        assert used <= settings | COMPOSE_ONLY, name
    dockerfile_env = set(re.findall(r"\b(ALLIANCES_\w+)=", " ".join(_instruction("ENV"))))
    assert dockerfile_env and dockerfile_env <= settings


def test_the_settings_introspection_sees_the_variables_the_readme_documents():
    """Guards the check above against reading nothing."""
    assert {"ALLIANCES_DATABASE_URL", "ALLIANCES_SECRET_KEY", "ALLIANCES_CHECKPOINT_KEY", "ALLIANCES_PORT"} \
        <= setting_names()


def test_the_image_runs_as_a_user_that_is_not_root_and_checks_its_health():
    users = _instruction("USER")
    assert users and users[-1].strip() not in {"root", "0", "0:0"}
    assert DOCKERFILE.index("USER ") < DOCKERFILE.index("CMD ")
    assert _instruction("HEALTHCHECK")


def test_the_shared_checkpoint_key_lives_in_a_directory_the_user_owns():
    key = Path(SERVICES["worker"]["environment"]["ALLIANCES_CHECKPOINT_KEY"])
    assert f"{key.parent}" in " ".join(_instruction("RUN")) and any(
        v.endswith(f":{key.parent}") for v in SERVICES["worker"]["volumes"])


@pytest.fixture
def answering() -> Any:
    """A local HTTP server that answers every path with the status it is given."""

    class Handler(BaseHTTPRequestHandler):
        status = 404

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self.send_response(Handler.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_probe_passes_while_the_web_process_answers(answering, monkeypatch):
    handler, port = answering
    monkeypatch.setenv("ALLIANCES_PORT", str(port))
    handler.status = 404  # any answer proves the server is up
    assert probe.main([]) == 0
    handler.status = 503
    assert probe.main([]) == 1


def test_the_probe_fails_when_nothing_listens(monkeypatch, capsys):
    with socket_closed() as port:
        monkeypatch.setenv("ALLIANCES_PORT", str(port))
        assert probe.main([]) == 1
    assert capsys.readouterr().err.startswith("unhealthy: ")


def test_the_database_probe_wants_the_schema_at_head(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ALLIANCES_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ALLIANCES_DATABASE_URL", raising=False)
    assert probe.main(["--database"]) == 1  # empty: not created yet
    assert "no tables yet" in capsys.readouterr().err
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert probe.main(["--database"]) == 0


class socket_closed:  # noqa: N801 - reads as a phrase in `with`
    """A loopback port that was free a moment ago (nothing listens on it)."""

    def __enter__(self) -> int:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
        s.close()
        return port

    def __exit__(self, *exc: object) -> None:
        return None


def test_serve_refuses_demo_without_pollers(tmp_path):
    out = CliRunner().invoke(main, ["serve", "--demo", "--no-pollers"], env={"ALLIANCES_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 2 and out.output.count("\n") == 1 and "--demo needs the pollers" in out.output
