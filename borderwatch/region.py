"""The region data model: every layer as a GeoDataFrame in EPSG:4326, plus the DEM.

:class:`Region` is what :func:`borderwatch.load_region` returns and what every
later stage (borders, gates, network, analysis) reads.  It holds data only;
reading and validation live in :mod:`borderwatch.readers`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
from affine import Affine


@dataclass
class Terrain:
    """A DEM on a regular lon/lat grid (EPSG:4326).

    Attributes
    ----------
    elevation_m
        2-D float array, rows north to south; sea cells are negative (bathymetry).
    transform
        Affine transform from (col, row) to (lon, lat) of the cell's upper-left corner.
    crs
        Always ``"EPSG:4326"`` after loading (other CRSs are reprojected).
    path
        File it came from.
    source_crs
        The file's CRS before reprojection (``None``: not read from a file).
    """

    elevation_m: np.ndarray
    transform: Affine
    crs: str
    path: Path
    source_crs: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        return self.elevation_m.shape

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (lon, lat) arrays of every cell centre, shaped like the grid."""
        rows, cols = np.indices(self.shape)
        lon, lat = self.transform @ (cols + 0.5, rows + 0.5)
        return np.asarray(lon), np.asarray(lat)


@dataclass
class Region:
    """Every layer borderwatch models, as GeoDataFrames in EPSG:4326, plus the DEM.

    Attributes
    ----------
    layers
        Layer name -> GeoDataFrame (see :data:`LAYER_FILES` for the names).
    terrain
        The DEM.
    sources
        Layer name -> file path it was read from.
    """

    layers: dict[str, gpd.GeoDataFrame]
    terrain: Terrain
    sources: dict[str, Path] = field(default_factory=dict)

    def __getattr__(self, name: str) -> gpd.GeoDataFrame:
        layers = self.__dict__.get("layers", {})
        if name in layers:
            return layers[name]
        raise AttributeError(f"Region has no layer {name!r}; layers: {', '.join(layers)}")

    def manifest(self) -> dict[str, dict[str, str]]:
        """Return provenance of every input: path and SHA-256 of each file."""
        files = dict(self.sources)
        files["dem"] = self.terrain.path
        return {name: {"path": str(p), "sha256": file_sha256(p)} for name, p in files.items()}


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file.

    Parameters
    ----------
    path
        The file to hash.

    Returns
    -------
    str
        64 hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
