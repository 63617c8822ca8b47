"""Commands that set scenarios side by side: ``compare`` and ``sweep``."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ParameterError
from .format import echo, format_rows, json_text
from .options import (
    ScenarioOptions,
    apply_edits,
    build_base,
    build_scenario,
    check_edits,
    check_outputs,
    handle_errors,
    json_option,
    overwrite_option,
    progress_bar,
    scenario_options,
)
from .report import TILE_CHOICES

if TYPE_CHECKING:
    from ..analysis.sweep import SweepFile
    from ..network.profile import Profile
    from ..region import Region

#: Crossings listed as gaining and as losing flow.
TOP = 5


@click.command("compare", short_help="What edits change: costs, routes, displaced flow, ranks, coverage.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The comparison folder: compare.json, compare.csv, compare.html (created; an existing one only with "
    "--overwrite).",
)
@overwrite_option
@click.option(
    "--base",
    "base_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A scenario file applied to the base first (the edits are then compared against it).",
)
@click.option(
    "--allow-different",
    is_flag=True,
    help="Compare even when the two runs differ in data, graph or random draws (a difference is then partly noise).",
)
@click.option(
    "--tiles",
    type=click.Choice(TILE_CHOICES),
    default="none",
    show_default=True,
    help="Add an online background to compare.html (needs the internet); 'none' keeps it offline.",
)
@json_option
@scenario_options(graph=False, hours=True)  # compare.html maps the region: no --graph
@handle_errors
def compare(
    out: Path,
    overwrite: bool,
    base_path: Path | None,
    allow_different: bool,
    tiles: str,
    as_json: bool,
    scenario_opts: ScenarioOptions,
) -> None:
    """Compare a scenario with its base, sample by sample (common random numbers).

    The base is the scenario of the inputs (--data, --profile, --samples,
    --hours ..., and --base FILE applied first); the scenario is the base
    with the edits: --scenario FILE, --close GATE, --inspect GATE, --add-blo
    LON,LAT (at least one).  Both run the same ensemble draws, so a
    difference is the edits' effect: per destination the least cost and
    route before and after, per gate and border segment the rank shift and
    the flow displaced with its 5-95 % interval, and the BLO coverage.
    Writes compare.json, compare.csv (one row per gate and segment),
    compare.html (the map) and manifest.json into --out; prints a summary
    (or --json: everything compare.json holds).

    \b
    Examples:
      borderwatch compare --close VN-LAO-016 --samples 50 --out cau_treo
      borderwatch compare --scenario wet_season.toml --out wet
      borderwatch compare --base wet_season.toml --add-blo 104.95,21.95 --out new_blo_wet
    """
    from ..analysis.compare import compare as run_compare

    if not scenario_opts.has_edits:
        raise ParameterError(
            "compare needs an edit to compare against the base: give --scenario FILE, --close GATE, "
            "--inspect GATE or --add-blo LON,LAT"
        )
    check_outputs(
        {}, folders={"--out": out}, overwrite=overwrite, inputs={**scenario_opts.inputs(), "--base": base_path}
    )
    if base_path is not None:
        from ..edits import read_scenario_file

        read_scenario_file(base_path)  # a bad file fails before any loading
    from ..report import write_comparison  # fails now, not after the work, if it is missing

    base = build_base(scenario_opts, check=_file_edits_known(base_path))
    if base_path is not None:
        from ..scenario import Scenario

        base = Scenario.from_file(base_path, base=base)
    other = apply_edits(base, scenario_opts)
    with progress_bar("ensemble (base, then scenario)") as progress:
        comparison = run_compare(base, other, allow_different=allow_different, progress=_two_runs(progress))
    write_comparison(comparison, out, overwrite=overwrite, tiles=None if tiles == "none" else tiles)
    if as_json:
        echo(json_text(comparison.to_dict()))
        return
    for line in compare_summary(comparison):
        echo(line)
    echo(f"wrote {', '.join(sorted(p.name for p in out.iterdir()))} to {out}")


def _file_edits_known(path: Path | None) -> Callable[[Region, Profile], None]:
    """Return the check, before the graph is built, of the edits of the ``--base`` scenario file (if any)."""

    def check(region: Region, profile: Profile) -> None:
        if path is not None:
            from ..edits import read_scenario_file

            check_edits(region, read_scenario_file(path).edits)

    return check


def _sweep_edits_known(parsed: SweepFile, options: ScenarioOptions) -> Callable[[Region, Profile], None]:
    """Return the check, before the graph is built, of the edits a sweep file's scenarios and grid files list."""

    def check(region: Region, profile: Profile) -> None:
        applied = options.file_edits() + options.edits()
        for name, edits in parsed.edits:
            check_edits(region, edits, where=f"sweep file {str(parsed.path)!r}, scenario {name!r}: ", applied=applied)

    return check


