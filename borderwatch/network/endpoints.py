"""Route endpoints: the origins and the named destinations.

The default origin is the Golden Triangle, the LAO-THA-MMR tri-point computed
from the boundaries; the profile's ``[origins]`` may place further origins
(:func:`origin_points`), each a node of its own.  The
destinations are the profile's ``[demand]`` cities (Vietnamese places),
``export`` (the cheapest overseas export port), ``China border`` (leaving
Vietnam into China), every placed seaport and every export destination of
``[export] destinations`` (``export to Manila (Philippines)``), whose shares
split the export demand (:func:`export_shares`).  :func:`planned_destinations` lists them without
building a graph, so commands can check names before the long work, and
:func:`resolve_destination` matches a user's name against them.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..borders import tripoint
from ..errors import ProfileError, UnknownNameError
from ..names import close_matches
from ..region import Region
from .builder import EdgeBuilder
from .contract import (
    CHINA_NODE,
    ORIGIN_NODE,
    SPECIAL_DESTINATIONS,
    destination_node,
    overseas_node,
    port_node,
    slug,
)
from .lattice import LatticeAccess
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


#: How far from 1 the ``[export] destinations`` shares may sum (rounding of decimal shares).
SHARE_SUM_TOLERANCE = 1e-6


def export_label(label: str) -> str:
    """Display name of the destination of one export port (``"export to Manila (Philippines)"``)."""
    return f"export to {label}"


def export_shares(profile: Mapping[str, Any]) -> dict[str, float]:
    """Return the ``[export] destinations`` with a share > 0, checked to split the export demand.

    Parameters
    ----------
    profile
        The cost profile (validated: no share is negative, :func:`~borderwatch.network.profile.load_profile`).

    Returns
    -------
    dict
        ``"Name (Country)"`` -> share of the export demand, in profile order
        (empty when no port has a share).

    Raises
    ------
    ProfileError
        The shares do not sum to 1 (within :data:`SHARE_SUM_TOLERANCE`; the message gives the sum).

    Examples
    --------
    >>> export_shares({"export": {"destinations": {"Manila (Philippines)": 0.7, "Busan (South Korea)": 0.3}}})
    {'Manila (Philippines)': 0.7, 'Busan (South Korea)': 0.3}
    """
    shares = _positive_shares(profile)
    problem = _share_sum_problem(shares)
    if problem:
        raise ProfileError(f"cost profile problems ({getattr(profile, 'source', 'profile')}):\n  - {problem}")
    return shares


def _positive_shares(profile: Mapping[str, Any]) -> dict[str, float]:
    return {str(label): float(share) for label, share in profile["export"]["destinations"].items() if share > 0}


def _share_sum_problem(shares: Mapping[str, float]) -> str | None:
    total = sum(shares.values())
    if not shares or abs(total - 1.0) <= SHARE_SUM_TOLERANCE:
        return None
    listed = ", ".join(f"{label} {share:g}" for label, share in shares.items())
    return (
        f"key 'export.destinations': the shares of the export demand sum to {total:.6g}, not 1 ({listed}); "
        "scale them to sum 1 (a share of 0 drops a port)"
    )


def export_ports(region: Region, profile: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Find the profile's export destinations in layer ``ports_worldwide``.

    Parameters
    ----------
    region
        The region (layer ``ports_worldwide``).
    profile
        The cost profile (``[export] destinations``: ``"Name (Country)" = share``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per named destination with a share > 0, with ``label`` and ``share``.

    Raises
    ------
    ProfileError
        A name matches no World Port Index port (the message suggests ports of that country),
        or the shares do not split the export demand (:func:`export_shares`).
    """
    world = region.ports_worldwide
    shares = _positive_shares(profile)
    rows, problems = [], [p for p in [_share_sum_problem(shares)] if p]
    for label, share in shares.items():
        name, _, country = label.rpartition(" (")
        country = country.rstrip(")")
        hit = world[
            (world["name"].str.casefold() == name.casefold()) & (world["country"].str.casefold() == country.casefold())
        ]
        if hit.empty:
            same = world.loc[world["country"].str.casefold() == country.casefold(), "name"].head(6).tolist()
            hint = (
                f"ports of {country}: {', '.join(same)}"
                if same
                else "write it as 'Name (Country)' as in the World Port Index"
            )
            problems.append(
                f"key 'export.destinations.{label}': no World Port Index port {name!r} in {country!r}; {hint}"
            )
            continue
        rows.append(hit.iloc[[0]].assign(label=label, share=float(share)))
    if problems:
        raise ProfileError(
            f"cost profile problems ({getattr(profile, 'source', 'profile')}):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    if not rows:
        return world.iloc[:0].assign(label=[], share=[])
    return gpd.GeoDataFrame(pd.concat(rows), geometry="geometry", crs=world.crs)


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
        ``export``, ``China border``, every placed seaport as ``"SP-01 Cat Lai ..."``,
        then every export destination as ``"export to Manila (Philippines)"``.
    """
    out = {name: destination_node(name) for name in demand_cities(profile)}
    out.update(SPECIAL_DESTINATIONS)
    ports = region.seaports[region.seaports.geometry.notna()]
    out.update({f"{pid} {name}": port_node(pid) for pid, name in zip(ports["id"], ports["name"], strict=True)})
    abroad = export_ports(region, profile)
    out.update(
        {export_label(lab): overseas_node(pid) for lab, pid in zip(abroad["label"], abroad["port_id"], strict=True)}
    )
    return out


def _norm(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _keys(display: str, node: object) -> set[str]:
    keys = {_norm(display), _norm(node)}
    head, _, rest = display.partition(" ")
    if re.fullmatch(r"[A-Z]+-\d+", head) and rest:  # "SP-01 Cat Lai": the id and the name alone
        keys |= {_norm(head), _norm(rest)}
    return keys


def resolve_name(
    names: Mapping[str, Any],
    name: object,
    *,
    what: str = "destination",
    nodes: Container | None = None,
    unplaced: Mapping[str, str] | None = None,
) -> tuple[str, Any]:
    """Match what a user typed against destination names, predictably.

    A name matches a display name, a seaport id (``SP-01``), a seaport's name
    or a node id, ignoring case and runs of whitespace; nothing else matches
    (no first-word or prefix guessing).

    Parameters
    ----------
    names
        Display name -> node id.
    name
        What the user typed.
    what
        What kind of name it is (for messages).
    nodes
        Node ids that are also accepted as themselves (a graph).
    unplaced
        Seaport id -> name of seaports that exist but have no position.

    Returns
    -------
    tuple
        (display name, node id).

    Raises
    ------
    UnknownNameError
        Nothing matches.  The message says when the name is an unplaced
        seaport, lists the names it is the start of (``ho`` -> Ho Chi Minh
        City) or close to (:func:`borderwatch.names.close_matches`: ``Hà Nội``
        -> Hanoi), or else lists every valid name.
    """
    key = _norm(name)
    for display, node in names.items():
        if key in _keys(display, node):
            return display, node
    if nodes is not None and isinstance(name, str | int) and name in nodes:
        return str(name), name
    for pid, pname in (unplaced or {}).items():
        if key in _keys(f"{pid} {pname}", pid):
            raise UnknownNameError(
                f"{what} {str(name)!r}: seaport {pid} ({pname}) exists but is not placed (no source gave its "
                "coordinates), so no route can reach it; add lat/lon to gates/seaports.csv"
            )
    started = [d for d, n in names.items() if key and any(k.startswith(key) for k in _keys(d, n))]
    if started:
        raise UnknownNameError(
            f"unknown {what} {str(name)!r}; did you mean {' or '.join(map(repr, started))}? give the full name or id"
        )
    close = close_matches(name, names)
    if close:
        raise UnknownNameError(f"unknown {what} {str(name)!r}; did you mean {' or '.join(map(repr, close))}?")
    valid = "; ".join(names) if names else "any node id of the graph"
    raise UnknownNameError(f"unknown {what} {str(name)!r}; valid names: {valid}")


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
        A name matches nothing (see :func:`resolve_name`).
    """
    planned = planned_destinations(region, profile)
    ports = region.seaports[region.seaports.geometry.isna()]
    unplaced = dict(zip(ports["id"], ports["name"], strict=True))
    return [resolve_name(planned, name, unplaced=unplaced) for name in names]


#: The origin whose position is the LAO-THA-MMR tri-point (no ``origins.position`` entry).
GOLDEN_TRIANGLE = "Golden Triangle"
#: Countries of the Golden Triangle tri-point (the origin joins the lattice of each).
GOLDEN_TRIANGLE_COUNTRIES = ("LAO", "THA", "MMR")


def origin_node(name: str) -> str:
    """Node id of a named origin (``origin:<slug>``; the Golden Triangle is ``origin:golden_triangle``)."""
    return f"origin:{slug(name)}"


def origin_points(region: Region, profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Locate and check the profile's origins (``[origins]``) before a graph is built.

    Parameters
    ----------
    region
        The region (its countries and DEM).
    profile
        The cost profile.

    Returns
    -------
    list of dict
        One per origin, the Golden Triangle first: ``name``, ``node``, ``lon``,
        ``lat``, ``countries`` (the lattice countries it joins).

    Raises
    ------
    ProfileError
        An origin lies outside the DEM, at sea or in Vietnam, or an origin
        with a share has no position (each problem names the origin and the key).
    """
    table = profile["origins"]
    out = [
        {"name": GOLDEN_TRIANGLE, "node": ORIGIN_NODE, "countries": GOLDEN_TRIANGLE_COUNTRIES}
        | dict(zip(("lon", "lat"), tripoint(region.countries, GOLDEN_TRIANGLE_COUNTRIES).coords[0], strict=True))
    ]
    rows, cols = region.terrain.shape
    west, north = region.terrain.transform @ (0, 0)
    east, south = region.terrain.transform @ (cols, rows)
    problems = [
        f"key 'origins.share.{name}': origin {name!r} has no position; add origins.position.{name} = [lon, lat]"
        for name in profile["origins"]["share"]
        if name != GOLDEN_TRIANGLE and name not in table["position"]
    ]
    box = f"{min(west, east):.2f}..{max(west, east):.2f} E, {min(south, north):.2f}..{max(south, north):.2f} N"
    for name, (lon, lat) in table["position"].items():
        where = f"key 'origins.position.{name}': {lon:g} E {lat:g} N lies"
        inside = region.countries[region.countries.geometry.covers(shapely.Point(lon, lat))]
        if not (min(west, east) <= lon <= max(west, east) and min(south, north) <= lat <= max(south, north)):
            problems.append(f"{where} outside the region's DEM ({box}); check the [lon, lat] order")
        elif inside.empty:
            problems.append(f"{where} at sea; an origin lies on land (check the [lon, lat] order)")
        elif (iso := str(inside["iso_a3"].iloc[0])) == "VNM":
            problems.append(f"{where} in Vietnam; an origin lies outside it (the analyses follow routes into Vietnam)")
        elif origin_node(name) in {o["node"] for o in out}:
            problems.append(f"{where} where another origin of that name is (the Golden Triangle is the tri-point)")
        else:
            out.append({"name": name, "node": origin_node(name), "lon": lon, "lat": lat, "countries": (iso,)})
    if problems:
        raise ProfileError(
            f"cost profile problems ({getattr(profile, 'source', 'profile')}):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return out


def add_origins(
    b: EdgeBuilder, region: Region, *, lattice: LatticeAccess, roads: PointIndex, rivers: PointIndex | None
) -> dict[str, str]:
    """Add every origin of the profile (:func:`origin_points`), linked out to the lattice, roads and rivers.

    Parameters
    ----------
    b
        The graph under construction.
    region
        The region (its countries give the Golden Triangle tri-point).
    lattice
        The terrain lattice (an origin joins the nearest cell of each of its countries).
    roads, rivers
        Nodes an origin may link to by a connector.

    Returns
    -------
    dict
        Origin name -> node id.
    """
    max_conn = b.profile["connector"]["max_km"] * 1000.0
    origins = origin_points(region, b.profile)
    for origin in origins:
        name = "Golden Triangle (LAO-THA-MMR tri-point)" if origin["node"] == ORIGIN_NODE else origin["name"]
        country = origin["countries"][0] if len(origin["countries"]) == 1 else ""
        b.node(origin["node"], origin["lon"], origin["lat"], "origin", country, name=name)
        for iso in origin["countries"]:
            b.access(lattice, origin["node"], country=iso, direction="out")
        for index in (roads, rivers):
            if index is not None:
                b.link(index, origin["node"], country=None, max_m=max_conn, direction="out")
    return {o["name"]: o["node"] for o in origins}


def add_destinations(b: EdgeBuilder, region: Region, *, roads: PointIndex, lattice: LatticeAccess) -> dict[str, str]:
    """Add the city destinations and the China-border sink.

    Parameters
    ----------
    b
        The graph under construction (seaports, overseas ports and export
        already added).
    region
        The region (its ``places`` locate the cities).
    roads
        Road nodes a city may be reached from by a connector.
    lattice
        The terrain lattice every city is reached from.

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
        b.access(lattice, nid, country="VNM", direction="in")
        b.link(roads, nid, country="VNM", max_m=max_conn, direction="in")
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
