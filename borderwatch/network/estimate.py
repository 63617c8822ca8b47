"""Memory the route graph build will need, estimated before it starts.

The terrain lattice dominates the build: every land cell of the (refined) DEM
is a node joined to its 8 neighbours, and profile ``lattice.refine = k``
multiplies the cells by k².  :func:`lattice_bytes` estimates the memory of the
lattice from the DEM's shape and ``refine`` alone, so a refine the machine
cannot hold is refused in a second (:func:`check_lattice_memory`; the CLI
reads the shape from the DEM file's header, :func:`dem_shape`, before loading
anything) instead of failing with a ``MemoryError`` after minutes.

The estimate is an upper bound: it counts every DEM cell as land (the shipped
DEM is 55 % land) at :data:`BYTES_PER_EDGE`, measured as the peak memory of
``build-network`` on the shipped data at refine 1 and 2 (765 MB with 281,252
off-road edges, 1,704 MB with 1,108,835: 1,135 bytes per edge, rounded up).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ProfileError

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
