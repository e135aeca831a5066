"""OPML import and export (pure): subscriptions in, subscriptions out; DTDs and entities are refused."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers import expat

from .errors import BadOPML

__all__ = ["Outline", "parse_opml", "to_opml"]


@dataclass(frozen=True, slots=True)
class Outline:
    """One subscription of an OPML file."""

    url: str
    title: str = ""


class _Refused(Exception):
    """Raised from inside expat handlers to stop at the first forbidden construct."""


def _refuse(what: str):  # type: ignore[no-untyped-def]
    def handler(*_args: object) -> None:
        raise _Refused(what)

    return handler


def parse_opml(data: bytes) -> list[Outline]:
    """Every outline with an xmlUrl, in document order (nested categories flattened, duplicates dropped)."""
    if not isinstance(data, bytes | bytearray):
        raise BadOPML("OPML must be given as bytes")
    found: list[Outline] = []
    seen: set[str] = set()
    root: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(name)
        if name == "outline":
            url = (attrs.get("xmlUrl") or attrs.get("xmlurl") or "").strip()
            if url and url not in seen:
                seen.add(url)
                found.append(Outline(url, (attrs.get("title") or attrs.get("text") or "").strip()))

    p = expat.ParserCreate()
    # defusedxml's rules: no DTD at all, hence no entity expansion (billion laughs) and no external fetches.
    p.StartDoctypeDeclHandler = _refuse("a DTD (<!DOCTYPE>)")
    p.EntityDeclHandler = _refuse("an entity declaration")
    p.UnparsedEntityDeclHandler = _refuse("an entity declaration")
    p.ExternalEntityRefHandler = _refuse("an external entity")
    p.StartElementHandler = start
    try:
        p.Parse(bytes(data), True)
    except _Refused as e:
        raise BadOPML(f"refused OPML: it contains {e}") from None
    except expat.ExpatError as e:
        raise BadOPML(f"malformed OPML: {expat.errors.messages.get(e.code, str(e)) if hasattr(e, 'code') else e}"
                      f" at line {e.lineno}, column {e.offset}") from None
    if root != ["opml"]:
        raise BadOPML(f"not an OPML document (root element is <{root[0] if root else '?'}>)")
    return found


def to_opml(outlines: list[Outline], *, title: str = "Alliance Tracker feeds") -> str:
    """An OPML 2.0 document listing the subscriptions."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    for o in outlines:
        ET.SubElement(body, "outline", type="rss", text=o.title or o.url, title=o.title or o.url, xmlUrl=o.url)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
