"""Fixtures for the extraction tests: the shipped registry and the labelled news sets."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.extract import Deal, extract
from feeds.registry import Registry

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "extraction"
HELDOUT = Path(__file__).resolve().parent / "data" / "heldout_news.jsonl"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.default()


@pytest.fixture(scope="session")
def labels_md() -> str:
    path = SHARED / "LABELS.md"
    if not path.exists():
        pytest.skip(f"shared labels not available at {path}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def dev_items() -> list[dict]:
    path = SHARED / "dev_news.jsonl"
    if not path.exists():
        pytest.skip(f"shared dev set not available at {path}")
    return load_jsonl(path)


@pytest.fixture(scope="session")
def stress_items() -> list[dict]:
    return load_jsonl(HELDOUT.with_name("stress_news.jsonl"))


@pytest.fixture(scope="session")
def fresh_items() -> list[dict]:
    return load_jsonl(HELDOUT.with_name("fresh_news.jsonl"))


@pytest.fixture(scope="session")
def blind_items() -> list[dict]:
    """Written by someone who never saw the rules (scored, not tuned item by item)."""
    return load_jsonl(HELDOUT.with_name("blind_news.jsonl"))


@pytest.fixture(scope="session")
def blind2_items() -> list[dict]:
    """A second blind set, held back from rule work (one speculation veto was added after it)."""
    return load_jsonl(HELDOUT.with_name("blind2_news.jsonl"))


@pytest.fixture(scope="session")
def blind3_items() -> list[dict]:
    """A third blind set; four hedge/denial wordings were added to the vetoes after its first score."""
    return load_jsonl(HELDOUT.with_name("blind3_news.jsonl"))


@pytest.fixture(scope="session")
def blind4_items() -> list[dict]:
    """A fourth blind set, scored once as written (no rule changed after it)."""
    return load_jsonl(HELDOUT.with_name("blind4_news.jsonl"))


@pytest.fixture(scope="session")
def heldout_items() -> list[dict]:
    return load_jsonl(HELDOUT)


def _one_deal(title: str, summary: str = "", published: str = "2024-06-20") -> Deal:
    """Extract from a small item and insist on exactly one deal."""
    deals = extract({"id": "t", "published": published, "title": title, "summary": summary})
    assert len(deals) == 1, deals
    return deals[0]


@pytest.fixture(scope="session")
def one_deal():
    """Extract the single deal of a small item (fails when there is not exactly one)."""
    return _one_deal
