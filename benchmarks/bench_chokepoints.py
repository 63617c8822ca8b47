"""Benchmark: the chokepoint analysis on the route graph, beside plain networkx computing the same metrics.

Run:  python benchmarks/bench_chokepoints.py [--refine 1] [--samples 200] [--nx-budget 300] [--json out.json]

On the graph built with lattice ``refine`` (1 = the shipped graph, 2 = about
1.1 million edges):

* flow: least-cost flow of the [demand] (csgraph) vs networkx Dijkstra paths
  (one per graph rule; a weight function hides barred edges: no graph copy);
* criticality: every used gate closed in turn, re-routed (csgraph vs networkx,
  a weight function hiding the closed gate's edges);
* minimum cut: scipy Dinic vs ``networkx.minimum_cut_value`` on the same
  hub network (same value required; the solvers alone, and ours with the
  Dijkstras that bound it to plausible routes);
* pinch points: sparse factorisation vs
  ``networkx.current_flow_betweenness_centrality_subset`` (solver ``lu``) for
  one destination; networkx runs on the whole graph under a time budget, and
  both run on a corridor subgraph (nodes within 5 % of the least cost to
  Hanoi, ``--corridor-pct``) where the currents must agree;
* the ensemble at ``--samples`` (ours only; networkx would repeat the flow).

Every networkx result is compared with ours before any figure is printed.
These are single readings; ``bench_budgets.py`` gives medians of >= 5 runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import signal
import time

import networkx as nx
import numpy as np
import scipy.sparse.csgraph
from bench_budgets import nx_criticality, nx_flow  # the fair networkx references, shared

from borderwatch import GraphArrays, Scenario, build_route_graph, load_profile, load_region
from borderwatch.analysis.chokepoints import chokepoint_metrics
from borderwatch.analysis.flow import criticality_of, gate_flow, least_cost_flow
from borderwatch.analysis.mincut import cut_network, minimum_cut
from borderwatch.analysis.pinch import MIN_RESISTANCE_H, pinch_points


class BudgetError(Exception):
    """networkx ran out of its time budget."""


def within(seconds: float, fn):
    """Run ``fn`` for at most ``seconds`` (SIGALRM); return (seconds taken, result) or (None, None)."""

    def stop(signum, frame):
        raise BudgetError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.perf_counter()
    try:
        result = fn()
        return time.perf_counter() - started, result
    except BudgetError:
        return None, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def conductance_graph(arrays: GraphArrays, closed: np.ndarray) -> nx.Graph:
    """Return the undirected resistor network ``pinch_points`` solves, as a networkx graph."""
    live = np.isfinite(arrays.cost) & ~closed & (arrays.edge_u != arrays.edge_v)
    g = 1.0 / np.maximum(arrays.cost[live], MIN_RESISTANCE_H)
    directed: dict[tuple[int, int], float] = {}
    for u, v, c in zip(arrays.edge_u[live], arrays.edge_v[live], g, strict=True):
        directed[u, v] = directed.get((u, v), 0.0) + c
    H = nx.Graph()
    for (u, v), c in directed.items():
        key = (min(u, v), max(u, v))
        if not H.has_edge(*key) or H.edges[key]["conductance"] < c:
            H.add_edge(*key, conductance=c)
    return H


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refine", type=int, default=1, help="lattice refinement (1 = the shipped graph)")
    ap.add_argument("--samples", type=int, default=200, help="ensemble samples")
    ap.add_argument("--nx-budget", type=float, default=300.0, help="seconds networkx may take per metric")
    ap.add_argument("--corridor-pct", type=float, default=5.0, help="corridor subgraph: routes within this % of least")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()

    region = load_region()
    t_build, G = timed(lambda: build_route_graph(region, profile=load_profile(lattice={"refine": args.refine})))
    scenario = Scenario.from_graph(G, region=region, samples=args.samples)
    arrays = scenario.arrays
    origin, shares = scenario.origin, scenario.shares
    rules = dict(arrays.rules)
    figures: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, python {platform.python_version()}",
        "refine": args.refine,
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "build_graph_s": round(t_build, 1),
    }

    # flow and criticality
    t_flow, flow = timed(lambda: least_cost_flow(arrays, origin, shares))
    t_nx_flow, (nx_gates, nx_cost) = timed(lambda: nx_flow(G, origin, shares, rules))
    assert all(abs(flow.cost[n] - nx_cost[n]) < 1e-6 for n in shares)
    ours_gates = gate_flow(arrays, flow.edge_flow)
    assert all(abs(ours_gates.get(g, 0.0) - share) < 1e-9 for g, share in nx_gates.items())
    t_crit, crit = timed(lambda: criticality_of(arrays, origin, shares))
    used = [g for g in crit.index if crit.loc[g, "flow"] > 0]

    t_nx_crit, nx_rise = within(args.nx_budget, lambda: nx_criticality(G, origin, shares, rules, used, nx_cost))
    if nx_rise is not None:
        assert all(abs(nx_rise[g] - crit.loc[g, "cost_rise_heq"]) < 1e-6 for g in used)
    figures.update(
        flow_s=round(t_flow, 3),
        flow_networkx_s=round(t_nx_flow, 2),
        criticality_s=round(t_crit, 3),
        criticality_networkx_s=None if t_nx_crit is None else round(t_nx_crit, 2),
        gates_routed=len(crit),
        gates_used=len(used),
    )

    # the whole analysis, as rank-gates runs it (the ensemble in it; the border segments and crossings first)
    t_all, result = timed(lambda: chokepoint_metrics(scenario))

    # minimum cut: the same network for both solvers
    cut_destinations = scenario.cut_destinations()
    unit_of_edge, table = scenario.crossings
    within_pct = float(scenario.settings.within_pct)
    t_cut, cut = timed(
        lambda: minimum_cut(
            arrays, origin, cut_destinations, unit_of_edge=unit_of_edge, unit_cost=table, within_pct=within_pct
        )
    )
    assert abs(cut.value - result.cut.value) < 1e-9 and set(cut.units.index) == set(result.cut.units.index)
    network = cut_network(
        arrays, origin, cut_destinations, unit_of_edge=unit_of_edge, unit_cost=table, within_pct=within_pct
    )
    t_solve, _ = timed(lambda: scipy.sparse.csgraph.maximum_flow(network.capacity, network.source, network.sink))
    coo = network.capacity.tocoo()
    D = nx.DiGraph()
    D.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), "capacity")
    t_nx_cut, nx_value = within(args.nx_budget, lambda: nx.minimum_cut_value(D, network.source, network.sink))
    if nx_value is not None:
        assert abs(nx_value * 1e-3 - cut.value) < 1e-6, (nx_value, cut.value)
    figures.update(
        minimum_cut_s=round(t_cut, 3),
        cut_network_edges=int(network.capacity.nnz),
        max_flow_scipy_s=round(t_solve, 3),
        minimum_cut_networkx_s=None if t_nx_cut is None else round(t_nx_cut, 2),
        cut_units=len(cut.units),
        cut_value=round(cut.value, 3),
    )

    # pinch points: one destination (Hanoi), other destinations carry no current
    hanoi = scenario.destinations["Hanoi"]
    t_pinch_one, one = timed(lambda: pinch_points(arrays, origin, [hanoi]))
    t_pinch_all, _ = timed(lambda: pinch_points(arrays, origin, list(shares)))
    sinks = arrays.node_kind == "destination"
    sinks[arrays.row(hanoi)] = False
    closed = sinks[arrays.edge_u] | sinks[arrays.edge_v]
    H = conductance_graph(arrays, closed)
    o, h = arrays.row(origin), arrays.row(hanoi)
    H = H.subgraph(nx.node_connected_component(H, o)).copy()

    def nx_pinch(graph):
        return nx.current_flow_betweenness_centrality_subset(
            graph, [o], [h], normalized=False, weight="conductance", solver="lu"
        )

    t_nx_full, _ = within(args.nx_budget, lambda: nx_pinch(H))
    # corridor subgraph: nodes on routes within --corridor-pct of the least cost; both implementations, same answer
    d_from = arrays.dijkstra([origin])[0][0]
    d_to = arrays.dijkstra([hanoi], reverse=True)[0][0]
    bound = (1 + args.corridor_pct / 100) * d_from[h]
    corridor = set(np.flatnonzero(d_from + d_to <= bound).tolist()) & set(H.nodes)
    C = H.subgraph(corridor).copy()
    C = C.subgraph(nx.node_connected_component(C, o)).copy()
    sub = GraphArrays.from_graph(nx.Graph((u, v, {"cost": 1.0 / d["conductance"]}) for u, v, d in C.edges(data=True)))
    t_sub, mine = timed(lambda: pinch_points(sub, o, [h]))
    t_nx_sub, theirs = timed(lambda: nx_pinch(C))
    offset = 1.0 / (2 - C.number_of_nodes())
    worst = max(abs(mine.node_current[n] / 2 + offset - theirs[n]) for n in C.nodes)
    assert worst < 1e-6, worst
    figures.update(
        pinch_one_destination_s=round(t_pinch_one, 3),
        pinch_all_destinations_s=round(t_pinch_all, 3),
        pinch_networkx_one_destination_s=None if t_nx_full is None else round(t_nx_full, 1),
        pinch_networkx_budget_s=args.nx_budget,
        corridor_pct=args.corridor_pct,
        corridor_nodes=C.number_of_nodes(),
        corridor_edges=C.number_of_edges(),
        pinch_corridor_s=round(t_sub, 4),
        pinch_corridor_networkx_s=round(t_nx_sub, 2),
        resistance_hanoi_h=round(one.resistance[hanoi], 4),
    )

    steps = result.timings_s
    figures.update(
        samples=args.samples,
        ensemble_s=steps["ensemble"],
        analysis_without_ensemble_s=round(sum(v for k, v in steps.items() if k != "ensemble"), 2),
        analysis_total_s=round(t_all, 2),
        peak_memory_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    ours = t_flow + t_crit + t_solve + t_pinch_one
    if None not in (t_nx_crit, t_nx_cut, t_nx_full):
        figures["speedup_flow_criticality_cut_pinch"] = round((t_nx_flow + t_nx_crit + t_nx_cut + t_nx_full) / ours, 1)
    else:
        lower = t_nx_flow + (t_nx_crit or args.nx_budget) + (t_nx_cut or args.nx_budget) + (t_nx_full or args.nx_budget)
        figures["speedup_at_least"] = round(lower / ours, 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)


if __name__ == "__main__":
    main()
