"""The README's CLI contract names only commands and flags the CLI has (click's own command tree)."""
from __future__ import annotations

import re

import click

from service.cli import main
from tests.conftest import REPO


def contract_lines() -> list[str]:
    """Every `alliances ...` line of the code blocks in the section "The CLI", comments dropped."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## The CLI", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.split("  #", 1)[0].strip() for b in blocks for line in b.splitlines() if line.startswith("alliances ")]


def _resolve(group: click.Group, words: list[str]) -> tuple[click.Command, click.Group, list[str]]:
    """Follow subcommand names from `group`; returns the command, its parent group and the words left."""
    cmd: click.Command = group
    parent = group
    while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
        parent, cmd, words = cmd, cmd.commands[words[0]], words[1:]
    return cmd, parent, words


def _flags(cmd: click.Command) -> set[str]:
    return {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}


def problems(lines: list[str]) -> list[str]:
    """What a contract line names that the CLI lacks: a command, or a flag of that command."""
    missing = []
    for line in lines:
        parent: click.Group = main
        last: click.Command = main
        for n, part in enumerate(line.removeprefix("alliances ").split(" | ")):
            words = part.split()
            if n and words and words[0].startswith("--"):  # "redeliver ID | --dead": another form of the same command
                missing += [f"{line}: {last.name} has no {f}" for f in re.findall(r"--[a-z][a-z-]*", part)
                            if f not in _flags(last)]
                continue
            cmd, group, rest = _resolve(main if n == 0 else parent, words)
            if cmd is parent and n:  # "serve --migrate | worker --migrate": the next part starts from the top
                cmd, group, rest = _resolve(main, words)
            if isinstance(cmd, click.Group):
                missing.append(f"{line}: no command {' '.join(words)!r}")
            parent, last = group, cmd
            missing += [f"{line}: {cmd.name} has no {f}" for f in re.findall(r"--[a-z][a-z-]*", " ".join(rest))
                        if f not in _flags(cmd)]
    return missing


def test_every_command_and_flag_in_the_readme_contract_exists():
    lines = contract_lines()
    assert len(lines) >= 20 and any(line.startswith("alliances log import") for line in lines)
    assert problems(lines) == []


def test_the_check_finds_a_missing_command_or_flag():
    assert len(problems(["alliances db downgrade", "alliances log export --gzip", "alliances serve --x | worker"])) == 3
    assert problems(["alliances feeds list [--json] | remove ID", "alliances verify [--checkpoint FILE|URL]"]) == []
    assert problems(["alliances redeliver DELIVERY_ID | --dead"]) == []
    assert len(problems(["alliances redeliver DELIVERY_ID | --everything"])) == 1
