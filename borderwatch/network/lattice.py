"""The terrain lattice: off-road movement on the DEM grid, finer in a band along the border.

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

**The border band** (``lattice.band_km``, ``lattice.band_refine``): every
lattice cell whose centre lies within ``band_km`` of Vietnam's land border
(the LAO, CHN and KHM borderlines, both sides of the line) is replaced by
``band_refine`` x ``band_refine`` band cells, whose elevations are the DEM
interpolated bilinearly (:func:`border_band`).  The band refines distances,
crossing positions and the reach of short patrols; it does not add terrain
detail: the elevations are still those of the DEM, only interpolated.  Band
cells are joined to their 8 band neighbours, and a band cell on the band's
edge to every remaining lattice cell whose footprint it touches
(:func:`build_lattice`), so the lattice is seamless: no cell is joined twice,
and lengths and slopes of the joining edges run between the two cell centres.
A band cell's node id names the lattice cell it lies in and its place in that
cell's block (:func:`band_node`, ``cell:<flat>:<sub>``); the other cells keep
``cell:<flat>``.
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
import shapely

from ..geodesy import distance_m, lonlat_to_metres, to_metres
from ..region import Terrain
from ..schema import NEIGHBOURS, STORAGE_CRS
from .contract import cell_node

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


def band_node(flat: int, sub: int) -> str:
    """Node id of a border-band cell: its lattice cell's flat index and its place (row-major) in that cell's block."""
    return f"cell:{int(flat)}:{int(sub)}"


@dataclass
class Band:
    """The border band: which lattice cells are replaced by finer band cells.

    Attributes
    ----------
    factor
        Band cells per lattice cell along each axis.
    block
        Boolean array on the lattice grid: the cells replaced (their centre
        lies within ``lattice.band_km`` of a land border).
    terrain
        The DEM interpolated (bilinear) to band cells, over the whole grid.
    grid
        Country of every band-cell centre (rasterised only within the band's
        bounding box; -1 outside it).
    """

    factor: int
    block: np.ndarray
    terrain: Terrain
    grid: CountryGrid

    @property
    def cells(self) -> np.ndarray:
        """Boolean array on the band grid: the band's land cells."""
        k = self.factor
        return np.kron(self.block, np.ones((k, k), dtype=bool)).astype(bool) & (self.grid.code >= 0)


def border_band(
    dem: Terrain,
    terrain: Terrain,
    grid: CountryGrid,
    countries: gpd.GeoDataFrame,
    border: shapely.Geometry,
    *,
    km: float,
    factor: int,
) -> Band | None:
    """Choose the lattice cells of the border band and interpolate the DEM to its cells.

    Parameters
    ----------
    dem
        The (gap-filled) DEM the lattice was resampled from.
    terrain, grid
        The lattice grid (``dem`` resampled by ``lattice.refine``) and its countries.
    countries
        Country polygons (the band cells' countries are rasterised from them).
    border
        Vietnam's land border lines, EPSG:4326.
    km
        Half-width of the band (km); 0 turns the band off.
    factor
        Band cells per lattice cell along each axis; 0 turns the band off.

    Returns
    -------
    Band or None
        None when the band is off or no cell lies in it.
    """
    if km <= 0 or factor <= 1:
        return None
    lon, lat = terrain.cell_centres()
    centres = shapely.points(lonlat_to_metres(lon.ravel(), lat.ravel()))
    coords, part = shapely.get_coordinates(shapely.get_parts(to_metres(border)), return_index=True)
    same = part[1:] == part[:-1]  # consecutive vertices of one line: its straight pieces
    pieces = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    near = shapely.STRtree(pieces).query(centres, predicate="dwithin", distance=km * 1000.0)[0]
    block = np.zeros(terrain.shape, dtype=bool)
    block.ravel()[near] = True
    if not block.any():
        return None
    refine = terrain.shape[0] // dem.shape[0]
    fine = refine_terrain(dem, refine * factor)
    # only the band's cells need a country: rasterise the polygons cut to the band's box (much less work)
    step = max(abs(terrain.transform.a), abs(terrain.transform.e))
    frame = shapely.box(*shapely.bounds(shapely.multipoints(np.column_stack([lon[block], lat[block]])))).buffer(step)
    cut = countries.assign(geometry=shapely.intersection(countries.geometry.to_numpy(), frame))
    return Band(factor=factor, block=block, terrain=fine, grid=country_grid(fine, cut[~cut.geometry.is_empty]))


@dataclass
class Lattice:
    """The terrain lattice's cells and directed 8-neighbour pairs.

    Attributes
    ----------
    ids
        Node id of every cell (:func:`~borderwatch.network.contract.cell_node`
        outside the band, :func:`band_node` inside); lattice cells first, in
        grid order, then band cells in band-grid order.
    lon, lat
        Cell centres.
    elevation_m
        Elevation of each cell (m; sea level and nodata count as 0).
    iso
        Country of each cell.
    fine
        Whether each cell is a band cell.
    src, dst
        Positions (into ``ids``) of each directed pair of neighbours.
    length_m
        Geodesic distance between the pair's centres.
    terrain, grid
        The lattice grid and its countries.
    band
        The border band, or None.
    """

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    elevation_m: np.ndarray
    iso: np.ndarray
    fine: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    terrain: Terrain
    grid: CountryGrid
    band: Band | None = None


