"""Benchmark: the speed budgets of issue 20, each beside its measured figure, and fair references.

Run:  python benchmarks/bench_budgets.py [--repeat 5] [--skip report,refine2,sweep] [--json out.json]

Every figure is the median of ``--repeat`` runs (at least 5) with its min and
max, all timed in this one run.  The references compute the same metric on the
same graph, plainly and fairly:

* kernel: one single-source Dijkstra from the origin over every node: ours
  (``scipy.sparse.csgraph`` on the CSR view), networkx
  (``single_source_dijkstra_path_length`` on the route graph itself), and the
  compiled peers rustworkx (``dijkstra_shortest_path_lengths``; its API takes
  the edge cost through a Python callback) and igraph (``distances`` with an
  edge attribute), on the same edges, built before the timing; the distances
  must agree;
* flow: the demand down its least-cost routes: ours vs networkx with one
  Dijkstra tree (``dijkstra_predecessor_and_distance``) per graph rule and a
  weight function that hides the barred edges (no graph copy); the gate
  flows and costs must agree;
* criticality: the base flow, then every used gate closed in turn, on the
  scenario with every trail into Vietnam sealed (no least-cost route of the shipped data
  uses a gate, so there it would close none): ours vs networkx with a weight
  function hiding the sealed edges, the closed gate's and the barred ones,
  both computing their own base flow inside the timing; the gates closed and
  the cost rises must agree;
* the 200-sample ensemble: one sample's parts (CPU), 200 samples on one core (CPU) and on
  1 and 2 worker processes (wall);
* the warm ``borderwatch report`` (CPU seconds of the command and its workers),
  on the shipped graph and with ``[lattice] refine = 2`` (1.45 M edges; its
  graph is built once, before the timing);
* a sweep closing every gate in turn, whole (the base's ensemble with its
  support, then each closure re-routing only the samples whose routes it
  touches), on one process and on 2 workers (wall) and its CPU seconds; the
  reference is the same sweep with every row's ensemble routed in full,
  timed on ``--reference-gates`` closures (the busiest first) and its table
  asserted equal to ours on them.

The machine may be shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import networkx as nx
import numpy as np

from borderwatch import CloseGates, CloseSegments, Scenario, parallel
from borderwatch.analysis import sweep as sweep_module
from borderwatch.analysis.draws import lognormal_factors
from borderwatch.analysis.ensemble import flow_ensemble
from borderwatch.analysis.flow import criticality_of, gate_flow, least_cost_flow
from borderwatch.analysis.sweep import sweep


def runs(
    fn: Callable[[], object], repeat: int, *, clock: Callable[[], float] = time.perf_counter
) -> tuple[dict, object]:
    """Time ``fn`` ``repeat`` times: median, min, max (s) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        started = clock()
        out = fn()
        times.append(clock() - started)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "n": repeat}, out


def fmt(t: dict) -> str:
    return f"{t['median']:.3f} s (min {t['min']:.3f}, max {t['max']:.3f}, n={t['n']})"


# ---------------------------------------------------------------- networkx, plainly
def cost_weight(
    G: nx.MultiDiGraph,
    *,
    barred_country: str | None = None,
    closed_gate: str | None = None,
    hidden: frozenset = frozenset(),
):
    """Return a networkx weight function: the cheapest edge in force between two nodes, None where none is.

    ``hidden`` holds edges ``(u, v, key)`` out of force (a scenario's closures).  With no barred country,
    closed gate or hidden edge it is what ``weight="cost"`` does on a multigraph.
    """
    country = nx.get_node_attributes(G, "country")

    def weight(u, v, edges):
        if barred_country is not None and country.get(u) == barred_country and country.get(v) == "VNM":
            return None
        if closed_gate is None and not hidden:
            return min(d["cost"] for d in edges.values())
        costs = [d["cost"] for k, d in edges.items() if in_force(u, v, k, d, closed_gate, hidden)]
        return min(costs) if costs else None

    return weight


