"""Print the corridor table, top-15 gates, coverage per border and the siting answer as Markdown (docs figures).

Run from a checkout: ``python scripts/fidelity_tables.py [--samples 200] [--json OUT]``.  The
before/after tables of the border-scale fidelity work come from running it on the commit before and after.
"""

from __future__ import annotations

import argparse
import json
import time

import borderwatch as bw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", default=None, help="also write the figures as JSON")
    parser.add_argument("--profile", default=None, help="a profile overlay (e.g. band_refine = 0)")
    args = parser.parse_args()
    started = time.perf_counter()
    sc = bw.Scenario.from_region(samples=args.samples, profile=args.profile)
    built = time.perf_counter() - started
    names = sc.destination_names
    routes = bw.least_cost_routes(sc, destinations=[names[t] for t in sc.shares])
    ranking = bw.rank_gates(sc)
    coverage = bw.blo_coverage(sc, chokepoints=bw.chokepoint_metrics(sc))
    siting = bw.site_blos(sc, p=5, objective="flow")
    out = {
        "graph": {"nodes": sc.G.number_of_nodes(), "edges": sc.G.number_of_edges(), "load_or_build_s": round(built, 1)},
        "corridors": [
            {
                "destination": r.destination,
                "entry": f"{r.entry_crossing} {r.entry_name}",
                "cost_heq": round(float(r.cost_heq), 2),
                "time_h": round(float(r.time_h), 1),
                "seaport": getattr(r, "vn_seaport", "") or "",
            }
            for r in routes.itertuples()
        ],
        "top15": [
            {
                "rank": int(r.rank),
                "gate": f"{r.gate_id} {r.name}",
                "score": round(float(r.score), 3),
                "interval": f"{r.rank_low}-{r.rank_high}",
                "flow": round(float(r.flow_share), 3),
                "usage": round(float(r.usage_probability), 3),
            }
            for r in ranking.gates.head(15).itertuples()
        ],
        "coverage": {
            b: {
                "border_km": round(float(row.border_km)),
                "covered_km": round(float(row.covered_km)),
                "pct": round(float(row.covered_pct), 1),
            }
            for b, row in coverage.summary.iterrows()
        },
        "flow_covered_pct": [round(coverage.flow_covered_pct, 1), round(coverage.ensemble_flow_covered_pct, 1)],
        "reach_nodes": coverage.reach_areas.set_index("blo_id")["nodes"].to_dict(),
        "siting": {
            "before_pct": round(100 * siting.before / siting.total, 1),
            "after_pct": round(100 * siting.after / siting.total, 1),
            "sites": [f"{r.id} {r.name}" for r in siting.chosen.itertuples()],
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    if hasattr(sc.settings, "blo_at_gate"):  # the BLO rule's sensitivity: every BLO at its recorded position
        off = bw.blo_coverage(sc.with_settings(blo_at_gate=False), chokepoints=bw.chokepoint_metrics(sc))
        out["coverage_recorded_positions"] = {
            b: {"covered_km": round(float(row.covered_km)), "pct": round(float(row.covered_pct), 1)}
            for b, row in off.summary.iterrows()
        }
        out["flow_covered_pct_recorded_positions"] = [
            round(off.flow_covered_pct, 1),
            round(off.ensemble_flow_covered_pct, 1),
        ]
        out["reach_nodes_recorded_positions"] = off.reach_areas.set_index("blo_id")["nodes"].to_dict()
    text = json.dumps(out, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
