"""``borderwatch list``: the names commands accept (destinations, gates, seaports)."""

from __future__ import annotations

from pathlib import Path

import click

from .format import echo, format_rows, json_text
from .options import data_option, handle_errors, json_option, profile_option

WHAT = ("destinations", "gates", "seaports")


@click.command("list", short_help="List destination names, gates or seaports.")
@click.argument("what", type=click.Choice(WHAT))
@data_option
@profile_option
@json_option
@handle_errors
def list_names(what: str, data_dir: Path | None, profile_path: Path | None, as_json: bool) -> None:
    """List what WHAT names: destinations (for routes --to), gates (for --close, --inspect) or seaports.

    No graph is built: the names come from the data and the profile.

    \b
    Examples:
      borderwatch list destinations
      borderwatch list gates --json
    """
    from .options import load_inputs, load_profile_for

    profile = load_profile_for(profile_path)
    region = load_inputs(data_dir, profile)
    if what == "destinations":
        from ..network.endpoints import planned_destinations

        rows = [{"name": name, "node_id": node} for name, node in planned_destinations(region, profile).items()]
    elif what == "gates":
        g = region.gates
        rows = [
            {"id": i, "name": n, "class": c, "border": b, "coord_precision_m": p}
            for i, n, c, b, p in zip(g["id"], g["name"], g["class"], g["border"], g["coord_precision_m"], strict=True)
        ]
    else:
        s = region.seaports
        rows = [
            {"id": i, "name": n, "placed": geom is not None and not geom.is_empty}
            for i, n, geom in zip(s["id"], s["name"], s.geometry, strict=True)
        ]
    if as_json:
        echo(json_text(rows))
    else:
        echo(format_rows(rows))


COMMANDS = [list_names]
