"""Vietnam's borderlines: land border per neighbour, segments, and the coastline.

The land border with each neighbour is the shared edge of the OpenStreetMap
100 m country polygons (``countries`` layer): the part of Vietnam's outline
that lies within ``tolerance_m`` of the neighbour's polygon.  Natural Earth
lines are kept for display only: being generalised for 1:10M they measure
15-25 % short.  Lengths are geodesic (WGS84).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

from .doors import require
from .errors import CRSError, ValidationError
from .geodesy import geodesic_length_m, split_coords_every_m, to_degrees, to_metres
from .schema import NEIGHBOURS, STORAGE_CRS
from .settings import check_range

#: Columns the functions here read from borderlines.
LINE_COLUMNS = ("border", "geometry")
LINES_FIX = "give the borderlines(region.countries) table"
BORDERLINE_SOURCE = "shared edge of OpenStreetMap 100 m country polygons (countries layer)"


def check_lonlat_layer(layer: object, name: str, *, where: str, columns: tuple[str, ...] = ()) -> None:
    """Refuse anything but a GeoDataFrame in EPSG:4326 with ``columns``, naming the argument and the fix.

    Parameters
    ----------
    layer
        The argument.
    name
        Its name in messages (``"countries"``).
    where
        The public function (for messages).
    columns
        Columns it must have.

    Raises
    ------
    ParameterError
        Not a GeoDataFrame, or a column is missing.
    CRSError
        No CRS, or not EPSG:4326.
    """
    fix = f"give the {name!r} layer (e.g. borderwatch.load_region().{name})"
    require(layer, gpd.GeoDataFrame, where=where, name=name, columns=columns, fix=fix)
    if layer.crs is None:
        raise CRSError(f"{name} has no CRS; set it, e.g. {name}.set_crs('EPSG:4326')")
    if not layer.crs.equals(STORAGE_CRS):
        raise CRSError(
            f"{name} is in {layer.crs.to_string()}; borderwatch works in {STORAGE_CRS}: give "
            f"{name}.to_crs('{STORAGE_CRS}')"
        )


def _country(countries: gpd.GeoDataFrame, iso: str) -> shapely.Geometry:
    match = countries.loc[countries["iso_a3"] == iso, "geometry"]
    if match.empty:
        raise ValidationError(
            [f"layer 'countries': no record with iso_a3 = {iso!r}; the layer must hold Vietnam and its neighbours"]
        )
    return match.iloc[0] if len(match) == 1 else shapely.union_all(match.values)


def _oriented_parts(geom: shapely.Geometry) -> list[LineString]:
    """Line parts, each running west to east (or north to south if mostly N-S), ordered likewise."""
    merged = linemerge(geom) if geom.geom_type in ("MultiLineString", "GeometryCollection") else geom
    parts = list(getattr(merged, "geoms", [merged]))
    parts = [p for p in parts if p.geom_type == "LineString" and p.length > 0]
    out = []
    for p in parts:
        (x0, y0), (x1, y1) = p.coords[0], p.coords[-1]
        mostly_ns = abs(y1 - y0) > abs(x1 - x0)
        if (mostly_ns and y1 > y0) or (not mostly_ns and x1 < x0):
            p = LineString(p.coords[::-1])
        out.append(p)
    return sorted(out, key=lambda p: (-p.coords[0][1], p.coords[0][0]))


def borderlines(countries: gpd.GeoDataFrame, *, tolerance_m: float = 200.0) -> gpd.GeoDataFrame:
    """Vietnam's land border with each neighbour.

    Parameters
    ----------
    countries
        Country polygons with ``iso_a3`` (the ``countries`` layer).
    tolerance_m
        How far from the neighbour's polygon a stretch of Vietnam's outline may
        lie and still count as shared (absorbs slivers between the polygons).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per neighbour (``border`` = LAO, CHN, KHM) with ``length_km``
        (geodesic), ``n_parts`` and ``source``; index ``border``.

    Raises
    ------
    ParameterError
        ``countries`` is not a GeoDataFrame with ``iso_a3``, or ``tolerance_m`` not a number.
    CRSError
        ``countries`` is not in EPSG:4326.
    ValidationError
        Vietnam or a neighbour is missing.
    """
    check_lonlat_layer(countries, "countries", where="borderlines", columns=("iso_a3",))
    require(tolerance_m, (int, float), where="borderlines", name="tolerance_m")
    vnm_deg = _country(countries, "VNM")
    near = shapely.box(*vnm_deg.bounds).buffer(0.5)
    vnm = to_metres(vnm_deg).boundary
    rows = []
    for iso in NEIGHBOURS:
        neighbour = to_metres(_country(countries, iso).intersection(near))
        outline = vnm.intersection(shapely.box(*neighbour.bounds).buffer(2 * tolerance_m))
        shared = outline.intersection(neighbour.buffer(tolerance_m, quad_segs=2))
        parts = [to_degrees(p) for p in _oriented_parts(shared)]
        geom = MultiLineString(parts)
        rows.append(
            {
                "border": iso,
                "length_km": geodesic_length_m(geom) / 1000.0,
                "n_parts": len(parts),
                "source": BORDERLINE_SOURCE,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS).set_index("border", drop=False)


def segment_borders(lines: gpd.GeoDataFrame, *, segment_length_km: float = 5.0) -> gpd.GeoDataFrame:
    """Split each borderline into stretches of about ``segment_length_km``.

    Segment ids are stable for the same input: ``{border}-{part:02d}-{seq:04d}``,
    parts ordered from the north-west, segments in line direction.

    Parameters
    ----------
    lines
        Borderlines from :func:`borderlines`.
    segment_length_km
        Target stretch length (> 0).

    Returns
    -------
    geopandas.GeoDataFrame
        ``segment_id``, ``border``, ``part``, ``seq``, ``length_m``, geometry.

    Raises
    ------
    ParameterError
        ``lines`` is not a table with ``border`` and ``geometry`` (:func:`borderlines`), or
        ``segment_length_km`` not a number > 0.
    """
    require(lines, gpd.GeoDataFrame, where="segment_borders", name="lines", columns=LINE_COLUMNS, fix=LINES_FIX)
    check_range("segment_length_km", segment_length_km, what="segment_borders: segment_length_km")
    rows = []
    for border, geom in zip(lines["border"], lines.geometry, strict=True):
        for part_no, part in enumerate(getattr(geom, "geoms", [geom])):
            for seq, coords in enumerate(split_coords_every_m(np.asarray(part.coords), segment_length_km * 1000.0)):
                seg = LineString(coords)
                rows.append(
                    {
                        "segment_id": f"{border}-{part_no:02d}-{seq:04d}",
                        "border": border,
                        "part": part_no,
                        "seq": seq,
                        "length_m": geodesic_length_m(seg),
                        "geometry": seg,
                    }
                )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def vietnam_coastline(
    coastline: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, *, within_m: float = 1000.0
) -> gpd.GeoDataFrame:
    """Vietnam's coastline: the coastline layer within ``within_m`` of Vietnam's land.

    Parameters
    ----------
    coastline
        Layer ``coastline``.
    countries
        Layer ``countries`` (measuring polygons).
    within_m
        Coastline pieces this close to Vietnam's land count.

    Returns
    -------
    geopandas.GeoDataFrame
        Two rows, ``scope`` = ``"all"`` (mainland and islands) and ``"mainland"``
        (the largest land polygon only), each with ``length_km``.

    Raises
    ------
    ParameterError
        A layer is not a GeoDataFrame, ``countries`` has no ``iso_a3``, or ``within_m`` is not a number.
    CRSError
        A layer is not in EPSG:4326.
    ValidationError
        Vietnam is missing.
    """
    check_lonlat_layer(coastline, "coastline", where="vietnam_coastline")
    check_lonlat_layer(countries, "countries", where="vietnam_coastline", columns=("iso_a3",))
    require(within_m, (int, float), where="vietnam_coastline", name="within_m")
    vnm = to_metres(_country(countries, "VNM"))
    polys = sorted(getattr(vnm, "geoms", [vnm]), key=lambda g: -g.area)
    coast = to_metres(shapely.union_all(coastline.geometry.values))
    rows = []
    for scope, land in (("all", vnm), ("mainland", polys[0])):
        geom = to_degrees(coast.intersection(land.buffer(within_m)))
        rows.append({"scope": scope, "length_km": geodesic_length_m(geom) / 1000.0, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS).set_index("scope", drop=False)


def tripoint(countries: gpd.GeoDataFrame, isos: tuple[str, str, str], *, tolerance_m: float = 1000.0) -> shapely.Point:
    """Find the point where three countries meet, from their polygons.

    Parameters
    ----------
    countries
        Country polygons with ``iso_a3``.
    isos
        The three ISO codes, e.g. ``("LAO", "THA", "MMR")`` for the Golden Triangle.
    tolerance_m
        How close the three outlines must come (absorbs gaps between polygons).

    Returns
    -------
    shapely.Point
        EPSG:4326 lon/lat.

    Raises
    ------
    ValidationError
        The three polygons do not meet within the tolerance.
    ParameterError
        ``countries`` is not a GeoDataFrame with ``iso_a3``.
    CRSError
        ``countries`` is not in EPSG:4326.
    """
    check_lonlat_layer(countries, "countries", where="tripoint", columns=("iso_a3",))
    polys = [_country(countries, iso) for iso in isos]
    common = shapely.box(*polys[0].bounds)
    for p in polys[1:]:
        common = common.intersection(shapely.box(*p.bounds))
    window = common.buffer(0.05)
    a, b, c = (to_metres(p.intersection(window)) for p in polys)
    meet = a.boundary.intersection(b.buffer(tolerance_m)).intersection(c.buffer(tolerance_m))
    if meet.is_empty:
        raise ValidationError(
            [f"layer 'countries': {', '.join(isos)} do not meet within {tolerance_m:.0f} m; check the country polygons"]
        )
    return to_degrees(meet.centroid)
