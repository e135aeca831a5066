"""The public JSON shape of alliances written as text, cut from the stored documents without decoding them.

An alliance document (`rows.aggregate_doc`) begins with the public shape's keys in the public order, the
parties as ids: `{"id":…,"parties":["a","b"],"kinds":…,"corroborations":3,"reported":true,…}`. So the
answer's text for one alliance is the document's text up to `,"reported":`, with the party ids replaced
by the party objects (encoded once per company and answer). In JSON text a key's quotes are never
escaped and a string's always are, so these markers cannot occur inside a value. A document laid out
otherwise (written by other code) is decoded and shaped the slow way: same answer, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

Doc = dict[str, Any]
Shaper = Callable[[Doc], dict[str, Any]]

_PARTIES = ',"parties":['
_KINDS = '],"kinds":['
_LAST = ',"corroborations":'
_REPORTED = ',"reported":'


class TextShaper:
    """Turns stored alliance documents (JSON text) into the public shape's JSON text, for one answer.

    `party`: the public object of a company id (names as known at the answer's time); `slow`: the public
    shape of a decoded document, for documents not laid out as `aggregate_doc` writes them."""

    def __init__(self, party: Callable[[str], dict[str, Any]], slow: Shaper) -> None:
        self._party, self._slow = party, slow
        self._parties: dict[str, str] = {}  # the ids' text ('"a","b"') -> the party objects' text

    def shape(self, text: str) -> str | None:
        """The public shape of one document as JSON text; None when the alliance is not reported."""
        a = text.find(_PARTIES)
        b = text.find(_KINDS, a)
        r = text.find(_REPORTED, b)
        if a < 0 or b < 0 or r < 0 or not text.startswith('{"id":') or text.find(_LAST, b, r) < 0:
            doc = orjson.loads(text)
            return orjson.dumps(self._slow(doc)).decode() if doc.get("reported", True) else None
        if text[r + 12] != "t":  # "reported":false
            return None
        ids = text[a + 12 : b]
        parties = self._parties.get(ids)
        if parties is None:
            parties = self._parties[ids] = self._encode(ids)
        return f"{text[: a + 12]}{parties}{text[b:r]}}}"

    def _encode(self, ids: str) -> str:
        return ",".join(orjson.dumps(self._party(p)).decode() for p in orjson.loads(f"[{ids}]"))

    def array(self, texts: Iterable[str]) -> bytes:
        """The JSON array of the reported alliances among the documents, in their order."""
        shaped = (s for s in map(self.shape, texts) if s is not None)
        return f"[{','.join(shaped)}]".encode()
