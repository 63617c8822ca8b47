"""Benchmark: the fixed cost every command pays before any analysis, a warm load of the shipped data.

Run:  python benchmarks/bench_loading.py [--repeat 5] [--profile FILE] [--total-only] [--json out.json]

Each run is a fresh Python process (imports and module state are part of the
cost) with the graph already in the cache (``$BORDERWATCH_CACHE``; the script
loads once first so that the graph is built and cached).  It times, in CPU and
wall seconds:

- ``import``: ``from borderwatch import Scenario`` and the loading modules;
- ``warm load``: ``Scenario.from_region()`` (region, graph, checked metadata),
  the first thing the process does after the imports, and its first
  ``sc.arrays`` (the array view every analysis starts from; before the view
  was cached, the first analysis built it from the graph), also shown apart;

and then, one after another in the same process, the pieces of that load:

- ``region``: ``load_region()`` (every layer read and validated, the DEM);
- ``graph key``: ``graph_key`` (SHA-256 of every input file and of the build code);
- ``graph cache read``: ``cached_route_graph`` for the graph alone;
- ``graph + view read``: the same with ``with_view=True`` (the array view
  assembled from its stored columns, the checked metadata);
- ``view from graph``: ``GraphArrays.from_graph(G)`` (what a load without the
  stored view pays), and ``contract check``: ``validate_route_graph(G)`` (the
  same).

It prints the median, min and max over ``--repeat`` processes.
``--total-only`` times only the imports and the warm load, so the same
command runs on a checkout without the stored view (a "before" figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time

def timed(fn):
    cpu, wall = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.process_time() - cpu, time.perf_counter() - wall

profile_path, total_only = sys.argv[1] or None, sys.argv[2] == "1"
out = {}

def imports():
    from borderwatch import Scenario
    from borderwatch.network import cache, profile, contract
    from borderwatch.network.arrays import GraphArrays
    return Scenario

Scenario, *out["import"] = timed(imports)
sc, *out["from_region"] = timed(lambda: Scenario.from_region(profile=profile_path))
_, *out["first sc.arrays"] = timed(lambda: sc.arrays)
out["warm load"] = [a + b for a, b in zip(out["from_region"], out["first sc.arrays"])]
out["status"] = sc.graph_status
if not total_only:
    from borderwatch.network.arrays import GraphArrays
    from borderwatch.network.cache import cached_route_graph, graph_key
    from borderwatch.network.contract import validate_route_graph
    from borderwatch.network.profile import load_profile
    from borderwatch.readers import load_region

    prof = load_profile(profile_path)
    region, *out["region"] = timed(load_region)
    _, *out["graph key"] = timed(lambda: graph_key(region, prof))
    (G, status), *out["graph cache read"] = timed(lambda: cached_route_graph(region, profile=prof))
    _, *out["graph + view read"] = timed(lambda: cached_route_graph(region, profile=prof, with_view=True))
    _, *out["view from graph"] = timed(lambda: GraphArrays.from_graph(G))
    _, *out["contract check"] = timed(lambda: validate_route_graph(G))
    out["edges"] = G.number_of_edges()
print("RESULT " + json.dumps(out))
"""


def run_child(profile: str | None, total_only: bool) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, profile or "", "1" if total_only else "0"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes to time (>= 1)")
    parser.add_argument("--profile", help="a TOML cost profile (e.g. [lattice] refine = 2)")
    parser.add_argument("--total-only", action="store_true", help="time only the imports and the warm load")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    first = run_child(args.profile, True)  # builds and caches the graph if needed
    print(f"first load: {first['status']} ({first['warm load'][1]:.1f} s wall)")
    runs = [run_child(args.profile, args.total_only) for _ in range(args.repeat)]
    statuses = {r["status"] for r in runs}
    if statuses != {"cache hit"}:
        sys.exit(f"the timed loads were not all cache hits: {statuses}")
    names = [k for k, v in runs[0].items() if isinstance(v, list)]
    figures = {}
    print(f"{'piece':20s} {'CPU s: median (min-max)':>26s} {'wall s: median (min-max)':>26s}")
    for name in names:
        cpu = [r[name][0] for r in runs]
        wall = [r[name][1] for r in runs]
        figures[name] = {
            "cpu_s": [statistics.median(cpu), min(cpu), max(cpu)],
            "wall_s": [statistics.median(wall), min(wall), max(wall)],
        }
        c, w = figures[name]["cpu_s"], figures[name]["wall_s"]
        print(f"{name:20s} {c[0]:9.2f} ({c[1]:.2f}-{c[2]:.2f})      {w[0]:9.2f} ({w[1]:.2f}-{w[2]:.2f})")
    load = os.getloadavg()
    edges = runs[0].get("edges", "?")
    print(f"{args.repeat} processes, {edges} edges; load average {load[0]:.1f} on {os.cpu_count()} CPUs")
    if args.json:
        meta = {"repeat": args.repeat, "profile": args.profile, "python": platform.python_version(), "load": load}
        with open(args.json, "w") as fh:
            json.dump({"figures": figures, **meta}, fh, indent=1)


if __name__ == "__main__":
    main()