def _cells(terrain: Terrain, grid: CountryGrid, mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Flat index, centre, elevation and country of the cells where ``mask`` is true (grid order)."""
    flat = np.flatnonzero(mask.ravel())
    lon, lat = terrain.cell_centres()
    elevation = np.nan_to_num(terrain.elevation_m, nan=0.0).clip(min=0.0).ravel()
    return flat, lon.ravel()[flat], lat.ravel()[flat], elevation[flat], grid.iso_of(flat)


def build_lattice(terrain: Terrain, grid: CountryGrid, *, band: Band | None = None) -> Lattice:
    """Cells and neighbour pairs of the lattice, with the border band stitched in.

    Without a band every land cell is a node and pairs are its 8 land
    neighbours.  With one, the replaced cells give way to their land band
    cells: band cells pair with their 8 band neighbours, and a band cell on the
    band's edge pairs both ways with each remaining lattice cell that one of
    its 8 band-grid neighbours falls in (the cells whose footprint it touches).

    Parameters
    ----------
    terrain, grid
        The lattice grid and its countries.
    band
        From :func:`border_band`, or None.

    Returns
    -------
    Lattice
    """
    land = grid.code >= 0
    keep = land if band is None else land & ~band.block
    flat, lon, lat, elevation, iso = _cells(terrain, grid, keep)
    ids = [cell_node(f) for f in flat]
    position = np.full(keep.size, -1)
    position[flat] = np.arange(len(flat))
    src, dst, length = grid_adjacency(terrain, keep)
    pairs = [(position[src], position[dst], length)]
    fine = np.zeros(len(flat), dtype=bool)
    if band is not None:
        k, fine_cols = band.factor, band.terrain.shape[1]
        cells = band.cells
        fflat, flon, flat_, felev, fiso = _cells(band.terrain, band.grid, cells)
        rows, cols = np.divmod(fflat, fine_cols)
        parent = (rows // k) * terrain.shape[1] + cols // k
        ids += [band_node(p, s) for p, s in zip(parent, (rows % k) * k + cols % k, strict=True)]
        fposition = np.full(cells.size, -1)
        fposition[fflat] = len(flat) + np.arange(len(fflat))
        src, dst, length = grid_adjacency(band.terrain, cells)
        pairs.append((fposition[src], fposition[dst], length))
        coarse, band_cell = _touching(keep, cells, k)
        a, b = position[coarse], fposition[band_cell]
        lon, lat = np.concatenate([lon, flon]), np.concatenate([lat, flat_])
        length = distance_m(lon[a], lat[a], lon[b], lat[b])
        pairs += [(a, b, length), (b, a, length)]
        elevation, iso = np.concatenate([elevation, felev]), np.concatenate([iso, fiso])
        fine = np.concatenate([fine, np.ones(len(fflat), dtype=bool)])
    src, dst, length = (np.concatenate(part) for part in zip(*pairs, strict=True))
    return Lattice(
        ids=np.asarray(ids, dtype=object),
        lon=lon,
        lat=lat,
        elevation_m=elevation,
        iso=iso,
        fine=fine,
        src=src,
        dst=dst,
        length_m=length,
        terrain=terrain,
        grid=grid,
        band=band,
    )


def _touching(keep: np.ndarray, cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(lattice cell, band cell) flat index pairs where a band cell's 8-neighbour lies in a kept lattice cell."""
    rows, cols = np.nonzero(cells)
    nrows, ncols = cells.shape
    keys = []
    for dr, dc in NEIGHBOUR_STEPS:
        r, c = rows + dr, cols + dc
        ok = (r >= 0) & (r < nrows) & (c >= 0) & (c < ncols)
        pr, pc = r[ok] // k, c[ok] // k
        hit = keep[pr, pc]
        keys.append((pr[hit] * keep.shape[1] + pc[hit]) * cells.size + rows[ok][hit] * ncols + cols[ok][hit])
    return np.divmod(np.unique(np.concatenate(keys)), cells.size)


def lattice_edges(lattice: Lattice, profile: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Off-road edges with the informal-crossing delay and exposure applied.

    Parameters
    ----------
    lattice
        The terrain lattice (:func:`build_lattice`).
    profile
        A cost profile (tables ``offroad`` and ``informal_crossing``).

    Returns
    -------
    dict of numpy.ndarray
        As :func:`offroad_edges`, plus ``informal`` (bool) and ``border``
        (the neighbour's ISO code on informal edges, else "").
    """
    e = offroad_edges(lattice, profile["offroad"])
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
    elevation (the elevation of the lattice or band cell the point lies in),
    lengthened by the detour factor, with the off-road exposure: never a
    straight line at a flat speed.

    Parameters
    ----------
    lattice
        The terrain lattice (:func:`build_lattice`).
    offroad
        The profile's ``[offroad]`` table.
    """

    def __init__(self, lattice: Lattice, offroad: Mapping[str, Any]) -> None:
        from .nearest import PointIndex

        self.lattice = lattice
        self.offroad = offroad
        self.cells = PointIndex(lattice.ids, lattice.lon, lattice.lat, lattice.iso)
        self._position = {nid: i for i, nid in enumerate(lattice.ids)}
        terrain = lattice.terrain
        # the grids a point's elevation is read from: the lattice's, and the band's inside the band
        self._grids = [_ElevationGrid(terrain)]
        if lattice.band is not None:
            self._grids.append(_ElevationGrid(lattice.band.terrain))
        # a point on land lies within one lattice-cell diagonal of a cell centre of its country
        lon, lat = terrain.cell_centres()
        r, c = (s // 2 for s in terrain.shape)
        self.max_m = float(distance_m(lon[r, c], lat[r, c], lon[r + 1, c + 1], lat[r + 1, c + 1]))
        self._pieces: dict[str, tuple[np.ndarray, int]] = {}

    def _components(self, country: str) -> tuple[np.ndarray, int]:
        """Label the connected pieces of a country's lattice cells (-1 elsewhere); return labels and the largest."""
        if country not in self._pieces:
            self._pieces[country] = self._label(country)
        return self._pieces[country]

    def _label(self, country: str) -> tuple[np.ndarray, int]:
        lat = self.lattice
        own = lat.iso == country
        pair = own[lat.src] & own[lat.dst]
        n = len(lat.ids)
        graph = scipy.sparse.csr_matrix((np.ones(int(pair.sum())), (lat.src[pair], lat.dst[pair])), shape=(n, n))
        _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
        labels = np.where(own, labels, -1)
        sizes = np.bincount(labels[labels >= 0])
        return labels, int(np.argmax(sizes)) if len(sizes) else -1

    def mainland(self, country: str):
        """Index of the cells of a country's largest connected piece of land (its mainland)."""
        from .nearest import PointIndex

        labels, big = self._components(country)
        at = np.flatnonzero(labels == big)
        lat = self.lattice
        return PointIndex(lat.ids[at], lat.lon[at], lat.lat[at], [country] * len(at))

    def on_mainland(self, lon: float, lat: float, country: str) -> bool:
        """Whether a point's nearest cell of ``country`` (within one cell diagonal) is on its mainland."""
        hit = self.cells.nearest(lon, lat, country=country, max_m=self.max_m)
        if hit is None:
            return False
        labels, big = self._components(country)
        return bool(labels[self._position[hit[0]]] == big)

    def elevation_m(self, lon: float, lat: float) -> float:
        """Elevation (m, sea level 0) of the lattice cell containing a point, or of its band cell in the band."""
        r, c = self._grids[0].containing(lon, lat)
        band = self.lattice.band
        grid = self._grids[1] if band is not None and band.block[r, c] else self._grids[0]
        return grid.at(lon, lat)

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
            no cell of the country lies within one lattice-cell diagonal (the
            point is not on the lattice's land, e.g. a small island).
        """
        hit = self.cells.nearest(lon, lat, country=country, max_m=self.max_m)
        if hit is None:
            return None
        cell_id, _ = hit
        at = self._position[cell_id]
        cx, cy = self.lattice.lon[at], self.lattice.lat[at]
        straight = max(float(distance_m(lon, lat, cx, cy)), 1.0)
        rise = float(self.lattice.elevation_m[at]) - self.elevation_m(lon, lat)
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


class _ElevationGrid:
    """Cell lookup on one grid: which cell contains a point, and its elevation (m, sea level and nodata 0)."""

    def __init__(self, terrain: Terrain) -> None:
        self._inverse = ~terrain.transform
        self._elevation = np.nan_to_num(terrain.elevation_m, nan=0.0).clip(min=0.0)

    def containing(self, lon: float, lat: float) -> tuple[int, int]:
        """(row, col) of the cell containing a point, clipped to the grid."""
        col, row = self._inverse @ (lon, lat)
        r = int(np.clip(np.floor(row), 0, self._elevation.shape[0] - 1))
        c = int(np.clip(np.floor(col), 0, self._elevation.shape[1] - 1))
        return r, c

    def at(self, lon: float, lat: float) -> float:
        """Elevation of the cell containing a point."""
        return float(self._elevation[self.containing(lon, lat)])


def offroad_edges(lattice: Lattice, offroad: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Off-road edges over the lattice's neighbour pairs with their time and exposure.

    Parameters
    ----------
    lattice
        The terrain lattice (:func:`build_lattice`).
    offroad
        The ``[offroad]`` table of a cost profile.

    Returns
    -------
    dict of numpy.ndarray
        ``src``, ``dst`` (positions into ``lattice.ids``), ``length_m``,
        ``time_h``, ``exposure``, ``slope``, ``src_iso``, ``dst_iso``.
    """
    src, dst, length_m = lattice.src, lattice.dst, lattice.length_m
    elev = lattice.elevation_m
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
        "src_iso": lattice.iso[src],
        "dst_iso": lattice.iso[dst],
    }
