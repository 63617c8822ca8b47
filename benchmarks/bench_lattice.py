"""Benchmark: the route graph at the shipped lattice resolution, finer, and with a finer border band.

Run:  python benchmarks/bench_lattice.py [--lattice 1:0:0 1:15:3 1:15:4] [--analyses] [--json out.json]

Each ``--lattice`` setting is ``refine:band_km:band_refine`` (profile
``[lattice]`` keys; ``1:0:0`` is the DEM grid without a band).  For each, a
fresh process loads the shipped region, builds the route graph (cold: no
cache) and reports: nodes, edges, band cells, build time (wall and CPU), peak
memory (maximum resident set size of that process), the time to make the
array view, the time to re-weight every edge with another exposure weight (no
rebuild), and single-source routing from the Golden Triangle to every node on
the array view (scipy csgraph) beside plain networkx in the same process.  The
two must agree; the script checks the distances before it reports.

With ``--analyses`` it also reports, on the scenario of that graph: the
ensemble time per sample (``flow_ensemble`` with 20 samples, median of three
runs, wall and CPU), the least-cost route to each demand destination (entry
crossing, where, and cost), and the reach of every BLO's patrol in 2 h (nodes
reached, starts that reach no other node, border segments covered).
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
import numpy as np

from borderwatch import GraphArrays, build_route_graph, edge_cost, load_profile, load_region


def parse(setting: str) -> dict:
    refine, band_km, band_refine = setting.split(":")
    return {"refine": int(refine), "band_km": float(band_km), "band_refine": int(band_refine)}


def measure(setting: str, *, analyses: bool) -> dict:
    region = load_region()
    lattice = parse(setting)
    profile = load_profile(lattice=lattice)
    t, cpu = time.perf_counter(), time.process_time()
    G = build_route_graph(region, profile=profile)
    build_s, build_cpu_s = time.perf_counter() - t, time.process_time() - cpu
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
    out = {
        "lattice": setting,
        **lattice,
        "lattice_cells": G.graph["build"]["lattice_cells"],
        "band_cells": G.graph["build"]["band_cells"],
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "build_s": round(build_s, 1),
        "build_cpu_s": round(build_cpu_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "array_view_s": round(view_s, 2),
        "reweight_s": round(reweight_s, 3),
        "single_source_csgraph_s": round(csgraph_s, 3),
        "single_source_networkx_s": round(networkx_s, 2),
        "speedup": round(networkx_s / csgraph_s, 1),
    }
    if analyses:
        out.update(analyse(G, region))
    return out


def analyse(G: nx.MultiDiGraph, region) -> dict:
    from borderwatch import Scenario, flow_ensemble, least_cost_routes

    sc = Scenario.from_graph(G, region=region, samples=20)
    _ = sc.arrays, sc.shares, sc.crossings  # the scenario's facts, computed once, outside the timing
    wall, cpu = [], []
    for seed in (1, 2, 3):  # median of three runs: the machine may be shared
        t, c = time.perf_counter(), time.process_time()
        flow_ensemble(sc.with_settings(seed=seed))
        wall.append((time.perf_counter() - t) / sc.settings.samples)
        cpu.append((time.process_time() - c) / sc.settings.samples)
    routes = least_cost_routes(sc, destinations=list(sc.profile.demand))
    starts = sc.blo_starts[sc.blo_starts["start_node"] != ""]
    reach = sc.patrol.reach(list(starts["start_node"]), np.full(len(starts), 2.0))
    reached = np.isfinite(reach).sum(axis=1)
    segments, _ = sc.patrol.covered_by(reach)
    land = (sc.patrol.segments["border"] != "coast").to_numpy()
    return {
        "ensemble_s_per_sample": round(float(np.median(wall)), 3),
        "ensemble_cpu_s_per_sample": round(float(np.median(cpu)), 3),
        "routes": [
            {
                "to": r.destination,
                "entry": r.entry_name or r.entry_crossing,
                "at": [round(r.entry_lon, 3), round(r.entry_lat, 3)],
                "cost_h": round(r.cost, 2),
            }
            for r in routes.itertuples()
        ],
        "patrol_2h_nodes_median": float(np.median(reached)),
        "patrol_2h_nodes_min_max": [int(reached.min()), int(reached.max())],
        "patrol_2h_starts_alone": int((reached <= 1).sum()),
        "patrol_2h_border_segments": int(segments[:, land].any(axis=0).sum()),
        "blos": len(starts),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--lattice", nargs="+", default=["1:0:0", "1:15:3", "1:15:4"], help="refine:band_km:band_refine settings"
    )
    ap.add_argument("--analyses", action="store_true", help="also time the ensemble, routes and patrol reach")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:  # one measurement per process, so peak memory is its own
        print(json.dumps(measure(args.worker, analyses=args.analyses)))
        return
    rows = []
    for setting in args.lattice:
        cmd = [sys.executable, __file__, "--worker", setting, *(["--analyses"] if args.analyses else [])]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
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
