"""Least-cost and k diverse routes, each explained.

A route is reported with its length, time, exposure and cost, the cost split
into its time and exposure parts, every crossing of Vietnam's land border
(gate id and class, or informal with its location) and the modes in order.
Shortest paths run on :class:`~borderwatch.network.arrays.GraphArrays`.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from ..crossings import SEGMENT_MATCH_M
from ..doors import GRAPH_FIX, require
from ..errors import ParameterError
from ..network.arrays import GraphArrays
from ..network.contract import graph_meta
from ..network.endpoints import resolve_name
from ..network.nearest import PointIndex
from ..scenario import Scenario, as_scenario
from ..schema import STORAGE_CRS
from . import FLOW_EPS, MAX_K
from .chokepoints import Chokepoints
from .flow import least_cost_flow

log = logging.getLogger(__name__)

ROUTE_COLUMNS = [
    "origin",
    "destination",
    "destination_node",
    "rank",
    "length_km",
    "time_h",
    "exposure",
    "cost_heq",
    "cost_time_heq",
    "cost_exposure_heq",
    "entry_crossing",
    "entry_name",
    "entry_gate_class",
    "entry_border",
    "entry_lon",
    "entry_lat",
    "crossings",
    "country_path",
    "modes",
    "n_edges",
    "vn_seaport",
    "overseas_port",
    "overlap_with_best",
    "overlap_with_better",
    "alternative",
    "geometry",
]
#: Columns of :func:`seaport_flows`.
SEAPORT_FLOW_COLUMNS = [
    "vn_seaport",
    "seaport_node",
    "destination",
    "overseas_port",
    "overseas_node",
    "share",
    "ensemble_share",
    "route_cost_heq",
]
#: Penalty rounds per rank before k_routes concludes no further distinct route exists.
ROUNDS_PER_RANK = 5


def explain_route(G: nx.MultiDiGraph, nodes: Sequence[Hashable], *, weight: str = "cost") -> dict[str, Any]:
    """Length, time, cost parts, border crossings, modes and geometry of a node path.

    Each step uses the cheapest parallel edge by ``weight``.

    Parameters
    ----------
    G
        The graph.
    nodes
        Node ids in path order.
    weight
        Edge attribute the path minimised.

    Returns
    -------
    dict
        The route columns of :data:`ROUTE_COLUMNS` from ``length_km`` to
        ``geometry``.  ``cost_time_heq`` and ``cost_exposure_heq`` split the cost
        by the graph's profile; on a graph without a profile they are NaN
        (the split is unknown).

    Raises
    ------
    ParameterError
        ``G`` is not a graph (a scenario's is ``scenario.G``), ``nodes`` not a list of nodes, ``weight`` not a
        string.
    """
    require(G, nx.Graph, where="explain_route", name="G", fix=GRAPH_FIX)
    require(nodes, (list, tuple, np.ndarray), where="explain_route", name="nodes", fix="give the node ids in order")
    require(weight, str, where="explain_route", name="weight")
    arrays = GraphArrays.from_graph(G.subgraph(nodes), weight=weight)  # the path's own edges suffice
    return _explain(G, arrays, arrays.edges_between(nodes), exposure_weight_h=_exposure_weight(G))


def _exposure_weight(G: nx.MultiDiGraph) -> float | None:
    profile = graph_meta(G).profile
    return profile["cost"]["exposure_weight_h"] if profile is not None else None


def _explain(
    G: nx.MultiDiGraph,
    arrays: GraphArrays,
    edges: np.ndarray,
    *,
    exposure_weight_h: float | None,
) -> dict[str, Any]:
    data = [G.edges[arrays.edge_id(e)] if G.is_multigraph() else G.edges[arrays.edge_id(e)[:2]] for e in edges]
    w = exposure_weight_h
    crossings = [
        {
            "name": e.get("gate_name", "") if e["crossing"] == "gate" else "",
            "crossing": e["gate_id"] if e["crossing"] == "gate" else "informal",
            "gate_class": e.get("gate_class", "") if e["crossing"] == "gate" else "",
            "border": e.get("border", ""),
            "geometry": e.get("geometry"),
        }
        for e in data
        if (e.get("crossing") == "gate" and e.get("gate_id")) or e.get("crossing") == "informal"
    ]
    modes: list[str] = []
    for e in data:
        m = e.get("mode", "edge")
        if not modes or modes[-1] != m:
            modes.append(m)
    coords: list[tuple[float, float]] = []
    for e in data:
        g = e.get("geometry")
        for p in list(g.coords) if g is not None else []:
            if not coords or coords[-1] != p:
                coords.append(p)
    if len(coords) == 1:
        coords.append(coords[0])
    first = crossings[0] if crossings else None
    entry_pt = first["geometry"].interpolate(0.5, normalized=True) if first and first["geometry"] is not None else None

    def total(values: np.ndarray) -> float:
        return float(np.nansum(values[edges]))

    time_h = total(arrays.time_h)
    exposed = total(arrays.exposure)
    heads = arrays.edge_v[edges]
    abroad = [arrays.nodes[h] for h in heads if arrays.node_kind[h] == "overseas"]
    loads = edges[(arrays.mode[edges] == "sea") & (arrays.node_kind[arrays.edge_u[edges]] == "seaport")]
    countries: list[str] = []
    for c in arrays.node_country[np.concatenate([arrays.edge_u[edges[:1]], heads])]:
        if c and (not countries or countries[-1] != c):
            countries.append(c)
    return {
        "length_km": total(arrays.length_m) / 1000.0,
        "time_h": time_h,
        "exposure": exposed,
        "cost_heq": total(arrays.cost),
        "cost_time_heq": time_h if w is not None else np.nan,
        "cost_exposure_heq": w * exposed if w is not None else np.nan,
        "entry_crossing": first["crossing"] if first else "",
        "entry_name": first["name"] if first else "",
        "entry_gate_class": first["gate_class"] if first else "",
        "entry_border": first["border"] if first else "",
        "entry_lon": entry_pt.x if entry_pt is not None else np.nan,
        "entry_lat": entry_pt.y if entry_pt is not None else np.nan,
        "crossings": "; ".join(_crossing_label(c) for c in crossings),
        "country_path": " > ".join(countries),
        "modes": " > ".join(modes),
        "n_edges": len(edges),
        "vn_seaport": seaport_label(G, arrays.nodes[arrays.edge_u[loads[0]]]) if len(loads) else "",
        "overseas_port": str(G.nodes[abroad[-1]].get("name", abroad[-1])) if abroad else "",
        "geometry": LineString(coords) if len(coords) >= 2 else None,
    }


def seaport_label(G: nx.MultiDiGraph, node: Hashable) -> str:
    """Name of a Vietnamese seaport node as destinations name it (``"SP-01 Cat Lai (Tan Cang - Cat Lai)"``)."""
    data = G.nodes[node]
    if data.get("port_id") and data.get("name"):
        return f"{data['port_id']} {data['name']}"
    return str(data.get("name") or node)


def corridor_table(
    routes: gpd.GeoDataFrame,
    *,
    segments: gpd.GeoDataFrame | None = None,
    places: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One line per route: where it enters Vietnam, through which countries, how far and how long.

    Parameters
    ----------
    routes
        From :func:`k_routes`.
    segments
        Border segments (:func:`borderwatch.segment_borders`); an informal
        entry is then named by the segment it crosses.
    places
        Segment id -> its place (``Coverage.segments["place"]``): an informal
        entry then also says where it is.

    Returns
    -------
    pandas.DataFrame
        ``destination``, ``rank``, ``entry`` (gate id, name and class, or
        ``informal`` with its border segment), ``country_path``, ``length_km``,
        ``time_h`` (travel time, h), ``cost_heq`` (generalised cost, h-eq),
        ``vn_seaport`` (where the route goes to sea), ``overseas_port``.
    """
    entries = []
    segment_at: dict = {}
    informal = routes[(routes["entry_crossing"] == "informal") & routes["entry_lon"].notna()]
    if segments is not None and len(informal):
        found = PointIndex.of_line_middles(segments, "segment_id").nearest_ids(
            informal["entry_lon"].to_numpy(), informal["entry_lat"].to_numpy(), max_m=SEGMENT_MATCH_M
        )
        segment_at = {k: s for k, s in zip(informal.index, found, strict=True) if s is not None}
    for _, r in routes.iterrows():
        if r["entry_crossing"] == "informal":
            where = segment_at.get(r.name, "")
            place = (places or {}).get(where, "")
            entries.append(
                f"informal, {r['entry_border']} border"
                + (f" segment {where}" if where else "")
                + (f", {place}" if place else "")
            )
        elif r["entry_crossing"]:
            entries.append(f"{r['entry_crossing']} {r['entry_name']} ({r['entry_gate_class']})")
        else:
            entries.append("none")
    return pd.DataFrame(
        {
            "destination": routes["destination"],
            "rank": routes["rank"],
            "entry": entries,
            "country_path": routes["country_path"],
            "length_km": routes["length_km"].round(0).astype(int),
            "time_h": routes["time_h"].round(1),
            "cost_heq": routes["cost_heq"].round(1),
            "vn_seaport": routes["vn_seaport"],
            "overseas_port": routes["overseas_port"],
        }
    )


def _crossing_label(c: dict[str, Any]) -> str:
    if c["crossing"] == "informal":
        p = c["geometry"].interpolate(0.5, normalized=True)
        return f"informal {c['border']} at {p.y:.3f} N {p.x:.3f} E"
    return f"{c['crossing']} ({c['gate_class']}, {c['border']})"


def _targets(sc: Scenario, destinations: Iterable[Hashable] | Hashable | None) -> list[tuple[str, Hashable]]:
    if destinations is None:
        return list(sc.destinations.items())
    if isinstance(destinations, str) or not isinstance(destinations, Iterable):
        destinations = [destinations]
    targets = [resolve_name(sc.destinations, d, what="destination", nodes=sc.G) for d in destinations]
    same = [name for name, node in targets if node == sc.origin]
    if same:
        raise ParameterError(f"destination {same[0]!r} is the origin; name a destination other than the origin")
    return list(dict.fromkeys(targets))  # a destination named twice is routed once


def _frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in ROUTE_COLUMNS if c != "geometry"}, geometry=[], crs=STORAGE_CRS)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)[ROUTE_COLUMNS]