def _two_runs(update: Callable[[int, int], None] | None) -> Callable[[int, int], None] | None:
    """Show the two ensemble runs of a comparison as one bar (each run counts its samples from 1)."""
    if update is None:
        return None
    state = {"run": 0, "last": 0}

    def progress(done: int, total: int) -> None:
        if done <= state["last"]:
            state["run"] = min(state["run"] + 1, 1)
        state["last"] = done
        update(state["run"] * total + done, 2 * total)

    return progress


def _pct(share: float) -> str:
    """Format a share of the demand as a signed percentage."""
    return f"{_num(100.0 * share, '+.2f')} %" if math.isfinite(share) else ""


def _num(value: Any, spec: str = ".2f") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return format(value + 0.0, spec) if math.isfinite(value) else ""  # + 0.0: no "-0.00"


def compare_summary(comparison: Any) -> list[str]:
    """Return what ``compare`` prints: edits, cost change per destination, crossings gaining and losing flow, coverage.

    Parameters
    ----------
    comparison
        From :func:`borderwatch.analysis.compare.compare`.

    Returns
    -------
    list of str
    """
    s = comparison.summary
    lines = [f"compare {s['scenario']!r} with {s['base']!r}", "edits: " + "; ".join(s["edits"])]
    if s["differences"]:
        lines.append("note: the runs differ in " + "; ".join(s["differences"]) + "; differences are partly noise")
    rows = []
    for r in comparison.destinations.to_dict("records"):
        low, high = r.get("ensemble_cost_change_low_heq", math.nan), r.get("ensemble_cost_change_high_heq", math.nan)
        rows.append(
            {
                "destination": r["destination"],
                "share": _num(r["share_base"], ".3f"),
                "cost_heq": _num(r["cost_base_heq"]),
                "cost_after_heq": _num(r["cost_scenario_heq"]),
                "change_heq": _num(r["cost_change_heq"], "+.2f"),
                "ensemble_change_heq": _num(r.get("ensemble_cost_change_heq"), "+.2f"),
                "interval_heq": f"[{_num(low, '+.2f')}, {_num(high, '+.2f')}]" if math.isfinite(low) else "",
                "route": (f"{r['route_base']} -> {r['route_scenario']}" if r["route_changed"] else "unchanged"),
            }
        )
    lines.append("cost change per destination (trafficker's least cost, h-eq; ensemble mean and 5-95 % interval):")
    lines.append(format_rows(rows))
    before, after = s["demand_weighted_cost_base_heq"], s["demand_weighted_cost_scenario_heq"]
    lines.append(f"demand-weighted least cost: {before:.2f} h-eq -> {after:.2f} h-eq ({after - before:+.2f} h-eq)")
    moved = comparison.displacement
    gains = moved[moved["flow_change"] > 0].head(TOP)
    losses = moved[moved["flow_change"] < 0].sort_values("flow_change", kind="stable").head(TOP)
    lines.append(f"flow moved: {_num(100.0 * s['flow_moved'])} % of the demand (ensemble mean)")
    for label, table in (("gaining", gains), ("losing", losses)):
        lines.append(f"top {TOP} crossings {label} flow (ensemble mean change, % of the demand, 5-95 % interval):")
        lines.append(format_rows([_moved_row(r) for r in table.to_dict("records")]))
    lines += _coverage_lines(comparison)
    return lines


