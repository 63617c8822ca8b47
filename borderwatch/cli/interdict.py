"""Commands that interdict: ``interdict``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import ParameterError
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
    scenario_options,
)


@click.command(short_help="Close or inspect k gates (or border segments); the traffickers re-route.")
@click.option(
    "--k", "k", type=int, required=True, help=f"Units to interdict ({RANGES['interdict_k'].validate.__doc__})."
)
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
@click.option(
    "--time-limit",
    type=float,
    default=300.0,
    show_default=True,
    help=f"Exact method's time limit (s; {RANGES['time_limit_s'].validate.__doc__}).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the result as JSON (.json).",
)
@overwrite_option
@json_option
@scenario_options(ensemble=False)
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
    scenario_opts: ScenarioOptions,
) -> None:
    """Choose k gates (or border segments, or links) to close or inspect, the traffickers re-routing.

    Maximises the traffickers' demand-weighted least cost from the Golden
    Triangle to the [demand] destinations after they re-route (bilevel
    shortest-path interdiction, solved exactly by Israeli and Wood's
    decomposition, or greedily).  Prints the chosen units, the cost before
    and after, and the routes taken afterwards with their crossings.  On an
    edited scenario (--close, --scenario ...) closed gates are no candidates.

    \b
    Examples:
      borderwatch interdict --k 3
      borderwatch interdict --k 3 --mode inspect --method greedy --out interdiction.json
      borderwatch interdict --k 2 --candidates both --json
      borderwatch interdict --k 2 --close VN-LAO-005 --json
      borderwatch interdict --graph graph.graphml --origin A --to B --k 2 --out interdiction.json
    """
    from ..analysis.interdiction import interdict_crossings

    check_option("interdict_k", k, "--k")
    check_option("time_limit_s", time_limit, "--time-limit")
    check_outputs({"--out": (out, (".json",))}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    candidates = _candidate_count(scenario, kind=candidate_kind, mode=mode)
    if k > candidates:
        raise ParameterError(f"--k {k} is more than the {candidates} candidates")
    plan = interdict_crossings(
        scenario, k=k, candidates=candidate_kind, mode=mode, method=method, time_limit_s=time_limit
    )
    result, report = plan.result, {**plan.report, "scenario": scenario_facts(scenario)}
    if result.status == "stopped":
        from ..analysis.siting import SolverError

        raise SolverError(
            f"the exact method stopped at --time-limit {time_limit} s without proving the optimum: best found "
            f"{', '.join(result.chosen)} at {result.cost_after:.4f} h-eq, bound {result.upper_bound:.4f} h-eq "
            f"(gap {result.gap_pct:.2f} %); raise --time-limit or use --method greedy"
        )
    if as_json:
        echo(json_text(report))
    else:
        echo_scenario(scenario)
        places = report.get("chosen_places", {})
        named = "; ".join(places.get(u, u) for u in result.chosen)
        echo(f"interdict ({mode}, {method}): {named or 'nothing raises the cost'}")
        echo(
            f"trafficker's demand-weighted least cost: {report['cost_before_heq']} h-eq -> "
            f"{report['cost_after_heq']} h-eq "
            f"(status {report['status']}, bound {report['upper_bound_heq']}, {report['rounds']} rounds, "
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


def _candidate_count(scenario, *, kind: str, mode: str) -> int:
    """How many units :func:`~borderwatch.analysis.interdiction.interdict_crossings` chooses from."""
    from ..analysis.interdiction import route_graph_units, user_graph_units

    if scenario.is_route_graph and scenario.region is not None:
        units, _, _ = route_graph_units(scenario, kind=kind, mode=mode)
    else:
        units, _, _ = user_graph_units(scenario, mode=mode)
    return len(units)


COMMANDS = [interdict]
