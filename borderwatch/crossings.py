"""Border crossings as units a planner can close: one per gate, one per border segment.

Every edge that enters Vietnam is either a gate crossing (``crossing ==
"gate"``, named by its ``gate_id``) or an informal off-road crossing, which is
named by the 5 km border segment whose middle is nearest
(:func:`segment_of_edges`).  :func:`crossing_units` groups them into the units
of the minimum cut and the rankings, each with a closing cost from the
profile's ``[closing]`` table: a cost per gate by class, and a cost per km of
border patrolled for a segment's informal crossings.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .network.arrays import GraphArrays
from .network.nearest import PointIndex

#: A crossing is named by the border segment whose middle is nearest, if within this distance (m).
SEGMENT_MATCH_M = 10000.0


def segment_of_edges(G: nx.MultiDiGraph, arrays: GraphArrays, segments: gpd.GeoDataFrame) -> np.ndarray:
    """Border segment of every informal edge into Vietnam ("" for other edges).

    Parameters
    ----------
    G
        The route graph (node positions).
    arrays
        Its array view.
    segments
        From :func:`borderwatch.segment_borders`.

    Returns
    -------
    numpy.ndarray
        One segment id per edge; the segment whose middle is nearest the
        crossing edge's middle, within :data:`SEGMENT_MATCH_M`.
    """
    out = np.full(arrays.n_edges, "", dtype=object)
    entering = np.flatnonzero(arrays.into_vietnam("informal"))
    if not len(entering) or segments.empty:
        return out
    x = np.array([G.nodes[n]["x"] for n in arrays.nodes])
    y = np.array([G.nodes[n]["y"] for n in arrays.nodes])
    mx = (x[arrays.edge_u[entering]] + x[arrays.edge_v[entering]]) / 2
    my = (y[arrays.edge_u[entering]] + y[arrays.edge_v[entering]]) / 2
    found = PointIndex.of_line_middles(segments, "segment_id").nearest_ids(mx, my, max_m=SEGMENT_MATCH_M)
    out[entering] = [segment or "" for segment in found]
    return out


def gate_classes(G: nx.MultiDiGraph, arrays: GraphArrays) -> pd.Series:
    """Return ``gate_id`` -> class of every gate of a route graph (from its gate edges)."""
    classes = {}
    for e in arrays.gate_edges():
        u, v, key = arrays.edge_id(e)
        classes[arrays.gate_id[e]] = G.edges[u, v, key].get("gate_class", "secondary")
    return pd.Series(classes, name="class", dtype=object)


def crossing_units(
    arrays: GraphArrays,
    segment_of: np.ndarray,
    segments: gpd.GeoDataFrame,
    *,
    gate_class: pd.Series,
    closing: dict,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Group the crossings into Vietnam into closable units with a closing cost.

    Parameters
    ----------
    arrays
        The array view of a route graph.
    segment_of
        From :func:`segment_of_edges`.
    segments
        The border segments (``segment_id``, ``border``, ``length_m``).
    gate_class
        ``gate_id`` -> class (``international``, ``primary``, ``secondary``).
    closing
        The profile's ``[closing]`` table: a cost per gate class, and
        ``informal_per_km``.

    Returns
    -------
    unit_of_edge : numpy.ndarray
        Per edge, ``"gate:<gate_id>"``, ``"segment:<segment_id>"`` or "" (not
        a crossing into Vietnam).  An informal crossing matched to no segment
        is its own unit ``"informal:<edge index>"``, costed as one segment length.
    units : pandas.DataFrame
        Indexed by unit: ``kind`` (gate/segment), ``id``, ``border``,
        ``closing_cost``, ``length_km`` (segments).
    """
    unit = np.full(arrays.n_edges, "", dtype=object)
    gate = np.flatnonzero(arrays.into_vietnam("gate"))
    unit[gate] = ["gate:" + g for g in arrays.gate_id[gate]]
    informal = np.flatnonzero(arrays.into_vietnam("informal"))
    seg = segment_of[informal]
    unit[informal] = np.where(seg != "", "segment:" + seg.astype(str), [f"informal:{e}" for e in informal])
    seg_table = segments.set_index("segment_id")
    nominal_km = float(seg_table["length_m"].median() / 1000.0) if len(seg_table) else 5.0
    rows = []
    for name in sorted(set(unit) - {""}):
        kind, ident = name.split(":", 1)
        if kind == "gate":
            cls = gate_class.get(ident, "secondary")
            rows.append((name, "gate", ident, "", float(closing[cls]), np.nan))
        else:
            known = kind == "segment"
            km = float(seg_table.at[ident, "length_m"]) / 1000.0 if known else nominal_km
            border = seg_table.at[ident, "border"] if known else ""
            rows.append((name, "segment", ident, border, float(closing["informal_per_km"]) * km, km))
    units = pd.DataFrame(rows, columns=["unit", "kind", "id", "border", "closing_cost", "length_km"]).set_index("unit")
    return unit, units


def in_vietnam(arrays: GraphArrays, nodes: list) -> list:
    """Return the nodes (e.g. destinations) that lie in Vietnam, in their order."""
    return [n for n in nodes if arrays.node_country[arrays.row(n)] == "VNM"]