def _moved_row(r: dict[str, Any]) -> dict[str, Any]:
    name = r.get("name")
    return {
        "kind": r["kind"],
        "id": r["id"],
        "name": name if isinstance(name, str) else "",
        "before": f"{100.0 * r['flow_base']:.2f} %",
        "after": f"{100.0 * r['flow_scenario']:.2f} %",
        "change": _pct(r["flow_change"]),
        "interval": f"[{_pct(r['flow_change_low'])}, {_pct(r['flow_change_high'])}]",
    }


def _coverage_lines(comparison: Any) -> list[str]:
    s, cov = comparison.summary, comparison.coverage
    if not len(cov):
        return ["coverage: not compared (no region)"]
    rows = [
        {
            "border": border,
            "covered_km": _num(r["covered_km_base"], ".1f"),
            "covered_km_after": _num(r["covered_km_scenario"], ".1f"),
            "change_km": _num(r["covered_km_change"], "+.1f"),
            "covered_pct_after": _num(r["covered_pct_scenario"], ".1f"),
        }
        for border, r in cov.iterrows()
    ]
    lines = ["coverage by BLO patrols:", format_rows(rows)]
    if "ensemble_flow_covered_pct_base" in s:
        lines.append(
            f"crossing flow covered (ensemble mean): {s['ensemble_flow_covered_pct_base']:.1f} % -> "
            f"{s['ensemble_flow_covered_pct_scenario']:.1f} %"
        )
    return lines


@click.command("sweep", short_help="Many scenarios against one base: one row each (a table).")
@click.argument("sweep_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the table, one row per scenario (.csv).",
)
@overwrite_option
@scenario_options(hours=True)
@handle_errors
def sweep(sweep_path: Path, out: Path, overwrite: bool, scenario_opts: ScenarioOptions) -> None:
    """Run every scenario of a sweep file against the base; one row each.

    FILE (TOML) lists scenarios ([[scenarios]]: edits, or a scenario file)
    and/or a [grid] (close_each_gate, patrol_hours, scenario_files) whose
    every combination is a scenario.  Each row: the cost change (least-cost
    and the ensemble's, with its 5-95 % interval), routes changed, flow
    moved, the crossing gaining and the one losing most, and the coverage
    change.  Every scenario draws the same random numbers as the base.  The
    base is the scenario of the other options (edits included).

    \b
    Examples:
      borderwatch sweep sweep.toml --out sweep.csv --samples 50
      borderwatch sweep close_laos.toml --out laos.csv --hours 4
    """
    from ..analysis.sweep import parse_sweep_file
    from ..analysis.sweep import sweep as run_sweep
    from ..output import write_table

    check_outputs(
        {"--out": (out, (".csv",))}, overwrite=overwrite, inputs={**scenario_opts.inputs(), "FILE": sweep_path}
    )
    if not sweep_path.is_file():
        what = "is a folder; give a TOML file" if sweep_path.is_dir() else "does not exist; check the path"
        raise ParameterError(f"sweep file {str(sweep_path)!r} {what}")
    parsed = parse_sweep_file(sweep_path)  # a malformed file is refused before anything is loaded
    base = build_scenario(scenario_opts, check=_sweep_edits_known(parsed, scenario_opts))
    scenarios = parsed.scenarios_of(base)
    with progress_bar("scenarios") as progress:
        result = run_sweep(base, scenarios, progress=progress)
    table = result.table
    rows = [
        {
            "scenario": r["scenario"],
            "cost_change_heq": _num(r["cost_change_heq"], "+.3f"),
            "ensemble_h": _num(r["ensemble_cost_change_heq"], "+.3f"),
            "interval_h": f"[{_num(r['ensemble_cost_change_low_heq'], '+.3f')}, "
            f"{_num(r['ensemble_cost_change_high_heq'], '+.3f')}]",
            "flow_moved": f"{_num(100.0 * r['flow_moved'])} %",
            "top_gain": r["top_gain"],
            "top_loss": r["top_loss"],
            "covered_km": _num(r["covered_km_change"], "+.1f"),
        }
        for r in table.to_dict("records")
    ]
    echo(format_rows(rows))
    write_table(table, out, overwrite=overwrite)
    echo(f"wrote {len(table)} row{'s' if len(table) != 1 else ''} to {out}")


COMMANDS = [compare, sweep]
