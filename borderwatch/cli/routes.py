"""Commands that route on a graph: ``routes``."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis import MAX_K
from ..output import TABLE_WRITERS
from .format import echo, echo_scenario, format_routes, format_rows, format_seaport_flows
from .options import (
    ScenarioOptions,
    build_scenario,
    check_outputs,
    handle_errors,
    out_option,
    overwrite_option,
    scenario_options,
)


@click.command(short_help="Least-cost and k diverse routes from the Golden Triangle.")
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
    help="Print the corridor table (entry crossing, country path, km, hours, seaport per route) instead of one line "
    "per route, then the demand's export by Vietnamese seaport and overseas port.",
)
@out_option(TABLE_WRITERS, "the routes")
@overwrite_option
@scenario_options(ensemble=False, routes_to=True)
@handle_errors
def routes(k: int, summary: bool, out: Path | None, overwrite: bool, scenario_opts: ScenarioOptions) -> None:
    """Least-cost (and k diverse) routes from the origin, explained.

    The origin is the Golden Triangle (the Laos-Thailand-Myanmar tri-point,
    node origin:golden_triangle).  Destinations (--to, repeatable; case and
    spacing do not matter): Hanoi, Ho Chi Minh City, Haiphong, Da Nang (the
    profile's [demand] cities), export, China border, and every placed seaport
    by id or name (SP-01, "Cat Lai (Tan Cang - Cat Lai)").  'borderwatch list
    destinations' prints them all.  Routes run on the scenario: closed gates
    (--close, --scenario) are avoided, inspected ones cost more.

    \b
    Examples:
      borderwatch routes --to Hanoi
      borderwatch routes --to "Ho Chi Minh City" --to SP-16 --k 3 --out routes.geojson
      borderwatch routes --to Hanoi --close "Cau Treo" --k 2
      borderwatch routes --graph graph.graphml --origin A --to B
    """
    from ..analysis.routes import k_routes  # heavy imports only when the command runs
    from ..network.endpoints import check_destinations

    targets = list(scenario_opts.targets)
    check_outputs({"--out": (out, TABLE_WRITERS)}, overwrite=overwrite, inputs=scenario_opts.inputs())

    def names_known(region, profile) -> None:  # fail fast, before the graph is built
        check_destinations(region, profile, targets)

    scenario = build_scenario(scenario_opts, check=names_known)
    result = k_routes(scenario, destinations=targets, k=k)
    echo_scenario(scenario)
    if summary:
        from ..analysis.routes import corridor_table, seaport_flows

        segments = scenario.segments if scenario.region is not None else None
        echo(format_rows(corridor_table(result, segments=segments).to_dict("records")))
        by_seaport = seaport_flows(scenario)
        if len(by_seaport):
            echo("\nexport by Vietnamese seaport (least-cost flow of the whole demand; share of all demand):")
            echo(format_seaport_flows(by_seaport))
    else:
        echo(format_routes(result))
    for note in result.attrs.get("notes", []):
        echo(f"note: {note}")
    if out is not None:
        from ..output import write_table

        write_table(result, out, overwrite=overwrite)
        echo(f"wrote {len(result)} routes to {out}")


COMMANDS = [routes]
