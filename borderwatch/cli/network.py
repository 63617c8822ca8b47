"""Commands that build route graphs: ``build-network``."""

from __future__ import annotations

from pathlib import Path

import click

from .format import echo, format_graph_summary, json_text
from .options import (
    check_out,
    data_option,
    handle_errors,
    include_unplaced_option,
    json_option,
    no_cache_option,
    out_option,
    overwrite_option,
    profile_option,
    progress_bar,
    roads_option,
)

GRAPH_FORMATS = (".gpkg", ".graphml")


def region_and_profile(
    data_dir: Path | None, profile_path: Path | None, roads_path: Path | None, *, include_unplaced: bool = False
):
    """Load the profile first (fast, fails early), then the region with any road override, and check them together."""
    from ..network.build import check_profile_against_region
    from ..network.profile import load_profile
    from ..readers import load_region

    profile = load_profile(profile_path)
    if include_unplaced:
        profile = load_profile(profile, gate_link={"include_unplaced": True})
    overrides = {"roads": roads_path} if roads_path else {}
    region = load_region(data_dir, **overrides)
    check_profile_against_region(region, profile)
    return region, profile


def route_graph(region, profile, *, no_cache: bool):
    """Load the route graph from the cache, or build (and cache) it."""
    from ..network.cache import cached_route_graph

    G, status = cached_route_graph(region, profile=profile, use_cache=not no_cache)
    G.graph.setdefault("build", {})["cache"] = status
    return G


def route_metrics(G, region, *, samples: int | None, seed: int | None):
    """Every chokepoint metric of the built graph (5 km border segments), with a progress bar for the ensemble."""
    from ..analysis.chokepoints import route_graph_chokepoints
    from ..borders import borderlines, segment_borders

    with progress_bar("ensemble") as progress:
        return route_graph_chokepoints(
            G, segments=segment_borders(borderlines(region.countries)), samples=samples, seed=seed, progress=progress
        )


@click.command("build-network", short_help="Build the route graph (or load it from the cache); summary.")
@data_option
@profile_option
@roads_option
@json_option
@out_option(GRAPH_FORMATS, "the graph")
@overwrite_option
@no_cache_option
@include_unplaced_option
@handle_errors
def build_network(
    data_dir: Path | None,
    profile_path: Path | None,
    roads_path: Path | None,
    as_json: bool,
    out: Path | None,
    overwrite: bool,
    no_cache: bool,
    include_unplaced: bool,
) -> None:
    """Build the route graph; print nodes and edges by mode, components and build time."""
    from ..network.graphio import save_graph
    from ..network.summary import graph_summary

    check_out(out, overwrite=overwrite, formats=GRAPH_FORMATS)
    region, profile = region_and_profile(data_dir, profile_path, roads_path, include_unplaced=include_unplaced)
    G = route_graph(region, profile, no_cache=no_cache)
    summary = graph_summary(G)
    if out is not None:
        save_graph(G, out, overwrite=overwrite)
        summary["saved_to"] = str(out)
    if as_json:
        echo(json_text(summary))
        return
    echo(format_graph_summary(summary))
    if out is not None:
        echo(f"saved {out}")


COMMANDS = [build_network]
