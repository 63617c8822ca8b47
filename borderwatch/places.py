"""Name a point as a planner would: by its nearest place, its district and its province.

A border segment, a proposed BLO site or an interdiction unit is an id and
a coordinate to the model; to a planner it is "2 km SW of Nậm Cắn, Kỳ Sơn,
Nghệ An".  :class:`Gazetteer` turns coordinates into such names, vectorised,
from the region's own layers:

- the landmarks are the Vietnamese populated places (layer ``places``,
  ``iso_a3`` VNM, by ``name_local``) and the border gates (layer ``gates``, by
  ``name_vi`` and their ``district``), the gates because they are where the
  border has names;
- the province is the Vietnamese province (layer ``provinces``) containing the
  point, or the nearest one (a point on the border line may fall a few metres
  outside every polygon); the district is the nearest landmark's when it is a
  gate in that province, as the shipped data has no district polygons.

Distances and bearings are geodesic (:data:`~borderwatch.geodesy.GEOD`), from
the landmark to the point ("SW of": the point lies south-west of it); a point
within :data:`AT_KM` of its landmark is "at" it.  :func:`gazetteer` builds one
per region and keeps it while the region lives.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .doors import require
from .errors import ParameterError
from .geodesy import GEOD
from .kept import Kept
from .region import Region

#: A point closer than this (km) to its landmark is "at" it.
AT_KM = 0.5
#: Compass points of a bearing, clockwise from north.
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
#: How many answers of :meth:`Gazetteer.table` are kept (by their coordinates' bytes).
TABLES_KEPT = 8
#: Columns of :meth:`Gazetteer.table`.
PLACE_COLUMNS = ["place", "landmark", "landmark_km", "bearing", "district", "province"]
_CACHE: dict[int, tuple[weakref.ref, Gazetteer]] = {}


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Landmarks and provinces to name points by (:func:`gazetteer` builds one from a region).

    Attributes
    ----------
    names, lon, lat, districts, provinces
        One entry per landmark: its name, position (degrees) and district and
        province ("" when unknown).
    province_names
        The name of each province polygon.
    province_shapes
        The province polygons (EPSG:4326).
    """

    names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    districts: np.ndarray
    provinces: np.ndarray
    province_names: np.ndarray
    province_shapes: np.ndarray

    def __post_init__(self) -> None:
        """Index the landmarks (3-D unit vectors: the nearest by chord is the nearest on the sphere)."""
        object.__setattr__(self, "_tree", cKDTree(_unit(self.lon, self.lat)) if len(self.names) else None)
        object.__setattr__(self, "_shapes", shapely.STRtree(self.province_shapes))
        # the last few answers: a report names the same segments often
        object.__setattr__(self, "_tables", Kept(TABLES_KEPT))

    def table(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        """Name every point: nearest landmark, distance and bearing from it, district, province.

        Parameters
        ----------
        lon, lat
            Degrees, one entry per point (NaN: a point that has no position).

        Returns
        -------
        pandas.DataFrame
            :data:`PLACE_COLUMNS`, a row per point: ``place`` ("2 km SW of
            Nậm Cắn, Kỳ Sơn, Nghệ An"; "" for a point without position),
            ``landmark``, ``landmark_km``, ``bearing`` (compass point from the
            landmark to the point), ``district`` and ``province``.

        Raises
        ------
        ParameterError
            ``lon`` and ``lat`` differ in length.

        Examples
        --------
        >>> import borderwatch as bw
        >>> g = gazetteer(bw.load_region())  # doctest: +SKIP
        >>> g.table([104.1], [19.45])["place"].tolist()  # doctest: +SKIP
        ['2.8 km SE of Nậm Cắn, Kỳ Sơn, Nghệ An']
        """
        lon, lat = np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel()
        if lon.shape != lat.shape:
            raise ParameterError(f"lon and lat must have one entry per point; got {len(lon)} and {len(lat)}")
        key = (lon.tobytes(), lat.tobytes())
        if key not in self._tables:
            self._tables.put(key, self._table(lon, lat))
        return self._tables[key].copy()

    def _table(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        n = len(lon)
        ok = np.isfinite(lon) & np.isfinite(lat)
        out = pd.DataFrame({c: [""] * n for c in PLACE_COLUMNS})
        out["landmark_km"] = np.nan
        if not ok.any():
            return out
        rows = np.flatnonzero(ok)
        points = shapely.points(lon[rows], lat[rows])
        province = np.full(len(rows), "", dtype=object)
        if len(self.province_shapes):
            province = self.province_names[self._province_of(points)]
        out.loc[rows, "province"] = province
        if self._tree is None:
            out.loc[rows, "place"] = province
            return out
        _, k = self._tree.query(_unit(lon[rows], lat[rows]))
        azimuth, _, dist_m = GEOD.inv(self.lon[k], self.lat[k], lon[rows], lat[rows])
        km = np.asarray(dist_m) / 1000.0
        bearing = np.array(COMPASS)[np.round((np.asarray(azimuth) % 360.0) / 45.0).astype(int) % 8]
        district = np.where(self.provinces[k] == province, self.districts[k], "")
        where = [
            f"at {name}" if d < AT_KM else f"{_km(d)} km {b} of {name}"
            for name, d, b in zip(self.names[k], km, bearing, strict=True)
        ]
        out.loc[rows, "place"] = [
            ", ".join(p for p in parts if p) for parts in zip(where, district, province, strict=True)
        ]
        out.loc[rows, "landmark"] = self.names[k]
        out.loc[rows, "landmark_km"] = km.round(2)
        out.loc[rows, "bearing"] = np.where(km < AT_KM, "", bearing)
        out.loc[rows, "district"] = district
        return out

    def _province_of(self, points: np.ndarray) -> np.ndarray:
        """Index of each point's province: the first polygon it lies in, else the nearest (a point at sea, abroad)."""
        point, shape = self._shapes.query(points, predicate="intersects")  # cheap; the nearest search is not
        found = np.full(len(points), -1, dtype=np.int64)
        order = np.lexsort((shape, point))  # a point on a shared boundary: the lower polygon
        point, shape = point[order], shape[order]
        first = np.flatnonzero(np.diff(point, prepend=-1))
        found[point[first]] = shape[first]
        outside = np.flatnonzero(found < 0)
        if len(outside):
            _, found[outside] = self._shapes.query_nearest(points[outside], all_matches=False)
        return found

    def names_of(self, lon: np.ndarray, lat: np.ndarray) -> list[str]:
        """Return only the ``place`` of every point (see :meth:`table`).

        Parameters
        ----------
        lon, lat
            Degrees, one entry per point.

        Returns
        -------
        list of str
        """
        return self.table(lon, lat)["place"].tolist()

    def of_lines(self, lines: gpd.GeoSeries | np.ndarray) -> list[str]:
        """Name every line (a border segment, a stretch) by the point halfway along it.

        Parameters
        ----------
        lines
            Line geometries in EPSG:4326 (``None``: no name).

        Returns
        -------
        list of str
        """
        geoms = np.asarray(lines, dtype=object)
        middle = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
        return self.names_of(shapely.get_x(middle), shapely.get_y(middle))


def gazetteer(region: Region) -> Gazetteer:
    """Return the region's gazetteer, built once per region (kept while the region lives).

    Parameters
    ----------
    region
        The region (:func:`borderwatch.load_region`); its ``places``,
        ``gates`` and ``provinces`` layers are used when present.

    Returns
    -------
    Gazetteer

    Raises
    ------
    ParameterError
        ``region`` is not a Region.
    """
    require(region, Region, where="gazetteer", name="region")
    key = id(region)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is region:
        return hit[1]
    made = _build(region)
    _CACHE[key] = (weakref.ref(region, lambda _: _CACHE.pop(key, None)), made)
    return made


def _build(region: Region) -> Gazetteer:
    layers = region.layers
    parts = []
    places = layers.get("places")
    if places is not None and len(places):
        vn = places[places.get("iso_a3", pd.Series("VNM", index=places.index)) == "VNM"]
        label = vn["name_local"] if "name_local" in vn else vn["name"]
        parts.append(
            pd.DataFrame(
                {
                    "name": label.fillna(vn["name"]).astype(str).to_numpy(),
                    "lon": vn.geometry.x.to_numpy(),
                    "lat": vn.geometry.y.to_numpy(),
                    "district": "",
                    "province": "",
                }
            )
        )
    gates = layers.get("gates")
    if gates is not None and len(gates):
        label = gates["name_vi"] if "name_vi" in gates else gates["name"]
        parts.append(
            pd.DataFrame(
                {
                    "name": label.fillna(gates["name"]).astype(str).to_numpy(),
                    "lon": gates.geometry.x.to_numpy(),
                    "lat": gates.geometry.y.to_numpy(),
                    "district": _text(gates, "district"),
                    "province": _text(gates, "province"),
                }
            )
        )
    marks = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["name", "lon", "lat"])
    marks = marks[np.isfinite(marks["lon"].astype(float)) & np.isfinite(marks["lat"].astype(float))]
    provinces = layers.get("provinces")
    if provinces is not None and len(provinces):
        provinces = provinces[provinces.get("iso_a3", pd.Series("VNM", index=provinces.index)) == "VNM"]
        provinces = provinces[provinces.geometry.notna() & ~provinces.geometry.is_empty]
    shapes = provinces.geometry.to_numpy() if provinces is not None else np.array([], dtype=object)
    names = provinces["name"].astype(str).to_numpy() if provinces is not None else np.array([], dtype=object)
    return Gazetteer(
        names=marks["name"].to_numpy(dtype=object),
        lon=marks["lon"].to_numpy(dtype=float),
        lat=marks["lat"].to_numpy(dtype=float),
        districts=marks["district"].to_numpy(dtype=object),
        provinces=marks["province"].to_numpy(dtype=object),
        province_names=names,
        province_shapes=shapes,
    )


def _text(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        return np.full(len(table), "", dtype=object)
    return table[column].fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _km(d: float) -> str:
    return f"{d:.0f}" if d >= 10 else f"{d:.1f}"


def unit_labels(scenario: Any, units: list[str]) -> dict[str, str]:
    """Name interdiction units as a planner reads them: ``segment:LAO-00-0201`` -> "LAO-00-0201, 2.6 km SW of ...".

    Parameters
    ----------
    scenario
        The :class:`~borderwatch.Scenario` the units come from; without a
        region (a user graph) every unit keeps its id.
    units
        Unit names: ``gate:<id>``, ``segment:<id>``, or ``informal <node>``
        (an informal crossing outside every segment, named by its node's
        place); others keep their name.

    Returns
    -------
    dict
        Unit -> label: ``"<gate id> <name> gate, <district>, <province>"``,
        ``"<segment id>, <place>"`` or ``"informal crossing, <place>"``.
    """
    if scenario.region is None or not units:
        return {u: u for u in units}
    gates = scenario.gates.set_index("id")
    segments = scenario.segments.set_index("segment_id")
    arrays = scenario.arrays
    points: dict[str, tuple[float, float, str]] = {}
    for unit in units:
        kind, _, key = unit.partition(":")
        if kind == "gate" and key in gates.index:
            g = gates.loc[key]
            name = g["name_vi"] if isinstance(g.get("name_vi"), str) and g["name_vi"] else g["name"]
            points[unit] = (g.geometry.x, g.geometry.y, f"{key} {name} gate")
        elif kind == "segment" and key in segments.index:
            middle = shapely.line_interpolate_point(segments.loc[key, "geometry"], 0.5, normalized=True)
            points[unit] = (middle.x, middle.y, key)
        elif unit.startswith("informal ") and unit.removeprefix("informal ") in arrays.index:
            row = arrays.index[unit.removeprefix("informal ")]
            points[unit] = (arrays.node_x[row], arrays.node_y[row], "informal crossing")
    named = list(points)
    places = gazetteer(scenario.region).names_of([points[u][0] for u in named], [points[u][1] for u in named])
    found = {}
    for unit, place in zip(named, places, strict=True):
        what = points[unit][2]
        here = f"at {what.split(' ', 1)[-1].removesuffix(' gate')}"  # a gate is its own landmark: say it once
        place = place.removeprefix(here).removeprefix(", ") if place.startswith(here + ",") else place
        found[unit] = f"{what}, {place}" if place else what
    return {u: found.get(u, u) for u in units}
