"""Commands that route on a graph: ``routes``."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis import MAX_K
from ..errors import ParameterError
from ..output import TABLE_WRITERS
from .format import echo, format_routes, format_rows
from .network import region_and_profile, route_graph
from .options import (
    check_graph_inputs,
    check_out,
    data_option,
    graph_option,
    handle_errors,
    include_unplaced_option,
    load_user_graph,
    no_cache_option,
    out_option,
    overwrite_option,
    profile_option,
    roads_option,
)


@click.command(short_help="Least-cost and k diverse routes from the Golden Triangle.")
@click.option(
    "--to",
    "targets",
    multiple=True,
    required=True,
    help="Destination name (repeatable); an unknown name lists the valid ones.",
)
@click.option(
    "--k",
    "k",
    type=click.IntRange(min=1, max=MAX_K),
    default=1,
    show_default=True,
    help=f"Routes per destination (1-{MAX_K}); rank r is the same whatever k.",
)
@click.option(
    "--summary",
    is_flag=True,
    help="Print the corridor table (entry crossing, country path, km, hours per route) instead of one line per route.",
)
@out_option(TABLE_WRITERS, "the routes")
@overwrite_option
@graph_option
@click.option(
    "--origin",
    default=None,
    help="Origin node id (default: the Golden Triangle; required with a --graph that names none).",
)
@data_option
@profile_option
@roads_option
@no_cache_option
@include_unplaced_option
@handle_errors
def routes(
    targets: tuple[str, ...],
    k: int,
    summary: bool,
    out: Path | None,
    overwrite: bool,
    graph_path: Path | None,
    origin: str | None,
    data_dir: Path | None,
    profile_path: Path | None,
    roads_path: Path | None,
    no_cache: bool,
    include_unplaced: bool,
) -> None:
    """Least-cost (and k diverse) routes from the origin, explained.

    The origin is the Golden Triangle (the Laos-Thailand-Myanmar tri-point,
    node origin:golden_triangle).  Destinations (--to, repeatable; case and
    spacing do not matter): Hanoi, Ho Chi Minh City, Haiphong, Da Nang (the
    profile's [demand] cities), export, China border, and every placed seaport
    by id or name (SP-01, "Cat Lai (Tan Cang - Cat Lai)").  'borderwatch list
    destinations' prints them all.

    \b
    Examples:
      borderwatch routes --to Hanoi
      borderwatch routes --to "Ho Chi Minh City" --to SP-16 --k 3 --out routes.geojson
      borderwatch routes --graph graph.graphml --origin A --to B
    """
    from ..analysis.routes import k_routes  # heavy imports only when the command runs
    from ..network.endpoints import check_destinations

    check_out(out, overwrite=overwrite, formats=TABLE_WRITERS)
    check_graph_inputs(
        graph_path,
        data=data_dir,
        profile=profile_path,
        roads=roads_path,
        no_cache=no_cache or None,
        include_unplaced=include_unplaced or None,
    )
    if graph_path is not None:
        G, origin = load_user_graph(graph_path, origin, targets)
    else:
        if origin is not None:
            raise ParameterError("--origin needs --graph; the built graph's origin is the Golden Triangle")
        region, profile = region_and_profile(data_dir, profile_path, roads_path, include_unplaced=include_unplaced)
        check_destinations(region, profile, list(targets))  # fail fast, before the graph is built
        G = route_graph(region, profile, no_cache=no_cache)
    result = k_routes(G, origin=origin, destinations=list(targets), k=k)
    if summary:
        from ..analysis.routes import corridor_table
        from ..borders import borderlines, segment_borders

        segments = segment_borders(borderlines(region.countries)) if graph_path is None else None
        echo(format_rows(corridor_table(result, segments=segments).to_dict("records")))
    else:
        echo(format_routes(result))
    for note in result.attrs.get("notes", []):
        echo(f"note: {note}")
    if out is not None:
        from ..output import write_table

        write_table(result, out, overwrite=overwrite)
        echo(f"wrote {len(result)} routes to {out}")


COMMANDS = [routes]
