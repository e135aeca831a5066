"""One rule for what a test cannot find: a skip on a developer's machine, a failure under CI.

CI has PostgreSQL, Chromium, root and ../shared beside the clone; a test that skipped there would hide a failure.
"""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(why: str) -> NoReturn:
    """Skip with `why` locally; fail with it when `CI` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must run this test)")
    pytest.skip(why)
