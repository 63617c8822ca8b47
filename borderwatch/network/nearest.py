"""Nearest-point search in metres: which lattice cell, road node, sea cell or border segment is closest."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..geodesy import lonlat_to_metres


class PointIndex:
    """Nearest point to a lon/lat, optionally among one country's points.

    Distances are planar in the region's metric CRS; one KD-tree per country
    (and one over all points) is built on first use and reused.

    Parameters
    ----------
    ids
        Identifier of each point (node ids).
    lon, lat, country
        Position and country code of each point.
    """

    def __init__(self, ids: Sequence[str], lon: np.ndarray, lat: np.ndarray, country: Sequence[str]) -> None:
        self._ids = np.asarray(ids, dtype=object)
        self._xy = lonlat_to_metres(np.asarray(lon), np.asarray(lat))
        self._country = np.asarray(country, dtype=object)
        self._trees: dict[str | None, tuple[cKDTree | None, np.ndarray]] = {}

    @classmethod
    def of_nodes(cls, nodes: pd.DataFrame) -> PointIndex:
        """Index a node table (``lon``, ``lat``, ``country``, indexed by node id)."""
        return cls(nodes.index, nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), nodes["country"].to_numpy())

    def _tree(self, country: str | None) -> tuple[cKDTree | None, np.ndarray]:
        if country not in self._trees:
            sel = np.arange(len(self._ids)) if country is None else np.flatnonzero(self._country == country)
            self._trees[country] = (cKDTree(self._xy[sel]) if len(sel) else None, sel)
        return self._trees[country]

    def nearest(
        self, lon: float, lat: float, *, country: str | None = None, max_m: float = np.inf
    ) -> tuple[str, float] | None:
        """(id, distance in m) of the nearest point, of ``country`` if given, within ``max_m``; else None."""
        tree, sel = self._tree(country)
        if tree is None:
            return None
        d, i = tree.query(lonlat_to_metres(np.array([lon]), np.array([lat]))[0])
        return (self._ids[sel[i]], float(d)) if d <= max_m else None

    def nearest_ids(self, lon: np.ndarray, lat: np.ndarray, *, max_m: float = np.inf) -> np.ndarray:
        """Id of the nearest point to each of many lon/lat points (any country); ``None`` beyond ``max_m``.

        Parameters
        ----------
        lon, lat
            Query points (degrees).
        max_m
            Farther matches are ``None``.

        Returns
        -------
        numpy.ndarray
            One id (or ``None``) per query point.
        """
        out = np.full(len(lon), None, dtype=object)
        tree, sel = self._tree(None)
        if tree is None or not len(out):
            return out
        d, i = tree.query(lonlat_to_metres(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
        near = d <= max_m
        out[near] = self._ids[sel[i[near]]]
        return out

    @classmethod
    def of_line_middles(cls, lines: gpd.GeoDataFrame, id_column: str) -> PointIndex:
        """Index the middle point of each line (e.g. border segments by ``segment_id``).

        Parameters
        ----------
        lines
            Line layer in EPSG:4326.
        id_column
            Column giving each line's id.

        Returns
        -------
        PointIndex
        """
        mid = shapely.line_interpolate_point(lines.geometry.values, 0.5, normalized=True)
        return cls(lines[id_column].to_numpy(dtype=object), shapely.get_x(mid), shapely.get_y(mid), [""] * len(lines))
