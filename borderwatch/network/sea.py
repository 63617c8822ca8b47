"""Sea legs: shortest sea paths on the DEM's sea cells from Vietnamese ports overseas.

Vietnamese seaports join the network here; sea edges run from each to the
overseas World Port Index ports of the profile's harbour sizes (export) and to
the other Vietnamese ports (coastal legs, e.g. to Phu Quoc island).

Sea cells are DEM cells whose centre lies in no country polygon.  Each port is
attached to its nearest sea cell; the path between two ports is the shortest
8-neighbour path over sea cells (scipy.sparse.csgraph Dijkstra), so sea legs
go round the land instead of across it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ..geodesy import geodesic_length_m, lonlat_to_metres
from ..region import Terrain
from .builder import EdgeBuilder
from .contract import EXPORT_NODE, overseas_node, port_node
from .lattice import CountryGrid, LatticeAccess, grid_adjacency
from .nearest import PointIndex


@dataclass
class SeaLeg:
    """One sea path between two ports."""

    origin: str
    destination: str
    geometry: LineString
    length_m: float


def sea_legs(
    terrain: Terrain,
    grid: CountryGrid,
    origins: dict[str, tuple[float, float]],
    destinations: dict[str, tuple[float, float]],
    *,
    max_attach_m: float = 60000.0,
) -> list[SeaLeg]:
    """Shortest sea paths from every origin port to every destination port.

    Parameters
    ----------
    terrain, grid
        DEM and its country grid (sea = cells with code -1).
    origins, destinations
        Port id -> (lon, lat).
    max_attach_m
        A port farther than this from any sea cell gets no legs.

    Returns
    -------
    list of SeaLeg
        One per reachable origin-destination pair.
    """
    sea = grid.code < 0
    src, dst, length = grid_adjacency(terrain, sea)
    n = sea.size
    matrix = scipy.sparse.csr_matrix((length, (src, dst)), shape=(n, n))
    lon, lat = terrain.cell_centres()
    sea_flat = np.flatnonzero(sea.ravel())
    tree = cKDTree(lonlat_to_metres(lon.ravel()[sea_flat], lat.ravel()[sea_flat]))

    def attach(points: dict[str, tuple[float, float]]) -> dict[str, int]:
        out = {}
        for pid, (x, y) in points.items():
            d, i = tree.query(lonlat_to_metres(np.array([x]), np.array([y]))[0])
            if d <= max_attach_m:
                out[pid] = int(sea_flat[i])
        return out

    o_cells, d_cells = attach(origins), attach(destinations)
    if not o_cells or not d_cells:
        return []
    starts = sorted(set(o_cells.values()))
    dist, pred = scipy.sparse.csgraph.dijkstra(matrix, directed=True, indices=starts, return_predecessors=True)
    row_of = {c: i for i, c in enumerate(starts)}
    legs = []
    flon, flat_ = lon.ravel(), lat.ravel()
    for oid, ocell in o_cells.items():
        row = row_of[ocell]
        for did, dcell in d_cells.items():
            if not np.isfinite(dist[row, dcell]):
                continue
            cells = [dcell]
            while cells[-1] != ocell:
                cells.append(int(pred[row, cells[-1]]))
            cells.reverse()
            coords = [origins[oid], *zip(flon[cells], flat_[cells], strict=True), destinations[did]]
            line = LineString(coords)
            legs.append(SeaLeg(oid, did, line, geodesic_length_m(line)))
    return legs


def add_seaports(b: EdgeBuilder, ports: gpd.GeoDataFrame, *, lattice: LatticeAccess, roads: PointIndex) -> None:
    """Add every placed Vietnamese seaport, linked to the lattice and the roads.

    Parameters
    ----------
    b
        The graph under construction.
    ports
        Placed seaports (layer ``seaports`` with a geometry).
    lattice
        The terrain lattice every port joins.
    roads
        Road nodes a port may link to by a connector.
    """
    max_conn = b.profile["connector"]["max_km"] * 1000.0
    for _, port in ports.iterrows():
        pid = b.node(
            port_node(port["id"]),
            port.geometry.x,
            port.geometry.y,
            "seaport",
            "VNM",
            name=port["name"],
            port_id=port["id"],
        )
        b.access(lattice, pid, country="VNM")
        b.link(roads, pid, country="VNM", max_m=max_conn)


def add_sea(
    b: EdgeBuilder, terrain: Terrain, grid: CountryGrid, ports: gpd.GeoDataFrame, world_ports: gpd.GeoDataFrame
) -> int:
    """Add the overseas ports, the export sink and every sea leg.

    Parameters
    ----------
    b
        The graph under construction (seaports already added).
    terrain, grid
        DEM and country grid (sea = no country).
    ports
        Placed Vietnamese seaports.
    world_ports
        Layer ``world_ports``.

    Returns
    -------
    int
        Number of sea legs added.
    """
    sea = b.profile["sea"]
    overseas = world_ports[
        (world_ports["country_code"] != "Vietnam") & world_ports["harbor_size"].isin(sea["overseas_harbor_sizes"])
    ]
    origins = {port_node(p["id"]): (p.geometry.x, p.geometry.y) for _, p in ports.iterrows()}
    dests = {}
    for _, w in overseas.iterrows():
        nid = b.node(
            overseas_node(w["port_id"]),
            w.geometry.x,
            w.geometry.y,
            "overseas",
            "",
            name=f"{w['name']} ({w['country_code']})",
        )
        dests[nid] = (w.geometry.x, w.geometry.y)
        b.node(EXPORT_NODE, w.geometry.x, w.geometry.y, "destination", "", name="export (any overseas port)")
        b.connector(nid, EXPORT_NODE, both=False)
    legs = [leg for leg in sea_legs(terrain, grid, origins, {**dests, **origins}) if leg.origin != leg.destination]
    for leg in legs:
        km = leg.length_m / 1000.0
        coastal = leg.destination.startswith("port:")
        dwell = sea["coastal_dwell_h"] if coastal else sea["port_dwell_h"]
        b.edge(
            leg.origin,
            leg.destination,
            mode="sea",
            length_m=leg.length_m,
            time_h=dwell + km / sea["speed_kmh"],
            exposure=sea["exposure"],
            geometry=leg.geometry,
            source="sea path over ETOPO5 sea cells; ports NGA WPI / borderwatch seaports",
            sea_leg="coastal" if coastal else "export",
        )
    return len(legs)
