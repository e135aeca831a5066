"""Progress bars for long commands (`import`, `rebuild`, `reextract`, `poll --all`): on stderr, only on a terminal.

Piped or redirected, stderr stays quiet, so scripts and logs see only the summary line. The services report
(done, total) pairs; a bar is drawn the first time a total is known and moved by the difference after that.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

__all__ = ["Bar", "bar"]


class Bar:
    """A (done, total) callback that draws a click progress bar on a terminal and nothing elsewhere."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.visible = _isatty(self.stream)
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.visible:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=max(total, 1), label=self.label, file=self.stream,
                                          show_pos=True, show_eta=False)
            self._bar.__enter__()
        self._bar.length = max(total, done, 1)
        if done > self._done:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


@contextmanager
def bar(label: str) -> Iterator[Bar]:
    """A bar for one step of a command, finished (its line ended) when the step is."""
    b = Bar(label)
    try:
        yield b
    finally:
        b.close()