def in_force(u, v, k, data: dict, closed_gate: str | None, hidden: frozenset) -> bool:
    """Whether an edge is neither hidden nor of the closed gate."""
    return (u, v, k) not in hidden and (closed_gate is None or data.get("gate_id") != closed_gate)


def nx_flow(
    G, origin, shares: dict, rules: dict, *, closed_gate: str | None = None, hidden: frozenset = frozenset()
) -> tuple[dict, dict]:
    """Least-cost flow with networkx: one Dijkstra tree per graph rule; gate flows and costs per destination."""
    by_rule: dict[str | None, list] = {}
    for node in shares:
        by_rule.setdefault(rules.get(node), []).append(node)
    gates: dict[str, float] = {}
    cost: dict = {}
    for country, nodes in by_rule.items():
        weight = cost_weight(G, barred_country=country, closed_gate=closed_gate, hidden=hidden)
        pred, dist = nx.dijkstra_predecessor_and_distance(G, origin, weight=weight)
        for node in nodes:
            if node not in dist:
                continue
            cost[node] = dist[node]
            v = node
            while v != origin:
                u = pred[v][0]
                kept = [d for k, d in G[u][v].items() if in_force(u, v, k, d, closed_gate, hidden)]
                data = min(kept, key=lambda d: d["cost"])
                if data.get("crossing") == "gate" and G.nodes[v].get("country") == "VNM":
                    gates[data["gate_id"]] = gates.get(data["gate_id"], 0.0) + shares[node]
                v = u
    return gates, cost


def nx_criticality(G, origin, shares, rules, *, hidden: frozenset = frozenset()) -> dict:
    """Every used gate closed in turn: the demand-weighted cost rise (the base flow included, as in ours)."""
    base_gates, before = nx_flow(G, origin, shares, rules, hidden=hidden)
    rise = {}
    for gid in [g for g, s in base_gates.items() if s > 0]:
        after = nx_flow(G, origin, shares, rules, closed_gate=gid, hidden=hidden)[1]
        rise[gid] = sum(shares[n] * (after[n] - before[n]) for n in after)
    return rise


# ---------------------------------------------------------------- compiled peers
def rustworkx_graph(arrays):
    import rustworkx as rx

    live = np.flatnonzero(np.isfinite(arrays.cost))
    g = rx.PyDiGraph(multigraph=True)
    g.add_nodes_from(range(len(arrays.nodes)))
    g.add_edges_from(
        list(zip(arrays.edge_u[live].tolist(), arrays.edge_v[live].tolist(), arrays.cost[live].tolist(), strict=True))
    )
    return g


