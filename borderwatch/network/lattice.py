"""The terrain lattice: off-road movement on the DEM grid.

Every land cell of the DEM is a node; each is joined to its 8 neighbours.  The
travel speed follows Tobler's hiking function of the slope between the two
cell centres, scaled by a load factor; the lattice path is lengthened by a
detour factor because real tracks wind.  Sea cells (no country polygon at the
cell centre) are impassable on land and form the sea lattice used to draw sea
legs.  Lengths are geodesic between cell centres.  An off-road edge between
Vietnam and a neighbour is an informal border crossing and carries the
profile's ``[informal_crossing]`` delay and exposure.

The lattice can be finer than the DEM: profile ``lattice.refine = k`` resamples
the DEM (bilinear, :func:`refine_terrain`) to cells k times smaller along each
axis, about k² times the edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio.features
import rasterio.fill
import rasterio.warp
import scipy.sparse
import scipy.sparse.csgraph

from ..geodesy import distance_m
from ..region import Terrain
from ..schema import NEIGHBOURS, STORAGE_CRS
from .contract import cell_flat, cell_node

#: (row, col) steps to the 8 neighbours.
NEIGHBOUR_STEPS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass
class CountryGrid:
    """Country of every DEM cell centre.

    Attributes
    ----------
    code
        2-D int array: index into ``iso`` or -1 for sea.
    iso
        ISO alpha-3 codes, in index order.
    """

    code: np.ndarray
    iso: list[str]

    def iso_of(self, flat: np.ndarray) -> np.ndarray:
        """ISO codes of flat cell indices ('' for sea)."""
        lookup = np.array([*self.iso, ""], dtype=object)
        return lookup[self.code.ravel()[flat]]


def country_grid(terrain: Terrain, countries: gpd.GeoDataFrame) -> CountryGrid:
    """Rasterise the country polygons onto the DEM grid (cell-centre rule)."""
    iso = list(countries["iso_a3"])
    shapes = ((geom, i) for i, geom in enumerate(countries.geometry))
    code = rasterio.features.rasterize(
        shapes, out_shape=terrain.shape, transform=terrain.transform, fill=-1, dtype="int32"
    )
    return CountryGrid(code=code, iso=iso)


def tobler_speed_kmh(slope: np.ndarray, *, peak_speed_kmh: float = 6.0, load_factor: float = 1.0) -> np.ndarray:
    """Tobler's hiking function: ``peak * exp(-3.5 |slope + 0.05|)`` times ``load_factor``.

    Parameters
    ----------
    slope
        Rise over run (dimensionless, signed: positive uphill).
    peak_speed_kmh
        Speed on a gentle downhill of 5 % (km/h).
    load_factor
        Multiplier for a load (porter, motorbike on tracks).

    Returns
    -------
    numpy.ndarray
        Speed in km/h.
    """
    return peak_speed_kmh * load_factor * np.exp(-3.5 * np.abs(np.asarray(slope) + 0.05))


def grid_adjacency(terrain: Terrain, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed 8-neighbour pairs between cells where ``mask`` is true.

    Returns
    -------
    src, dst, length_m
        Flat cell indices and the geodesic distance between cell centres.
    """
    nrows, ncols = mask.shape
    lon, lat = terrain.cell_centres()
    src_parts, dst_parts = [], []
    for dr, dc in NEIGHBOUR_STEPS:
        r0, r1 = max(0, -dr), nrows - max(0, dr)
        c0, c1 = max(0, -dc), ncols - max(0, dc)
        a = mask[r0:r1, c0:c1] & mask[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        rr, cc = np.nonzero(a)
        rr, cc = rr + r0, cc + c0
        src_parts.append(rr * ncols + cc)
        dst_parts.append((rr + dr) * ncols + (cc + dc))
    src = np.concatenate(src_parts)
    dst = np.concatenate(dst_parts)
    flon, flat_ = lon.ravel(), lat.ravel()
    return src, dst, distance_m(flon[src], flat_[src], flon[dst], flat_[dst])


def fill_land_gaps(terrain: Terrain, grid: CountryGrid) -> tuple[Terrain, int]:
    """Fill NaN (nodata) DEM cells on land from their valid neighbours.

    Parameters
    ----------
    terrain, grid
        The DEM and its country grid.

    Returns
    -------
    terrain, filled
        A DEM without NaN on land (interpolated with ``rasterio.fill.fillnodata``)
        and how many land cells were filled (0: ``terrain`` itself).
    """
    gaps = ~np.isfinite(terrain.elevation_m) & (grid.code >= 0)
    if not gaps.any():
        return terrain, 0
    valid = np.isfinite(terrain.elevation_m)
    filled = rasterio.fill.fillnodata(
        np.where(valid, terrain.elevation_m, 0.0), mask=valid.astype("uint8"), max_search_distance=1e6
    )
    elevation = np.where(gaps, filled, terrain.elevation_m)
    return Terrain(elevation_m=elevation, transform=terrain.transform, crs=terrain.crs, path=terrain.path), int(
        gaps.sum()
    )


def refine_terrain(terrain: Terrain, factor: int) -> Terrain:
    """Resample a DEM to cells ``factor`` times smaller along each axis (bilinear).

    Parameters
    ----------
    terrain
        The DEM (EPSG:4326).
    factor
        Integer >= 1; 1 returns ``terrain`` itself.

    Returns
    -------
    Terrain
        Same extent, ``factor`` times the rows and columns.
    """
    if factor == 1:
        return terrain
    rows, cols = terrain.shape
    out = np.full((rows * factor, cols * factor), np.nan)
    transform = terrain.transform @ terrain.transform.scale(1.0 / factor)
    rasterio.warp.reproject(
        terrain.elevation_m,
        out,
        src_transform=terrain.transform,
        src_crs=STORAGE_CRS,
        dst_transform=transform,
        dst_crs=STORAGE_CRS,
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=rasterio.warp.Resampling.bilinear,
    )
    return Terrain(elevation_m=out, transform=transform, crs=terrain.crs, path=terrain.path)


def informal_crossings(src_iso: np.ndarray, dst_iso: np.ndarray) -> np.ndarray:
    """Which lattice edges cross Vietnam's land border (Vietnam <-> a neighbour).

    Parameters
    ----------
    src_iso, dst_iso
        Country of each edge's two cells.

    Returns
    -------
    numpy.ndarray
        Boolean mask.
    """
    neighbour = np.isin(src_iso, NEIGHBOURS), np.isin(dst_iso, NEIGHBOURS)
    return ((src_iso == "VNM") & neighbour[1]) | ((dst_iso == "VNM") & neighbour[0])


def lattice_edges(terrain: Terrain, grid: CountryGrid, profile: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Off-road edges with the informal-crossing delay and exposure applied.

    Parameters
    ----------
    terrain, grid
        The (refined) DEM and its country grid.
    profile
        A cost profile (tables ``offroad`` and ``informal_crossing``).

    Returns
    -------
    dict of numpy.ndarray
        As :func:`offroad_edges`, plus ``informal`` (bool) and ``border``
        (the neighbour's ISO code on informal edges, else "").
    """
    e = offroad_edges(terrain, grid, profile["offroad"])
    informal = informal_crossings(e["src_iso"], e["dst_iso"])
    crossing = profile["informal_crossing"]
    e["time_h"] = np.where(informal, e["time_h"] + crossing["delay_h"], e["time_h"])
    e["exposure"] = np.where(informal, np.minimum(1.0, e["exposure"] + crossing["exposure"]), e["exposure"])
    e["informal"] = informal
    e["border"] = np.where(informal, np.where(e["src_iso"] == "VNM", e["dst_iso"], e["src_iso"]), "")
    return e


class LatticeAccess:
    """Join a point to the terrain lattice the way the lattice itself moves: over the slope.

    A point (a road node, a gate side, a port, a city, the origin) is joined to
    the nearest lattice cell of its own country by an off-road edge whose time
    follows Tobler's function of the slope between the point's and the cell's
    elevation (DEM cell values), lengthened by the detour factor, with the
    off-road exposure: never a straight line at a flat speed.

    Parameters
    ----------
    terrain
        The (refined, gap-filled) DEM the lattice was built on.
    cells
        Index of the lattice cells (ids, positions, countries).
    offroad
        The profile's ``[offroad]`` table.
    grid
        The lattice's country grid.
    """

    def __init__(self, terrain: Terrain, grid: CountryGrid, cells, offroad: Mapping[str, Any]) -> None:
        self.terrain = terrain
        self.grid = grid
        self.cells = cells
        self.offroad = offroad
        self._elevation = np.nan_to_num(terrain.elevation_m, nan=0.0).clip(min=0.0)
        self._inverse = ~terrain.transform
        lon, lat = terrain.cell_centres()
        self._cell_lon, self._cell_lat = lon.ravel(), lat.ravel()
        # a point on land lies within one cell diagonal of a cell centre of its country
        r, c = (s // 2 for s in terrain.shape)
        self.max_m = float(distance_m(lon[r, c], lat[r, c], lon[r + 1, c + 1], lat[r + 1, c + 1]))
        self._pieces: dict[str, tuple[np.ndarray, int]] = {}

    def _components(self, country: str) -> tuple[np.ndarray, int]:
        """Label the connected pieces of a country's land cells (-1 elsewhere); return labels and the largest."""
        if country not in self._pieces:
            self._pieces[country] = self._label(country)
        return self._pieces[country]

    def _label(self, country: str) -> tuple[np.ndarray, int]:
        own = (
            self.grid.code == self.grid.iso.index(country)
            if country in self.grid.iso
            else np.zeros(self.grid.code.shape, bool)
        )
        src, dst, _ = grid_adjacency(self.terrain, own)
        n = own.size
        graph = scipy.sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
        labels = np.where(own.ravel(), labels, -1)
        sizes = np.bincount(labels[labels >= 0])
        return labels, int(np.argmax(sizes)) if len(sizes) else -1

    def mainland(self, country: str):
        """Index of the cells of a country's largest connected piece of land (its mainland)."""
        from .nearest import PointIndex

        labels, big = self._components(country)
        flat = np.flatnonzero(labels == big)
        return PointIndex(
            [cell_node(f) for f in flat], self._cell_lon[flat], self._cell_lat[flat], [country] * len(flat)
        )

    def on_mainland(self, lon: float, lat: float, country: str) -> bool:
        """Whether a point's nearest cell of ``country`` (within one cell diagonal) is on its mainland."""
        hit = self.cells.nearest(lon, lat, country=country, max_m=self.max_m)
        if hit is None:
            return False
        labels, big = self._components(country)
        return bool(labels[cell_flat(hit[0])] == big)

    def elevation_m(self, lon: float, lat: float) -> float:
        """DEM elevation (m, sea level 0) of the cell containing a point."""
        col, row = self._inverse @ (lon, lat)
        r = int(np.clip(np.floor(row), 0, self._elevation.shape[0] - 1))
        c = int(np.clip(np.floor(col), 0, self._elevation.shape[1] - 1))
        return float(self._elevation[r, c])

    def edge(
        self, lon: float, lat: float, *, country: str | None, outbound: bool
    ) -> tuple[str, dict[str, float]] | None:
        """Find the lattice cell to join a point to, and the off-road edge's figures.

        Parameters
        ----------
        lon, lat
            The point.
        country
            Join only a cell of this country (``None``: any).
        outbound
            Direction: point -> cell (True) or cell -> point (False); slope is signed.

        Returns
        -------
        tuple or None
            (cell node id, ``{"length_m", "time_h", "exposure"}``), or None when
            no cell of the country lies within one cell diagonal (the point is
            not on the lattice's land, e.g. a small island).
        """
        hit = self.cells.nearest(lon, lat, country=country, max_m=self.max_m)
        if hit is None:
            return None
        cell_id, _ = hit
        flat = cell_flat(cell_id)
        cx, cy = self._cell_lon[flat], self._cell_lat[flat]
        straight = max(float(distance_m(lon, lat, cx, cy)), 1.0)
        rise = float(self._elevation.ravel()[flat]) - self.elevation_m(lon, lat)
        slope = (rise if outbound else -rise) / straight
        speed = float(
            tobler_speed_kmh(
                slope, peak_speed_kmh=self.offroad["peak_speed_kmh"], load_factor=self.offroad["load_factor"]
            )
        )
        km = straight / 1000.0 * self.offroad["detour_factor"]
        return cell_id, {
            "length_m": km * 1000.0,
            "time_h": km / speed,
            "exposure": min(1.0, km * self.offroad["exposure_per_km"]),
        }


def offroad_edges(terrain: Terrain, grid: CountryGrid, offroad: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Off-road lattice edges over land cells with their time and exposure.

    Parameters
    ----------
    terrain, grid
        The DEM and its country grid.
    offroad
        The ``[offroad]`` table of a cost profile.

    Returns
    -------
    dict of numpy.ndarray
        ``src``, ``dst`` (flat cell indices), ``length_m``, ``time_h``,
        ``exposure``, ``slope``, ``src_iso``, ``dst_iso``.
    """
    land = grid.code >= 0
    src, dst, length_m = grid_adjacency(terrain, land)
    elev = np.nan_to_num(terrain.elevation_m, nan=0.0).clip(min=0.0).ravel()
    slope = (elev[dst] - elev[src]) / length_m
    speed = tobler_speed_kmh(slope, peak_speed_kmh=offroad["peak_speed_kmh"], load_factor=offroad["load_factor"])
    km = length_m / 1000.0 * offroad["detour_factor"]
    return {
        "src": src,
        "dst": dst,
        "length_m": length_m * offroad["detour_factor"],
        "time_h": km / speed,
        "exposure": np.minimum(1.0, km * offroad["exposure_per_km"]),
        "slope": slope,
        "src_iso": grid.iso_of(src),
        "dst_iso": grid.iso_of(dst),
    }
