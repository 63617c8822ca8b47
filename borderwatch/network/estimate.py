"""Memory the route graph build will need, estimated before it starts.

The terrain lattice dominates the build: every land cell of the (refined) DEM
is a node joined to its 8 neighbours, and profile ``lattice.refine = k``
multiplies the cells by k².  :func:`lattice_bytes` estimates the memory of the
lattice from the DEM's shape and ``refine`` alone, so a refine the machine
cannot hold is refused in a second (:func:`check_lattice_memory`; the CLI
reads the shape from the DEM file's header, :func:`dem_shape`, before loading
anything) instead of failing with a ``MemoryError`` after minutes.  The
border band (profile ``lattice.band_km``, ``lattice.band_refine``) adds its
cells: :func:`band_estimate` and :func:`check_band`, checked before a build.

The estimate is an upper bound: it counts every DEM cell as land (the shipped
DEM is 55 % land) at :data:`BYTES_PER_EDGE`, measured as the peak memory of
``build-network`` on the shipped data at refine 1 and 2 (765 MB with 281,252
off-road edges, 1,704 MB with 1,108,835: 1,135 bytes per edge, rounded up).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ProfileError
from ..geodesy import distance_m

if TYPE_CHECKING:
    from ..region import Terrain

#: Lattice edges per cell (the 8 neighbours).
EDGES_PER_CELL = 8
#: Peak build memory per lattice edge (bytes; networkx edge, its attributes and the arrays).
BYTES_PER_EDGE = 1200


def lattice_edges(shape: tuple[int, int], refine: int) -> int:
    """Return the most lattice edges a DEM of ``shape`` can give at ``refine`` (every cell counted as land).

    Parameters
    ----------
    shape
        DEM rows and columns.
    refine
        The profile's ``lattice.refine``.

    Returns
    -------
    int
    """
    rows, cols = shape
    return int(rows) * int(cols) * int(refine) ** 2 * EDGES_PER_CELL


def lattice_bytes(shape: tuple[int, int], refine: int) -> int:
    """Return the estimated peak memory (bytes) of the terrain lattice of a DEM of ``shape`` at ``refine``.

    Parameters
    ----------
    shape
        DEM rows and columns.
    refine
        The profile's ``lattice.refine``.

    Returns
    -------
    int

    Examples
    --------
    >>> round(lattice_bytes((265, 241), 16) / 1e9)  # the shipped DEM at the largest refine
    157
    """
    return lattice_edges(shape, refine) * BYTES_PER_EDGE


def dem_shape(path: str | Path) -> tuple[int, int] | None:
    """Return a DEM file's rows and columns from its header (no pixels read), or ``None`` if it cannot be opened.

    Parameters
    ----------
    path
        The DEM GeoTIFF.

    Returns
    -------
    tuple of int, or None
        ``None`` leaves the error to the reader, which names the problem.
    """
    import rasterio

    try:
        with rasterio.open(path) as src:
            return int(src.height), int(src.width)
    except (OSError, rasterio.errors.RasterioError):
        return None


def available_bytes() -> int | None:
    """Return the memory available to a new allocation (Linux ``MemAvailable``), or ``None`` when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_lattice_memory(shape: tuple[int, int], refine: int, *, available: int | None = None) -> int:
    """Refuse a ``lattice.refine`` whose lattice would not fit in the available memory.

    Parameters
    ----------
    shape
        DEM rows and columns.
    refine
        The profile's ``lattice.refine``.
    available
        Bytes available (default :func:`available_bytes`; unknown: no check).

    Returns
    -------
    int
        The estimate (bytes).

    Raises
    ------
    ProfileError
        The estimate exceeds the available memory; the message gives both and
        the largest refine that fits.
    """
    estimate = lattice_bytes(shape, refine)
    available = available_bytes() if available is None else available
    if available is None or estimate <= available:
        return estimate
    fits = [k for k in range(1, refine) if lattice_bytes(shape, k) <= available]
    advice = f"use lattice.refine = {fits[-1]} or less" if fits else "use a coarser DEM"
    raise ProfileError(
        f"lattice.refine = {refine} on the {shape[0]} x {shape[1]} DEM: the terrain lattice would have up to "
        f"{lattice_edges(shape, refine) / 1e6:.1f} million edges and need about {estimate / 1e9:.1f} GB, more than "
        f"the {available / 1e9:.1f} GB of memory available; {advice}"
    )


def band_estimate(dem: Terrain, border_km: float, *, refine: int, km: float, factor: int) -> dict[str, float]:
    """Estimate, before building, the band cells, the lattice edges and the graph's memory.

    The band is about ``2 km`` wide along ``border_km`` of border (both sides
    of the line), plus a disc at the ends; land is where the DEM is above sea
    level; every cell has 8 neighbours.

    Parameters
    ----------
    dem
        The DEM.
    border_km
        Length of Vietnam's land border (km).
    refine, km, factor
        ``lattice.refine``, ``lattice.band_km`` and ``lattice.band_refine``.

    Returns
    -------
    dict
        ``band_cells``, ``edges`` (the whole lattice's, the band's included)
        and ``memory_mb`` (at :data:`BYTES_PER_EDGE`).
    """
    r, c = (s // 2 for s in dem.shape)
    lon, lat = dem.cell_centres()
    width_km = float(distance_m(lon[r, c], lat[r, c], lon[r, c + 1], lat[r, c])) / 1000.0
    height_km = float(distance_m(lon[r, c], lat[r, c], lon[r + 1, c], lat[r + 1, c])) / 1000.0
    cell_km2 = width_km * height_km / refine**2
    on = km > 0 and factor > 1
    band_cells = (2.0 * km * border_km + np.pi * km * km) / cell_km2 * factor**2 if on else 0.0
    edges = 8.0 * (np.count_nonzero(dem.elevation_m > 0) * refine**2 + band_cells)
    return {"band_cells": band_cells, "edges": edges, "memory_mb": edges * BYTES_PER_EDGE / 2**20}


def check_band(dem: Terrain, border_km: float, lattice: Mapping[str, Any]) -> None:
    """Refuse a border band too fine for this machine, before anything is built.

    Parameters
    ----------
    dem
        The DEM.
    border_km
        Length of Vietnam's land border (km).
    lattice
        The profile's ``[lattice]`` table.

    Raises
    ------
    ProfileError
        The band is on and the estimated graph memory (:func:`band_estimate`)
        exceeds the memory available (:func:`available_bytes`).
    """
    km, factor = lattice["band_km"], lattice["band_refine"]
    if km <= 0 or factor <= 1:
        return
    est = band_estimate(dem, border_km, refine=lattice["refine"], km=km, factor=factor)
    available = available_bytes()
    limit = available / 2**20 if available is not None else float("inf")
    if est["memory_mb"] > limit:
        raise ProfileError(
            f"keys 'lattice.band_km' = {km:g} and 'lattice.band_refine' = {factor} (with 'lattice.refine' = "
            f"{lattice['refine']}): the border band would have about "
            f"{est['band_cells']:,.0f} cells and the lattice {est['edges']:,.0f} edges, about "
            f"{est['memory_mb'] / 1024:,.1f} GB for the graph, more than the memory available "
            f"({limit / 1024:,.1f} GB); use a smaller band_refine or band_km (band_refine = 0 turns the band off)"
        )
