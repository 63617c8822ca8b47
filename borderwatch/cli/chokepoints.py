"""Commands that rank and locate chokepoints: ``rank-gates`` and ``chokepoints``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import ParameterError
from ..output import TABLE_WRITERS
from .format import echo, echo_scenario, format_rows, json_text, scenario_facts
from .options import (
    RangeType,
    ScenarioOptions,
    build_scenario,
    check_graph_inputs,
    check_outputs,
    handle_errors,
    json_option,
    overwrite_option,
    progress_bar,
    scenario_options,
    stability_options,
)


@click.command("rank-gates", short_help="Rank every border gate by trafficking risk, with every component.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the ranking (.csv, .geojson or .gpkg); the component agreement goes beside it as NAME_agreement.csv.",
)
@click.option(
    "--geojson",
    "geojson",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the ranked gates as points (.geojson).",
)
@click.option(
    "--segments",
    "segments_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the border-segment ranking (.geojson, .gpkg or .csv).",
)
@click.option(
    "--incidents",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV of incidents: date, and gate_id or lat/lon; optional incident_id, weight.",
)
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Gates printed.")
@stability_options(seeds=0)
@overwrite_option
@json_option
@scenario_options()
@handle_errors
def rank_gates(
    out: Path | None,
    geojson: Path | None,
    segments_out: Path | None,
    incidents: Path | None,
    top: int,
    stability_seeds: int,
    max_samples: int | None,
    overwrite: bool,
    as_json: bool,
    scenario_opts: ScenarioOptions,
) -> None:
    """Rank every border gate by risk, with each component beside the score.

    One row per gate of the table, including gates no route uses and gates
    left out of the graph (with the reason): rank, score, rank interval over
    the ensemble, flow share, usage probability, cost rise when closed,
    minimum-cut membership, pinch-point current, class exposure, travel cost
    from the Golden Triangle, and incidents when --incidents is given.  The
    score weights are the profile's [ranking] table.  The ranking is of the
    scenario: with --close, --inspect, --add-blo or --scenario, of the edited one.

    \b
    Examples:
      borderwatch rank-gates --out ranking.csv
      borderwatch rank-gates --out ranking.csv --geojson ranking.geojson --segments segments.geojson
      borderwatch rank-gates --incidents seizures.csv --samples 500 --seed 7 --out ranking.csv
      borderwatch rank-gates --stability-seeds 3 --max-samples 800
      borderwatch rank-gates --close VN-LAO-016 --out ranking_closed.csv
      borderwatch rank-gates --graph graph.graphml --origin A --to B --out ranking.csv
    """
    from ..analysis.ranking import rank_gates as rank

    if geojson is not None and geojson.suffix.lower() != ".geojson":
        raise ParameterError(f"--geojson {str(geojson)!r}: give a .geojson file name")
    agreement_out = out.with_name(f"{out.stem}_agreement.csv") if out is not None else None
    check_outputs(
        {
            "--out": (out, TABLE_WRITERS),
            "--out's agreement table": (agreement_out, TABLE_WRITERS),
            "--geojson": (geojson, TABLE_WRITERS),
            "--segments": (segments_out, TABLE_WRITERS),
        },
        overwrite=overwrite,
        inputs={**scenario_opts.inputs(), "--incidents": incidents},
    )
    check_graph_inputs(scenario_opts.graph_path, incidents=incidents)

    if incidents is not None:
        from ..analysis.incidents import check_incidents_header

        check_incidents_header(incidents)  # a missing file or a bad header fails before the region is loaded

    def incidents_readable(region, profile) -> None:  # a bad file fails before the graph is built
        if incidents is not None:
            _check_incidents(incidents, region, profile)

    if max_samples is not None and not stability_seeds:
        raise ParameterError(
            "--max-samples doubles the samples of the stability check; give --stability-seeds 2 or more with it"
        )
    scenario = build_scenario(scenario_opts, check=incidents_readable)
    stability = None
    with progress_bar("ensemble") as progress:
        if stability_seeds:
            from ..analysis.stability import ranking_stability

            stability = ranking_stability(
                scenario,
                seeds=stability_seeds,
                max_samples=max_samples or scenario.settings.samples,
                incidents=incidents,
                progress=progress,
            )
            ranking = stability.ranking
        else:
            ranking = rank(scenario, incidents=incidents, progress=progress)
    _report_ranking(ranking, scenario, top=top, as_json=as_json, stability=stability)
    tables: list[tuple[Any, Path]] = []
    if out is not None and agreement_out is not None:
        tables.append((ranking.gates if out.suffix.lower() == ".csv" else ranking.gate_points(), out))
        tables.append((ranking.agreement.round(4).reset_index(names="component"), agreement_out))
    if geojson is not None:
        tables.append((ranking.gate_points(), geojson))
    if segments_out is not None:
        tables.append((ranking.segments, segments_out))
    if tables:
        from ..output import write_tables

        write_tables(tables, overwrite=overwrite)
        if not as_json:
            echo("wrote " + ", ".join(str(p) for _, p in tables))


def _check_incidents(path: Path, region: Any, profile: Any) -> None:
    """Read an incidents file against the region's gate table and bounds (its matching waits for the scenario)."""
    import geopandas as gpd

    from ..analysis.incidents import read_incidents

    read_incidents(
        path,
        gates=region.gates,
        segments=gpd.GeoDataFrame({"segment_id": []}, geometry=[], crs="EPSG:4326"),
        bounds=tuple(region.countries.total_bounds),
        match_km=float(profile["ranking"]["incident_match_km"]),
    )


