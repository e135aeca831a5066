"""The dependency rule, checked on the source: service -> web | feeds -> events; events imports nothing of ours."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = {"events", "feeds", "web", "service", "notify"}
ALLOWED = {
    "events": set(),
    "feeds": {"events"},
    "web": {"events"},
    "notify": {"events", "feeds"},
    "service": {"events", "feeds", "web", "notify"},
}


def _runtime_nodes(tree: ast.AST):  # type: ignore[no-untyped-def]
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_what_the_dependency_rule_allows(package):
    bad = {}
    for path in (REPO / package).rglob("*.py"):
        extra = imports_of(path) - ALLOWED[package] - {package}
        if extra:
            bad[str(path.relative_to(REPO))] = sorted(extra)
    assert bad == {}


def test_web_never_writes_tables_itself():
    """The UI sends commands; SQL writes belong to the store, the projector and the feed archive."""
    offenders = []
    for path in (REPO / "web").rglob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        if any(word in text for word in ("INSERT INTO", "UPDATE EVENTS", "DELETE FROM", ".EXECUTE(")):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


# SQL keywords in capitals, as every statement here is written; prose ("folds from events") does not match.
_EVENTS_SQL = re.compile(r"\b(FROM|INTO|UPDATE|JOIN|TABLE|ON)\s+events\b(?!\.)")


@pytest.mark.parametrize("package", sorted(OURS))
def test_only_the_store_runs_sql_on_the_events_table(package):
    """One read API on the log: every statement on `events` lives in events/store.py (and its schema guards, and the
    events package's own schema revisions)."""
    allowed = {REPO / "events" / "store.py", REPO / "events" / "schema.py"}
    revisions = REPO / "events" / "migrations"
    offenders = [str(p.relative_to(REPO)) for p in (REPO / package).rglob("*.py")
                 if p not in allowed and revisions not in p.parents
                 and _EVENTS_SQL.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_sql_check_recognises_statements_on_events():
    """The pattern above is not vacuous: it matches the statements it must forbid and spares other tables."""
    assert _EVENTS_SQL.search("SELECT position FROM events WHERE type = ?")
    assert _EVENTS_SQL.search('conn.execute(text("INSERT INTO events (position) VALUES (1)"))')
    assert not _EVENTS_SQL.search("SELECT doc FROM alliance_now")
    assert not _EVENTS_SQL.search("from events.store import x")
    assert not _EVENTS_SQL.search("Pure folds from events to state")
