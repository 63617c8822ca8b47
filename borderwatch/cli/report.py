"""Commands that draw and report: ``map`` and ``report``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..analysis import MAX_K
from ..settings import RANGES
from .format import echo
from .options import (
    CROSSING_KINDS,
    RangeType,
    ScenarioOptions,
    build_scenario,
    check_outputs,
    handle_errors,
    load_data,
    overwrite_option,
    progress_bar,
    scenario_options,
    stability_options,
)

#: Steps before the analysis, as the progress display names them.
_BEFORE = ("load data", "route graph")
#: Choices of --tiles: none (offline) or an online background.
TILE_CHOICES = ("none", "OpenStreetMap", "CartoDB positron")

tiles_option = click.option(
    "--tiles",
    type=click.Choice(TILE_CHOICES),
    default="none",
    show_default=True,
    help="Add an online background map (needs the internet); 'none' keeps the map fully offline.",
)


def analysis_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options of :func:`~borderwatch.analysis.suite.analyse_region` shared by ``map`` and ``report``."""
    options = [
        click.option(
            "--k",
            "route_k",
            type=click.IntRange(1, MAX_K),
            default=3,
            show_default=True,
            help="Diverse routes per destination.",
        ),
        click.option(
            "--sites",
            "site_p",
            type=RangeType("site_p"),
            default=5,
            show_default=True,
            help=f"New BLO sites ({RANGES['site_p'].validate.__doc__}).",
        ),
        click.option(
            "--site-objective",
            type=click.Choice(["flow", "length"]),
            default="flow",
            show_default=True,
            help="What new sites should cover: crossing flow or km of land border.",
        ),
        click.option(
            "--interdict",
            "interdict_k",
            type=RangeType("interdict_k"),
            default=5,
            show_default=True,
            help=f"Crossings to close in the interdiction ({RANGES['interdict_k'].validate.__doc__}).",
        ),
        click.option(
            "--interdict-units",
            type=click.Choice(CROSSING_KINDS),
            default="both",
            show_default=True,
            help="Candidates to close: gates, 5 km border segments (informal crossings), or both.",
        ),
        click.option(
            "--inspection-teams",
            "inspect_teams",
            type=click.IntRange(min=0),
            multiple=True,
            default=(3, 5),
            show_default=True,
            help="Randomised inspection: team counts to place (repeat; 0 teams is the no-inspection baseline).",
        ),
        tiles_option,
    ]
    for option in reversed(options):
        func = option(func)
    return stability_options(seeds=3)(func)


