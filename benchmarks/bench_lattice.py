"""Benchmark: the route graph at the shipped lattice resolution and finer.

Run:  python benchmarks/bench_lattice.py [--refine 1 2] [--json out.json]

For each profile ``lattice.refine`` value, a fresh process loads the shipped
region, builds the route graph and reports: nodes, edges, build time, peak
memory (maximum resident set size of that process), the time to make the
array view, the time to re-weight every edge with another exposure weight (no
rebuild), and single-source routing from the Golden Triangle to every node on
the array view (scipy csgraph) beside plain networkx in the same process.  The
two must agree; the script checks the distances before it reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time

import networkx as nx

from borderwatch import GraphArrays, build_route_graph, edge_cost, load_profile, load_region


def measure(refine: int) -> dict:
    region = load_region()
    profile = load_profile(lattice={"refine": refine})
    t = time.perf_counter()
    G = build_route_graph(region, profile=profile)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    arrays = GraphArrays.from_graph(G)
    view_s = time.perf_counter() - t
    other = load_profile(cost={"exposure_weight_h": 24.0})
    t = time.perf_counter()
    arrays.reweighted(lambda tt, x: edge_cost(tt, x, profile=other))
    reweight_s = time.perf_counter() - t
    origin = G.graph["origin"]
    t = time.perf_counter()
    dist, _ = arrays.dijkstra([origin])
    csgraph_s = time.perf_counter() - t
    t = time.perf_counter()
    expected = nx.single_source_dijkstra_path_length(G, origin, weight="cost")
    networkx_s = time.perf_counter() - t
    worst = max(abs(dist[0, arrays.index[n]] - d) for n, d in expected.items())
    assert worst < 1e-9, worst
    return {
        "refine": refine,
        "lattice_cells": G.graph["build"]["lattice_cells"],
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "build_s": round(build_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "array_view_s": round(view_s, 2),
        "reweight_s": round(reweight_s, 3),
        "single_source_csgraph_s": round(csgraph_s, 3),
        "single_source_networkx_s": round(networkx_s, 2),
        "speedup": round(networkx_s / csgraph_s, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refine", type=int, nargs="+", default=[1, 2], help="lattice.refine values to measure")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:  # one measurement per process, so peak memory is its own
        print(json.dumps(measure(args.worker)))
        return
    rows = []
    for refine in args.refine:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", str(refine)], check=True, capture_output=True, text=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    figures = {
        "machine": f"{platform.processor() or platform.machine()}, python {platform.python_version()}",
        "runs": rows,
    }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)


if __name__ == "__main__":
    main()
