"""Assemble the multimodal route graph from a region and a cost profile.

Layers, each a set of directed edges with ``mode``, ``length_m`` (geodesic),
``time_h``, ``exposure``, ``cost``, ``geometry`` and ``source`` (the contract
in :mod:`borderwatch.network.contract`):

- ``offroad``: the 8-neighbour terrain lattice over every land cell, finer in
  a band along the land border (:mod:`~borderwatch.network.lattice`,
  ``[lattice]`` keys); an off-road edge crossing Vietnam's
  land border carries the informal-crossing delay and exposure
  (``crossing = "informal"``);
- ``road``: the shipped (or user) road lines, noded and cut at the border
  (:mod:`~borderwatch.network.noding`), both directions;
- ``river``: navigable rivers, cut into landings;
- ``connector``: short hops between layers and to origin/destinations;
- ``gate``: each gate joins its Vietnamese side to its neighbour side
  (:mod:`~borderwatch.network.gates`).  Roads and rivers are cut at the
  border, so a road can cross it only through a gate;
- ``sea``: from each Vietnamese seaport to overseas ports, along sea cells
  (:mod:`~borderwatch.network.sea`).

Cost is :func:`~borderwatch.network.profile.edge_cost` of time and exposure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from ..borders import borderlines
from ..doors import PATH, require
from ..errors import ProfileError
from ..gates import place_gates
from ..geodesy import to_degrees, to_metres
from ..region import Region
from ..schema import STORAGE_CRS
from .builder import EdgeBuilder
from .contract import CHINA_NODE, ORIGIN_NODE, GraphMeta, set_graph_meta
from .endpoints import add_destinations, add_origins, demand_cities, export_ports, origin_points
from .estimate import check_band, check_lattice_memory
from .gates import add_gates
from .lattice import (
    Lattice,
    LatticeAccess,
    border_band,
    build_lattice,
    country_grid,
    fill_land_gaps,
    lattice_edges,
    refine_terrain,
)
from .nearest import PointIndex
from .noding import CountryLocator, NodedLines, border_union, node_lines
from .profile import Profile, load_profile
from .sea import add_sea, add_seaports

log = logging.getLogger(__name__)


def build_route_graph(
    region: Region, *, profile: Profile | Mapping[str, Any] | str | Path | None = None
) -> nx.MultiDiGraph:
    """Build the multimodal route graph of a region.

    Parameters
    ----------
    region
        From :func:`borderwatch.load_region`.
    profile
        A :class:`~borderwatch.network.profile.Profile`, a nested dict or a
        TOML file overriding the defaults, or ``None`` for the defaults.

    Returns
    -------
    networkx.MultiDiGraph
        Keeps the route-graph contract (:mod:`borderwatch.network.contract`);
        ``G.graph`` holds the :class:`~borderwatch.network.contract.GraphMeta`
        attributes ``crs``, ``origin``, ``destinations``, ``profile``,
        ``no_entry_from`` and ``build`` (counts and timings).

    Raises
    ------
    ParameterError
        ``region`` is not a Region, or ``profile`` neither a profile, a dict, a path nor None.
    ProfileError
        The profile is invalid, names a demand city that is not a place, or has a
        ``lattice.refine`` whose lattice would not fit in the available memory
        (:func:`~borderwatch.network.estimate.check_lattice_memory`, checked before any building).
    """
    require(region, Region, where="build_route_graph", name="region", fix="load one with borderwatch.load_region()")
    require(
        profile, (Mapping, *PATH, None), where="build_route_graph", name="profile", fix="give a TOML file or a dict"
    )
    t0 = time.perf_counter()
    prof = load_profile(profile)
    if region.terrain is not None:
        check_lattice_memory(region.terrain.shape, prof["lattice"]["refine"])
    check_profile_against_region(region, prof)
    b = EdgeBuilder(prof)
    lines = borderlines(region.countries)
    check_band(region.terrain, float(lines["length_km"].sum()), prof["lattice"])
    gates = place_gates(region, lines=lines)
    border = border_union(lines)
    locator = CountryLocator(region.countries)
    stats: dict[str, Any] = {}

    # --- terrain lattice, finer in the border band ------------------------
    dem_grid = country_grid(region.terrain, region.countries)
    dem, filled = fill_land_gaps(region.terrain, dem_grid)
    if filled:
        log.warning("DEM %s: %d land cells without elevation were filled from their neighbours", dem.path, filled)
    stats["dem_land_cells_filled"] = filled
    terrain = refine_terrain(dem, prof["lattice"]["refine"])
    log.info("building terrain lattice (%d x %d cells)", *terrain.shape)
    grid = dem_grid if prof["lattice"]["refine"] == 1 else country_grid(terrain, region.countries)
    band = border_band(
        dem,
        terrain,
        grid,
        region.countries,
        shapely.union_all(lines.geometry.to_numpy()),
        km=prof["lattice"]["band_km"],
        factor=prof["lattice"]["band_refine"],
    )
    cells = build_lattice(terrain, grid, band=band)
    for nid, x, y, iso in zip(cells.ids, cells.lon, cells.lat, cells.iso, strict=True):
        b.node(nid, x, y, "cell", iso)
    _add_lattice(b, cells)
    stats["lattice_refine"] = prof["lattice"]["refine"]
    stats["lattice_cells"] = len(cells.ids)
    stats["band_cells"] = int(cells.fine.sum())

    # --- roads and rivers ------------------------------------------------
    log.info("noding %d road lines and cutting them at the border", len(region.roads))
    roads = node_lines(
        region.roads,
        id_column="road_id",
        class_column="road_class",
        locator=locator,
        border=border,
        prefix="road",
        snap_tolerance_m=prof["road"]["snap_tolerance_m"],
    )
    _add_lines(b, roads, mode="road", source_of=dict(zip(region.roads["road_id"], region.roads["source"], strict=True)))
    stats["road_snapped_ends"] = roads.snapped_ends
    stats["road_border_cuts"] = roads.border_cuts
    stats["road_components"] = _components(roads.pieces)
    rivers_in = _cut_at_barriers(region.rivers[region.rivers["name"].isin(set(prof["river"]["navigable"]))], prof)
    rivers = None
    if len(rivers_in):
        rivers = node_lines(
            rivers_in.assign(name=rivers_in["name"].astype(str)),
            id_column="river_id",
            class_column="name",
            locator=locator,
            border=border,
            prefix="river",
            split_every_m=prof["river"]["landing_spacing_km"] * 1000.0,
        )
        _add_lines(
            b,
            rivers,
            mode="river",
            source_of=dict(zip(region.rivers["river_id"], region.rivers["source"], strict=True)),
        )

    # --- connectors: roads and river landings to the lattice ------------
    max_conn = prof["connector"]["max_km"] * 1000.0
    lattice = LatticeAccess(cells, prof["offroad"])
    road_index = PointIndex.of_nodes(roads.nodes)
    river_index = PointIndex.of_nodes(rivers.nodes) if rivers is not None else None
    for nid, country in zip(roads.nodes.index, roads.nodes["country"], strict=True):
        b.access(lattice, nid, country=country)
    if rivers is not None:
        for nid, country in zip(rivers.nodes.index, rivers.nodes["country"], strict=True):
            b.access(lattice, nid, country=country)
            b.link(road_index, nid, country=country, max_m=max_conn)

    # --- gates, seaports, sea legs, origin, destinations -----------------
    left_out = gates[~gates["snap_plausible"]] if not prof["gate_link"]["include_unplaced"] else gates.iloc[:0]
    stats["gates_left_out"] = dict(zip(left_out["id"], left_out["snap_note"], strict=True))
    if len(left_out):
        log.info(
            "%d gates left out of the graph (cannot be placed plausibly): %s", len(left_out), ", ".join(left_out["id"])
        )
    routed = gates[~gates["id"].isin(left_out["id"])]
    log.info("linking %d gates", len(routed))
    stats["gates_unreached"] = add_gates(b, routed, roads=road_index, rivers=river_index, lattice=lattice)
    log.info("routing sea legs over sea cells")
    ports = region.seaports[region.seaports.geometry.notna()]
    add_seaports(b, ports, lattice=lattice, roads=road_index)
    stats["sea_legs"] = add_sea(
        b, terrain, grid, ports, region.world_ports, export_ports(region, prof), lattice=lattice
    )
    stats["origins"] = add_origins(b, region, lattice=lattice, roads=road_index, rivers=river_index)
    destinations = add_destinations(b, region, roads=road_index, lattice=lattice)

    # --- assemble -------------------------------------------------------
    log.info("assembling the graph (%d nodes, %d edges)", len(b.nodes), b.n_edges)
    rules = {CHINA_NODE: "CHN"} if CHINA_NODE in b.nodes else {}
    G = b.graph()
    stats["longest_link_m"] = _longest_links(G)
    stats["build_s"] = round(time.perf_counter() - t0, 2)
    set_graph_meta(
        G,
        GraphMeta(
            crs=STORAGE_CRS,
            origin=ORIGIN_NODE,
            destinations=destinations,
            profile=prof,
            no_entry_from=rules,
            build=stats,
        ),
    )
    log.info("route graph: %d nodes, %d edges in %.1f s", G.number_of_nodes(), G.number_of_edges(), stats["build_s"])
    return G


def check_profile_against_region(region: Region, profile: Profile) -> None:
    """Check the profile's names against the region's layers, before any work.

    Parameters
    ----------
    region
        The region.
    profile
        The cost profile.

    Raises
    ------
    ProfileError
        A ``[demand]`` city is not a Vietnamese place, a ``river.navigable``
        name matches no river, an export port is unknown or the port shares do
        not sum to 1, or an origin is misplaced (:func:`~borderwatch.network.endpoints.origin_points`).
    """
    problems = []
    names = set(region.rivers["name"].dropna().astype(str))
    for river in sorted(set(profile["river"]["navigable"]) - names):
        problems.append(
            f"key 'river.navigable' names {river!r}, which matches no river in layer 'rivers'; use names from its "
            f"'name' column, e.g. {', '.join(sorted(names)[:8])}"
        )
    places = set(region.places.loc[region.places["iso_a3"] == "VNM", "name"].str.casefold())
    for city in demand_cities(profile):
        if city.casefold() not in places:
            problems.append(
                f"key 'demand.{city}': {city!r} is not a destination; use export, China border or a Vietnamese place "
                "of layer 'places' (e.g. Hanoi, Hue, Can Tho)"
            )
    for check in (export_ports, origin_points):
        try:
            check(region, profile)
        except ProfileError as exc:
            problems.extend(line.removeprefix("  - ") for line in str(exc).splitlines()[1:])
    if problems:
        raise ProfileError(f"cost profile problems ({profile.source}):\n" + "\n".join(f"  - {p}" for p in problems))


def _add_lattice(b: EdgeBuilder, lattice: Lattice) -> None:
    e = lattice_edges(lattice, b.profile)
    src, dst = e["src"], e["dst"]
    flon, flat_ = lattice.lon, lattice.lat
    geoms = shapely.linestrings(
        np.stack([np.column_stack([flon[src], flat_[src]]), np.column_stack([flon[dst], flat_[dst]])], axis=1)
    )
    u, v = lattice.ids[src], lattice.ids[dst]
    informal = e["informal"]
    columns = {
        "crossing": np.where(informal, "informal", None).astype(object),
        "border": np.where(informal, e["border"], None).astype(object),
    }
    source = np.where(
        lattice.fine[src] | lattice.fine[dst],
        "terrain lattice, border band (DEM ETOPO5 interpolated bilinearly, Tobler)",
        "terrain lattice (DEM ETOPO5, Tobler)",
    ).astype(object)
    b.edges(
        u,
        v,
        mode="offroad",
        length_m=e["length_m"],
        time_h=e["time_h"],
        exposure=e["exposure"],
        geometry=geoms,
        source=source,
        **columns,
    )
    # leaving Vietnam into China off-road also reaches the China-border destination
    out = np.flatnonzero(informal & (e["src_iso"] == "VNM") & (e["dst_iso"] == "CHN"))
    b.edges(
        u[out],
        np.full(len(out), CHINA_NODE, dtype=object),
        mode="offroad",
        length_m=e["length_m"][out],
        time_h=e["time_h"][out],
        exposure=e["exposure"][out],
        geometry=geoms[out],
        source=source[out],
        crossing="informal",
        border="CHN",
    )


def _add_lines(b: EdgeBuilder, noded: NodedLines, *, mode: str, source_of: dict[str, str]) -> None:
    prof = b.profile
    for nid, lon, lat, country in zip(
        noded.nodes.index, noded.nodes["lon"], noded.nodes["lat"], noded.nodes["country"], strict=True
    ):
        b.node(nid, lon, lat, mode, country)
    p = noded.pieces
    km = p["length_m"].to_numpy() / 1000.0
    if mode == "road":
        speeds, default = prof["road"]["speed_kmh"], prof["road"]["default_speed_kmh"]
        speed = np.array([speeds.get(c, default) for c in p["line_class"]], dtype=float)
        rate = prof["road"]["exposure_per_km"]
    else:
        speed, rate = prof["river"]["speed_kmh"], prof["river"]["exposure_per_km"]
    b.edges(
        p["u"].to_numpy(),
        p["v"].to_numpy(),
        mode=mode,
        length_m=p["length_m"].to_numpy(),
        time_h=km / speed,
        exposure=np.minimum(1.0, km * rate),
        geometry=p.geometry.to_numpy(),
        source=np.array([source_of.get(i, "") for i in p["line_id"]], dtype=object),
        both=True,
        line_id=p["line_id"].to_numpy(dtype=object),
        line_class=p["line_class"].to_numpy(dtype=object),
    )


def _cut_at_barriers(rivers: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    """River lines without the stretches within ``river.barrier_radius_km`` of a barrier (falls, rapids)."""
    barriers = profile["river"]["barriers"]
    if not barriers or rivers.empty:
        return rivers
    radius = profile["river"]["barrier_radius_km"] * 1000.0
    holes = shapely.union_all([to_metres(shapely.Point(*p)).buffer(radius) for p in barriers])
    cut = to_degrees(shapely.difference(to_metres(rivers.geometry.values), holes))
    out = rivers.assign(geometry=cut)
    return out[~out.geometry.is_empty]


def _longest_links(G: nx.MultiDiGraph) -> dict[str, float]:
    """Longest connector and lattice-access edge, by the kinds of node they join (m)."""
    kind = dict(G.nodes(data="kind"))
    out: dict[str, float] = {}
    for u, v, d in G.edges(data=True):
        if d["mode"] == "connector" or d.get("access"):
            key = ("access " if d.get("access") else "connector ") + "-".join(
                sorted({kind[u], kind[v]} - {"cell"}) or ["cell"]
            )
            out[key] = round(max(out.get(key, 0.0), d["length_m"]), 1)
    return dict(sorted(out.items()))


def _components(pieces: gpd.GeoDataFrame) -> dict[str, int]:
    g = nx.Graph()
    g.add_edges_from(zip(pieces["u"], pieces["v"], strict=True))
    sizes = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
    return {
        "components": len(sizes),
        "largest_nodes": sizes[0] if sizes else 0,
        "nodes_outside_largest_two": sum(sizes[2:]),
    }
