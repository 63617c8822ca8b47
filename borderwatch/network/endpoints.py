"""Route endpoints: the Golden Triangle origin and the named destinations.

The origin is the LAO-THA-MMR tri-point computed from the boundaries.  The
destinations are the profile's ``[demand]`` cities (Vietnamese places),
``export`` (any overseas port), ``China border`` (leaving Vietnam into China)
and every placed seaport.  :func:`planned_destinations` lists them without
building a graph, so commands can check names before the long work, and
:func:`resolve_destination` matches a user's name against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..borders import tripoint
from ..errors import UnknownNameError
from ..region import Region
from .builder import EdgeBuilder
from .contract import CHINA_NODE, ORIGIN_NODE, SPECIAL_DESTINATIONS, destination_node, port_node
from .nearest import PointIndex


def demand_cities(profile: Mapping[str, Any]) -> list[str]:
    """Return the ``[demand]`` names that are cities (not ``export`` or ``China border``).

    Parameters
    ----------
    profile
        The cost profile.

    Returns
    -------
    list of str
    """
    return [name for name in profile["demand"] if name not in SPECIAL_DESTINATIONS]


def planned_destinations(region: Region, profile: Mapping[str, Any]) -> dict[str, str]:
    """Names of the destinations a route graph of ``region`` and ``profile`` offers.

    Parameters
    ----------
    region
        The region.
    profile
        The cost profile (its ``[demand]`` table names the cities).

    Returns
    -------
    dict
        Display name -> node id, in order: the profile's ``[demand]`` cities,
        ``export``, ``China border``, then every placed seaport as ``"SP-01 Cat Lai ..."``.
    """
    out = {name: destination_node(name) for name in demand_cities(profile)}
    out.update(SPECIAL_DESTINATIONS)
    ports = region.seaports[region.seaports.geometry.notna()]
    out.update({f"{pid} {name}": port_node(pid) for pid, name in zip(ports["id"], ports["name"], strict=True)})
    return out


def match_name(names: Mapping[str, Any], name: object) -> tuple[str, Any] | None:
    """Find ``name`` among display names, their first word (``SP-01``) or node ids, ignoring case.

    Parameters
    ----------
    names
        Display name -> node id.
    name
        What the user typed.

    Returns
    -------
    tuple or None
        (display name, node id), or None when nothing matches.
    """
    key = str(name).casefold()
    for display, node in names.items():
        if key in (display.casefold(), display.split(" ")[0].casefold(), str(node).casefold()):
            return display, node
    return None


def unknown_name(names: Mapping[str, Any], name: object, *, what: str = "destination") -> UnknownNameError:
    """Return the error for a name that :func:`match_name` did not find, listing the valid names.

    Parameters
    ----------
    names
        Display name -> node id.
    name
        What the user typed.
    what
        What kind of name it is.

    Returns
    -------
    UnknownNameError
    """
    valid = "; ".join(names) if names else "any node id of the graph"
    return UnknownNameError(f"unknown {what} {str(name)!r}; valid names: {valid}")


def check_destinations(region: Region, profile: Mapping[str, Any], names: list[str]) -> list[tuple[str, str]]:
    """Resolve destination names before a graph is built.

    Parameters
    ----------
    region, profile
        What the graph will be built from.
    names
        Names, seaport ids or node ids.

    Returns
    -------
    list of (display name, node id)

    Raises
    ------
    UnknownNameError
        A name matches nothing; the message lists the valid names.
    """
    planned = planned_destinations(region, profile)
    out = []
    for name in names:
        found = match_name(planned, name)
        if found is None:
            raise unknown_name(planned, name)
        out.append(found)
    return out


def add_origin(
    b: EdgeBuilder, region: Region, *, cells: PointIndex, roads: PointIndex, rivers: PointIndex | None
) -> None:
    """Add the Golden Triangle node, linked out to the lattice (LAO, THA, MMR), roads and rivers.

    Parameters
    ----------
    b
        The graph under construction.
    region
        The region (its countries give the tri-point).
    cells, roads, rivers
        Nodes the origin may link to.
    """
    max_conn = b.profile["connector"]["max_km"] * 1000.0
    gt = tripoint(region.countries, ("LAO", "THA", "MMR"))
    b.node(ORIGIN_NODE, gt.x, gt.y, "origin", "", name="Golden Triangle (LAO-THA-MMR tri-point)")
    for iso in ("LAO", "THA", "MMR"):
        b.link(cells, ORIGIN_NODE, country=iso, max_m=max_conn, direction="out")
    for index in (roads, rivers):
        if index is not None:
            b.link(index, ORIGIN_NODE, country=None, max_m=max_conn, direction="out")


def add_destinations(b: EdgeBuilder, region: Region, *, roads: PointIndex, cells: PointIndex) -> dict[str, str]:
    """Add the city destinations and the China-border sink.

    Parameters
    ----------
    b
        The graph under construction (seaports, overseas ports and export
        already added).
    region
        The region (its ``places`` locate the cities).
    roads, cells
        Nodes a city may be reached from.

    Returns
    -------
    dict
        Display name -> node id of every destination in the graph.
    """
    prof = b.profile
    max_conn = prof["connector"]["max_km"] * 1000.0
    places = region.places[region.places["iso_a3"] == "VNM"]
    planned = planned_destinations(region, prof)
    for name, nid in planned.items():
        if not nid.startswith("dest:") or nid in SPECIAL_DESTINATIONS.values():
            continue
        pt = places[places["name"].str.casefold() == name.casefold()].geometry.iloc[0]  # checked by build_route_graph
        b.node(nid, pt.x, pt.y, "destination", "VNM", name=name)
        for index in (cells, roads):
            b.link(index, nid, country="VNM", max_m=max_conn, direction="in")
    chn = [g for g in b.nodes.values() if g["kind"] == "gate" and g.get("border") == "CHN"]
    if chn:
        b.node(
            CHINA_NODE,
            float(np.mean([g["x"] for g in chn])),
            float(np.mean([g["y"] for g in chn])),
            "destination",
            "CHN",
            name="China border (leaving Vietnam into China)",
        )
    return {name: nid for name, nid in planned.items() if nid in b.nodes}
