"""Sea legs from Vietnamese seaports: export overseas, coastal hops, island ferries.

Vietnamese seaports join the network here.  Sea edges run from each port:

- to every overseas World Port Index port inside the region of the profile's
  harbour sizes, along the shortest path over the DEM's sea cells;
- to every export destination the profile names (``[export] destinations``,
  World Port Index ports anywhere: Manila, Kao-Hsiung, Hong Kong ...).  The DEM
  covers only the region, so such a leg runs over sea cells to the sea cell on
  the region's edge that makes it shortest, then on the great circle to the
  port, lengthened by ``export.beyond_box_factor`` for land in the way: an
  approximation, stated as such;
- from a mainland port to its two nearest mainland ports by sea (coastal legs
  follow the coast from neighbour to neighbour, no 600-1,100 km jumps);
- an island port (one whose land is not the mainland's) is reached by a ferry
  leg from the nearest mainland Vietnamese coast cell (Phu Quoc from the Ha Tien
  coast), not by coastal legs.

Every named export destination joins the ``export`` sink by a zero-cost link,
so a route to ``export`` ends at the destination that is cheapest to reach.

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
from shapely.geometry import LineString

from ..geodesy import distance_m, geodesic_length_m
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


class SeaGrid:
    """Shortest paths over the DEM's sea cells from a set of origin ports.

    Parameters
    ----------
    terrain, grid
        DEM and its country grid (sea = cells with code -1).
    origins
        Port id -> (lon, lat) of the ports legs start from.
    max_attach_m
        A port farther than this from any sea cell gets no legs.
    """

    def __init__(
        self,
        terrain: Terrain,
        grid: CountryGrid,
        origins: dict[str, tuple[float, float]],
        *,
        max_attach_m: float = 60000.0,
    ) -> None:
        sea = grid.code < 0
        src, dst, length = grid_adjacency(terrain, sea)
        n = sea.size
        matrix = scipy.sparse.csr_matrix((length, (src, dst)), shape=(n, n))
        lon, lat = terrain.cell_centres()
        self._lon, self._lat = lon.ravel(), lat.ravel()
        flat = np.flatnonzero(sea.ravel())
        self._sea = PointIndex(flat, self._lon[flat], self._lat[flat], [""] * len(flat))
        self._max_attach_m = max_attach_m
        self.origins = origins
        self._cell = self.attach(origins)
        starts = sorted(set(self._cell.values()))
        self._row = {c: i for i, c in enumerate(starts)}
        if starts:
            self._dist, self._pred = scipy.sparse.csgraph.dijkstra(
                matrix, directed=True, indices=starts, return_predecessors=True
            )
        edge = np.zeros(sea.shape, dtype=bool)
        edge[[0, -1], :] = True
        edge[:, [0, -1]] = True
        self._exits = np.flatnonzero((edge & sea).ravel())

    def attach(self, points: dict[str, tuple[float, float]]) -> dict[str, int]:
        """Nearest sea cell (flat index) of each point within the attach distance."""
        if not points:
            return {}
        xy = np.array(list(points.values()), dtype=float)
        cells = self._sea.nearest_ids(xy[:, 0], xy[:, 1], max_m=self._max_attach_m)
        return {pid: int(c) for pid, c in zip(points, cells, strict=True) if c is not None}

    def _path(self, oid: str, cell: int) -> list[tuple[float, float]] | None:
        row = self._row[self._cell[oid]]
        if not np.isfinite(self._dist[row, cell]):
            return None
        cells = [cell]
        while cells[-1] != self._cell[oid]:
            cells.append(int(self._pred[row, cells[-1]]))
        cells.reverse()
        return list(zip(self._lon[cells], self._lat[cells], strict=True))

    def legs_to(self, destinations: dict[str, tuple[float, float]]) -> list[SeaLeg]:
        """Sea paths from every origin to every destination inside the region.

        Parameters
        ----------
        destinations
            Port id -> (lon, lat).

        Returns
        -------
        list of SeaLeg
        """
        legs = []
        cells = self.attach(destinations)
        for oid in self._cell:
            for did, cell in cells.items():
                path = self._path(oid, cell) if did != oid else None
                if path is not None:
                    line = LineString([self.origins[oid], *path, destinations[did]])
                    legs.append(SeaLeg(oid, did, line, geodesic_length_m(line)))
        return legs

    def legs_beyond(self, destinations: dict[str, tuple[float, float]], *, factor: float) -> list[SeaLeg]:
        """Legs from every origin to ports outside the region, through the best edge cell.

        Parameters
        ----------
        destinations
            Port id -> (lon, lat), anywhere on Earth.
        factor
            Multiplier of the great-circle part (land in the way).

        Returns
        -------
        list of SeaLeg
            ``length_m`` = sea path to the edge cell + ``factor`` x great circle.
        """
        legs = []
        for oid in self._cell:
            row = self._row[self._cell[oid]]
            inside = self._dist[row, self._exits]
            for did, (x, y) in destinations.items():
                beyond = factor * distance_m(self._lon[self._exits], self._lat[self._exits], x, y)
                total = inside + beyond
                best = int(np.argmin(total))
                if not np.isfinite(total[best]):
                    continue
                path = self._path(oid, int(self._exits[best]))
                line = LineString([self.origins[oid], *path, (x, y)])
                legs.append(SeaLeg(oid, did, line, float(inside[best] + beyond[best])))
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
        Road nodes a port may link to by a connector, or (none within
        ``connector.max_km``) by a port access road of ``sea.port_road_km``
        at most.
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
        if not b.link(roads, pid, country="VNM", max_m=max_conn):
            _port_road(b, roads, pid)


def _port_road(b: EdgeBuilder, roads: PointIndex, pid: str) -> None:
    """Join a port no road reaches within ``connector.max_km`` to the nearest road node by a port access road.

    A container port is reached by trucks: when the road layer stops short of
    it (Cát Lái's terminal road is not in the shipped roads), a straight road
    edge at ``road.default_speed_kmh`` stands for the missing access road, so
    its containers do not walk the last kilometres over the terrain lattice.
    """
    node = b.nodes[pid]
    limit = b.profile["sea"]["port_road_km"] * 1000.0
    hit = roads.nearest(node["x"], node["y"], country="VNM", max_m=limit) if limit > 0 else None
    if hit is None:
        return
    road = b.nodes[hit[0]]
    km = hit[1] / 1000.0
    speed = b.profile["road"]["default_speed_kmh"]
    b.edge(
        pid,
        hit[0],
        mode="road",
        length_m=hit[1],
        time_h=km / speed,
        exposure=min(1.0, km * b.profile["road"]["exposure_per_km"]),
        geometry=LineString([(node["x"], node["y"]), (road["x"], road["y"])]),
        source="borderwatch port access road (no road of the road layer within connector.max_km)",
        both=True,
    )


def add_sea(
    b: EdgeBuilder,
    terrain: Terrain,
    grid: CountryGrid,
    ports: gpd.GeoDataFrame,
    world_ports: gpd.GeoDataFrame,
    export_ports: gpd.GeoDataFrame,
    *,
    lattice: LatticeAccess,
) -> dict[str, int]:
    """Add overseas ports, export destinations, the export sink and every sea leg.

    Parameters
    ----------
    b
        The graph under construction (seaports already added).
    terrain, grid
        DEM and country grid (sea = no country).
    ports
        Placed Vietnamese seaports.
    world_ports
        Layer ``world_ports`` (ports inside the region).
    export_ports
        The profile's export destinations: rows of layer ``ports_worldwide``
        with a ``label`` column (``"Manila (Philippines)"``).
    lattice
        The terrain lattice (island ferries start at its mainland coast).

    Returns
    -------
    dict
        Legs added by kind: ``export`` (inside the region), ``export_beyond``,
        ``coastal``, ``ferry``.
    """
    sea = b.profile["sea"]
    inside = world_ports[
        (world_ports["country_code"] != "Vietnam") & world_ports["harbor_size"].isin(sea["overseas_harbor_sizes"])
    ]
    origins = {port_node(p["id"]): (p.geometry.x, p.geometry.y) for _, p in ports.iterrows()}
    near = {}
    for _, w in inside.iterrows():
        nid = b.node(
            overseas_node(w["port_id"]),
            w.geometry.x,
            w.geometry.y,
            "overseas",
            "",
            name=f"{w['name']} ({w['country_code']})",
        )
        near[nid] = (w.geometry.x, w.geometry.y)
    far = {}
    for _, w in export_ports.iterrows():
        nid = b.node(
            overseas_node(w["port_id"]), w.geometry.x, w.geometry.y, "overseas", "", name=w["label"], export=True
        )
        far[nid] = (w.geometry.x, w.geometry.y)
    if far:
        b.node(
            EXPORT_NODE,
            float(np.mean([x for x, _ in far.values()])),
            float(np.mean([y for _, y in far.values()])),
            "destination",
            "",
            name="export (the cheapest named export destination)",
        )
        for nid in far:  # zero-cost: the export cost of a port is its own route cost
            x, y = far[nid]
            b.edge(
                nid,
                EXPORT_NODE,
                mode="connector",
                length_m=0.0,
                time_h=0.0,
                exposure=0.0,
                geometry=LineString([(x, y), (x, y)]),
                source="borderwatch export sink",
            )
    grid_sea = SeaGrid(terrain, grid, origins)
    counts = {}
    counts["export"] = _add_legs(b, grid_sea.legs_to(near), kind="export", dwell_h=sea["port_dwell_h"])
    beyond = grid_sea.legs_beyond(far, factor=b.profile["export"]["beyond_box_factor"])
    counts["export_beyond"] = _add_legs(b, beyond, kind="export_beyond", dwell_h=sea["port_dwell_h"])
    mainland = {pid for pid, (x, y) in origins.items() if lattice.on_mainland(x, y, "VNM")}
    coastal = [leg for leg in grid_sea.legs_to(origins) if leg.origin in mainland and leg.destination in mainland]
    nearest = []
    for oid in mainland:
        mine = sorted((leg for leg in coastal if leg.origin == oid), key=lambda leg: leg.length_m)[:2]
        nearest.extend(mine)
    pairs = {(leg.origin, leg.destination) for leg in nearest}
    both_ways = [
        leg for leg in coastal if (leg.origin, leg.destination) in pairs or (leg.destination, leg.origin) in pairs
    ]
    counts["coastal"] = _add_legs(b, both_ways, kind="coastal", dwell_h=sea["coastal_dwell_h"])
    islands = ports[[port_node(p) not in mainland for p in ports["id"]]]
    counts["ferry"] = _add_ferries(b, islands, lattice=lattice, dwell_h=sea["coastal_dwell_h"])
    return counts


def _add_legs(b: EdgeBuilder, legs: list[SeaLeg], *, kind: str, dwell_h: float) -> int:
    sea = b.profile["sea"]
    for leg in legs:
        b.edge(
            leg.origin,
            leg.destination,
            mode="sea",
            length_m=leg.length_m,
            time_h=dwell_h + leg.length_m / 1000.0 / sea["speed_kmh"],
            exposure=sea["exposure"],
            geometry=leg.geometry,
            source="sea path over ETOPO5 sea cells"
            + ("; beyond the region: great circle x export.beyond_box_factor" if kind == "export_beyond" else "")
            + "; ports NGA WPI / borderwatch seaports",
            sea_leg=kind,
        )
    return len(legs)


def _add_ferries(b: EdgeBuilder, islands: gpd.GeoDataFrame, *, lattice: LatticeAccess, dwell_h: float) -> int:
    """Island ports: a straight ferry leg both ways from the nearest mainland Vietnamese land cell."""
    mainland = lattice.mainland("VNM")
    sea = b.profile["sea"]
    added = 0
    for _, p in islands.iterrows():
        pid = port_node(p["id"])
        hit = mainland.nearest(p.geometry.x, p.geometry.y)
        if hit is None:
            continue
        cell = b.nodes[hit[0]]
        line = LineString([(cell["x"], cell["y"]), (p.geometry.x, p.geometry.y)])
        length = geodesic_length_m(line)
        for u, v, g in ((hit[0], pid, line), (pid, hit[0], LineString(line.coords[::-1]))):
            b.edge(
                u,
                v,
                mode="sea",
                length_m=length,
                time_h=dwell_h + length / 1000.0 / sea["speed_kmh"],
                exposure=sea["exposure"],
                geometry=g,
                source="ferry from the nearest mainland coast (straight line)",
                sea_leg="ferry",
            )
            added += 1
    return added
