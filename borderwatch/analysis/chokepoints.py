"""Every chokepoint metric of one scenario, computed once: flow, ensemble, criticality, minimum cut, pinch points.

:func:`chokepoint_metrics` runs them on a :class:`~borderwatch.Scenario`: a
borderwatch route graph (the scenario's settings give the demand, the
ensemble, the closing costs and the cut bound) or any graph with a ``cost``
on its edges (a user graph: unreachable destinations reported and left out,
gates are edges with a ``gate_id``, and every other link can be cut at its
``closing_cost``, default 1).  The ranking
(:mod:`borderwatch.analysis.ranking`) and the ``chokepoints`` command read
the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..doors import require
from ..errors import NoRouteError, ParameterError
from ..network.arrays import GraphArrays
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .ensemble import Ensemble, ensemble_of, rerouted_of
from .flow import Flow, criticality_of, least_cost_flow
from .mincut import MinimumCut, minimum_cut
from .pinch import PinchPoints, pinch_points


@dataclass
class Chokepoints:
    """All chokepoint metrics of one graph.

    Attributes
    ----------
    arrays
        The array view the metrics index (edges, nodes).
    origin
        Origin node id.
    shares
        Destination node -> share of the demand.
    flow, ensemble, criticality, cut, pinch
        The results of :func:`~borderwatch.analysis.flow.least_cost_flow`,
        :func:`~borderwatch.analysis.ensemble.ensemble_of`,
        :func:`~borderwatch.analysis.flow.criticality_of`,
        :func:`~borderwatch.analysis.mincut.minimum_cut` and
        :func:`~borderwatch.analysis.pinch.pinch_points`.
    segment_of, unit_of_edge
        Border segment and cut unit of every edge ("" where none).
    unreachable
        Destinations that cannot be reached (left out of every metric).
    timings_s
        Seconds per step.
    segment_length_km
        Length of the border segments ``segment_of`` names (``None``: no segments).
    """

    arrays: GraphArrays
    origin: Hashable
    shares: dict[Hashable, float]
    flow: Flow
    ensemble: Ensemble
    criticality: pd.DataFrame
    cut: MinimumCut
    pinch: PinchPoints
    segment_of: np.ndarray
    unit_of_edge: np.ndarray
    unreachable: list[Hashable] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    segment_length_km: float | None = None

    @property
    def origin_distance(self) -> np.ndarray:
        """Least cost (h) from the origin to every node (no graph rule applied)."""
        return self.arrays.dijkstra([self.origin])[0][0]


def analyse(
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    *,
    ensemble: Mapping[str, float],
    segment_of: np.ndarray,
    unit_of_edge: np.ndarray,
    unit_cost: pd.DataFrame,
    cut_destinations: Sequence[Hashable],
    within_pct: float | None,
    progress: Callable[[int, int], None] | None = None,
    like: Ensemble | None = None,
) -> Chokepoints:
    """Run every metric on an array view.

    Parameters
    ----------
    arrays
        The array view.
    origin
        Origin node id.
    shares
        Destination node -> share of the demand (summing to 1; all reachable).
    ensemble
        ``samples``, ``seed``, ``sigma_edge``, ``sigma_gate``.
    segment_of, unit_of_edge, unit_cost
        Border segment and cut unit per edge; the units' closing costs.
    cut_destinations
        Destinations the minimum cut separates from the origin.
    within_pct
        The cut's route-cost bound (``None``: every route).
    progress
        Called as ``progress(done, total)`` after each ensemble sample.
    like
        The ensemble of a scenario on the same graph and draws (a comparison's
        base): the samples its support shows an edit cannot change are taken
        from it (:func:`~borderwatch.analysis.ensemble.rerouted_of`; the same result).

    Returns
    -------
    Chokepoints
    """
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = step()
        timings[name] = round(time.perf_counter() - started, 3)
        return result

    flow = timed("flow", lambda: least_cost_flow(arrays, origin, shares))
    criticality = timed("criticality", lambda: criticality_of(arrays, origin, shares, segment_of=segment_of))
    cut = timed(
        "minimum_cut",
        lambda: minimum_cut(
            arrays, origin, cut_destinations, unit_of_edge=unit_of_edge, unit_cost=unit_cost, within_pct=within_pct
        ),
    )
    pinch = timed("pinch_points", lambda: pinch_points(arrays, origin, list(shares), weights=shares))
    draws = {
        "samples": ensemble["samples"],
        "seed": int(ensemble["seed"]),
        "sigma_edge": float(ensemble["sigma_edge"]),
        "sigma_gate": float(ensemble["sigma_gate"]),
        "segment_of": segment_of,
        "progress": progress,
    }
    runs = timed(
        "ensemble",
        lambda: (
            (like is not None and rerouted_of(like, arrays, origin, shares, **draws))
            or ensemble_of(arrays, origin, shares, keep_support=True, **draws)
        ),  # kept: a comparison reuses it
    )
    return Chokepoints(
        arrays=arrays,
        origin=origin,
        shares=dict(shares),
        flow=flow,
        ensemble=runs,
        criticality=criticality,
        cut=cut,
        pinch=pinch,
        segment_of=segment_of,
        unit_of_edge=unit_of_edge,
        timings_s=timings,
    )


def chokepoint_metrics(
    scenario: Scenario, *, progress: Callable[[int, int], None] | None = None, like: Chokepoints | None = None
) -> Chokepoints:
    """Run every chokepoint metric on a scenario, once (later calls return the same result).

    On a route graph with its region, crossings are gates and the informal
    crossings of each border segment, closed at the settings' ``closing``
    costs, and the minimum cut separates the origin from the destinations
    inside Vietnam.  On any other graph (a user graph), gates are edges with a
    ``gate_id``, every other link can be cut at its ``closing_cost`` (default
    1), and destinations that cannot be reached are listed in
    :attr:`Chokepoints.unreachable` and left out.  Either way the cut is
    bounded by the settings' ``within_pct``.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`.
    progress
        Called as ``progress(done, total)`` after each ensemble sample.
    like
        The chokepoint metrics of a scenario on the same graph and draws (the
        base of a comparison): an edit that only raises costs re-routes just
        the ensemble samples it touches (the same result, in less time).

    Returns
    -------
    Chokepoints

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, ``progress`` not a function or None, ``like`` not chokepoint metrics.
    NoRouteError
        No destination can be reached (a user graph), or one cannot (a route graph).

    Examples
    --------
    The bow tie: two gates into ``m``, one bridge ``m -> n``, two ways on to ``t``.

    >>> import math
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "m", 1, "A"), ("o", "m", 2, "B"), ("m", "n", 1, ""), ("n", "t", 1, ""),
    ...                    ("n", "t", 2, "")]:
    ...     _ = G.add_edge(u, v, cost=float(c), gate_id=g)
    >>> sc = Scenario.from_graph(G, origin="o", destinations=["t"], samples=20, within_pct=math.inf)  # every route
    >>> result = chokepoint_metrics(sc)
    >>> result.cut.units.index.tolist()
    ['link:m|n']
    """
    sc = as_scenario(scenario, what="chokepoint_metrics")
    require(progress, (callable, None), where="chokepoint_metrics", name="progress")
    require(like, (Chokepoints, None), where="chokepoint_metrics", name="like")
    return sc.memo("chokepoints", lambda: _metrics(sc, progress, None if like is None else like.ensemble))


def _metrics(sc: Scenario, progress: Callable[[int, int], None] | None, like: Ensemble | None) -> Chokepoints:
    arrays, s = sc.arrays, sc.settings
    ensemble = {"samples": s.samples, "seed": s.seed, "sigma_edge": s.sigma_edge, "sigma_gate": s.sigma_gate}
    if sc.is_route_graph and sc.region is not None:
        units, costs = sc.crossings
        result = analyse(
            arrays,
            sc.origin,
            sc.shares,
            ensemble=ensemble,
            segment_of=sc.segment_of,
            unit_of_edge=units,
            unit_cost=costs,
            cut_destinations=sc.cut_destinations(),
            within_pct=s.cut_bound(),
            progress=progress,
            like=like,
        )
        result.segment_length_km = sc.segment_length_km
        return result
    dist = arrays.dijkstra([sc.origin])[0][0]
    reached = {d: w for d, w in sc.shares.items() if np.isfinite(dist[arrays.row(d)])}
    unreachable = [d for d in sc.shares if d not in reached]
    if not reached:
        raise NoRouteError(f"none of the destinations can be reached from {sc.origin!r}; check the graph's edges")
    total = sum(reached.values())
    units, costs = _link_units(sc.G, arrays)
    result = analyse(
        arrays,
        sc.origin,
        {d: w / total for d, w in reached.items()},
        ensemble=ensemble,
        segment_of=np.full(arrays.n_edges, "", dtype=object),
        unit_of_edge=units,
        unit_cost=costs,
        cut_destinations=list(reached),
        within_pct=s.cut_bound(),
        progress=progress,
        like=like,
    )
    result.unreachable = unreachable
    return result


def _link_units(G: nx.MultiDiGraph, arrays: GraphArrays) -> tuple[np.ndarray, pd.DataFrame]:
    names = np.empty(arrays.n_edges, dtype=object)
    units: dict[str, dict] = {}
    for e in range(arrays.n_edges):
        u, v, key = arrays.edge_id(e)
        data = G.edges[u, v, key] if G.is_multigraph() else G.edges[u, v]
        if arrays.gate_id[e]:
            kind, ident = "gate", arrays.gate_id[e]
        else:
            kind, ident = "link", "|".join(sorted((str(u), str(v))))
        value = pd.to_numeric(data.get("closing_cost", 1.0), errors="coerce")
        if not (np.isfinite(value) and value >= 0):
            raise ParameterError(
                f"edge {u!r} -> {v!r} has closing_cost {data.get('closing_cost')!r}; give a number >= 0"
            )
        names[e] = f"{kind}:{ident}"
        unit = units.setdefault(names[e], {"kind": kind, "id": ident, "border": "", "closing_cost": 0.0})
        unit["closing_cost"] = max(unit["closing_cost"], float(value))
    table = pd.DataFrame.from_dict(units, orient="index").assign(length_km=np.nan).sort_index()
    table.index.name = "unit"
    return names, table


def chokepoint_features(result: Chokepoints, G: nx.MultiDiGraph, *, min_current: float = 0.05) -> gpd.GeoDataFrame:
    """Edges and nodes with their chokepoint metrics, as one table of features for a GIS.

    Parameters
    ----------
    result
        The metrics.
    G
        The graph they were computed on (geometries and positions).
    min_current
        Edges are listed when they carry least-cost flow, are used in any
        ensemble sample, belong to the minimum cut, or carry at least this
        pinch-point current.

    Returns
    -------
    geopandas.GeoDataFrame
        ``feature`` (``edge``/``node``), ``u``, ``v``, ``key``, ``node``,
        ``kind``, ``mode``, ``crossing``, ``gate_id``, ``segment_id``,
        ``cost``, ``flow``, ``usage_probability``, ``mean_flow``,
        ``pinch_current``, ``in_min_cut``, ``cut_unit``, ``resistance_heq``
        (destinations), ``reachable`` (false only for an unreachable
        destination); EPSG:4326 (null geometry where the
        graph has no positions).
    """
    arrays = result.arrays
    in_cut = np.zeros(arrays.n_edges, dtype=bool)
    in_cut[result.cut.edges] = True
    keep = np.flatnonzero(
        (result.flow.edge_flow > FLOW_EPS)
        | (result.ensemble.edge_usage > 0)
        | in_cut
        | (result.pinch.edge_current >= min_current)
    )
    rows, geoms = [], []
    for e in keep:
        u, v, key = arrays.edge_id(e)
        data = G.edges[u, v, key] if G.is_multigraph() else G.edges[u, v]
        rows.append(
            {
                "feature": "edge",
                "u": str(u),
                "v": str(v),
                "key": str(key),
                "mode": arrays.mode[e],
                "crossing": arrays.crossing[e],
                "gate_id": arrays.gate_id[e],
                "segment_id": result.segment_of[e],
                "cost_heq": float(arrays.cost[e]),
                "flow": float(result.flow.edge_flow[e]),
                "usage_probability": float(result.ensemble.edge_usage[e]),
                "mean_flow": float(result.ensemble.edge_mean_flow[e]),
                "pinch_current": float(result.pinch.edge_current[e]),
                "in_min_cut": bool(in_cut[e]),
                "cut_unit": result.unit_of_edge[e] if in_cut[e] else "",
            }
        )
        geoms.append(data.get("geometry") or _segment(G, u, v))
    destinations = {**{d: True for d in result.shares}, **{d: False for d in result.unreachable}}
    gate_nodes = {arrays.nodes[arrays.edge_v[e]] for e in np.flatnonzero(arrays.crossing == "gate")}
    for node in dict.fromkeys([result.origin, *destinations, *sorted(gate_nodes, key=str)]):
        i = arrays.row(node)
        rows.append(
            {
                "feature": "node",
                "node": str(node),
                "kind": arrays.node_kind[i] or ("origin" if node == result.origin else ""),
                "pinch_current": float(result.pinch.node_current.get(node, 0.0)),
                "resistance_heq": result.pinch.resistance.get(node, np.nan) if node in destinations else np.nan,
                "reachable": destinations.get(node, True),
            }
        )
        geoms.append(_point(G, node))
    table = pd.DataFrame(rows)
    for column in ("in_min_cut", "reachable"):  # nodes are never cut; edges always reachable
        table[column] = table[column].fillna(column == "reachable").astype(bool)
    text = ["u", "v", "key", "mode", "crossing", "gate_id", "segment_id", "cut_unit", "node", "kind"]
    table[text] = table[text].fillna("")
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))


def _point(G: nx.MultiDiGraph, node: Hashable) -> shapely.Point | None:
    data = G.nodes[node]
    return shapely.Point(data["x"], data["y"]) if "x" in data and "y" in data else None


def _segment(G: nx.MultiDiGraph, u: Hashable, v: Hashable) -> shapely.LineString | None:
    a, b = _point(G, u), _point(G, v)
    return shapely.LineString([a, b]) if a is not None and b is not None else None