def _report_ranking(ranking: Any, scenario: Any, *, top: int, as_json: bool, stability: Any = None) -> None:
    from ..analysis.ranking import RANKED
    from ..report import stability_summary

    gates = ranking.gates
    ranked = gates[gates["status"].isin(RANKED)]
    unmatched = None
    if ranking.incidents is not None:
        unmatched = ranking.incidents[ranking.incidents["match"] == "unmatched"]
    if as_json:
        echo(
            json_text(
                {
                    "gates": len(gates),
                    "ranked": len(ranked),
                    "on_a_route": int((gates["status"] == "ranked").sum()),
                    "not_ranked": gates.loc[~gates["status"].isin(RANKED), ["gate_id", "status", "reason"]].to_dict(
                        "records"
                    ),
                    "stability": stability_summary(stability),
                    "weights": ranking.weights,
                    "top": ranked.head(top).drop(columns=["lon", "lat"]).to_dict("records"),
                    "agreement": ranking.agreement.round(4).to_dict(),
                    "segments_ranked": int(ranking.segments["rank"].notna().sum()),
                    "ensemble_samples": ranking.chokepoints.ensemble.samples,
                    "ensemble_convergence": ranking.chokepoints.ensemble.convergence.round(4).to_dict("index"),
                    "incidents_unmatched": None if unmatched is None else unmatched["incident_id"].tolist(),
                    "unreachable_destinations": [str(d) for d in ranking.chokepoints.unreachable],
                    "timings_s": ranking.chokepoints.timings_s,
                    "scenario": scenario_facts(scenario),
                }
            )
        )
        return
    echo_scenario(scenario)
    shown = ["rank", "gate_id", "name", "class", "score", "rank_low", "rank_high"]
    shown += [c for c in gates.columns if c in _SHORT]
    rows = ranked.head(top)[shown].rename(columns=_SHORT).round(3).to_dict("records")
    echo(format_rows(rows))
    on_route = int((gates["status"] == "ranked").sum())
    echo(
        f"{len(ranked)} of {len(gates)} gates ranked ({on_route} on a modelled route, "
        f"{len(ranked) - on_route} on none, ranked after them); not ranked: " + _not_ranked(gates)
    )
    if stability is not None:
        echo(f"stability: {stability.summary()}")
    score = ranking.agreement["score"].drop("score").dropna().round(2)
    agree = ", ".join(f"{_SHORT.get(k, k)} {v}" for k, v in score.items()) or "too few ranked gates to compare"
    echo(f"agreement with the score (Spearman): {agree}")
    ens = ranking.chokepoints.ensemble
    moves = ", ".join(
        f"{g} {r.mean_first_half:.3f}->{r.mean_all:.3f} (s.e. {r.standard_error:.3f})"
        for g, r in ens.convergence.iterrows()
    )
    echo(f"ensemble: {ens.samples} samples; top mean shares, first half -> all: {moves}")
    for d in ranking.chokepoints.unreachable:
        echo(f"note: destination {d} cannot be reached; left out")
    if unmatched is not None and len(unmatched):
        lines = ", ".join(f"{i} (line {n})" for i, n in zip(unmatched["incident_id"], unmatched["line"], strict=True))
        echo(f"note: {len(unmatched)} incidents match no gate or border segment within reach: {lines}")


