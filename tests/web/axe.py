"""axe-core for the browser tests: installed once with npm from the lock file beside this module, then
injected into each page by Playwright (through the DevTools protocol, so the page's CSP stays strict).

The pinned version and its integrity hash live in tests/web/axe/package-lock.json; `npm ci` checks
the download against it. The install goes to a cache directory outside the worktree, so a second run
needs no network; ALLIANCES_TEST_AXE_DIR points elsewhere (e.g. a directory prepared offline).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

LOCK_DIR = Path(__file__).with_name("axe")
BLOCKING = ("serious", "critical")  # impacts a page may not have


def version() -> str:
    lock = json.loads((LOCK_DIR / "package-lock.json").read_text(encoding="utf-8"))
    found: str = lock["packages"]["node_modules/axe-core"]["version"]
    return found


def install_dir() -> Path:
    explicit = os.environ.get("ALLIANCES_TEST_AXE_DIR")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "alliance-tracker" / f"axe-core-{version()}"


def script_path(where: Path) -> Path:
    return where / "node_modules" / "axe-core" / "axe.min.js"


def install(where: Path, timeout: float = 300) -> str | None:
    """Make sure axe-core is in `where` (`npm ci` from the lock file); None when it is, else why not."""
    if script_path(where).is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (needed once to fetch axe-core from the npm registry)"
    where.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(LOCK_DIR / name, where / name)
    try:
        done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=where, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"npm ci for axe-core took longer than {timeout:.0f} s"
    if done.returncode != 0 or not script_path(where).is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"npm could not install axe-core {version()}: {last}"
    return None


def violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; the serious and critical violations, each with a few of its nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""")
    return [v for v in found if v["impact"] in BLOCKING]
