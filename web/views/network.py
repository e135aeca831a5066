"""The network page: who partners with whom, as a server-rendered SVG plus a table."""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue

from ..deps import catalog

bp = Blueprint("network", __name__)
MAX_NODES = 120
SIZE = 920
WIDTH = 1000


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
    alliance_id: str
    a: Node
    b: Node
    stage: str


def layout(alliances: list[dict[str, Any]], size: int = SIZE, max_nodes: int = MAX_NODES,
           width: int | None = None) -> tuple[list[Node], list[Edge], int]:
    """A deterministic circular layout: Chinese companies on one arc, the others on the other.

    Returns nodes, edges and how many companies were left out (the least connected, beyond max_nodes).
    """
    width = width or size
    degree: dict[str, int] = {}
    info: dict[str, dict[str, Any]] = {}
    for a in alliances:
        for p in a["parties"]:
            degree[p["id"]] = degree.get(p["id"], 0) + 1
            info.setdefault(p["id"], p)
    keep = sorted(degree, key=lambda c: (-degree[c], c))[:max_nodes]
    left_out = len(degree) - len(keep)
    order = sorted(keep, key=lambda c: (info[c].get("country") != "CN", info[c]["name"].casefold(), c))
    n = len(order)
    cx, cy = width / 2, size / 2
    r = size / 2 - 205 if n > 1 else 0
    nodes: dict[str, Node] = {}
    for i, cid in enumerate(order):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        cos, sin = math.cos(angle), math.sin(angle)
        x, y = cx + r * cos, cy + r * sin
        lx, ly = cx + (r + 14) * cos, cy + (r + 14) * sin
        deg = math.degrees(angle)
        # radial labels: they never overlap while neighbours are a line-height apart
        rotate, anchor = (deg, "start") if cos >= -1e-9 else (deg + 180, "end")
        p = info[cid]
        nodes[cid] = Node(cid, p["name"], p.get("name_zh", ""), p.get("country", ""),
                          round(x, 1), round(y, 1), round(lx, 1), round(ly, 1), anchor, degree[cid],
                          round(rotate, 2))
    edges = [Edge(a["id"], nodes[p], nodes[q], a["stage"] or "unknown")
             for a in alliances
             for p, q in combinations([x["id"] for x in a["parties"]], 2) if p in nodes and q in nodes]
    return list(nodes.values()), edges, left_out


@bp.get("/network")
def index() -> ResponseReturnValue:
    """The partnership graph as of the chosen date, readable without JavaScript or colour vision."""
    snap = catalog().snapshot(g.as_of, g.known_at)

    def compute() -> tuple[list[Node], list[Edge], int]:
        countries = {c["id"]: c.get("country", "") for c in snap.companies}
        alliances = [{**a, "parties": [{**p, "country": countries.get(p["id"], "")} for p in a["parties"]]}
                     for a in snap.rows]
        return layout(alliances, SIZE, MAX_NODES, WIDTH)

    nodes, edges, left_out = snap.memo("network", compute)
    stages = sorted({e.stage for e in edges})
    table = snap.rows if len(snap.rows) <= 1000 else snap.rows[:1000]
    return render_template("network.html", nodes=nodes, edges=edges, left_out=left_out, size=SIZE, width=WIDTH,
                           stages=stages, table=table, total=len(snap.rows), tt_query=g.tt_query)
