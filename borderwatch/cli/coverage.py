"""Commands about BLO reach: ``coverage``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ParameterError
from ..output import TABLE_WRITERS
from ..settings import RANGES
from .format import echo, echo_scenario, format_rows, json_text, scenario_facts
from .options import (
    ScenarioOptions,
    build_scenario,
    check_option,
    check_outputs,
    handle_errors,
    json_option,
    overwrite_option,
    progress_bar,
    scenario_options,
    time_limit_option,
)


@click.command(short_help="Which border and coast stretches and gates BLO patrols reach within T hours.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every segment (covered or not) and the merged uncovered stretches (.geojson, .gpkg, .csv).",
)
@overwrite_option
@json_option
@scenario_options(graph=False, hours=True)
@handle_errors
def coverage(out: Path | None, overwrite: bool, as_json: bool, scenario_opts: ScenarioOptions) -> None:
    """Border and coast coverage by the reach of BLO patrols, and the trafficking flow it covers.

    A patrol leaves each BLO and moves inside Vietnam on roads, off-road and
    rivers at the route graph's travel times.  A 5 km border or coast segment
    is covered when it lies within --hours of a BLO; a gate when its
    Vietnamese side does.  The flow coverage is the share of the traffickers'
    border crossings (least-cost and ensemble mean) at covered gates and
    segments.  --add-blo LON,LAT (or a --scenario file) adds BLOs, so the
    coverage of a new office can be read before it is built.

    \b
    Examples:
      borderwatch coverage
      borderwatch coverage --hours 4 --out coverage.geojson --json
      borderwatch coverage --blo-hours blo_hours.csv --out coverage.gpkg
      borderwatch coverage --add-blo 107.10,16.60 --json
    """
    from ..analysis.chokepoints import chokepoint_metrics
    from ..analysis.coverage import blo_coverage, coverage_features, coverage_summary

    check_outputs({"--out": (out, TABLE_WRITERS)}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    with progress_bar("ensemble") as progress:
        metrics = chokepoint_metrics(scenario, progress=progress)
    result = blo_coverage(scenario, chokepoints=metrics)
    summary = coverage_summary(result)
    if as_json:
        echo(json_text({**summary, "scenario": scenario_facts(scenario)}))
    else:
        echo_scenario(scenario)
        rows = [{"border": b, **v} for b, v in summary["borders"].items()]
        echo(format_rows(rows))
        echo(
            f"gates covered: {summary['gates_covered']} of {summary['gates']}; crossing flow covered: "
            f"{summary['flow_covered_pct']} % least-cost, {summary['ensemble_flow_covered_pct']} % ensemble mean"
        )
        top = result.uncovered.sort_values("rank_by_flow").head(5)
        echo(
            f"uncovered stretches with most crossing flow ({len(result.uncovered)} stretches of at most "
            f"{result.stretch_km:g} km): "
            + "; ".join(
                f"{r.border} {r.length_km:.0f} km, {r.place} (patrols {r.nearest_blo_h:.1f}-{r.farthest_h:.1f} h "
                "from the nearest BLO)"
                for r in top.itertuples(index=False)
            )
        )
        at_gate = result.blos[result.blos["at_gate"]]
        if len(at_gate):
            echo(
                f"{len(at_gate)} BLOs stand at their gate (their recorded position is coarser than the gate's): "
                + ", ".join(at_gate["blo_id"])
            )
        for rec in result.blos.itertuples(index=False):
            if not rec.start_node:
                echo(f"note: {rec.blo_id} ({rec.name}): {rec.placed_by}")
    if out is not None:
        from ..output import write_table

        features = coverage_features(result)
        write_table(features, out, overwrite=overwrite)
        if not as_json:
            echo(f"wrote {len(features)} features to {out}")


@click.command("site-blos", short_help="Where to put new BLOs: p sites that cover most, or fewest for a target.")
@click.option(
    "--p",
    "p",
    type=int,
    default=None,
    help=f"New sites to place (maximal covering; {RANGES['site_p'].validate.__doc__}).",
)
@click.option(
    "--target-pct",
    type=float,
    default=None,
    help=f"Instead of --p: fewest new sites that cover this share (%; {RANGES['target_pct'].validate.__doc__}).",
)
@click.option(
    "--objective",
    type=click.Choice(["length", "flow"]),
    default="length",
    show_default=True,
    help="length: km of land border covered; flow: the ensemble's crossing flow covered.",
)
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV of candidate sites (id, name, lat, lon); default every gate and every border town.",
)
@time_limit_option(default_s=60.0)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the chosen sites (.csv, .geojson, .gpkg).",
)
@overwrite_option
@json_option
@scenario_options(graph=False, hours=True)
@handle_errors
def site_blos(
    p: int | None,
    target_pct: float | None,
    objective: str,
    candidates: Path | None,
    time_limit: float,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    scenario_opts: ScenarioOptions,
) -> None:
    """Choose sites for new BLOs, solved exactly (HiGHS MILP), existing BLOs kept.

    --p N chooses N new sites that maximise the covered land-border length
    (or, with --objective flow, the traffickers' crossing flow in the
    ensemble); --target-pct X finds the fewest new sites that bring coverage
    to X %.  A site covers what its patrols reach within --hours.  The BLOs
    kept are the scenario's (--add-blo, --scenario edit them).

    \b
    Examples:
      borderwatch site-blos --p 3 --out sites.csv
      borderwatch site-blos --p 3 --objective flow --json
      borderwatch site-blos --target-pct 10 --candidates my_sites.csv --out sites.geojson
    """
    from ..analysis.siting import check_in_vietnam_box, siting_summary
    from ..analysis.siting import site_blos as solve

    if (p is None) == (target_pct is None):
        raise ParameterError("give --p N (new sites) or --target-pct X (share to cover), one of them")
    check_option("site_p", p, "--p")
    check_option("target_pct", target_pct, "--target-pct")
    check_option("time_limit_s", time_limit, "--time-limit")
    check_outputs(
        {"--out": (out, TABLE_WRITERS)},
        overwrite=overwrite,
        inputs={**scenario_opts.inputs(), "--candidates": candidates},
    )
    table = _read_candidates(candidates) if candidates is not None else None

    def candidates_in_box(region, _profile) -> None:  # before the graph is built
        if table is not None:
            check_in_vietnam_box(table, region)

    scenario = build_scenario(scenario_opts, check=candidates_in_box)
    metrics = None
    if objective == "flow":
        from ..analysis.chokepoints import chokepoint_metrics

        with progress_bar("ensemble") as progress:
            metrics = chokepoint_metrics(scenario, progress=progress)
    result = solve(
        scenario,
        p=p,
        target_pct=target_pct,
        objective=objective,
        candidates=table,
        chokepoints=metrics,
        time_limit_s=time_limit,
    )
    facts = siting_summary(result)
    unit = facts["unit"]
    if as_json:
        echo(json_text({**facts, "scenario": scenario_facts(scenario)}))
    else:
        echo_scenario(scenario)
        echo(format_rows(result.chosen.drop(columns=["start_node"]).round(3).to_dict("records")))
        echo(
            f"covered {unit}: {facts['before']:.4g} ({facts['before_pct']} %) with the existing BLOs -> "
            f"{facts['after']:.4g} ({facts['after_pct']} %) of {facts['total']:.4g}; solver {facts['solver_status']} "
            f"in {facts['solve_s']} s over {facts['candidates']} candidates"
        )
    if out is not None:
        import geopandas as gpd

        from ..output import write_table

        chosen = result.chosen
        points = gpd.GeoDataFrame(chosen, geometry=gpd.points_from_xy(chosen["lon"], chosen["lat"]), crs="EPSG:4326")
        write_table(points, out, overwrite=overwrite)
        if not as_json:
            echo(f"wrote {len(chosen)} sites to {out}")


def _read_candidates(path: Path):
    import pandas as pd

    from ..errors import DataFileError

    if not path.is_file():
        raise DataFileError(f"candidates file {str(path)!r} does not exist; give a CSV with id, name, lat, lon")
    try:
        table = pd.read_csv(path, dtype={"id": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"candidates file {str(path)!r} is not a readable CSV ({exc})") from exc
    table.columns = [c.strip().lower() for c in table.columns]
    return table


COMMANDS = [coverage, site_blos]
