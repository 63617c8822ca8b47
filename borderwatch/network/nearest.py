"""Nearest-point search in metres: which lattice cell, road node or river node is closest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
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
