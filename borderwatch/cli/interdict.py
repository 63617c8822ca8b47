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
    crossings_option,
    handle_errors,
    json_option,
    overwrite_option,
    scenario_options,
    time_limit_option,
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
@crossings_option(
    default="gates",
    help="What may be interdicted on the built graph: gates, border segments (their trails), or both.",
)
@time_limit_option(default_s=300.0, what="Exact method's time limit")
@click.option(
    "--stochastic",
    is_flag=True,
    help="Plan against the ensemble's samples (expected cost; deterministic and stochastic plans for k = 1..K, "
    "judged in and out of sample).",
)
@click.option(
    "--samples",
    "plan_samples",
    type=int,
    default=50,
    show_default=True,
    help="In-sample draws of --stochastic (>= 1; the ensemble's samples 0..N-1, seed ensemble.seed).",
)
@click.option(
    "--out-of-sample", type=int, default=100, show_default=True, help="Fresh draws the plans are judged on (>= 2)."
)
@click.option(
    "--priority",
    type=int,
    default=None,
    help="Budget priority list for k = 1..K (optimal and nested plans, the loss of nesting); implies --stochastic.",
)
@click.option(
    "--cvar",
    "alpha",
    type=float,
    default=None,
    help="Risk-averse objective: the mean of the ALPHA share of samples in which the trafficker is cheapest.",
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
    stochastic: bool,
    plan_samples: int,
    out_of_sample: int,
    priority: int | None,
    alpha: float | None,
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

    With --stochastic the plans for k = 1..K are chosen on --samples ensemble
    samples (the expected cost, or --cvar ALPHA), beside the deterministic
    plans, both judged on --out-of-sample fresh samples (seed ensemble.seed +
    1000003) with 95 % intervals and the paired gain; --priority K adds the
    best nested list (the order in which to add teams) and its loss.

    \b
    Examples:
      borderwatch interdict --k 3
      borderwatch interdict --k 3 --mode inspect --method greedy --out interdiction.json
      borderwatch interdict --k 2 --candidates both --json
      borderwatch interdict --k 2 --close VN-LAO-005 --json
      borderwatch interdict --graph graph.graphml --origin A --to B --k 2 --out interdiction.json
      borderwatch interdict --k 5 --stochastic --samples 50 --candidates both --out plans.json
      borderwatch interdict --k 5 --priority 5 --candidates both
    """
    from ..analysis.interdiction import interdict_crossings

    check_option("interdict_k", k, "--k")
    check_option("time_limit_s", time_limit, "--time-limit")
    stochastic = stochastic or priority is not None or alpha is not None
    if stochastic:
        check_option("samples", plan_samples, "--samples")
        if out_of_sample < 2:
            raise ParameterError(f"--out-of-sample must be >= 2 (a confidence interval), got {out_of_sample}")
        if alpha is not None and not 0 < alpha <= 1:
            raise ParameterError(f"--cvar ALPHA must be in (0, 1], got {alpha}")
        if priority is not None and priority < 1:
            raise ParameterError(f"--priority K must be >= 1, got {priority}")
        if method != "exact":
            raise ParameterError("--stochastic and --priority are exact only; leave out --method greedy")
    check_outputs({"--out": (out, (".json",))}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    candidates = _candidate_count(scenario, kind=candidate_kind, mode=mode)
    top_k = max(k, priority or 0)
    if top_k > candidates:
        which = "--priority" if (priority or 0) > k else "--k"
        raise ParameterError(f"{which} {top_k} is more than the {candidates} candidates")
    if stochastic:
        _stochastic(
            scenario,
            max_k=top_k,
            kind=candidate_kind,
            mode=mode,
            samples=plan_samples,
            out_of_sample=out_of_sample,
            alpha=alpha,
            nested=priority is not None,
            time_limit=time_limit,
            out=out,
            overwrite=overwrite,
            as_json=as_json,
        )
        return
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
        on_routes = any("gate:" in str(r["crossings_before"]) for r in report["routes_after"])
        built = scenario.is_route_graph and scenario.region is not None  # a user graph names no trails
        if not result.chosen and k and mode == "close" and candidate_kind == "gates" and built and not on_routes:
            echo(
                "note: no gate is on a least-cost route (they all cross on trails: crossings_before), so closing "
                "gates changes nothing; --candidates both lets the trails of border segments be closed too"
            )
        elif len(result.chosen) < k:
            echo(f"note: only {len(result.chosen)} of {k} units raise the cost; the others would change nothing")
        for t in report["cut_off"]:
            echo(f"note: {t} can no longer be reached")
    if out is not None:
        from ..output import write_atomic

        text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
        write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
        if not as_json:
            echo(f"wrote {out}")


def _stochastic(
    scenario,
    *,
    max_k: int,
    kind: str,
    mode: str,
    samples: int,
    out_of_sample: int,
    alpha: float | None,
    nested: bool,
    time_limit: float,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """``interdict --stochastic`` / ``--priority``: plans for k = 1..K under uncertainty."""
    from ..analysis.siting import SolverError
    from ..analysis.stochastic import stochastic_study

    study = stochastic_study(
        scenario,
        max_k=max_k,
        candidates=kind,
        mode=mode,
        samples=samples,
        objective="mean" if alpha is None else "cvar",
        alpha=1.0 if alpha is None else alpha,
        out_of_sample=out_of_sample,
        nested=nested,
        time_limit_s=time_limit,
    )
    report = {**study.to_dict(), "scenario": scenario_facts(scenario)}
    if study.status == "stopped":
        stopped = study.table[study.table["sto_status"] != "optimal"]
        worst = stopped.iloc[0] if len(stopped) else study.table.iloc[-1]
        raise SolverError(
            f"the stochastic plan stopped at --time-limit {time_limit} s without proving the optimum: best found for "
            f"k = {worst['k']}: {worst['stochastic_plan']} at {worst['sto_in_sample_heq']} h-eq, bound "
            f"{worst['sto_bound_heq']} h-eq; raise --time-limit or lower --samples"
        )
    if as_json:
        echo(json_text(report))
    else:
        echo_scenario(scenario)
        echo(
            f"{mode} {kind}, {samples} samples (seed {study.seed}), judged on {out_of_sample} fresh samples (seed "
            f"{study.out_of_sample_seed}); trafficker's cost with nothing interdicted {study.cost_before_heq:.3f} h-eq"
        )
        echo(format_rows(study.table.to_dict(orient="records")))
        if nested:
            echo(format_rows(study.priority.to_dict(orient="records")))
        for row in study.table.itertuples():
            if row.cut_off:
                echo(f"note: k = {row.k} cuts off {row.cut_off} (left out of the values)")
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


@click.command(
    short_help="Randomised inspection: where m teams stand, as probabilities, against a watching trafficker."
)
@click.option("--teams", type=int, required=True, help="Inspection teams m (0 <= m <= candidates).")
@crossings_option(default="both", help="Where teams may stand: gates, border segments (their trails), or both.")
@click.option(
    "--quantal",
    type=float,
    default=None,
    help="Also judge the plan against a quantal-response trafficker with LAMBDA (1/h, >= 0; large = best response).",
)
@time_limit_option(default_s=300.0)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the crossings with their inspection probability (.csv, .geojson or .gpkg).",
)
@overwrite_option
@json_option
@scenario_options(ensemble=False)
@handle_errors
def inspect(
    teams: int,
    candidate_kind: str,
    quantal: float | None,
    time_limit: float,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    scenario_opts: ScenarioOptions,
) -> None:
    """Randomise m inspection teams over the crossings against a trafficker who watches them.

    A zero-sum Stackelberg game solved exactly as an LP with route generation:
    the probability that each crossing is inspected, the expected interception
    probability against the best-responding trafficker, and the same for the
    best fixed placement of the m teams.  Detection per crossing class from the
    profile's [inspection.detection] (a team's chance of finding a load).

    \b
    Examples:
      borderwatch inspect --teams 3 --out inspection.csv
      borderwatch inspect --teams 5 --quantal 0.5 --out inspection.geojson
      borderwatch inspect --teams 2 --candidates gates --json
    """
    from ..analysis.inspection import inspection_game
    from ..analysis.siting import SolverError

    if teams < 0:
        raise ParameterError(f"--teams must be >= 0, got {teams}")
    if quantal is not None and not quantal >= 0:
        raise ParameterError(f"--quantal LAMBDA must be >= 0 (1/h), got {quantal}")
    check_option("time_limit_s", time_limit, "--time-limit")
    check_outputs({"--out": (out, (".csv", ".geojson", ".gpkg"))}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    candidates = _candidate_count(scenario, kind=candidate_kind, mode="close")
    if teams > candidates:
        raise ParameterError(f"--teams {teams} is more than the {candidates} candidates")
    plan = inspection_game(scenario, teams=teams, candidates=candidate_kind, quantal=quantal, time_limit_s=time_limit)
    if plan.status == "stopped":
        raise SolverError(
            f"the inspection game stopped at --time-limit {time_limit} s: best randomised plan "
            f"{plan.value_heq:.4f} h-eq, fixed placement {plan.fixed_value_heq:.4f} h-eq; raise --time-limit"
        )
    summary = {**plan.summary(), "scenario": scenario_facts(scenario)}
    inspected = plan.crossings[plan.crossings["probability"] > 0]
    if as_json:
        rows = inspected.drop(columns="geometry").to_dict(orient="records")
        echo(json_text({**summary, "crossings": rows}))
    else:
        echo_scenario(scenario)
        fixed_places = "; ".join(plan.crossings.set_index("unit").loc[plan.fixed, "place"])
        echo(
            f"{teams} teams over {candidates} {candidate_kind}: interception {plan.interception:.1%} (randomised, "
            f"the trafficker's equilibrium routes) vs {plan.fixed_interception:.1%} (best fixed placement: "
            f"{fixed_places or 'none'}); expected cost {plan.value_heq:.3f} h-eq vs "
            f"{plan.fixed_value_heq:.3f} h-eq (no inspection {plan.free_heq:.3f} h-eq; {plan.rounds} rounds, "
            f"{plan.solve_s} s)"
        )
        if plan.quantal is not None:
            echo(
                f"quantal-response trafficker (lambda {plan.quantal} 1/h): interception {plan.quantal_interception:.1%}"
            )
        echo(format_rows(inspected.drop(columns="geometry").to_dict(orient="records")))
    if out is not None:
        from ..output import write_table

        write_table(plan.crossings, out, overwrite=overwrite)
        if not as_json:
            echo(f"wrote {out}")


COMMANDS = [interdict, inspect]
