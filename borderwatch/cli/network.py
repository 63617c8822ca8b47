"""Commands that build route graphs: ``build-network``."""

from __future__ import annotations

from pathlib import Path

import click

from .format import echo, format_graph_summary, json_text
from .options import (
    ScenarioOptions,
    build_scenario,
    check_outputs,
    handle_errors,
    json_option,
    out_option,
    overwrite_option,
    scenario_options,
)

GRAPH_FORMATS = (".gpkg", ".graphml")


@click.command("build-network", short_help="Build the route graph (or load it from the cache); summary.")
@json_option
@out_option(GRAPH_FORMATS, "the graph")
@overwrite_option
@scenario_options(graph=False, ensemble=False, edits=False)
@handle_errors
def build_network(as_json: bool, out: Path | None, overwrite: bool, scenario_opts: ScenarioOptions) -> None:
    """Build the route graph; print nodes and edges by mode, components and build time."""
    from ..network.graphio import save_graph
    from ..network.summary import graph_summary

    check_outputs({"--out": (out, GRAPH_FORMATS)}, overwrite=overwrite, inputs=scenario_opts.inputs())
    scenario = build_scenario(scenario_opts)
    summary = graph_summary(scenario.G)
    summary["cache"] = scenario.graph_status
    if out is not None:
        save_graph(scenario.G, out, overwrite=overwrite)
        summary["saved_to"] = str(out)
    if as_json:
        echo(json_text(summary))
        return
    echo(format_graph_summary(summary))
    if out is not None:
        echo(f"saved {out}")


COMMANDS = [build_network]