class _Steps:
    """Print '[i/n] step' lines on stderr when it is a terminal, and time each step."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.timings: dict[str, float] = {}
        self._current: tuple[str, float] | None = None
        self.tty = sys.stderr.isatty()

    def __call__(self, name: str) -> None:
        self.done()
        self._current = (name, time.perf_counter())
        if self.tty:
            number = self.names.index(name) + 1 if name in self.names else len(self.names)
            click.echo(f"[{number}/{len(self.names)}] {name}", err=True)

    def done(self) -> None:
        if self._current is not None:
            name, started = self._current
            self.timings[name] = round(time.perf_counter() - started, 3)
            self._current = None


def _analyse(scenario: Any, steps: _Steps, analysis: dict[str, Any]):
    from ..analysis.suite import analyse_region

    with progress_bar("ensemble") as progress:
        result = analyse_region(scenario, on_step=steps, progress=progress, **analysis)
    steps.done()
    return result


@click.command("report", short_help="Run every analysis and write the report folder (overview, map, tables).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The report folder (created; an existing one only with --overwrite).",
)
@click.option(
    "--calibration",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Add the fit 'borderwatch calibrate' wrote (its .json beside the profile) as a section.",
)
@click.option(
    "--stochastic-samples",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Add plans under uncertainty (interdict --stochastic --priority K) on this many samples; 0 skips "
    "(minutes of solving: 50 samples took about 4 min for K = 5 here).",
)
@overwrite_option
@analysis_options
@scenario_options(graph=False, hours=True)
@handle_errors
def report(
    out: Path,
    overwrite: bool,
    tiles: str,
    calibration: Path | None,
    stochastic_samples: int,
    scenario_opts: ScenarioOptions,
    **analysis: Any,
) -> None:
    """Run every analysis once and write the report folder.

    One process, one graph, one ensemble: routes, chokepoints, the gate
    ranking, BLO coverage, new BLO sites and the interdiction.  The folder
    holds index.html (overview), map.html (offline map), ranking.csv,
    ranking_agreement.csv, segments.geojson, chokepoints.geojson,
    coverage.geojson, coverage.json, routes.geojson, interdiction.json,
    sites.csv, inspection.csv and manifest.json (inputs with SHA-256, profile, scenario,
    settings, package versions, seed, timings).  It appears only when
    complete; an existing report folder is replaced only with --overwrite.
    With --close, --inspect, --add-blo or --scenario the report is of the
    edited scenario ('borderwatch compare' sets it beside the base).

    \b
    Examples:
      borderwatch report --out report
      borderwatch report --out report --overwrite --samples 500 --seed 7 --hours 4
      borderwatch report --out report_wet --scenario wet_season.toml
    """
    from ..report import REPORT_FILES, headline, write_report

    started = time.perf_counter()
    check_outputs({}, folders={"--out": out}, overwrite=overwrite, inputs=scenario_opts.inputs())
    fit = None
    if calibration is not None:
        from ..analysis.calibrate import read_calibration

        fit = read_calibration(calibration)  # before any work: a bad file fails at once
    from ..analysis.suite import STEPS

    steps = _Steps([*_BEFORE, *STEPS, *(["stochastic"] if stochastic_samples else []), "write"])
    scenario = build_scenario(scenario_opts, on_step=steps)
    steps.done()
    result = _analyse(scenario, steps, analysis)
    study = None
    if stochastic_samples:
        from ..analysis.stochastic import stochastic_study

        steps("stochastic")
        study = stochastic_study(
            scenario,
            max_k=max(result.settings["interdict_k"], 1),
            candidates=result.settings["interdict_units"],
            samples=stochastic_samples,
        )
    steps("write")
    timings = {k: v for k, v in steps.timings.items() if k in (*_BEFORE, "stochastic")}
    manifest = write_report(
        result,
        out,
        overwrite=overwrite,
        timings_s=timings,
        tiles=None if tiles == "none" else tiles,
        study=study,
        calibration=fit,
    )
    steps.done()
    total = time.perf_counter() - started
    echo(f"wrote {len(REPORT_FILES)} files to {out} in {total:.0f} s")
    if isinstance(manifest, dict) and manifest.get("timings_s"):
        slow = sorted(manifest["timings_s"].items(), key=lambda kv: -kv[1])[:3]
        echo("slowest steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
    echo("\n".join(["", *headline(result, out)]))


@click.command("map", short_help="Write the interactive map (one offline HTML file).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The map file (.html).")
@click.option(
    "--no-analysis",
    is_flag=True,
    help="Draw only the region and its data (seconds: no routes or metrics, and no graph unless edits are given).",
)
@overwrite_option
@analysis_options
@scenario_options(graph=False, hours=True)
@handle_errors
def map_(
    out: Path, no_analysis: bool, overwrite: bool, tiles: str, scenario_opts: ScenarioOptions, **analysis: Any
) -> None:
    """Write the interactive map as one self-contained HTML file that opens offline.

    Layers: countries and provinces, borders coloured by BLO coverage, gates
    by class and risk score, BLOs and their patrol reach, proposed BLO sites,
    seaports, Mekong wharfs, the Golden Triangle, least-cost and diverse
    routes, ensemble usage, pinch points, the minimum cut, uncovered
    stretches and the interdiction.  Leaflet is inlined; no tiles unless
    --tiles asks for an online background.  The map is of the scenario
    (with --close, --add-blo, --scenario ... of the edited one).

    \b
    Examples:
      borderwatch map --out map.html
      borderwatch map --out region.html --no-analysis
      borderwatch map --out map.html --hours 4 --tiles OpenStreetMap
      borderwatch map --out new_blo.html --add-blo 107.10,16.60
    """
    from ..maps import region_map, save_map

    check_outputs({"--out": (out, (".html", ".htm"))}, overwrite=overwrite, inputs=scenario_opts.inputs())
    from ..analysis.suite import STEPS

    steps = _Steps([*_BEFORE, *STEPS, "map"])
    if no_analysis and not (scenario_opts.has_edits or scenario_opts.blo_hours_path):  # no graph needed
        steps("load data")
        drawn, result = load_data(scenario_opts)[0], None
    else:
        drawn = build_scenario(scenario_opts, on_step=steps)
        steps.done()
        result = None if no_analysis else _analyse(drawn, steps, analysis)
    steps("map")
    m = region_map(drawn, result, tiles=None if tiles == "none" else tiles)
    save_map(m, out, overwrite=overwrite)
    steps.done()
    echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


COMMANDS = [report, map_]
