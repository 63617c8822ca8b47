"""Benchmark: BLO coverage, siting (p = 1..5) and interdiction (k = 1..5, exact and greedy) on the shipped graph.

Run:  python benchmarks/bench_planning.py [--samples 200] [--p-max 5] [--k-max 5] [--json out.json]

Each figure is one timed call on the graph built from the shipped data; the
interdiction runs both methods and reports the greedy method's gap to the
exact optimum.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from borderwatch import Scenario, build_route_graph, load_region
from borderwatch.analysis.chokepoints import chokepoint_metrics
from borderwatch.analysis.coverage import blo_coverage
from borderwatch.analysis.interdiction import interdict, route_graph_units
from borderwatch.analysis.siting import site_blos


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - started, 3), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200, help="ensemble samples (flow coverage, flow siting)")
    ap.add_argument("--p-max", type=int, default=5, help="site p = 1 .. this many new BLOs")
    ap.add_argument("--k-max", type=int, default=5, help="interdict k = 1 .. this many crossings")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()

    region = load_region()
    G = build_route_graph(region)
    scenario = Scenario.from_graph(G, region=region, samples=args.samples)
    t_metrics, metrics = timed(lambda: chokepoint_metrics(scenario))
    figures: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, python {platform.python_version()}",
        "edges": G.number_of_edges(),
        "chokepoint_metrics_s": t_metrics,
    }
    for hours in (2.0, 4.0):
        t, cov = timed(lambda h=hours: blo_coverage(scenario.with_settings(hours=h), chokepoints=metrics))
        figures[f"coverage_{hours:g}h"] = {
            "seconds": t,
            "covered_pct": cov.summary["covered_pct"].to_dict(),
            "gates_covered": int(cov.gates["covered"].sum()),
            "flow_covered_pct": round(cov.flow_covered_pct, 2),
            "ensemble_flow_covered_pct": round(cov.ensemble_flow_covered_pct, 2),
        }
    for objective in ("length", "flow"):
        rows = []
        for p in range(1, args.p_max + 1):
            t, s = timed(lambda p=p, o=objective: site_blos(scenario, p=p, objective=o, chokepoints=metrics))
            rows.append(
                {
                    "p": p,
                    "seconds": t,
                    "solver_s": s.solution.solve_s,
                    "status": s.solution.status,
                    "before": round(s.before, 4),
                    "after": round(s.after, 4),
                    "sites": list(s.chosen["id"]),
                }
            )
        figures[f"siting_{objective}"] = rows
    for kind in ("gates", "both"):
        units, _, _ = route_graph_units(scenario, kind=kind)
        figures[f"interdiction_{kind}"] = interdiction_rows(scenario, units, k_max=args.k_max)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2, ensure_ascii=False)


def interdiction_rows(scenario: Scenario, units: dict, *, k_max: int = 5) -> list[dict]:
    """Exact and greedy interdiction for k = 1..k_max with the given candidate units."""
    arrays, origin, shares = scenario.arrays, scenario.origin, scenario.shares
    rows = []
    for k in range(1, k_max + 1):
        t_exact, exact = timed(lambda k=k: interdict(arrays, origin, shares, units=units, k=k))
        t_greedy, greedy = timed(lambda k=k: interdict(arrays, origin, shares, units=units, k=k, method="greedy"))
        rows.append(
            {
                "k": k,
                "exact_s": t_exact,
                "greedy_s": t_greedy,
                "rounds": exact.rounds,
                "status": exact.status,
                "cost_before_heq": round(exact.cost_before, 3),
                "exact_after_h": round(exact.cost_after, 3),
                "greedy_after_h": round(greedy.cost_after, 3),
                "greedy_gap_pct": round(100 * (exact.cost_after - greedy.cost_after) / exact.cost_after, 4),
                "chosen": exact.chosen,
                "candidates": len(units),
            }
        )
    return rows


if __name__ == "__main__":
    main()
