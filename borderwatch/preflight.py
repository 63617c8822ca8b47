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
import rasterio.features

if TYPE_CHECKING:
    from .region import Region

#: Countries the commands rely on: Vietnam and its neighbours (borderlines), Thailand and
#: Myanmar (the Golden Triangle tri-point).
REQUIRED_COUNTRIES = ("VNM", "LAO", "CHN", "KHM", "THA", "MMR")


def cross_layer_problems(region: Region) -> list[str]:
    """Problems that involve two layers, or a layer and the DEM.

    Everything ``info``, ``gates`` and ``build-network`` rely on beyond each
    layer's schema: the countries they need, BLO gate references, and a DEM
    with valid elevations on the region's land.

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
    problems.extend(dem_problems(region))
    return problems


def dem_problems(region: Region) -> list[str]:
    """Whether the DEM has valid elevations where the region has land.

    Parameters
    ----------
    region
        The region.

    Returns
    -------
    list of str
        A problem when every cell is NaN/nodata or no land cell has a value.
        (NaN cells on land among valid ones are filled when the lattice is
        built, and reported there.)
    """
    dem = region.terrain
    valid = np.isfinite(dem.elevation_m)
    if not valid.any():
        return [
            f"DEM {str(dem.path)!r}: every cell is NaN or nodata; give a DEM with elevations (e.g. the shipped ETOPO5)"
        ]
    land = rasterio.features.geometry_mask(
        region.countries.geometry.values, out_shape=dem.shape, transform=dem.transform, invert=True
    )
    if land.any() and not (valid & land).any():
        return [
            f"DEM {str(dem.path)!r}: none of its {int(land.sum())} cells on land has an elevation (all NaN or nodata); "
            "give a DEM that covers the region"
        ]
    return []
