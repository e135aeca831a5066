"""The log as a file: JSON Lines with every stored column of every event, to move a tracker between databases.

Line 1 names the format and the columns; then one event per line in position order (the stored strings as they
are: `payload` and `provenance` stay the exact JSON text the hashes cover); the last line closes the file with
the count and the head hash, so a file cut short at a line boundary is caught too. The store checks the rows and
the chain; this module only reads and writes the lines.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

import orjson

from events.codec import GENESIS
from events.errors import ImportRefused
from events.store import STORED_COLUMNS

from .terminal import json_safe

__all__ = ["FORMAT", "read_log", "write_log"]

FORMAT = "alliances-log"
VERSION = 1


def write_log(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write the header, the rows and the closing line; returns how many events were written."""
    out.write(_line({"format": FORMAT, "version": VERSION, "columns": list(STORED_COLUMNS)}))
    n, head = 0, GENESIS
    for row in rows:
        out.write(_line(row))
        n, head = n + 1, row["hash"]
    out.write(_line({"end": FORMAT, "events": n, "head_hash": head}))
    return n


def _line(value: Any) -> str:
    """One compact JSON line; C1 controls and bidi overrides as \\u escapes (the same strings when read back, but
    harmless on a terminal)."""
    return json_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) + "\n"


def read_log(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The event rows of an exported file, in order; ImportRefused (naming the line) when the file is not one
    whole export: not UTF-8, not JSON, a foreign header, a missing or wrong closing line."""
    n, end, number = 0, None, 0
    head_hash: Any = GENESIS
    for number, raw in enumerate(lines, 1):
        value = _parse(raw, number)
        if number == 1:
            _check_header(value)
        elif end is not None:
            raise ImportRefused("text after the closing line", line=number)
        elif isinstance(value, dict) and "end" in value:
            end = value
        else:
            yield value
            n, head_hash = n + 1, value.get("hash") if isinstance(value, dict) else None
    if number == 0:
        raise ImportRefused("the file is empty", line=1)
    if end is None:
        raise ImportRefused(f"the file ends after {n} events without its closing line (cut short?)", line=number)
    if end.get("events") != n or end.get("head_hash") != head_hash:
        raise ImportRefused(f"the closing line says {end.get('events')} events ending in {end.get('head_hash')!s:.16},"
                            f" the file holds {n} ending in {head_hash!s:.16}", line=number)


def _parse(raw: bytes, number: int) -> Any:
    try:
        return orjson.loads(raw)  # strict UTF-8 and JSON in one pass
    except orjson.JSONDecodeError as e:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as u:
            raise ImportRefused(f"not UTF-8 (byte {u.start + 1})", line=number) from None
        raise ImportRefused(f"not a JSON value ({e.msg}, column {e.colno}); a file cut short?", line=number) from None


def _check_header(value: Any) -> None:
    if not (isinstance(value, dict) and value.get("format") == FORMAT):
        raise ImportRefused(f"not an export of `alliances log export` (line 1 names no {FORMAT!r} format)", line=1)
    if value.get("version") != VERSION or value.get("columns") != list(STORED_COLUMNS):
        raise ImportRefused(f"format version {value.get('version')!r} with columns {value.get('columns')!r:.80}"
                            f" is not the one this version reads ({VERSION}: {', '.join(STORED_COLUMNS)})", line=1)