def least_cost_routes(
    scenario: Scenario | nx.MultiDiGraph,
    *,
    destinations: Iterable[Hashable] | Hashable | None = None,
) -> gpd.GeoDataFrame:
    """Find the least-cost route from the scenario's origin to each destination, explained.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (a bare graph is wrapped by
        :meth:`Scenario.from_graph <borderwatch.Scenario.from_graph>`).
    destinations
        Names or node ids; default every named destination.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per destination, columns :data:`ROUTE_COLUMNS`.

    Raises
    ------
    ParameterError
        ``scenario`` is neither a scenario nor a graph.
    NoRouteError
        A destination cannot be reached (message names origin and destination).
    UnknownNameError
        A destination name is unknown (message lists the valid names).

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph(origin="o")
    >>> G.add_edge("o", "a", cost=1.0)
    0
    >>> G.add_edge("a", "t", cost=2.0)
    0
    >>> routes = least_cost_routes(Scenario.from_graph(G, destinations=["t"]))
    >>> routes[["destination", "cost_heq", "n_edges"]].to_dict("records")
    [{'destination': 't', 'cost_heq': 3.0, 'n_edges': 2}]
    """
    return k_routes(as_scenario(scenario, what="least_cost_routes"), destinations=destinations, k=1)


def k_routes(
    scenario: Scenario | nx.MultiDiGraph,
    *,
    destinations: Iterable[Hashable] | Hashable | None = None,
    k: int = 3,
    penalty: float = 1.0,
) -> gpd.GeoDataFrame:
    """Find up to ``k`` genuinely different routes per destination (penalty method).

    Rank 1 is the least-cost route.  Rank r is the least-cost route once
    every link (node pair) used by ranks 1 .. r-1 costs ``1 + penalty * n``
    times its cost, n being how many of them used it: the next route avoids
    their links where a reasonable alternative exists.  Rank r depends only on
    the ranks before it, so the first r routes of ``k = n`` are the routes of
    ``k = r``.  Routes are reported in rank order at their true (unpenalised)
    cost, which need not increase with rank.  A search that repeats an earlier
    route penalises it again, up to :data:`ROUNDS_PER_RANK` times; when still
    no new route appears, fewer than ``k`` routes are returned and the
    result's ``attrs["notes"]`` says so.

    Routes obey the graph's rules (:meth:`GraphArrays.for_destination`): a
    route to the China-border sink does not enter Vietnam from China.  They
    run on the scenario's costs (closed gates removed, inspected gates dearer).

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (a bare graph is wrapped).
    destinations
        Names, seaport ids or node ids; default every named destination.
    k
        Routes per destination, 1 .. :data:`MAX_K`.
    penalty
        Relative penalty per earlier use of a link (> 0).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`ROUTE_COLUMNS`.  ``overlap_with_best`` is the share of
        a route's edges shared with rank 1, ``overlap_with_better`` the largest
        share shared with any better-ranked route, ``alternative`` says in
        words what makes the route different, ``vn_seaport`` names the
        Vietnamese seaport where the route goes to sea (``""`` by land).

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario; ``k`` or ``penalty`` not a number or out of range.
    NoRouteError
        A destination cannot be reached.
    UnknownNameError
        A destination name is unknown (message lists the valid names).

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph(origin="o")
    >>> for u, v, c in [("o", "a", 1.0), ("a", "t", 1.0), ("o", "b", 2.0), ("b", "t", 2.0)]:
    ...     _ = G.add_edge(u, v, cost=c)
    >>> routes = k_routes(Scenario.from_graph(G, destinations=["t"]), k=2)
    >>> routes["cost_heq"].tolist()
    [2.0, 4.0]
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
        raise ParameterError(f"k_routes: k must be an integer from 1 to {MAX_K}, got {k!r}")
    require(penalty, (int, float), where="k_routes", name="penalty", fix="give a number > 0")
    if not penalty > 0:
        raise ParameterError(f"k_routes: penalty must be > 0, got {penalty!r}")
    sc = as_scenario(scenario, what="k_routes")
    G, src, base = sc.G, sc.origin, sc.arrays
    targets = _targets(sc, destinations)
    w = sc.profile["cost"]["exposure_weight_h"] if sc.meta.profile is not None else None
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for name, node in targets:
        found = _diverse_paths(base.for_destination(node), src, node, k=k, penalty=penalty)
        if len(found) < k:
            notes.append(
                f"{name}: only {len(found)} distinct route{'s' if len(found) != 1 else ''} found (asked for {k})"
            )
            log.warning("%s", notes[-1])
        explained = [_explain(G, base, edges, exposure_weight_h=w) for edges in found]
        for rank, (edges, info) in enumerate(zip(found, explained, strict=True), start=1):
            info["overlap_with_best"] = _overlap(edges, found[0])
            info["overlap_with_better"] = max((_overlap(edges, f) for f in found[: rank - 1]), default=1.0)
            info["alternative"] = _alternative(rank, info, explained)
            rows.append({"origin": str(src), "destination": name, "destination_node": str(node), "rank": rank, **info})
    frame = _frame(rows)
    frame.attrs["notes"] = notes
    return frame


def _diverse_paths(view: GraphArrays, src: Hashable, node: Hashable, *, k: int, penalty: float) -> list[np.ndarray]:
    edges, _ = view.path_edges(src, node)
    found = [edges]
    uses = np.zeros(view.n_edges)
    while len(found) < k:
        for _ in range(ROUNDS_PER_RANK):
            uses[view.parallel(edges)] += 1.0
            edges, _ = view.with_cost(view.cost * (1.0 + penalty * uses)).path_edges(src, node)
            if not any(np.array_equal(edges, f) for f in found):
                break
        else:
            return found
        found.append(edges)
    return found


def _overlap(edges: np.ndarray, other: np.ndarray) -> float:
    return float(np.isin(edges, other).mean()) if len(edges) else 0.0


def _alternative(rank: int, info: dict[str, Any], explained: list[dict[str, Any]]) -> str:
    if rank == 1:
        return "least-cost route"
    better = explained[: rank - 1]
    entries = {b["entry_crossing"] for b in better}
    share = f"shares {info['overlap_with_better']:.0%} of its edges with a better-ranked route"
    if info["entry_crossing"] not in entries:
        was = ", ".join(sorted(e or "none" for e in entries))
        return f"enters at {info['entry_crossing'] or 'no crossing'} (better routes: {was}); {share}"
    return f"same entry as a better route, another path; {share}"


def seaport_flows(scenario: Scenario | nx.MultiDiGraph, *, chokepoints: Chokepoints | None = None) -> pd.DataFrame:
    """Export by Vietnamese seaport and overseas port: how much of the demand is loaded where, for where.

    Every sea leg from a Vietnamese seaport to an overseas port that carries
    flow gives one row: the demand's least-cost flow on it (the share of all
    demand that loads at that seaport for that port) and, given the
    chokepoint metrics, the ensemble's mean flow on it (routes spread over
    dearer seaports when costs are perturbed).

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its demand; a bare graph is wrapped).
    chokepoints
        Its :func:`~borderwatch.analysis.chokepoints.chokepoint_metrics`: the
        least-cost flow is taken from it and the ensemble column filled;
        without it the least-cost flow is computed here and
        ``ensemble_share`` is NaN.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEAPORT_FLOW_COLUMNS`: ``vn_seaport`` (``"SP-01 Cat Lai
        ..."``), ``seaport_node``, ``destination`` (the destination named by
        the overseas port, ``"export to Manila (Philippines)"``, or ``""``),
        ``overseas_port``, ``overseas_node``, ``share`` (least-cost share of
        all demand), ``ensemble_share`` (mean over the samples),
        ``route_cost_heq`` (least cost of a route to that overseas port through
        that seaport: the cheapest route to the seaport plus the leg), largest
        ``share`` first.  No rows when no flow goes overseas.

    Raises
    ------
    ParameterError
        Not a scenario or graph, or ``chokepoints`` not chokepoint metrics.
    NoRouteError
        A destination with demand cannot be reached.

    Examples
    --------
    Two seaports, two overseas ports: each port's demand leaves from the seaport cheapest for it.

    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for n, kind in [("o", "origin"), ("p", "seaport"), ("q", "seaport"), ("A", "overseas"), ("B", "overseas")]:
    ...     G.add_node(n, kind=kind)
    >>> for u, v, c, mode in [("o", "p", 1, "road"), ("o", "q", 2, "road"), ("p", "A", 1, "sea"),
    ...                       ("q", "A", 3, "sea"), ("p", "B", 5, "sea"), ("q", "B", 1, "sea")]:
    ...     _ = G.add_edge(u, v, cost=float(c), mode=mode)
    >>> table = seaport_flows(Scenario.from_graph(G, origin="o", destinations=["A", "B"]))
    >>> table[["vn_seaport", "overseas_node", "share", "route_cost_heq"]].to_dict("records")
    [{'vn_seaport': 'p', 'overseas_node': 'A', 'share': 0.5, 'route_cost_heq': 2.0}, \
{'vn_seaport': 'q', 'overseas_node': 'B', 'share': 0.5, 'route_cost_heq': 3.0}]
    """
    sc = as_scenario(scenario, what="seaport_flows")
    require(chokepoints, (Chokepoints, None), where="seaport_flows", name="chokepoints")
    arrays = sc.arrays if chokepoints is None else chokepoints.arrays
    flow = chokepoints.flow if chokepoints is not None else least_cost_flow(arrays, sc.origin, sc.shares)
    mean = chokepoints.ensemble.edge_mean_flow if chokepoints is not None else np.full(arrays.n_edges, np.nan)
    tail, head = arrays.edge_u, arrays.edge_v
    legs = np.flatnonzero(
        (arrays.mode == "sea") & (arrays.node_kind[tail] == "seaport") & (arrays.node_kind[head] == "overseas")
    )
    legs = legs[(flow.edge_flow[legs] > FLOW_EPS) | (mean[legs] > FLOW_EPS)]
    dist: dict[str | None, np.ndarray] = {}  # least cost to every node, one Dijkstra per graph rule
    names, rows = sc.destination_names, {}
    for e in legs:
        port, abroad = arrays.nodes[tail[e]], arrays.nodes[head[e]]
        rule = arrays.rules.get(abroad)
        if rule not in dist:
            dist[rule] = arrays.for_destination(abroad).dijkstra([sc.origin])[0][0]
        cost = float(dist[rule][tail[e]] + arrays.cost[e])
        row = rows.get((port, abroad))
        if row is None:  # (parallel legs of one port pair: their flows add, the cheaper counts)
            rows[(port, abroad)] = {
                "vn_seaport": seaport_label(sc.G, port),
                "seaport_node": port,
                "destination": names.get(abroad, ""),
                "overseas_port": str(sc.G.nodes[abroad].get("name", abroad)),
                "overseas_node": abroad,
                "share": float(flow.edge_flow[e]),
                "ensemble_share": float(mean[e]),
                "route_cost_heq": cost,
            }
        else:
            row.update(
                share=row["share"] + float(flow.edge_flow[e]),
                ensemble_share=row["ensemble_share"] + float(mean[e]),
                route_cost_heq=min(row["route_cost_heq"], cost),
            )
    table = pd.DataFrame(list(rows.values()), columns=SEAPORT_FLOW_COLUMNS)
    return table.sort_values(["share", "ensemble_share"], ascending=False, ignore_index=True)
