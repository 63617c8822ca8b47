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

import numpy as np
import pandas as pd

from .. import parallel
from ..errors import NoRouteError
from ..network.arrays import GraphArrays
from ..scenario import Scenario, as_scenario
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
    origin_distance
        Least cost from the origin to every node (no graph rule applied).
    origin_predecessor
        Each node's predecessor on that least-cost tree (-9999: none).
    """

    edge_flow: np.ndarray
    cost: dict[Hashable, float]
    paths: dict[Hashable, np.ndarray]
    demand: dict[Hashable, float]
    origin_distance: np.ndarray | None = None
    origin_predecessor: np.ndarray | None = None

    @property
    def total_cost(self) -> float:
        """Demand-weighted trafficker cost (h)."""
        return float(sum(self.demand[n] * self.cost[n] for n in self.demand))


def least_cost_flow(
    arrays: GraphArrays,
    origin: Hashable,
    demand: Mapping[Hashable, float],
    *,
    reuse_unbarred: bool = False,
    skip_unreachable: bool = False,
) -> Flow:
    """Send each destination's demand down its least-cost route.

    Parameters
    ----------
    arrays
        The array view (any costs: base, re-weighted, with gates closed).
    origin
        Origin node id.
    demand
        Destination node -> share.
    reuse_unbarred
        For a destination under a graph rule (the China-border sink), keep
        the unrestricted least-cost path when it uses no barred edge instead
        of searching the rule's view: that path is then the rule view's least
        cost too (the view is a subgraph), so only equal-cost ties can be
        broken differently.  The ensemble sets it (random costs have no ties).
    skip_unreachable
        Leave out a destination that cannot be reached (it has no path, cost
        or demand in the result) instead of raising.

    Returns
    -------
    Flow

    Raises
    ------
    NoRouteError
        A destination with demand cannot be reached.
    """
    paths, cost = {}, {}
    by_rule: dict[str | None, list[Hashable]] = {None: []}
    for node in demand:  # one Dijkstra per graph rule, not per destination
        by_rule.setdefault(arrays.rules.get(node), []).append(node)
    dist, pred = arrays.dijkstra([origin])
    free = (dist[0], pred[0])
    for node in by_rule.pop(None):
        if skip_unreachable and not np.isfinite(free[0][arrays.row(node)]):
            continue
        paths[node], cost[node] = arrays.path_edges(origin, node, dist=free[0], pred=free[1])
    for country, nodes in by_rule.items():
        if reuse_unbarred:
            barred = np.zeros(arrays.n_edges, dtype=bool)
            barred[arrays.entry_edges(country)] = True
            for node in nodes:
                try:
                    path, c = arrays.path_edges(origin, node, dist=free[0], pred=free[1])
                except NoRouteError:
                    continue
                if not barred[path].any():
                    paths[node], cost[node] = path, c
        rest = [n for n in nodes if n not in paths]
        if rest:
            view = arrays.for_destination(rest[0])
            d, p = view.dijkstra([origin])
            for node in rest:
                if skip_unreachable and not np.isfinite(d[0][view.row(node)]):
                    continue
                paths[node], cost[node] = view.path_edges(origin, node, dist=d[0], pred=p[0])
    reached = {n: w for n, w in demand.items() if n in paths}
    flow = arrays.accumulate([paths[n] for n in reached], [reached[n] for n in reached])
    return Flow(
        edge_flow=flow, cost=cost, paths=paths, demand=reached, origin_distance=free[0], origin_predecessor=free[1]
    )


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


def gate_criticality(scenario: Scenario, *, workers: int | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """For every gate: the trafficker's cost rise when it closes, and where its flow goes.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its demand; diverted informal flow
        is named by border segment when it has a region).
    workers, scheduler
        Close the gates on ``workers`` local processes or the Dask cluster at
        ``scheduler`` (:func:`borderwatch.parallel.running`); the same result.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``gate_id``: ``flow`` (share of the demand entering through it),
        ``cost_rise_heq`` (demand-weighted cost with the gate closed minus without),
        ``cost_rise_pct``, ``unreachable_share`` (demand that cannot be delivered
        with it closed), ``diverted_to`` (gates or ``informal`` taking its flow,
        largest first, with shares; informal crossings by border segment, the
        three largest named). Gates no route uses have zero rise.

    Raises
    ------
    ParameterError
        ``scenario`` is neither a scenario nor a graph.
    NoRouteError
        A destination cannot be reached even with every gate open.

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 3.0, "B")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> table = gate_criticality(Scenario.from_graph(G, origin="o", destinations=["t"]))
    >>> float(table.loc["A", "cost_rise_heq"]), table.loc["A", "diverted_to"]
    (2.0, 'B 1.00')
    """
    sc = as_scenario(scenario, what="gate_criticality")
    seg_of = sc.segment_of if sc.region is not None else None
    with parallel.running(workers=workers, scheduler=scheduler):
        return criticality_of(sc.arrays, sc.origin, sc.shares, segment_of=seg_of)


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
    before = least_cost_flow(arrays, origin, shares)
    flows = gate_flow(arrays, before.edge_flow)
    rows = {
        gid: {
            "gate_id": gid,
            "flow": float(flows.get(gid, 0.0)),
            "cost_rise_heq": 0.0,
            "cost_rise_pct": 0.0,
            "unreachable_share": 0.0,
            "diverted_to": "",
        }
        for gid in sorted(set(arrays.gate_id[arrays.crossing == "gate"]))
    }
    used = [gid for gid, row in rows.items() if row["flow"] > 0]
    engine = parallel.current()
    shared = parallel.shared_view(arrays, segment_of)
    view_cost = None if shared.value.arrays is arrays else arrays.cost
    known = (before.edge_flow, before.cost, before.total_cost)
    tasks = [
        (view_cost, origin, dict(shares), known, used[first : first + count], segment_of is not None)
        for first, count in parallel.batches(len(used), len(used) if engine.workers == 1 else 4 * engine.workers)
    ]
    for part in engine.imap(_closed_rows, shared, tasks):
        for gid, update in part.items():
            rows[gid].update(update)
    columns = ["gate_id", "flow", "cost_rise_heq", "cost_rise_pct", "unreachable_share", "diverted_to"]
    return (
        pd.DataFrame(list(rows.values()), columns=columns)
        .set_index("gate_id")
        .sort_values(["cost_rise_heq", "flow"], ascending=False)
    )


def _closed_rows(
    base: parallel.SharedView,
    view_cost: np.ndarray | None,
    origin: Hashable,
    shares: dict[Hashable, float],
    known: tuple[np.ndarray, dict[Hashable, float], float],
    gate_ids: list[str],
    named_segments: bool,
) -> dict[str, dict]:
    """Close each gate of ``gate_ids`` in turn: its criticality columns (one task of :func:`criticality_of`)."""
    arrays = base.view(view_cost)
    before_flow, before_cost, before_total = known
    out = {}
    for gid in gate_ids:
        closed = arrays.without(arrays.gate_edges([gid]))
        # an unreachable destination: its demand is lost; a rule's Dijkstra only where the free path breaks it
        after = least_cost_flow(closed, origin, shares, reuse_unbarred=True, skip_unreachable=True)
        rise = sum(w * (after.cost[n] - before_cost[n]) for n, w in after.demand.items())
        out[gid] = {
            "cost_rise_heq": float(rise),
            "cost_rise_pct": float(100.0 * rise / before_total),
            "unreachable_share": float(sum(w for n, w in shares.items() if n not in after.demand)),
            "diverted_to": _diversion(
                arrays, before_flow, after.edge_flow, base.segment_of if named_segments else None
            ),
        }
    return out


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
