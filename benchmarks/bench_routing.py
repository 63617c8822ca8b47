"""Benchmark: build the shipped route graph; time routing on the CSR view vs plain networkx.

Run:  python benchmarks/bench_routing.py [--sources 20] [--repeat 3] [--json out.json]

Single source: Golden Triangle -> all nodes (csgraph Dijkstra vs
networkx.single_source_dijkstra_path_length).  Many sources: the Vietnamese
side of every gate -> all nodes (one csgraph call vs a networkx loop).
The two must agree; the script checks the distances before it reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import networkx as nx
import numpy as np

from borderwatch import GraphArrays, build_route_graph, load_region


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=20, help="gate nodes used as sources in the many-source run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()

    t = time.perf_counter()
    region = load_region()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    G = build_route_graph(region)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    arrays = GraphArrays.from_graph(G)
    view_s = time.perf_counter() - t

    origin = G.graph["origin"]
    single_csgraph, (dist, _) = timed(lambda: arrays.dijkstra([origin]), args.repeat)
    single_nx, nx_dist = timed(lambda: nx.single_source_dijkstra_path_length(G, origin, weight="cost"), args.repeat)
    worst = max(abs(dist[0, arrays.index[n]] - d) for n, d in nx_dist.items())
    assert worst < 1e-9, worst

    sources = sorted(n for n, k in G.nodes(data="kind") if k == "gate" and n.endswith(":VNM"))[: args.sources]
    many_csgraph, (mdist, _) = timed(lambda: arrays.dijkstra(sources), 1)
    many_nx, many = timed(lambda: [nx.single_source_dijkstra_path_length(G, s, weight="cost") for s in sources], 1)
    for row, d in enumerate(many):
        keys = list(d)[:: max(1, len(d) // 500)]
        assert np.allclose([mdist[row, arrays.index[k]] for k in keys], [d[k] for k in keys])

    figures = {
        "machine": f"{platform.processor() or platform.machine()}, python {platform.python_version()}",
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "load_region_s": round(load_s, 2),
        "build_graph_s": round(build_s, 2),
        "array_view_s": round(view_s, 2),
        "single_source_csgraph_s": round(single_csgraph, 4),
        "single_source_networkx_s": round(single_nx, 4),
        "single_source_speedup": round(single_nx / single_csgraph, 1),
        "many_sources": len(sources),
        "many_source_csgraph_s": round(many_csgraph, 3),
        "many_source_networkx_s": round(many_nx, 3),
        "many_source_speedup": round(many_nx / many_csgraph, 1),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)


if __name__ == "__main__":
    main()
