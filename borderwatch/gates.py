"""Gate positioning: put every gate on its own border.

Most gate coordinates in the shipped table are coarse (district or town
centres, ``coord_precision_m`` 2,000-60,000).  A gate sits on the border, so
:func:`snap_gates` moves each one onto its own borderline:

1. ``road_crossing`` - for a coarse gate (precision > ``fine_precision_m``),
   the nearest place where a road meets that border (crosses it, or ends
   within ``road_reach_m`` of it) within the gate's stated precision;
2. ``nearest_border`` - otherwise the nearest point of that border.

The original coordinate, the method, the distance moved and a new precision
estimate are kept.  A gate whose original point lies farther from its border
than its own stated precision is flagged ``snap_plausible = False``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from .borders import LINE_COLUMNS, LINES_FIX, borderlines
from .doors import LAYER_FIX, require
from .errors import NOTES_SUMMARY
from .geodesy import distance_m, to_degrees, to_metres
from .region import Region
from .schema import STORAGE_CRS

log = logging.getLogger(__name__)

#: Gates at least this precise already mark the gate itself.
FINE_PRECISION_M = 1000.0
#: Columns :func:`snap_gates` reads from the gate layer.
GATE_COLUMNS = ("id", "border", "coord_precision_m", "geometry")
#: Precision credited to a position taken from a road/border crossing.
ROAD_CROSSING_PRECISION_M = 1000.0
#: How far behind the borderline a gate's facilities may stand (the Tay Trang
#: post is 2.4 km from the OSM line); a point within its stated precision or
#: this set-back of its border is plausible.
GATE_SETBACK_M = 2500.0
#: Gates sharing an original coordinate at least this coarse (a district or
#: town centre several km from the gate) cannot be told apart on the border;
#: finer shared points (Lao Cai road and rail gates, one town) are legitimate.
SHARED_ORIGIN_MIN_PRECISION_M = 8000.0
#: A position within this distance of a more precisely placed gate is that gate's (one crossing area:
#: a road crossing and the road ends near it).
OWNED_RADIUS_M = 3000.0
#: Lower bound of any precision estimate (borderline generalisation is 100 m,
#: road geometry ~700 m between vertices).
MIN_PRECISION_M = 500.0


def road_border_contacts(
    roads: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *, road_reach_m: float = 1000.0
) -> gpd.GeoDataFrame:
    """Places where a road meets a land border.

    A contact is a point where a road line crosses the borderline, or the
    point of the border nearest to a road end lying within ``road_reach_m``
    of it (roads mapped on one side only stop at the border).

    Parameters
    ----------
    roads
        Road lines (EPSG:4326).
    lines
        Borderlines from :func:`borderwatch.borderlines`.
    road_reach_m
        A road end this close to the border counts as a contact.

    Returns
    -------
    geopandas.GeoDataFrame
        ``border``, ``road_id``, ``kind`` (``crossing`` or ``road_end``), point geometry.

    Raises
    ------
    ParameterError
        ``roads`` or ``lines`` is not a table with the columns read, or ``road_reach_m`` not a number.
    """
    where = "road_border_contacts"
    require(roads, gpd.GeoDataFrame, where=where, name="roads", columns=("road_id", "geometry"), fix=LAYER_FIX)
    require(lines, gpd.GeoDataFrame, where=where, name="lines", columns=LINE_COLUMNS, fix=LINES_FIX)
    require(road_reach_m, (int, float), where=where, name="road_reach_m")
    rows = []
    roads_m = gpd.GeoSeries(to_metres(roads.geometry.values), crs=None)
    tree = shapely.STRtree(roads_m.values)
    for border, geom in zip(lines["border"], lines.geometry, strict=True):
        line_m = to_metres(geom)
        near = tree.query(line_m, predicate="dwithin", distance=road_reach_m)
        for i in near:
            road = roads_m.iloc[i]
            road_id = roads["road_id"].iloc[i]
            cross = road.intersection(line_m)
            for pt in shapely.get_parts(shapely.get_parts(cross)):
                if pt.is_empty:
                    continue
                if pt.geom_type == "Point":
                    rows.append({"border": border, "road_id": road_id, "kind": "crossing", "geometry": pt})
                elif pt.geom_type == "LineString":  # road running along the border
                    rows.append(
                        {
                            "border": border,
                            "road_id": road_id,
                            "kind": "crossing",
                            "geometry": pt.interpolate(0.5, normalized=True),
                        }
                    )
            for part in shapely.get_parts(road):
                for end in (Point(part.coords[0]), Point(part.coords[-1])):
                    if 0 < end.distance(line_m) <= road_reach_m:
                        rows.append(
                            {
                                "border": border,
                                "road_id": road_id,
                                "kind": "road_end",
                                "geometry": line_m.interpolate(line_m.project(end)),
                            }
                        )
    if not rows:
        return gpd.GeoDataFrame({"border": [], "road_id": [], "kind": []}, geometry=[], crs=STORAGE_CRS)
    out = gpd.GeoDataFrame(rows, geometry="geometry")
    out["geometry"] = to_degrees(out.geometry.values)
    return out.set_crs(STORAGE_CRS)


def _nearest_on(line_m: shapely.Geometry, pt_m: Point) -> Point:
    return line_m.interpolate(line_m.project(pt_m))


def snap_gates(
    gates: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    contacts: gpd.GeoDataFrame,
    *,
    fine_precision_m: float = FINE_PRECISION_M,
) -> gpd.GeoDataFrame:
    """Move every gate onto its own border and say how.

    Parameters
    ----------
    gates
        The ``gates`` layer (``id``, ``border``, ``coord_precision_m``, optional
        ``counterpart_lat`` / ``counterpart_lon``).
    lines
        Borderlines from :func:`borderwatch.borders.borderlines`.
    contacts
        Road/border contacts from :func:`road_border_contacts`.
    fine_precision_m
        Gates at least this precise are only projected onto the line.

    Returns
    -------
    geopandas.GeoDataFrame
        The gates with the snapped point as geometry and as ``lon``/``lat``,
        ``coord_source`` saying it was snapped, and the columns ``orig_lon``,
        ``orig_lat``, ``orig_precision_m``, ``orig_coord_source``, ``border_distance_m``
        (original point to its border), ``snap_method``, ``snap_distance_m``,
        ``coord_precision_m`` (new estimate), ``snap_plausible``, ``snap_note``,
        and for gates with a counterpart position ``counterpart_snap_lon``,
        ``counterpart_snap_lat``, ``counterpart_snap_distance_m``.

    Raises
    ------
    ParameterError
        ``gates``, ``lines`` or ``contacts`` is not a table with the columns read, or ``fine_precision_m`` not
        a number.
    """
    where = "snap_gates"
    require(gates, gpd.GeoDataFrame, where=where, name="gates", columns=GATE_COLUMNS, fix=LAYER_FIX)
    require(lines, gpd.GeoDataFrame, where=where, name="lines", columns=LINE_COLUMNS, fix=LINES_FIX)
    contacts_fix = "give road_border_contacts(roads, lines)"
    require(contacts, gpd.GeoDataFrame, where=where, name="contacts", columns=LINE_COLUMNS, fix=contacts_fix)
    require(fine_precision_m, (int, float), where=where, name="fine_precision_m")
    out = gates.copy()
    line_by_border = {b: to_metres(g) for b, g in zip(lines["border"], lines.geometry, strict=True)}
    contact_xy = {b: shapely.get_coordinates(grp.geometry.values) for b, grp in contacts.groupby("border")}
    owned: list[tuple[float, float, str]] = []  # positions taken so far, most precise gates first
    order = sorted(
        range(len(gates)), key=lambda k: (float(gates["coord_precision_m"].iloc[k]), str(gates["id"].iloc[k]))
    )
    results: dict[int, list] = {}
    for k in order:
        gate = gates.iloc[k]
        lon, lat = gate.geometry.x, gate.geometry.y
        prec = float(gate["coord_precision_m"])
        line_m = line_by_border[gate["border"]]
        nearest = to_degrees(_nearest_on(line_m, to_metres(Point(lon, lat))))
        d_border = float(distance_m(lon, lat, nearest.x, nearest.y))
        method, target, new_prec, note = "nearest_border", nearest, max(prec, MIN_PRECISION_M), ""
        if prec > fine_precision_m:
            new_prec = max(MIN_PRECISION_M, float(np.sqrt(max(prec**2 - d_border**2, 0.0))))
            method, target, new_prec, note = _coarse_position(
                gate, contact_xy.get(gate["border"], np.empty((0, 2))), owned, nearest, new_prec
            )
        plausible = d_border <= max(prec, GATE_SETBACK_M) and method != "unplaced"
        if d_border > max(prec, GATE_SETBACK_M):
            note = _join(
                note,
                f"original point is {d_border / 1000:.1f} km from the {gate['border']} border, beyond its stated "
                f"precision {prec / 1000:.1f} km",
            )
        if method != "unplaced":
            owned.append((target.x, target.y, str(gate["id"])))
        moved = float(distance_m(lon, lat, target.x, target.y))
        results[k] = [lon, lat, prec, d_border, method, moved, plausible, note, new_prec, target]
    table = pd.DataFrame([results[k] for k in range(len(gates))], columns=_SNAP_COLUMNS, index=out.index)
    for column in _SNAP_COLUMNS[:-2]:
        out[column] = table[column]
    out["coord_precision_m"] = table["new_precision_m"]
    out = out.set_geometry(gpd.GeoSeries(table["geometry"], index=out.index, crs=STORAGE_CRS))
    # lat/lon always describe the position in use (the snapped one); the original keeps an orig_ prefix
    out["lon"], out["lat"] = out.geometry.x, out.geometry.y
    if "coord_source" in out:
        out["orig_coord_source"] = out["coord_source"]
    out["coord_source"] = [
        f"borderwatch snap onto the {b} border ({m}); original coordinate in orig_lon/orig_lat"
        for b, m in zip(out["border"], out["snap_method"], strict=True)
    ]
    _flag_shared_origins(out)
    _snap_counterparts(out, line_by_border)
    notes = out[~out["snap_plausible"]]
    for _, g in notes.iterrows():  # in full with -v; `borderwatch gates` and `validate` print them
        log.info("gate %s (%s): %s", g["id"], g["name"], g["snap_note"])
    if len(notes):
        log.warning(notes_summary(len(notes)), extra={NOTES_SUMMARY: True})
    return out


def notes_summary(count: int) -> str:
    """Return the one line that summarises ``count`` gate placement notes (the notes: ``borderwatch gates``).

    Parameters
    ----------
    count
        Gates whose position on the border could not be placed plausibly (``snap_plausible`` false).

    Returns
    -------
    str

    Examples
    --------
    >>> notes_summary(9)
    '9 gates placed with notes (their border position is approximate); see `borderwatch gates`'
    """
    return f"{count} gates placed with notes (their border position is approximate); see `borderwatch gates`"


#: What snapping computes per gate, in order; the last two become coord_precision_m and the geometry.
_SNAP_COLUMNS = (
    "orig_lon",
    "orig_lat",
    "orig_precision_m",
    "border_distance_m",
    "snap_method",
    "snap_distance_m",
    "snap_plausible",
    "snap_note",
    "new_precision_m",
    "geometry",
)


def _owner(x: float, y: float, owned: list[tuple[float, float, str]]) -> str | None:
    """Return the gate already placed within OWNED_RADIUS_M of (x, y), if any."""
    for ox, oy, gid in owned:
        if float(distance_m(x, y, ox, oy)) <= OWNED_RADIUS_M:
            return gid
    return None


def _coarse_position(gate: pd.Series, cands: np.ndarray, owned: list, nearest: Point, prec_m: float) -> tuple:
    """Where a coarse gate goes: its nearest free road contact, else its free nearest border point, else nowhere.

    Returns (method, point, precision_m, note).  A contact or border point within
    OWNED_RADIUS_M of a more precisely placed gate is that gate's, not this one's.
    """
    lon, lat, prec = gate.geometry.x, gate.geometry.y, float(gate["coord_precision_m"])
    notes, taken = [], []
    if len(cands):
        d = distance_m(lon, lat, cands[:, 0], cands[:, 1])
        inside = np.flatnonzero(d <= prec)
        for best in inside[np.argsort(d[inside], kind="stable")]:
            owner = _owner(*cands[best], owned)
            if owner is not None:
                taken.append(owner)
                continue
            target = Point(cands[best])
            free = [c for c in inside if _owner(*cands[c], owned) is None]
            spread = distance_m(target.x, target.y, cands[free, 0], cands[free, 1])
            if len(inside) > 1:
                notes.append(f"{len(inside)} road contacts within stated precision; nearest free one taken")
            if taken:
                notes.append(f"nearer crossing(s) belong to {', '.join(sorted(set(taken)))}")
            return "road_crossing", target, max(ROAD_CROSSING_PRECISION_M, float(spread.max())), "; ".join(notes)
    owner = _owner(nearest.x, nearest.y, owned)
    if owner is None:
        if taken:
            notes.append(f"every road crossing within its precision belongs to {', '.join(sorted(set(taken)))}")
        return "nearest_border", nearest, prec_m, "; ".join(notes)
    owners = ", ".join(sorted({*taken, owner}))
    why = f"every road crossing within its precision and its nearest border point belong to {owners}"
    return "unplaced", nearest, prec_m, f"{why}; it cannot be placed apart from them"


def _join(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more


def _flag_shared_origins(out: gpd.GeoDataFrame) -> None:
    """Coarse gates that share one original coordinate cannot be told apart: flag them."""
    coarse = out[out["orig_precision_m"] >= SHARED_ORIGIN_MIN_PRECISION_M]
    for _, group in coarse.groupby([coarse["orig_lon"].round(6), coarse["orig_lat"].round(6)]):
        if len(group) < 2:
            continue
        for i in group.index:
            others = ", ".join(g for g in group["id"] if g != out.at[i, "id"])
            out.at[i, "snap_plausible"] = False
            out.at[i, "snap_note"] = _join(
                out.at[i, "snap_note"],
                f"same original coordinate as {others}; its place on the border cannot be told apart",
            )


def _snap_counterparts(out: gpd.GeoDataFrame, line_by_border: dict[str, shapely.Geometry]) -> None:
    cols = {"counterpart_snap_lon": [], "counterpart_snap_lat": [], "counterpart_snap_distance_m": []}
    has = {"counterpart_lat", "counterpart_lon"} <= set(out.columns)
    for _, gate in out.iterrows():
        clat = pd.to_numeric(gate.get("counterpart_lat"), errors="coerce") if has else np.nan
        clon = pd.to_numeric(gate.get("counterpart_lon"), errors="coerce") if has else np.nan
        if np.isfinite(clat) and np.isfinite(clon):
            pt = to_degrees(_nearest_on(line_by_border[gate["border"]], to_metres(Point(clon, clat))))
            vals = [pt.x, pt.y, float(distance_m(clon, clat, pt.x, pt.y))]
        else:
            vals = [np.nan, np.nan, np.nan]
        for k, v in zip(cols, vals, strict=True):
            cols[k].append(v)
    for k, v in cols.items():
        out[k] = v


def snap_summary(snapped: gpd.GeoDataFrame) -> dict[str, object]:
    """Summarise a :func:`snap_gates` result: counts and distances (km)."""
    moved = snapped["snap_distance_m"] / 1000.0
    cp = snapped["counterpart_snap_distance_m"].dropna() / 1000.0
    return {
        "gates_snapped": len(snapped),
        "by_method": {str(k): int(v) for k, v in snapped["snap_method"].value_counts().sort_index().items()},
        "snap_distance_km": {"median": round(float(moved.median()), 3), "max": round(float(moved.max()), 3)},
        "implausible": sorted(snapped.loc[~snapped["snap_plausible"], "id"].tolist()),
        "counterparts_snapped": len(cp),
        "counterpart_snap_distance_km": {"median": round(float(cp.median()), 3), "max": round(float(cp.max()), 3)}
        if len(cp)
        else None,
    }


def place_gates(region, *, lines: gpd.GeoDataFrame | None = None, road_reach_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Snap the region's gates onto their borders (see :func:`snap_gates`).

    Parameters
    ----------
    region
        A :class:`~borderwatch.io.Region`.
    lines
        Borderlines, if already computed.
    road_reach_m
        See :func:`road_border_contacts`.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`snap_gates`.

    Raises
    ------
    ParameterError
        ``region`` is not a Region, ``lines`` not borderlines or None, ``road_reach_m`` not a number.
    """
    require(region, Region, where="place_gates", name="region", fix="load one with borderwatch.load_region()")
    require(lines, (gpd.GeoDataFrame, None), where="place_gates", name="lines", columns=LINE_COLUMNS, fix=LINES_FIX)
    require(road_reach_m, (int, float), where="place_gates", name="road_reach_m")
    lines = borderlines(region.countries) if lines is None else lines
    contacts = road_border_contacts(region.roads, lines, road_reach_m=road_reach_m)
    return snap_gates(region.gates, lines, contacts)
