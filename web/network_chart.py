"""Geometry of the network picture: companies on a circle, alliances as lines or hubs (pure)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_NODES = 120
SIZE = 920
WIDTH = 1000
HUB_PULL = 0.55  # how far a hub sits from the centre towards its parties' centroid (1: at the centroid)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    name_zh: str
    country: str
    x: float
    y: float
    lx: float
    ly: float
    anchor: str
    degree: int
    rotate: float = 0.0


@dataclass(frozen=True, slots=True)
class Edge:
    """A two-party alliance: one line between its parties."""

    alliance_id: str
    a: Node
    b: Node
    stage: str
    title: str


@dataclass(frozen=True, slots=True)
class Hub:
    """An alliance of three or more parties: one node of its own, joined to each party by a spoke."""

    alliance_id: str
    label: str
    x: float
    y: float
    stage: str
    parties: tuple[Node, ...]
    title: str


def alliance_title(alliance: Mapping[str, Any]) -> str:
    """How a reader names an alliance: its own name when it has one (HIMA), else its parties joined by '+'."""
    names = alliance.get("_names") or ()
    joined = " + ".join(p["name"] for p in alliance["parties"])
    return f"{names[0]} ({joined})" if names else joined


def short_title(alliance: Mapping[str, Any], limit: int = 36) -> str:
    """A name that fits a picture's label: the alliance's own name, its parties, or the first party and a count."""
    names = alliance.get("_names") or ()
    if names:
        return str(names[0])
    joined = " + ".join(p["name"] for p in alliance["parties"])
    parties = alliance["parties"]
    return joined if len(joined) <= limit or len(parties) < 3 else f"{parties[0]['name']} + {len(parties) - 1} more"


def _nodes(alliances: list[dict[str, Any]], size: int, max_nodes: int, width: int) -> tuple[dict[str, Node], int]:
    degree: dict[str, int] = {}
    info: dict[str, dict[str, Any]] = {}
    for a in alliances:
        for p in a["parties"]:
            degree[p["id"]] = degree.get(p["id"], 0) + 1
            info.setdefault(p["id"], p)
    keep = sorted(degree, key=lambda c: (-degree[c], c))[:max_nodes]
    order = sorted(keep, key=lambda c: (info[c].get("country") != "CN", info[c]["name"].casefold(), c))
    n = len(order)
    cx, cy = width / 2, size / 2
    r = size / 2 - 205 if n > 1 else 0
    nodes: dict[str, Node] = {}
    for i, cid in enumerate(order):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        cos, sin = math.cos(angle), math.sin(angle)
        deg = math.degrees(angle)
        # radial labels: they never overlap while neighbours are a line-height apart
        rotate, anchor = (deg, "start") if cos >= -1e-9 else (deg + 180, "end")
        p = info[cid]
        nodes[cid] = Node(cid, p["name"], p.get("name_zh", ""), p.get("country", ""),
                          round(cx + r * cos, 1), round(cy + r * sin, 1),
                          round(cx + (r + 14) * cos, 1), round(cy + (r + 14) * sin, 1),
                          anchor, degree[cid], round(rotate, 2))
    return nodes, len(degree) - len(keep)


def _hub(a: dict[str, Any], members: tuple[Node, ...], cx: float, cy: float) -> Hub:
    mx = sum(n.x for n in members) / len(members)
    my = sum(n.y for n in members) / len(members)
    names = a.get("_names") or ()
    label = str(names[0]) if names else f"{len(a['parties'])}-party alliance"
    return Hub(a["id"], label, round(cx + HUB_PULL * (mx - cx), 1), round(cy + HUB_PULL * (my - cy), 1),
               a["stage"] or "unknown", members, alliance_title(a))


def layout(alliances: list[dict[str, Any]], size: int = SIZE, max_nodes: int = MAX_NODES,
           width: int | None = None) -> tuple[list[Node], list[Edge], list[Hub], int]:
    """A deterministic circular layout: Chinese companies on one arc, the others on the other.

    Returns nodes, two-party edges, hubs of larger alliances and how many companies were left out
    (the least connected, beyond max_nodes).
    """
    width = width or size
    nodes, left_out = _nodes(alliances, size, max_nodes, width)
    edges: list[Edge] = []
    hubs: list[Hub] = []
    for a in alliances:
        members = tuple(nodes[p["id"]] for p in a["parties"] if p["id"] in nodes)
        if len(a["parties"]) > 2 and len(members) >= 2:
            hubs.append(_hub(a, members, width / 2, size / 2))
        elif len(members) == 2:
            edges.append(Edge(a["id"], members[0], members[1], a["stage"] or "unknown", alliance_title(a)))
    return list(nodes.values()), edges, hubs, left_out
