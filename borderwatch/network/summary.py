"""What ``borderwatch build-network`` reports about a route graph."""

from __future__ import annotations

from collections import Counter
from typing import Any

import networkx as nx

from ..doors import GRAPH_FIX, require
from .contract import MODES


def graph_summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Nodes and edges by mode, components and build facts of a route graph.

    Parameters
    ----------
    G
        A route graph.

    Returns
    -------
    dict
        JSON-ready; keys documented in docs/reference.md (``build-network --json``).

    Raises
    ------
    ParameterError
        ``G`` is not a graph.
    """
    require(G, nx.Graph, where="graph_summary", name="G", fix=GRAPH_FIX)
    build = G.graph.get("build", {})
    by_mode = Counter(m for _, _, m in G.edges(data="mode"))
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_kind": dict(sorted(Counter(k for _, k in G.nodes(data="kind")).items())),
        "edges_by_mode": {m: int(by_mode.get(m, 0)) for m in MODES},
        "weakly_connected_components": nx.number_weakly_connected_components(G),
        "strongly_connected_components": nx.number_strongly_connected_components(G),
        "lattice_refine": build.get("lattice_refine"),
        "lattice_cells": build.get("lattice_cells"),
        "road_components": build.get("road_components"),
        "road_snapped_ends": build.get("road_snapped_ends"),
        "road_border_cuts": build.get("road_border_cuts"),
        "sea_legs": build.get("sea_legs"),
        "gates_unreached": build.get("gates_unreached", []),
        "longest_link_m": build.get("longest_link_m", {}),
        "gates_left_out": build.get("gates_left_out", {}),
        "dem_land_cells_filled": build.get("dem_land_cells_filled"),
        "build_s": build.get("build_s"),
        "cache": build.get("cache", "not cached"),
    }
