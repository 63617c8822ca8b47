"""Sea legs: shortest sea paths on the DEM's sea cells from Vietnamese ports overseas.

Sea cells are DEM cells whose centre lies in no country polygon.  Each port is
attached to its nearest sea cell; the path between two ports is the shortest
8-neighbour path over sea cells (scipy.sparse.csgraph Dijkstra), so sea legs
go round the land instead of across it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ..geodesy import geodesic_length_m, lonlat_to_metres
from ..io import Terrain
from .terrain import CountryGrid, grid_adjacency


@dataclass
class SeaLeg:
    """One sea path between two ports."""

    origin: str
    destination: str
    geometry: LineString
    length_m: float


def sea_legs(
    terrain: Terrain, grid: CountryGrid, origins: dict[str, tuple[float, float]], destinations: dict[str, tuple[float, float]], *, max_attach_m: float = 60000.0
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


__all__ = ["SeaLeg", "sea_legs"]
