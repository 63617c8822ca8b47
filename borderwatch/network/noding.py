"""Turn line layers (roads, rivers) into noded edge pieces, cut at the land border.

Lines are noded where they cross or touch; a dangling end within the snap
tolerance of another line is extended onto it (the Vietnamese road layer is
not topologically noded).  Every line is also cut where it crosses Vietnam's
land border, and each piece is assigned the country its midpoint lies in.
Piece ends are keyed by (side, position rounded to 1 m), the side being
Vietnam or not, so two pieces meeting *at Vietnam's land border* get different
nodes: that border is a barrier that only gate edges bridge.  Roads meeting at
other borders (Thailand-Laos, China-Myanmar ...) stay joined.  Work is done in the region's metric CRS; output
geometries are EPSG:4326 and lengths geodesic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ..geodesy import geodesic_lengths_m, to_degrees, to_metres
from ..schema import STORAGE_CRS

#: Split points closer than this to a line end (m) are ignored.
END_EPS_M = 0.5


@dataclass
class CountryLocator:
    """Which country a lon/lat point lies in (nearest country for points offshore)."""

    countries: gpd.GeoDataFrame

    def __post_init__(self) -> None:
        self._geoms = self.countries.geometry.values
        self._iso = np.asarray(self.countries["iso_a3"], dtype=object)
        self._tree = shapely.STRtree(self._geoms)

    def locate(self, points: np.ndarray) -> np.ndarray:
        """ISO code for each point of a geometry array."""
        out = np.full(len(points), "", dtype=object)
        if len(points) == 0:
            return out
        pt_idx, poly_idx = self._tree.query(points, predicate="within")
        out[pt_idx] = self._iso[poly_idx]
        missing = np.flatnonzero(out == "")
        if len(missing):
            _, nearest = self._tree.query_nearest(points[missing], all_matches=False)
            out[missing] = self._iso[nearest]
        return out


@dataclass
class NodedLines:
    """Edge pieces and their end nodes.

    Attributes
    ----------
    pieces
        GeoDataFrame: ``line_id``, ``line_class``, ``country``, ``u``, ``v``,
        ``length_m`` (geodesic), geometry (EPSG:4326).
    nodes
        DataFrame indexed by node id: ``lon``, ``lat``, ``country``.
    snapped_ends
        How many dangling ends were joined to another line.
    border_cuts
        How many times a line was cut at the land border.
    """

    pieces: gpd.GeoDataFrame
    nodes: pd.DataFrame
    snapped_ends: int
    border_cuts: int


def _points_of(geom: shapely.Geometry) -> list[shapely.Point]:
    out = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if part.geom_type == "Point":
            out.append(part)
        elif part.geom_type == "LineString":  # overlapping stretch: node its ends
            out.extend([shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])])
    return out


def node_lines(
    lines: gpd.GeoDataFrame,
    *,
    id_column: str,
    class_column: str,
    locator: CountryLocator,
    border: shapely.Geometry,
    prefix: str,
    snap_tolerance_m: float = 0.0,
    split_every_m: float | None = None,
) -> NodedLines:
    """Node a line layer and cut it at the border (see module docstring).

    Parameters
    ----------
    lines
        Line layer in EPSG:4326.
    id_column, class_column
        Columns copied to every piece as ``line_id`` and ``line_class``.
    locator
        Country lookup for piece midpoints.
    border
        Vietnam's land border (all neighbours), EPSG:4326.
    prefix
        Node id prefix (``"road"``, ``"river"``).
    snap_tolerance_m
        Join dangling ends to the nearest other line within this distance.
    split_every_m
        Also cut every so many metres (river landings).
    """
    parts = lines[[id_column, class_column, "geometry"]].explode(index_parts=False, ignore_index=True)
    parts = parts[~parts.geometry.is_empty & (shapely.get_num_coordinates(parts.geometry.values) >= 2)].reset_index(
        drop=True
    )
    geoms = list(to_metres(parts.geometry.values))
    n = len(geoms)
    splits: list[list[shapely.Point]] = [[] for _ in range(n)]
    tree = shapely.STRtree(geoms)

    # 1. crossings and touches between lines
    left, right = tree.query(np.asarray(geoms, dtype=object), predicate="intersects")
    keep = left < right
    for i, j, inter in zip(
        left[keep],
        right[keep],
        shapely.intersection(np.take(geoms, left[keep]), np.take(geoms, right[keep])),
        strict=True,
    ):
        pts = _points_of(inter)
        splits[i].extend(pts)
        splits[j].extend(pts)

    # 2. dangling ends joined to the nearest other line within tolerance
    snapped = 0
    if snap_tolerance_m > 0:
        for i in range(n):
            coords = list(geoms[i].coords)
            changed = False
            for end_pos in (0, -1):
                end = shapely.Point(coords[end_pos])
                near = [j for j in tree.query(end, predicate="dwithin", distance=snap_tolerance_m) if j != i]
                if not near or any(geoms[j].distance(end) < 1.0 for j in near):
                    continue
                j = min(near, key=lambda k: geoms[k].distance(end))
                target = geoms[j].interpolate(geoms[j].project(end))
                splits[j].append(target)
                if end_pos == 0:
                    coords.insert(0, (target.x, target.y))
                else:
                    coords.append((target.x, target.y))
                changed = True
                snapped += 1
            if changed:
                geoms[i] = shapely.LineString(coords)

    # 3. cuts at the land border
    border_m = to_metres(border)
    cuts = 0
    for i in tree.query(border_m, predicate="intersects"):
        pts = _points_of(geoms[i].intersection(border_m))
        splits[i].extend(pts)
        cuts += len(pts)

    # 4. split each line at its points (and every split_every_m)
    piece_geoms, piece_src = [], []
    for i, line in enumerate(geoms):
        length = line.length
        d = [line.project(p) for p in splits[i]]
        if split_every_m:
            d.extend(np.arange(split_every_m, length, split_every_m))
        cut = np.unique(np.round([x for x in d if END_EPS_M < x < length - END_EPS_M], 3))
        bounds = [0.0, *cut, length]
        for a, b in itertools.pairwise(bounds):
            if b - a > END_EPS_M:
                piece_geoms.append(substring(line, a, b))
                piece_src.append(i)
    piece_geoms = np.asarray(piece_geoms, dtype=object)
    src = np.asarray(piece_src)

    # 5. back to degrees, countries, nodes, lengths
    deg = to_degrees(piece_geoms)
    mids = shapely.line_interpolate_point(deg, 0.5, normalized=True)
    country = locator.locate(mids)
    starts = shapely.get_point(piece_geoms, 0)
    ends = shapely.get_point(piece_geoms, -1)
    sx, sy = np.round(shapely.get_x(starts)), np.round(shapely.get_y(starts))
    ex, ey = np.round(shapely.get_x(ends)), np.round(shapely.get_y(ends))
    side = np.where(np.concatenate([country, country]) == "VNM", "VNM", "")
    keys = pd.DataFrame({"side": side, "x": np.concatenate([sx, ex]), "y": np.concatenate([sy, ey])})
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    node_ids = np.array([f"{prefix}:{k}" for k in range(len(uniques))], dtype=object)
    m = len(piece_geoms)
    u, v = node_ids[codes[:m]], node_ids[codes[m:]]
    ux = np.concatenate(
        [shapely.get_coordinates(shapely.get_point(deg, 0)), shapely.get_coordinates(shapely.get_point(deg, -1))]
    )
    first = pd.Series(np.arange(2 * m)).groupby(codes).first().to_numpy()
    nodes = pd.DataFrame(
        {"lon": ux[first, 0], "lat": ux[first, 1], "country": np.concatenate([country, country])[first]},
        index=pd.Index(node_ids, name="node"),
    )
    coords, index = shapely.get_coordinates(deg, return_index=True)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(index, minlength=m))])
    pieces = gpd.GeoDataFrame(
        {
            "line_id": parts[id_column].to_numpy()[src],
            "line_class": parts[class_column].to_numpy()[src],
            "country": country,
            "u": u,
            "v": v,
            "length_m": geodesic_lengths_m(coords, offsets),
        },
        geometry=deg,
        crs=STORAGE_CRS,
    )
    return NodedLines(pieces=pieces, nodes=nodes, snapped_ends=snapped, border_cuts=cuts)


def border_union(lines: gpd.GeoDataFrame) -> shapely.Geometry:
    """All land borderlines as one geometry (EPSG:4326)."""
    return shapely.union_all(lines.geometry.values)
