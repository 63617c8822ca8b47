"""The ``borderwatch`` command line: thin wrappers over the public functions.

Exit codes: 0 success, 1 bad input or no result (one clear message on stderr,
no traceback), 2 usage error (click).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import BorderwatchError
from .io import check_output

log = logging.getLogger("borderwatch")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn borderwatch errors into a message on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (BorderwatchError, ValueError) as exc:  # ValueError: bad option values reaching the library
            _fail(str(exc))

    return wrapper


data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder with the same layout as the shipped data/ (default: shipped data).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="borderwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """borderwatch: cross-border trafficking routes, gates and BLOs around Vietnam."""
    # on a terminal, long steps report progress (INFO); in scripts only warnings unless -v
    base = 1 if sys.stderr.isatty() else 0
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(base + verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@data_option
@handle_errors
def validate(data_dir: Path | None) -> None:
    """Validate every layer; exit 1 and list all problems if any."""
    from .io import load_region

    region = load_region(data_dir)
    n = sum(len(g) for g in region.layers.values())
    click.echo(f"valid: {len(region.layers)} layers, {n} records, DEM {region.terrain.shape[0]}x{region.terrain.shape[1]} cells")


@main.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (keys documented in the README).")
@handle_errors
def info(data_dir: Path | None, as_json: bool) -> None:
    """Counts, published-count reconciliation, border lengths and gate snapping."""
    from .info import format_info, region_info
    from .io import load_region

    facts = region_info(load_region(data_dir))
    click.echo(json.dumps(facts, indent=2, ensure_ascii=False) if as_json else format_info(facts))


profile_option = click.option(
    "--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="TOML cost profile overriding any subset of the defaults."
)
roads_option = click.option(
    "--roads",
    "roads_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Replace the road layer: GeoPackage/GeoJSON lines or an OSMnx GraphML file.",
)


def _region_and_profile(data_dir: Path | None, profile_path: Path | None, roads_path: Path | None):
    from .io import load_region
    from .network.profile import load_profile

    profile = load_profile(profile_path)
    overrides = {"roads": roads_path} if roads_path else {}
    return load_region(data_dir, **overrides), profile


@main.command("build-network")
@data_option
@profile_option
@roads_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Save the graph (.gpkg or .graphml).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@handle_errors
def build_network(data_dir: Path | None, profile_path: Path | None, roads_path: Path | None, as_json: bool, out: Path | None, overwrite: bool) -> None:
    """Build the route graph; print nodes and edges by mode, components and build time."""
    from .network.build import build_route_graph, graph_summary
    from .network.graphio import save_graph

    if out is not None:
        check_output(out, overwrite=overwrite)
    region, profile = _region_and_profile(data_dir, profile_path, roads_path)
    G = build_route_graph(region, profile=profile)
    summary = graph_summary(G)
    if out is not None:
        save_graph(G, out, overwrite=overwrite)
        summary["saved_to"] = str(out)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"route graph: {summary['nodes']:,} nodes, {summary['edges']:,} edges, built in {summary['build_s']} s")
    for mode, n in summary["edges_by_mode"].items():
        click.echo(f"  {mode:<10}{n:>10,} edges")
    click.echo(f"components: {summary['weakly_connected_components']} weak, {summary['strongly_connected_components']} strong")
    rc = summary["road_components"]
    click.echo(
        f"roads: {summary['road_snapped_ends']} dangling ends snapped, {summary['road_border_cuts']} border cuts, {rc['components']} road components (largest {rc['largest_nodes']} nodes)"
    )
    if out is not None:
        click.echo(f"saved {out}")


@main.command()
@click.option("--to", "targets", multiple=True, required=True, help="Destination name (repeatable); an unknown name lists the valid ones.")
@click.option("--k", "k", type=click.IntRange(min=1), default=1, show_default=True, help="Routes per destination.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write routes (.geojson, .gpkg or .csv).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option(
    "--graph",
    "graph_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Route on a saved graph (.gpkg/.graphml with a 'cost' edge attribute) instead of building one.",
)
@click.option("--origin", default=None, help="Origin node id (default: the Golden Triangle).")
@data_option
@profile_option
@roads_option
@handle_errors
def routes(
    targets: tuple[str, ...],
    k: int,
    out: Path | None,
    overwrite: bool,
    graph_path: Path | None,
    origin: str | None,
    data_dir: Path | None,
    profile_path: Path | None,
    roads_path: Path | None,
) -> None:
    """Least-cost (and k diverse) routes from the origin, explained."""
    from .analysis.routes import k_routes, match_name, unknown_name
    from .io import write_table
    from .network.build import build_route_graph, planned_destinations
    from .network.graphio import load_graph

    if out is not None:
        check_output(out, overwrite=overwrite)
    if graph_path is not None:
        G = load_graph(graph_path)
        if origin is None and "origin" not in G.graph:
            _fail("this graph names no origin; pass --origin NODE_ID")
    else:
        region, profile = _region_and_profile(data_dir, profile_path, roads_path)
        planned = planned_destinations(region, profile)
        for target in targets:  # fail fast, before the graph is built
            if match_name(planned, target) is None:
                raise unknown_name(planned, target)
        G = build_route_graph(region, profile=profile)
    result = k_routes(G, origin=origin, destinations=list(targets), k=k)
    for _, r in result.iterrows():
        crossing = r["crossings"] or "no border crossing"
        click.echo(f"{r['destination']} #{r['rank']}: {r['length_km']:,.1f} km, {r['time_h']:,.1f} h, cost {r['cost']:,.2f} | {crossing} | {r['modes']}")
    if out is not None:
        write_table(result, out, overwrite=overwrite)
        click.echo(f"wrote {len(result)} routes to {out}")


@main.command()
@data_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the snapped gates (.geojson, .gpkg or .csv).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@handle_errors
def gates(data_dir: Path | None, out: Path | None, overwrite: bool) -> None:
    """Snap every gate onto its border; print, per gate, method, distance moved and flags."""
    from .gates import place_gates
    from .io import load_region, write_table

    if out is not None:
        check_output(out, overwrite=overwrite)
    snapped = place_gates(load_region(data_dir))
    click.echo(f"{'id':<11}{'class':<14}{'method':<15}{'moved km':>9}{'prec km':>9}{'new km':>8}  flag")
    for _, g in snapped.iterrows():
        flag = "" if g["snap_plausible"] else "IMPLAUSIBLE: " + g["snap_note"]
        click.echo(
            f"{g['id']:<11}{g['class']:<14}{g['snap_method']:<15}{g['snap_distance_m'] / 1000:>9.2f}{g['orig_precision_m'] / 1000:>9.1f}{g['coord_precision_m'] / 1000:>8.1f}  {flag}"
        )
    if out is not None:
        write_table(snapped, out, overwrite=overwrite)
        click.echo(f"wrote {len(snapped)} gates to {out}")
