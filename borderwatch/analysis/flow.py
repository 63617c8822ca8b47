"""Demand-weighted flow of the traffickers' least-cost routes, and gate criticality.

Flow: each ``[demand]`` destination's share of the traffic follows the
least-cost route from the origin (graph rules applied); the shares are summed
on every edge in one vectorised step (:meth:`GraphArrays.accumulate`) and
reported per gate (the flow over its crossing edges into Vietnam).

Gate criticality: close one gate (remove its crossing edges), re-route every
destination, and measure how much the demand-weighted trafficker cost rises
and which gates, or informal crossings, take its flow instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import NoRouteError, ParameterError
from ..network.arrays import GraphArrays
from ..network.contract import graph_meta, validate_route_graph
from . import FLOW_EPS


@dataclass
class Flow:
    """Least-cost flow of the demand.

    Attributes
    ----------
    edge_flow
        Share of the demand on every edge of ``arrays``.
    cost
        Destination node -> least cost (h).
    paths
        Destination node -> edge indices of its route.
    demand
        Destination node -> share of the demand (normalised to sum 1).
    """

    edge_flow: np.ndarray
    cost: dict[Hashable, float]
    paths: dict[Hashable, np.ndarray]
    demand: dict[Hashable, float]

    @property
    def total_cost(self) -> float:
        """Demand-weighted trafficker cost (h)."""
        return float(sum(self.demand[n] * self.cost[n] for n in self.demand))


def demand_of(G: nx.MultiDiGraph, demand: Mapping[str, float] | None = None) -> dict[Hashable, float]:
    """Destination node -> share of the demand, normalised to sum 1.

    Parameters
    ----------
    G
        A route graph.
    demand
        Destination name -> share; default the graph profile's ``[demand]``.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        No share > 0 names a destination of the graph.
    """
    meta = graph_meta(G)  # callers validate the graph; the metadata is all this reads
    shares = dict(meta.demand if demand is None else demand)
    unknown = [n for n in shares if n not in meta.destinations]
    if unknown:
        names, valid = ", ".join(map(repr, unknown)), ", ".join(meta.destinations)
        raise ParameterError(f"demand names {names}, not destinations of the graph; use {valid}")
    nodes = {meta.destinations[n]: float(s) for n, s in shares.items() if s > 0}
    total = sum(nodes.values())
    if not total > 0:
        raise ParameterError("the demand shares sum to 0; give at least one destination a share > 0")
    return {n: s / total for n, s in nodes.items()}


def least_cost_flow(arrays: GraphArrays, origin: Hashable, demand: Mapping[Hashable, float]) -> Flow:
    """Send each destination's demand down its least-cost route.

    Parameters
    ----------
    arrays
        The array view (any costs: base, re-weighted, with gates closed).
    origin
        Origin node id.
    demand
        Destination node -> share.

    Returns
    -------
    Flow

    Raises
    ------
    NoRouteError
        A destination with demand cannot be reached.
    """
    paths, cost = {}, {}
    by_rule: dict[str | None, list[Hashable]] = {}
    for node in demand:  # one Dijkstra per graph rule, not per destination
        by_rule.setdefault(arrays.rules.get(node), []).append(node)
    for nodes in by_rule.values():
        view = arrays.for_destination(nodes[0])
        dist, pred = view.dijkstra([origin])
        for node in nodes:
            paths[node], cost[node] = view.path_edges(origin, node, dist=dist[0], pred=pred[0])
    flow = arrays.accumulate([paths[n] for n in demand], [demand[n] for n in demand])
    return Flow(edge_flow=flow, cost=cost, paths=paths, demand=dict(demand))


def gate_flow(arrays: GraphArrays, edge_flow: np.ndarray) -> pd.Series:
    """Flow into Vietnam through each gate.

    Parameters
    ----------
    arrays
        The array view.
    edge_flow
        Per-edge flow (e.g. :attr:`Flow.edge_flow`).

    Returns
    -------
    pandas.Series
        Indexed by ``gate_id`` (every gate of the graph), flow share.
    """
    entering = arrays.into_vietnam("gate")
    frame = pd.DataFrame({"gate_id": arrays.gate_id[entering], "flow": edge_flow[entering]})
    return frame.groupby("gate_id")["flow"].sum().rename("flow")


def informal_flow(arrays: GraphArrays, edge_flow: np.ndarray) -> float:
    """Share of the flow that enters Vietnam off-road (informal crossings)."""
    return float(edge_flow[arrays.into_vietnam("informal")].sum())


def gate_criticality(
    G: nx.MultiDiGraph,
    *,
    arrays: GraphArrays | None = None,
    demand: Mapping[str, float] | None = None,
    segment_of: np.ndarray | None = None,
) -> pd.DataFrame:
    """For every gate: the trafficker's cost rise when it closes, and where its flow goes.

    Parameters
    ----------
    G
        A route graph.
    arrays
        A prebuilt array view of ``G``.
    demand
        Destination name -> share; default the profile's ``[demand]``.
    segment_of
        Border segment per edge (:func:`~borderwatch.analysis.crossings.segment_of_edges`),
        to name the border segments that take diverted flow; without it they
        are summed as ``informal``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``gate_id``: ``flow`` (share of the demand entering through it),
        ``cost_rise_h`` (demand-weighted cost with the gate closed minus without),
        ``cost_rise_pct``, ``unreachable_share`` (demand that cannot be delivered
        with it closed), ``diverted_to`` (gates or ``informal`` taking its flow,
        largest first, with shares; informal crossings by border segment, the
        three largest named). Gates no route uses have zero rise.

    Raises
    ------
    NoRouteError
        A destination cannot be reached even with every gate open.
    """
    meta = validate_route_graph(G)
    base = arrays if arrays is not None else GraphArrays.from_graph(G)
    return criticality_of(base, meta.origin, demand_of(G, demand), segment_of=segment_of)


def criticality_of(
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    *,
    segment_of: np.ndarray | None = None,
) -> pd.DataFrame:
    """Gate criticality on any array view (:func:`gate_criticality` on a route graph).

    Parameters
    ----------
    arrays
        The array view; gates are its edges with ``crossing == "gate"``.
    origin
        Origin node id.
    shares
        Destination node -> share of the demand (summing to 1).
    segment_of
        Border segment per edge, to name segments that take diverted flow.

    Returns
    -------
    pandas.DataFrame
        As :func:`gate_criticality`.

    Raises
    ------
    NoRouteError
        A destination cannot be reached even with every gate open.
    """
    base = arrays
    before = least_cost_flow(base, origin, shares)
    flows = gate_flow(base, before.edge_flow)
    rows = []
    for gid in sorted(set(base.gate_id[base.crossing == "gate"])):
        used = flows.get(gid, 0.0)
        row = {
            "gate_id": gid,
            "flow": float(used),
            "cost_rise_h": 0.0,
            "cost_rise_pct": 0.0,
            "unreachable_share": 0.0,
            "diverted_to": "",
        }
        if used > 0:
            closed = base.without(base.gate_edges([gid]))
            reachable = {}
            lost = 0.0
            for node, share in shares.items():
                try:
                    closed.for_destination(node).path_edges(origin, node)
                    reachable[node] = share
                except NoRouteError:
                    lost += share
            after = least_cost_flow(closed, origin, reachable)
            rise = sum(reachable[n] * (after.cost[n] - before.cost[n]) for n in reachable)
            row.update(
                cost_rise_h=float(rise),
                cost_rise_pct=float(100.0 * rise / before.total_cost),
                unreachable_share=float(lost),
                diverted_to=_diversion(base, before.edge_flow, after.edge_flow, segment_of),
            )
        rows.append(row)
    columns = ["gate_id", "flow", "cost_rise_h", "cost_rise_pct", "unreachable_share", "diverted_to"]
    return (
        pd.DataFrame(rows, columns=columns).set_index("gate_id").sort_values(["cost_rise_h", "flow"], ascending=False)
    )


def _diversion(arrays: GraphArrays, before: np.ndarray, after: np.ndarray, segment_of: np.ndarray | None) -> str:
    gained = gate_flow(arrays, after).sub(gate_flow(arrays, before), fill_value=0.0)
    gained = gained[gained > FLOW_EPS].sort_values(ascending=False)
    parts = [f"{gid} {share:.2f}" for gid, share in gained.items()]
    entering = np.flatnonzero(arrays.into_vietnam("informal"))
    change = after[entering] - before[entering]
    names = segment_of[entering] if segment_of is not None else np.full(len(entering), "", dtype=object)
    by_segment = pd.Series(change).groupby(pd.Series(names).replace("", "informal").to_numpy()).sum()
    by_segment = by_segment[by_segment > FLOW_EPS].sort_values(ascending=False)
    parts += [f"{seg} {share:.2f}" for seg, share in by_segment.head(3).items()]
    rest = by_segment.iloc[3:].sum()
    if rest > FLOW_EPS:
        parts.append(f"other informal {rest:.2f}")
    return ", ".join(parts)
