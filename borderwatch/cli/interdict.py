"""Commands that interdict: ``interdict``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import ParameterError
from .format import echo, format_rows, json_text
from .network import region_and_profile, route_graph
from .options import (
    check_graph_inputs,
    check_no_user_endpoints,
    check_out,
    data_option,
    graph_option,
    handle_errors,
    include_unplaced_option,
    json_option,
    load_user_graph,
    no_cache_option,
    origin_option,
    overwrite_option,
    profile_option,
    roads_option,
    to_option,
)


@click.command(short_help="Close or inspect k gates (or border segments); the traffickers re-route.")
@click.option("--k", "k", type=int, required=True, help="Units to interdict (>= 0).")
@click.option(
    "--mode",
    type=click.Choice(["close", "inspect"]),
    default="close",
    show_default=True,
    help="close: remove the crossings; inspect: raise their exposure by the profile's interdiction.inspect_exposure.",
)
@click.option("--method", type=click.Choice(["exact", "greedy"]), default="exact", show_default=True)
@click.option(
    "--candidates",
    "candidate_kind",
    type=click.Choice(["gates", "segments", "both"]),
    default="gates",
    show_default=True,
    help="What may be interdicted on the built graph: gates, border segments (their trails), or both.",
)
@click.option("--time-limit", type=float, default=300.0, show_default=True, help="Exact method's time limit (s).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the result as JSON (.json).",
)
@overwrite_option
@json_option
@graph_option
@origin_option
@to_option
@data_option
@profile_option
@roads_option
@no_cache_option
@include_unplaced_option
@handle_errors
def interdict(
    k: int,
    mode: str,
    method: str,
    candidate_kind: str,
    time_limit: float,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    graph_path: Path | None,
    origin: str | None,
    targets: tuple[str, ...],
    data_dir: Path | None,
    profile_path: Path | None,
    roads_path: Path | None,
    no_cache: bool,
    include_unplaced: bool,
) -> None:
    """Choose k gates (or border segments, or links) to close or inspect, the traffickers re-routing.

    Maximises the traffickers' demand-weighted least cost from the Golden
    Triangle to the [demand] destinations after they re-route (bilevel
    shortest-path interdiction, solved exactly by Israeli and Wood's
    decomposition, or greedily).  Prints the chosen units, the cost before
    and after, and the routes taken afterwards with their crossings.

    \\b
    Examples:
      borderwatch interdict --k 3
      borderwatch interdict --k 3 --mode inspect --method greedy --out interdiction.json
      borderwatch interdict --k 2 --candidates both --json
      borderwatch interdict --graph graph.graphml --origin A --to B --k 2 --out interdiction.json
    """
    from ..analysis.interdiction import interdict as solve
    from ..network.arrays import GraphArrays

    if k < 0:
        raise ParameterError(f"--k must be >= 0, got {k}")
    if not time_limit > 0:
        raise ParameterError(f"--time-limit must be > 0, got {time_limit}")
    check_out(out, overwrite=overwrite, formats={".json": None})
    check_graph_inputs(
        graph_path,
        data=data_dir,
        profile=profile_path,
        roads=roads_path,
        no_cache=no_cache or None,
        include_unplaced=include_unplaced or None,
    )
    if graph_path is not None:
        from ..analysis.interdiction import user_graph_units

        G, origin = load_user_graph(graph_path, origin, targets)
        shares, names = {t: 1.0 / len(targets) for t in targets}, {t: t for t in targets}
        arrays = GraphArrays.from_graph(G)
        units, after, labels = user_graph_units(G, arrays, mode=mode)
    else:
        from ..analysis.flow import demand_of

        check_no_user_endpoints(origin, targets)

        region, profile = region_and_profile(data_dir, profile_path, roads_path, include_unplaced=include_unplaced)
        G = route_graph(region, profile, no_cache=no_cache)
        arrays = GraphArrays.from_graph(G)
        origin, shares = G.graph["origin"], demand_of(G)
        names = {node: name for name, node in G.graph["destinations"].items()}
        from ..analysis.interdiction import route_graph_units
        from ..borders import borderlines, segment_borders

        segments = segment_borders(borderlines(region.countries))
        units, after, labels = route_graph_units(G, arrays, segments=segments, kind=candidate_kind, mode=mode)
    if k > len(units):
        raise ParameterError(f"--k {k} is more than the {len(units)} candidates")
    result = solve(
        arrays, origin, shares, units=units, k=k, interdicted_cost=after, method=method, time_limit_s=time_limit
    )
    if result.status == "stopped":
        from ..analysis.siting import SolverError

        raise SolverError(
            f"the exact method stopped at --time-limit {time_limit} s without proving the optimum: best found "
            f"{', '.join(result.chosen)} at {result.cost_after:.4f} h, bound {result.upper_bound:.4f} h "
            f"(gap {result.gap_pct:.2f} %); raise --time-limit or use --method greedy"
        )
    from ..analysis.interdiction import interdiction_report

    report = interdiction_report(result, arrays, names=names, units=units, labels=labels)
    if as_json:
        echo(json_text(report))
    else:
        echo(f"interdict ({mode}, {method}): {', '.join(result.chosen) or 'nothing raises the cost'}")
        echo(
            f"trafficker's demand-weighted least cost: {report['cost_before']} h -> {report['cost_after']} h "
            f"(status {report['status']}, bound {report['upper_bound']}, {report['rounds']} rounds, "
            f"{report['solve_s']} s)"
        )
        echo(format_rows([{k: v for k, v in r.items() if k != "nodes_after"} for r in report["routes_after"]]))
        if report["displacement"]:
            echo(format_rows(report["displacement"]))
        if len(result.chosen) < k:
            echo(f"note: only {len(result.chosen)} of {k} units raise the cost; the others would change nothing")
        for t in report["cut_off"]:
            echo(f"note: {t} can no longer be reached")
    if out is not None:
        from ..output import write_atomic

        text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
        write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
        if not as_json:
            echo(f"wrote {out}")


COMMANDS = [interdict]
