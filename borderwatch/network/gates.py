"""Gate edges: each placed gate joins its Vietnamese side to its neighbour side.

A gate is two nodes at its (snapped) position, one per side, joined both ways
by a ``gate`` edge with the class-dependent delay and inspection exposure of the
profile's ``[gate.<class>]`` table.  Each side is linked to the nearest road
and (for river gates) river node of its own country within ``connector.max_km``
(2 km), and always to the terrain lattice by slope-aware off-road edges.
Leaving Vietnam through a China gate also reaches the China-border sink.
"""

from __future__ import annotations

import logging

import geopandas as gpd
from shapely.geometry import LineString

from .builder import EdgeBuilder
from .contract import CHINA_NODE, gate_node
from .lattice import LatticeAccess
from .nearest import PointIndex

log = logging.getLogger(__name__)


def add_gates(
    b: EdgeBuilder, gates: gpd.GeoDataFrame, *, roads: PointIndex, rivers: PointIndex | None, lattice: LatticeAccess
) -> list[str]:
    """Add every gate's nodes, crossing edges and links.

    Parameters
    ----------
    b
        The graph under construction.
    gates
        Placed gates (:func:`borderwatch.place_gates`).
    roads, rivers
        Nodes a gate side may link to by a connector.
    lattice
        The terrain lattice every gate side joins.

    Returns
    -------
    list of str
        ``"<gate id>:<side>"`` of every gate side that found neither a road nor a lattice cell.
    """
    prof = b.profile
    link = prof["connector"]["max_km"] * 1000.0
    unreached = []
    for _, g in gates.iterrows():
        cls = g["class"]
        params = prof["gate"][cls]
        x, y = g.geometry.x, g.geometry.y
        sides = {"VNM": gate_node(g["id"], "VNM"), g["border"]: gate_node(g["id"], g["border"])}
        attrs = {
            "gate_id": g["id"],
            "gate_class": cls,
            "gate_name": g["name"],
            "border": g["border"],
            "crossing": "gate",
        }
        for country, nid in sides.items():
            b.node(nid, x, y, "gate", country, **attrs)
        crossing = {
            "mode": "gate",
            "length_m": 0.0,
            "time_h": params["delay_h"],
            "exposure": params["exposure"],
            "geometry": LineString([(x, y), (x, y)]),
            "source": str(g.get("source", "")),
            **attrs,
        }
        b.edge(sides["VNM"], sides[g["border"]], both=True, **crossing)
        if g["border"] == "CHN":  # leaving Vietnam through a China gate reaches the China-border sink
            b.edge(sides["VNM"], CHINA_NODE, **crossing)
        mode = str(g.get("mode", ""))
        for country, nid in sides.items():
            indexes = [roads, *([rivers] if rivers is not None and "river" in mode else [])]
            linked = [b.link(index, nid, country=country, max_m=link) for index in indexes]
            if not b.access(lattice, nid, country=country) and not any(linked):
                unreached.append(f"{g['id']}:{country}")
                log.warning(
                    "gate %s (%s): no road within %.0f km and no lattice cell on the %s side; it cannot be used",
                    g["id"],
                    g["name"],
                    link / 1000,
                    country,
                )
    return unreached
