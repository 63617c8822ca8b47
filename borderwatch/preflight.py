"""The preflight: what every command needs from the data, checked once at the door.

:func:`borderwatch.load_region` runs :func:`cross_layer_problems` after every
layer passed its schema, so ``validate``, every command and every API caller
get the same checks before any work.  Checks that involve the cost profile
(its destinations and export ports) run next, in
:func:`borderwatch.network.build.check_profile_against_region`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    import geopandas as gpd

    from .region import Region, Terrain

#: Countries the commands rely on: Vietnam and its neighbours (borderlines), Thailand and
#: Myanmar (the Golden Triangle tri-point).
REQUIRED_COUNTRIES = ("VNM", "LAO", "CHN", "KHM", "THA", "MMR")


def cross_layer_problems(region: Region) -> list[str]:
    """Problems that involve two layers, or a layer and the DEM.

    Everything the commands rely on beyond each layer's schema: the countries
    they need, BLO gate references, the Golden Triangle origin
    (:func:`origin_problems`) and a DEM that can carry the terrain lattice
    (:func:`dem_problems`).

    Parameters
    ----------
    region
        A region whose layers each passed their schema.

    Returns
    -------
    list of str
        One line per problem.
    """
    problems = []
    present = set(region.countries["iso_a3"])
    for iso in REQUIRED_COUNTRIES:
        if iso not in present:
            problems.append(
                f"layer 'countries': no record with iso_a3 = {iso!r}; the layer must hold "
                f"{', '.join(REQUIRED_COUNTRIES)} (Vietnam, its neighbours, and Thailand and Myanmar for the "
                "Golden Triangle tri-point)"
            )
    gate_ids = set(region.gates["id"])
    for _, blo in region.blos.iterrows():
        gid = blo["associated_gate_id"]
        if isinstance(gid, str) and gid and gid not in gate_ids:
            problems.append(
                f"layer 'blos' record {blo['id']!r}: column 'associated_gate_id' = {gid!r} is not a gate id; use an "
                "id from layer 'gates'"
            )
    if present.issuperset(REQUIRED_COUNTRIES):
        problems.extend(origin_problems(region))
    problems.extend(dem_problems(region))
    return problems


def origin_problems(region: Region) -> list[str]:
    """Whether the countries give the origin of every route, the Golden Triangle (LAO-THA-MMR tri-point).

    Parameters
    ----------
    region
        A region whose countries layer holds :data:`REQUIRED_COUNTRIES`.

    Returns
    -------
    list of str
        A problem when Laos, Thailand and Myanmar do not meet.
    """
    from .borders import tripoint
    from .errors import ValidationError

    try:
        tripoint(region.countries, ("LAO", "THA", "MMR"))
    except ValidationError as exc:
        return [f"the origin of every route, the Golden Triangle: {p}" for p in exc.problems]
    return []


#: Plausible elevations (m): land up to above Everest and down to -1500 m (the lowest dry land, the Dead Sea
#: shore, is at -430 m; coarse DEMs have pits: the shipped ETOPO5 has -1006 m at 101.75 E, 18.67 N in Laos),
#: sea floor down to the deepest trench.
LAND_ELEVATION_M = (-1500.0, 9000.0)
SEA_ELEVATION_M = (-11000.0, 9000.0)
#: Values DEM tools write for "no data"; seen undeclared, they are named as such.
NODATA_MARKERS = (-9999.0, -32768.0, -32767.0, 32767.0, 9999.0, -99999.0, float(np.finfo("float32").min))


def dem_problems(region: Region) -> list[str]:
    """Whether the DEM can carry the terrain lattice of the region.

    The DEM must hold elevations on a north-up grid, cover the countries' extent (a wrong CRS
    label or a shifted georeference moves it off the region), have at least
    2 x 2 cells on land, and hold plausible elevations only (in metres: land
    :data:`LAND_ELEVATION_M`, sea :data:`SEA_ELEVATION_M`); a value out of range
    that is a common nodata marker (-9999 ...) is named as an undeclared nodata.

    Parameters
    ----------
    region
        The region.

    Returns
    -------
    list of str
        One line per problem (the first failing check; later ones would only
        repeat it).  NaN cells on land among valid ones are filled when the
        lattice is built, and reported there.
    """
    dem = region.terrain
    where = f"DEM {str(dem.path)!r}"
    elevation = dem.elevation_m
    valid = ~np.isnan(elevation)
    if not valid.any():
        return [f"{where}: every cell is NaN or nodata; give a DEM with elevations (e.g. the shipped ETOPO5)"]
    t = dem.transform
    if t.b or t.d or not (t.a > 0 and t.e < 0):
        return [
            f"{where}: its grid is not north-up (transform {tuple(round(v, 6) for v in t[:6])}); warp it to a "
            "north-up grid, e.g. gdalwarp -t_srs EPSG:4326 IN OUT"
        ]
    rows, cols = dem.shape
    west, north = t @ (0, 0)
    east, south = t @ (cols, rows)
    cell = max(t.a, -t.e)
    minx, miny, maxx, maxy = region.countries.total_bounds
    if west > minx + cell or east < maxx - cell or south > miny + cell or north < maxy - cell:
        label = f" (labelled {dem.source_crs})" if dem.source_crs else ""
        return [
            f"{where}: covers lon {west:.3f}..{east:.3f}, lat {south:.3f}..{north:.3f}, which does not cover the "
            f"countries (lon {minx:.3f}..{maxx:.3f}, lat {miny:.3f}..{maxy:.3f}); check its CRS and georeference"
            f"{label}, or give a DEM of the whole region"
        ]
    land = land_cells(dem, region.countries)
    land_rows, land_cols = int(land.any(axis=1).sum()), int(land.any(axis=0).sum())
    if land_rows < 2 or land_cols < 2:
        return [
            f"{where}: has {rows} x {cols} cells ({land_rows} x {land_cols} on land); the terrain lattice needs at "
            "least 2 x 2 cells on land; give a finer DEM (the shipped ETOPO5 has 5 arc-minute cells)"
        ]
    if not (valid & land).any():
        return [
            f"{where}: none of its {int(land.sum())} cells on land has an elevation (all NaN or nodata); "
            "give a DEM that covers the region"
        ]
    return _implausible_elevations(where, elevation, valid, land)


def land_cells(terrain: Terrain, countries: gpd.GeoDataFrame) -> np.ndarray:
    """Cells whose centre lies in a country (the lattice's cell-centre rule), by a fast point-in-polygon test.

    Rasterising the detailed country polygons costs 0.3-0.4 s of CPU on the
    shipped data (their conversion to GeoJSON dominates); testing the cell
    centres against the prepared polygons costs a fifth of that.  Cells on the outline itself may differ
    from the lattice's rasterised grid, which does not matter to the checks.

    Parameters
    ----------
    terrain
        The DEM.
    countries
        The country polygons (EPSG:4326).

    Returns
    -------
    numpy.ndarray
        Boolean grid shaped like the DEM.
    """
    lon, lat = terrain.cell_centres()
    land = np.zeros(terrain.shape, dtype=bool)
    for geom in countries.geometry.values:
        if geom is not None:
            shapely.prepare(geom)
            land |= shapely.contains_xy(geom, lon, lat)
    return land


def _implausible_elevations(where: str, elevation: np.ndarray, valid: np.ndarray, land: np.ndarray) -> list[str]:
    low = np.where(land, LAND_ELEVATION_M[0], SEA_ELEVATION_M[0])
    high = np.where(land, LAND_ELEVATION_M[1], SEA_ELEVATION_M[1])
    with np.errstate(invalid="ignore"):
        bad = valid & ~((elevation >= low) & (elevation <= high))  # inf is bad, NaN is nodata
    if not bad.any():
        return []
    r, c = (int(i) for i in np.argwhere(bad)[0])
    values, counts = np.unique(elevation[bad], return_counts=True)
    common = float(values[np.argmax(counts)])
    if common in NODATA_MARKERS:
        fix = (
            f"{common:g} looks like an undeclared nodata value: declare it, e.g. gdal_edit.py -a_nodata {common:g} FILE"
        )
    else:
        fix = "fix or mask these cells (elevations are metres)"
    return [
        f"{where}: {int(bad.sum())} cells hold implausible elevations (land outside {LAND_ELEVATION_M[0]:g}.."
        f"{LAND_ELEVATION_M[1]:g} m, sea outside {SEA_ELEVATION_M[0]:g}..{SEA_ELEVATION_M[1]:g} m), e.g. "
        f"{float(elevation[r, c]):g} m at row {r}, col {c}, most often {common:g}; {fix}"
    ]
