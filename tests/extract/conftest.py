"""Fixtures for the extraction tests: the shipped registry and the labelled news sets."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.extract import Deal, extract
from feeds.registry import Registry
from tests.skips import unavailable

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
        unavailable(f"shared labels not available at {path}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def dev_items() -> list[dict]:
    path = SHARED / "dev_news.jsonl"
    if not path.exists():
        unavailable(f"shared dev set not available at {path}")
    return load_jsonl(path)


@pytest.fixture(scope="session")
def stress_items() -> list[dict]:
    return load_jsonl(HELDOUT.with_name("stress_news.jsonl"))


@pytest.fixture(scope="session")
def fresh_items() -> list[dict]:
    return load_jsonl(HELDOUT.with_name("fresh_news.jsonl"))


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
