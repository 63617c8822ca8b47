"""Commands that draw and report: ``map`` and ``report``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..analysis import MAX_K
from ..errors import ParameterError
from .format import echo
from .network import region_and_profile, route_graph
from .options import (
    check_samples,
    data_option,
    handle_errors,
    include_unplaced_option,
    no_cache_option,
    overwrite_option,
    profile_option,
    progress_bar,
    roads_option,
    samples_option,
    seed_option,
)

#: Steps before the analysis, as the progress display names them.
_BEFORE = ("load data", "route graph")
#: Choices of --tiles: none (offline) or an online background.
TILE_CHOICES = ("none", "OpenStreetMap", "CartoDB positron")


def analysis_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options of :func:`~borderwatch.analysis.suite.analyse_region` shared by ``map`` and ``report``."""
    options = [
        samples_option,
        seed_option,
        click.option("--hours", type=float, default=2.0, show_default=True, help="BLO patrol time (h, > 0)."),
        click.option(
            "--k",
            "route_k",
            type=click.IntRange(1, MAX_K),
            default=3,
            show_default=True,
            help="Diverse routes per destination.",
        ),
        click.option(
            "--sites", "site_p", type=click.IntRange(min=0), default=5, show_default=True, help="New BLO sites."
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
            type=click.IntRange(min=0),
            default=5,
            show_default=True,
            help="Crossings to close in the interdiction.",
        ),
        click.option(
            "--interdict-units",
            type=click.Choice(["gates", "segments", "both"]),
            default="both",
            show_default=True,
            help="Candidates to close: gates, 5 km border segments (informal crossings), or both.",
        ),
        click.option(
            "--tiles",
            type=click.Choice(TILE_CHOICES),
            default="none",
            show_default=True,
            help="Add an online background map (needs the internet); 'none' keeps the map fully offline.",
        ),
        data_option,
        profile_option,
        roads_option,
        no_cache_option,
        include_unplaced_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


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


def _region(options: dict[str, Any]):
    return region_and_profile(
        options["data_dir"],
        options["profile_path"],
        options["roads_path"],
        include_unplaced=options["include_unplaced"],
    )


def _analyse(options: dict[str, Any], steps: _Steps):
    from ..analysis.suite import analyse_region

    check_samples(options["samples"])
    if not options["hours"] > 0:
        raise ParameterError(f"--hours must be > 0, got {options['hours']}")
    steps(_BEFORE[0])
    region, profile = _region(options)
    steps(_BEFORE[1])
    G = route_graph(region, profile, no_cache=options["no_cache"])
    steps.done()
    with progress_bar("ensemble") as progress:
        analysis = analyse_region(
            G,
            region,
            samples=options["samples"],
            seed=options["seed"],
            hours=options["hours"],
            route_k=options["route_k"],
            site_p=options["site_p"],
            site_objective=options["site_objective"],
            interdict_k=options["interdict_k"],
            interdict_units=options["interdict_units"],
            on_step=steps,
            progress=progress,
        )
    steps.done()
    return region, analysis


@click.command("report", short_help="Run every analysis and write the report folder (overview, map, tables).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The report folder (created; an existing one only with --overwrite).",
)
@overwrite_option
@analysis_options
@handle_errors
def report(out: Path, overwrite: bool, tiles: str, **options: Any) -> None:
    """Run every analysis once and write the report folder.

    One process, one graph, one ensemble: routes, chokepoints, the gate
    ranking, BLO coverage, new BLO sites and the interdiction.  The folder
    holds index.html (overview), map.html (offline map), ranking.csv,
    ranking_agreement.csv, segments.geojson, chokepoints.geojson,
    coverage.geojson, coverage.json, routes.geojson, interdiction.json,
    sites.csv and manifest.json (inputs with SHA-256, profile, settings,
    package versions, seed, timings).  It appears only when complete; an
    existing report folder is replaced only with --overwrite.

    \b
    Examples:
      borderwatch report --out report
      borderwatch report --out report --overwrite --samples 500 --seed 7 --hours 4
    """
    from ..output import check_output_dir
    from ..report import REPORT_FILES, write_report

    started = time.perf_counter()
    check_output_dir(out, overwrite=overwrite)
    from ..analysis.suite import STEPS

    steps = _Steps([*_BEFORE, *STEPS, "write"])
    _, analysis = _analyse(options, steps)
    steps("write")
    timings = {k: v for k, v in steps.timings.items() if k in _BEFORE}
    manifest = write_report(
        analysis, out, overwrite=overwrite, timings_s=timings, tiles=None if tiles == "none" else tiles
    )
    steps.done()
    total = time.perf_counter() - started
    echo(f"wrote {len(REPORT_FILES)} files to {out} in {total:.0f} s; open {out / 'index.html'}")
    slow = sorted(manifest["timings_s"].items(), key=lambda kv: -kv[1])[:3]
    echo("slowest steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))


@click.command("map", short_help="Write the interactive map (one offline HTML file).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The map file (.html).")
@click.option(
    "--no-analysis",
    is_flag=True,
    help="Draw only the region and its data (seconds; no graph, routes or metrics).",
)
@overwrite_option
@analysis_options
@handle_errors
def map_(out: Path, no_analysis: bool, overwrite: bool, tiles: str, **options: Any) -> None:
    """Write the interactive map as one self-contained HTML file that opens offline.

    Layers: countries and provinces, borders coloured by BLO coverage, gates
    by class and risk score, BLOs and their patrol reach, proposed BLO sites,
    seaports, Mekong wharfs, the Golden Triangle, least-cost and diverse
    routes, ensemble usage, pinch points, the minimum cut, uncovered
    stretches and the interdiction.  Leaflet is inlined; no tiles unless
    --tiles asks for an online background.

    \b
    Examples:
      borderwatch map --out map.html
      borderwatch map --out region.html --no-analysis
      borderwatch map --out map.html --hours 4 --tiles OpenStreetMap
    """
    from ..maps import region_map, save_map
    from ..output import check_output

    check_output(out, overwrite=overwrite, formats=(".html", ".htm"), what="--out")
    from ..analysis.suite import STEPS

    steps = _Steps([*_BEFORE, *STEPS, "map"])
    if no_analysis:
        steps("load data")
        region, _ = _region(options)
        analysis = None
    else:
        region, analysis = _analyse(options, steps)
    steps("map")
    m = region_map(region, analysis, tiles=None if tiles == "none" else tiles)
    save_map(m, out, overwrite=overwrite)
    steps.done()
    echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


COMMANDS = [report, map_]