def igraph_graph(arrays):
    import igraph

    live = np.flatnonzero(np.isfinite(arrays.cost))
    g = igraph.Graph(
        n=len(arrays.nodes), edges=np.column_stack([arrays.edge_u[live], arrays.edge_v[live]]).tolist(), directed=True
    )
    g.es["cost"] = arrays.cost[live].tolist()
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (>= 5)")
    ap.add_argument("--samples", type=int, default=200, help="ensemble samples")
    ap.add_argument(
        "--skip",
        default="",
        help="comma-separated parts to skip: kernel,flow,criticality,ensemble,report,refine2,sweep",
    )
    ap.add_argument("--reference-gates", type=int, default=3, help="closures timed for the full-routing reference")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()
    if args.repeat < 5:
        ap.error("--repeat must be >= 5 (medians of at least five runs)")
    skip = set(filter(None, args.skip.split(",")))
    load = os.getloadavg()
    sc = Scenario.from_region(samples=args.samples)
    G, arrays, origin, shares = sc.G, sc.arrays, sc.origin, sc.shares
    rules = dict(arrays.rules)
    o = arrays.row(origin)
    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in load],
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
    }
    rows: list[tuple[str, str, str, str]] = []  # what, budget, measured, verdict

    def row(line: tuple[str, str, str, str]) -> None:  # printed at once too: a long run shows its figures as it goes
        rows.append(line)
        print(" | ".join(line), file=sys.stderr, flush=True)

    if "kernel" not in skip:
        ours_t, dist = runs(lambda: arrays.dijkstra([origin])[0][0], args.repeat)
        nx_t, nx_dist = runs(lambda: nx.single_source_dijkstra_path_length(G, origin, weight="cost"), args.repeat)
        reach = np.flatnonzero(np.isfinite(dist))
        assert len(nx_dist) == len(reach)
        assert np.allclose([nx_dist[arrays.nodes[i]] for i in reach], dist[reach], rtol=1e-12, atol=1e-9)
        kernel = {"csgraph": ours_t, "networkx": nx_t}
        try:
            import rustworkx as rx

            rg = rustworkx_graph(arrays)
            rx_t, rx_dist = runs(lambda: rx.dijkstra_shortest_path_lengths(rg, o, edge_cost_fn=float), args.repeat)
            got = np.full(len(dist), np.inf)
            got[o] = 0.0
            for k, v in rx_dist.items():
                got[k] = v
            assert np.allclose(got[reach], dist[reach], rtol=1e-12, atol=1e-9)
            kernel["rustworkx"] = rx_t
        except ImportError:
            print("rustworkx not installed (pip install 'borderwatch[bench]')", file=sys.stderr)
        try:
            ig = igraph_graph(arrays)
            ig_t, ig_dist = runs(lambda: ig.distances(source=[o], weights="cost")[0], args.repeat)
            assert np.allclose(np.array(ig_dist)[reach], dist[reach], rtol=1e-12, atol=1e-9)
            kernel["igraph"] = ig_t
        except ImportError:
            print("igraph not installed (pip install 'borderwatch[bench]')", file=sys.stderr)
        figures["single_source_dijkstra_s"] = kernel
        for name, t in kernel.items():
            ratio = "" if name == "csgraph" else f"csgraph {t['median'] / ours_t['median']:.1f}x faster"
            row((f"single-source Dijkstra, {name}", "", fmt(t), ratio))

    if "flow" not in skip or "criticality" not in skip:
        ours_t, flow = runs(lambda: least_cost_flow(arrays, origin, shares), args.repeat)
        nx_t, (nx_gates, nx_cost) = runs(lambda: nx_flow(G, origin, shares, rules), args.repeat)
        assert all(abs(flow.cost[n] - nx_cost[n]) < 1e-6 for n in shares)
        ours_gates = gate_flow(arrays, flow.edge_flow)
        assert all(abs(ours_gates.get(g, 0.0) - nx_gates.get(g, 0.0)) < 1e-9 for g in {*ours_gates.index, *nx_gates})
        ratio = nx_t["median"] / ours_t["median"]
        figures["flow_s"] = {"ours": ours_t, "networkx": nx_t, "ratio": ratio}
        row(
            (
                "flow (least-cost, every destination)",
                ">= 20x networkx",
                f"{fmt(ours_t)}; networkx {fmt(nx_t)}",
                f"{ratio:.1f}x: {'met' if ratio >= 20 else 'MISSED'}",
            )
        )
        if "criticality" not in skip:
            # no least-cost route of the shipped data uses a gate (all cross on trails), so criticality is timed
            # with every trail sealed: the routes then take gates, and networkx hides the same sealed edges
            sealed = sc.edited(CloseSegments(tuple(sc.segments["segment_id"])), name="trails sealed").arrays
            closed = np.flatnonzero(np.isinf(sealed.cost) & np.isfinite(arrays.cost))
            hidden = frozenset(arrays.edge_id(e) for e in closed)
            ours_c, crit = runs(lambda: criticality_of(sealed, origin, shares), args.repeat)
            used = [g for g in crit.index if crit.loc[g, "flow"] > 0]
            assert used, "no gate carries flow with the trails sealed"
            nx_c, rise = runs(lambda: nx_criticality(G, origin, shares, rules, hidden=hidden), args.repeat)
            assert sorted(rise) == sorted(used)
            assert all(abs(rise[g] - crit.loc[g, "cost_rise_heq"]) < 1e-6 for g in used)
            ratio = nx_c["median"] / ours_c["median"]
            figures["criticality_s"] = {"ours": ours_c, "networkx": nx_c, "ratio": ratio, "gates_closed": len(used)}
            row(
                (
                    f"criticality, trails sealed ({len(used)} used gates closed in turn)",
                    ">= 20x networkx",
                    f"{fmt(ours_c)}; networkx {fmt(nx_c)}",
                    f"{ratio:.1f}x: {'met' if ratio >= 20 else 'MISSED'}",
                )
            )

    if "ensemble" not in skip:
        factor = lognormal_factors(arrays.edge_tag, seed=1, sample=0, stream="edge", sigma=sc.settings.sigma_edge)
        view = arrays.with_cost(arrays.cost * factor)
        parts = {
            "edge draws": lambda: lognormal_factors(
                arrays.edge_tag, seed=1, sample=0, stream="edge", sigma=sc.settings.sigma_edge
            ),
            "array view of the sample's costs": lambda: arrays.with_cost(arrays.cost * factor),
            "least-cost flow of the sample": lambda: least_cost_flow(view, origin, shares, reuse_unbarred=True),
        }
        for name, fn in parts.items():  # where one sample's time goes (CPU, medians of 4 x --repeat)
            t, _ = runs(fn, 4 * args.repeat, clock=time.process_time)
            row((f"one ensemble sample: {name} (CPU)", "", fmt(t), ""))
        cpu_one, _ = runs(lambda: flow_ensemble(sc), args.repeat, clock=time.process_time)
        row(
            (
                f"ensemble, {args.samples} samples, 1 process (CPU)",
                "<= 4 s on one core",
                fmt(cpu_one),
                "met" if cpu_one["median"] <= 4 else "MISSED",
            )
        )
        one, e1 = runs(lambda: flow_ensemble(sc), args.repeat)
        row((f"ensemble, {args.samples} samples, 1 process (wall)", "", fmt(one), ""))
        two, e2 = None, None
        if parallel.available_cpus() >= 2:
            with parallel.running(workers=2):
                flow_ensemble(sc.with_settings(samples=4))  # start the workers and send them the graph
                two, e2 = runs(lambda: flow_ensemble(sc), args.repeat)
            assert e1.gates.equals(e2.gates) and np.array_equal(e1.edge_mean_flow, e2.edge_mean_flow)
            speedup = one["median"] / two["median"]
            row(
                (
                    f"ensemble, {args.samples} samples, 2 processes (wall)",
                    "~2x faster than 1",
                    fmt(two),
                    f"{speedup:.2f}x: {'met' if speedup >= 1.8 else 'MISSED'}",
                )
            )
        figures["ensemble_s"] = {
            "one_process_cpu": cpu_one,
            "one_process": one,
            "two_processes": two,
            "per_sample_ms": 1000 * one["median"] / args.samples,
        }

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    for part, budget, what in [
        ("report", 15, "warm report, CPU (command + workers)"),
        ("refine2", 60, "warm report at [lattice] refine = 2, CPU"),
    ]:
        if part in skip:
            continue
        out = tempfile.mkdtemp(prefix=f"bench-{part}-")
        extra = []
        if part == "refine2":
            profile = os.path.join(out, "refine2.toml")
            with open(profile, "w", encoding="utf-8") as fh:
                fh.write("[lattice]\nrefine = 2\n")
            extra = ["--profile", profile]
        command = [
            sys.executable,
            "-m",
            "borderwatch",
            "report",
            "--out",
            os.path.join(out, "r"),
            "--overwrite",
            *extra,
        ]
        subprocess.run(command, check=True, capture_output=True)  # warm the cache (refine 2: builds it once)
        report_cpu, _ = runs(
            lambda command=command: subprocess.run(command, check=True, capture_output=True), args.repeat, clock=cpu
        )
        figures[f"warm_{part}_cpu_s"] = report_cpu
        row((what, f"<= {budget} s", fmt(report_cpu), "met" if report_cpu["median"] <= budget else "MISSED"))

    if "sweep" not in skip:
        in_graph = set(arrays.gate_id[arrays.crossing == "gate"])
        every = [g for g in sc.gates["id"] if g in in_graph]
        scenarios = [sc.edited(CloseGates((g,)), name=f"close {g}") for g in every]
        walls, cpus = [], []
        for _ in range(args.repeat):  # wall and CPU seconds of the same runs
            started, cpu_started = time.perf_counter(), time.process_time()
            ours = sweep(sc, scenarios)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
        t_one, t_cpu = (
            {"median": statistics.median(x), "min": min(x), "max": max(x), "n": len(x)} for x in (walls, cpus)
        )
        workers = min(2, parallel.available_cpus())
        t_two = None
        if workers == 2:
            with parallel.running(workers=2):
                flow_ensemble(sc.with_settings(samples=4))  # start the workers and send them the graph
                t_two, two = runs(lambda: sweep(sc, scenarios), args.repeat)
            cols = [c for c in ours.table.columns if c != "seconds"]
            assert ours.table[cols].equals(two.table[cols])
        busiest = [f"close {g}" for g in flow_ensemble(sc).gates.index[: args.reference_gates]]
        chosen = [s for s in scenarios if s.name in busiest]
        real = sweep_module.rerouted
        sweep_module.rerouted = lambda *a, **k: None  # every row's ensemble routed in full
        try:
            t_ref, full = runs(lambda: sweep(sc, chosen), max(5, args.repeat))
        finally:
            sweep_module.rerouted = real
        mine = sweep(sc, chosen)
        cols = [c for c in mine.table.columns if c != "seconds"]
        assert mine.table[cols].equals(full.table[cols]), "the sweep with reuse differs from the full one"
        ref_per_row = t_ref["median"] / len(chosen)
        figures["sweep"] = {
            "scenarios": len(scenarios),
            "cpu_one_process_s": t_cpu,
            "wall_one_process_s": t_one,
            "wall_two_workers_s": t_two,
            "full_routing_reference_s": t_ref,
            "full_routing_reference_rows": len(chosen),
        }
        row(
            (
                f"sweep closing every gate ({len(scenarios)} x {args.samples} samples), 1 process (CPU)",
                "",
                fmt(t_cpu),
                "",
            )
        )
        row(
            (
                "sweep closing every gate, 1 process (wall)",
                "<= 60 s",
                fmt(t_one),
                "met" if t_one["median"] <= 60 else "MISSED",
            )
        )
        if t_two is not None:
            row(
                (
                    "sweep closing every gate, 2 workers (wall)",
                    "<= 60 s",
                    fmt(t_two),
                    "met" if t_two["median"] <= 60 else "MISSED",
                )
            )
        row(
            (
                f"reference: rows routed in full, {len(chosen)} busiest closures (wall)",
                "",
                f"{fmt(t_ref)}; {ref_per_row:.1f} s a row",
                "",
            )
        )

    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    width = max(len(r[0]) for r in rows) if rows else 0
    print(
        f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges; load average {figures['load_average_at_start']}"
        f" -> {figures['load_average_at_end']} on {os.cpu_count()} CPUs"
    )
    for what, budget, measured, verdict in rows:
        print(f"{what:<{width}}  budget {budget or '-':<18} measured {measured}  {verdict}")
    figures["rows"] = rows
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2, default=float)


if __name__ == "__main__":
    main()
