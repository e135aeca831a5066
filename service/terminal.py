"""Text for a terminal: feed-derived strings must not drive it.

A feed title can carry ANSI escape sequences (colours, cursor moves, window titles, OSC 8 links) or a
BEL; printed raw, they repaint or hide what the operator reads. Every text (not JSON) line the CLI
prints that may hold outside text goes through `clean`; JSON output escapes C0 controls itself and
keeps every string exact.
"""
from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

# CSI ... final byte; OSC ... BEL or ST; other two-byte escapes; 8-bit CSI
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile("[\t\n\r]")


def clean(text: str) -> str:
    """One printable line: escape sequences and control characters removed, tabs and breaks as spaces."""
    return _CONTROLS.sub("", _ESCAPES.sub("", _BREAKS.sub(" ", text)))


def echo(line: str, *, err: bool = False) -> None:
    click.echo(clean(line), err=err)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text with DEL, C1 controls and bidi overrides written as \\u escapes (json.dumps escapes C0 itself).

    Outside strings JSON is plain ASCII, so this only touches string contents, and every parser reads the
    same value back: the output stays byte-for-byte the contract's data, but cannot drive a terminal.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(*kinds: type[Exception]) -> Callable[[F], F]:
    """A command decorator: an error of these kinds (bad input) is one line on stderr and exit 2, never a traceback."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except kinds as e:
                echo(f"alliances: error: {e}", err=True)
                sys.exit(2)

        return wrapper  # type: ignore[return-value]

    return decorate
