"""Least-cost and k diverse routes, each explained.

A route is reported with its length, time, exposure and cost, the cost split
into its time and exposure parts, every crossing of Vietnam's land border
(gate id and class, or informal with its location) and the modes in order.
Shortest paths run on :class:`~borderwatch.network.arrays.GraphArrays`.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString

from ..errors import UnknownNameError
from ..network.arrays import GraphArrays, cheapest_edge
from ..schema import STORAGE_CRS

ROUTE_COLUMNS = [
    "origin",
    "destination",
    "destination_node",
    "rank",
    "length_km",
    "time_h",
    "exposure",
    "cost",
    "cost_time_h",
    "cost_exposure_h",
    "entry_crossing",
    "entry_gate_class",
    "entry_border",
    "entry_lon",
    "entry_lat",
    "crossings",
    "modes",
    "n_edges",
    "overlap_with_best",
    "geometry",
]


def destination_names(G: nx.MultiDiGraph) -> dict[str, Hashable]:
    """Named destinations of a route graph (name -> node id)."""
    return dict(G.graph.get("destinations", {}))


def match_name(names: dict[str, Hashable], name: Hashable) -> tuple[str, Hashable] | None:
    """Find ``name`` among display names, their first word (``SP-01``) or node ids, ignoring case."""
    key = str(name).casefold()
    for display, node in names.items():
        if key in (display.casefold(), display.split(" ")[0].casefold(), str(node).casefold()):
            return display, node
    return None


def unknown_name(names: dict[str, Hashable], name: Hashable, *, what: str = "destination") -> UnknownNameError:
    """The error for a name that :func:`match_name` did not find, listing the valid names."""
    valid = "; ".join(names) if names else "any node id of the graph"
    return UnknownNameError(f"unknown {what} {str(name)!r}; valid names: {valid}")


def resolve_node(G: nx.MultiDiGraph, name: Hashable, *, what: str = "destination") -> tuple[str, Hashable]:
    """Turn a destination name, seaport id or node id into (display name, node id).

    Matching is case-insensitive on the full name, on the seaport id part
    (``SP-01``) and on node ids.

    Raises
    ------
    UnknownNameError
        Nothing matches; the message lists the valid names.
    """
    names = destination_names(G)
    found = match_name(names, name)
    if found is not None:
        return found
    if name in G:
        return str(name), name
    raise unknown_name(names, name, what=what)


def _edges_of(G: nx.MultiDiGraph, nodes: Sequence[Hashable], weight: str) -> list[dict[str, Any]]:
    return [cheapest_edge(G, u, v, weight=weight)[1] for u, v in itertools.pairwise(nodes)]


def explain_route(G: nx.MultiDiGraph, nodes: Sequence[Hashable], *, weight: str = "cost") -> dict[str, Any]:
    """Length, time, cost parts, border crossings, modes and geometry of a node path."""
    edges = _edges_of(G, nodes, weight)
    w = G.graph.get("profile", {}).get("cost", {}).get("exposure_weight_h", 0.0)
    crossings = []
    for e in edges:
        kind = e.get("crossing")
        if kind == "gate" and e.get("gate_id"):
            crossings.append({"crossing": e["gate_id"], "gate_class": e.get("gate_class", ""), "border": e.get("border", ""), "geometry": e.get("geometry")})
        elif kind == "informal":
            crossings.append({"crossing": "informal", "gate_class": "", "border": e.get("border", ""), "geometry": e.get("geometry")})
    modes: list[str] = []
    for e in edges:
        m = e.get("mode", "edge")
        if not modes or modes[-1] != m:
            modes.append(m)
    coords: list[tuple[float, float]] = []
    for e in edges:
        g = e.get("geometry")
        pts = list(g.coords) if g is not None else []
        for p in pts:
            if not coords or coords[-1] != p:
                coords.append(p)
    if len(coords) == 1:
        coords.append(coords[0])
    first = crossings[0] if crossings else None
    entry_pt = first["geometry"].interpolate(0.5, normalized=True) if first and first["geometry"] is not None else None

    def total(attr: str) -> float:
        return float(sum(e.get(attr, 0.0) or 0.0 for e in edges))

    return {
        "length_km": total("length_m") / 1000.0,
        "time_h": total("time_h"),
        "exposure": total("exposure"),
        "cost": total(weight),
        "cost_time_h": total("time_h"),
        "cost_exposure_h": w * total("exposure"),
        "entry_crossing": first["crossing"] if first else "",
        "entry_gate_class": first["gate_class"] if first else "",
        "entry_border": first["border"] if first else "",
        "entry_lon": entry_pt.x if entry_pt is not None else np.nan,
        "entry_lat": entry_pt.y if entry_pt is not None else np.nan,
        "crossings": "; ".join(_crossing_label(c) for c in crossings),
        "modes": " > ".join(modes),
        "n_edges": len(edges),
        "geometry": LineString(coords) if len(coords) >= 2 else None,
    }


def _crossing_label(c: dict[str, Any]) -> str:
    if c["crossing"] == "informal":
        p = c["geometry"].interpolate(0.5, normalized=True)
        return f"informal {c['border']} at {p.y:.3f} N {p.x:.3f} E"
    return f"{c['crossing']} ({c['gate_class']}, {c['border']})"


def _targets(G: nx.MultiDiGraph, destinations: Iterable[Hashable] | Hashable | None) -> list[tuple[str, Hashable]]:
    if destinations is None:
        return list(destination_names(G).items())
    if isinstance(destinations, str) or not isinstance(destinations, Iterable):
        destinations = [destinations]
    return [resolve_node(G, d) for d in destinations]


def _origin(G: nx.MultiDiGraph, origin: Hashable | None) -> Hashable:
    node = G.graph.get("origin") if origin is None else origin
    if node is None or node not in G:
        raise UnknownNameError(f"unknown origin {origin!r}; give a node id of the graph")
    return node


def _frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in ROUTE_COLUMNS if c != "geometry"}, geometry=[], crs=STORAGE_CRS)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)[ROUTE_COLUMNS]


def least_cost_routes(
    G: nx.MultiDiGraph,
    *,
    origin: Hashable | None = None,
    destinations: Iterable[Hashable] | Hashable | None = None,
    weight: str = "cost",
    arrays: GraphArrays | None = None,
) -> gpd.GeoDataFrame:
    """The least-cost route from ``origin`` to each destination, explained.

    Parameters
    ----------
    G
        A route graph (or any graph whose edges carry ``weight``).
    origin
        Node id; default ``G.graph["origin"]`` (the Golden Triangle).
    destinations
        Names or node ids; default every named destination of the graph.
    weight
        Edge attribute to minimise.
    arrays
        A prebuilt array view of ``G`` (saves rebuilding it).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per destination, columns :data:`ROUTE_COLUMNS`.

    Raises
    ------
    NoRouteError
        A destination cannot be reached (message names origin and destination).
    UnknownNameError
        A destination name is unknown (message lists the valid names).
    """
    return k_routes(G, origin=origin, destinations=destinations, k=1, weight=weight, arrays=arrays)


def k_routes(
    G: nx.MultiDiGraph,
    *,
    origin: Hashable | None = None,
    destinations: Iterable[Hashable] | Hashable | None = None,
    k: int = 3,
    penalty: float = 1.0,
    weight: str = "cost",
    arrays: GraphArrays | None = None,
) -> gpd.GeoDataFrame:
    """Up to ``k`` genuinely different routes per destination (penalty method).

    A destination node with a ``no_entry_from`` attribute (the China-border
    sink: traffic transiting Vietnam to China) is routed without the edges
    that enter Vietnam from that country.

    After each route is found, the weight of every edge it used is multiplied
    by ``1 + penalty`` and the search is repeated, so the next route avoids
    reusing edges where a reasonable alternative exists.  Identical repeats
    are discarded; each route is reported at its true (unpenalised) cost, and
    ``overlap_with_best`` gives the share of its edges shared with rank 1.

    Parameters
    ----------
    k
        Routes per destination (>= 1).
    penalty
        Relative penalty on reused edges (> 0).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`ROUTE_COLUMNS`, ranked by true cost per destination.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    if penalty <= 0:
        raise ValueError(f"penalty must be > 0, got {penalty!r}")
    src = _origin(G, origin)
    targets = _targets(G, destinations)
    base = arrays if arrays is not None else GraphArrays.from_graph(G, weight=weight)
    rows: list[dict[str, Any]] = []
    dist, pred = base.dijkstra([src])
    for name, node in targets:
        found: list[list[Hashable]] = []
        barred = G.nodes[node].get("no_entry_from")
        if barred:
            current = base.with_weights(_bar_entry(G, base, barred))
            path, _ = current.path(src, node)
        else:
            current = base
            path, _ = base.path_from(dist[0], pred[0], src, node)
        found.append(path)
        tries = 0
        while len(found) < k and tries < 3 * k:
            tries += 1
            current = current.with_weights(_penalise(current, found[-1], penalty))
            path, _ = current.path(src, node)
            if path not in found:
                found.append(path)
        best_pairs = set(zip(found[0][:-1], found[0][1:], strict=True))
        explained = []
        for path in found:
            info = explain_route(G, path, weight=weight)
            pairs = list(itertools.pairwise(path))
            info["overlap_with_best"] = sum(p in best_pairs for p in pairs) / max(1, len(pairs))
            explained.append(info)
        explained.sort(key=lambda r: r["cost"])
        for rank, info in enumerate(explained, start=1):
            rows.append({"origin": str(src), "destination": name, "destination_node": str(node), "rank": rank, **info})
    return _frame(rows)


def _bar_entry(G: nx.MultiDiGraph, arrays: GraphArrays, country: str):
    """Weights with every edge from ``country`` into Vietnam removed (set to infinity)."""
    iso = np.array([G.nodes[n].get("country", "") for n in arrays.nodes], dtype=object)
    m = arrays.matrix.copy()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    m.data[(iso[rows] == country) & (iso[m.indices] == "VNM")] = np.inf
    return m


def _penalise(arrays: GraphArrays, path: Sequence[Hashable], penalty: float):
    m = arrays.matrix.copy()
    for u, v in itertools.pairwise(path):
        i, j = arrays.index[u], arrays.index[v]
        lo, hi = m.indptr[i], m.indptr[i + 1]
        pos = lo + int(np.flatnonzero(m.indices[lo:hi] == j)[0])
        m.data[pos] *= 1.0 + penalty
    return m