_SHORT = {
    "flow_share": "flow",
    "usage_probability": "usage",
    "cost_rise_heq": "rise_heq",
    "in_min_cut": "cut",
    "pinch_current": "current",
    "class_exposure": "exposure",
    "travel_cost_heq": "travel_heq",
    "incidents": "incidents",
}


def _not_ranked(gates: Any) -> str:
    from ..analysis.ranking import RANKED

    rest = gates[~gates["status"].isin(RANKED)]
    return ", ".join(f"{g} ({s})" for g, s in zip(rest["gate_id"], rest["status"], strict=True)) or "none"


@click.command(short_help="Flow, usage, pinch-point current and minimum cut on every edge, as GIS features.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the edges and nodes with their metrics (.geojson, .gpkg or .csv).",
)
@click.option(
    "--min-current",
    type=RangeType("min_current"),
    default=0.05,
    show_default=True,
    help="Also list edges carrying at least this pinch-point current (a finite number >= 0; edges with flow or "
    "in the cut always).",
)
@overwrite_option
@json_option
@scenario_options()
@handle_errors
def chokepoints(out: Path, min_current: float, overwrite: bool, as_json: bool, scenario_opts: ScenarioOptions) -> None:
    """Write every chokepoint metric on the edges and nodes that matter, for a GIS.

    Edges with least-cost flow, ensemble usage, minimum-cut membership or a
    pinch-point current of at least --min-current; nodes: the origin, the
    destinations (with their effective resistance from the origin) and the
    gates.  --json prints, per destination, the least cost and the effective
    resistance (h), and the minimum cut's value and members.  On a --graph,
    destinations that cannot be reached are reported and left out.

    \b
    Examples:
      borderwatch chokepoints --out chokepoints.geojson
      borderwatch chokepoints --out chokepoints.geojson --json --samples 50
      borderwatch chokepoints --out closed.geojson --close VN-LAO-005
      borderwatch chokepoints --graph graph.graphml --origin A --to B --to C --out chokepoints.geojson
    """
    from ..analysis.chokepoints import chokepoint_features, chokepoint_metrics

    check_outputs({"--out": (out, TABLE_WRITERS)}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    with progress_bar("ensemble") as progress:
        result = chokepoint_metrics(scenario, progress=progress)
    names = scenario.destination_names
    features = chokepoint_features(result, scenario.G, min_current=min_current)
    summary = _chokepoint_summary(result, names, len(features))
    summary["scenario"] = scenario_facts(scenario)
    if as_json:
        echo(json_text(summary))
    else:
        echo_scenario(scenario)
        echo(format_rows(list(summary["destinations"].values())))
        cut = summary["minimum_cut"]
        echo(
            f"minimum cut: {cut['units']} units ({len(cut['gates'])} gates, {cut['segments']} border segments, "
            f"{cut['border_km']} km), closing cost {cut['value']}, blocking routes up to {cut['within_pct']} % above "
            "least cost"
        )
    from ..output import write_table

    write_table(features, out, overwrite=overwrite)
    if not as_json:
        echo(f"wrote {len(features)} features to {out}")


def _chokepoint_summary(result: Any, names: dict[Any, str], n_features: int) -> dict[str, Any]:
    destinations = {}
    for node in [*result.shares, *result.unreachable]:
        reachable = node in result.shares
        destinations[str(node)] = {
            "destination": names.get(node, str(node)),
            "node": str(node),
            "reachable": reachable,
            "share": round(result.shares.get(node, 0.0), 4),
            "least_cost_heq": round(result.flow.cost[node], 3) if reachable else None,
            "effective_resistance_heq": round(result.pinch.resistance[node], 4) if reachable else None,
        }
    units = result.cut.units
    return {
        "origin": str(result.origin),
        "destinations": destinations,
        "unreachable": [str(d) for d in result.unreachable],
        "minimum_cut": {
            "value": round(result.cut.value, 3),
            "within_pct": result.cut.within_pct,
            "units": len(units),
            "gates": sorted(units.loc[units["kind"] == "gate", "id"]),
            "segments": int((units["kind"] == "segment").sum()),
            "border_km": round(float(units["length_km"].sum()), 1),
        },
        "informal_share_ensemble": round(result.ensemble.informal_share, 4),
        "ensemble_samples": result.ensemble.samples,
        "features": n_features,
        "timings_s": result.timings_s,
    }


COMMANDS = [rank_gates, chokepoints]
