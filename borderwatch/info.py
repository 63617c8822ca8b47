"""The facts ``borderwatch info`` reports about a region."""

from __future__ import annotations

from typing import Any

from .borders import borderlines, vietnam_coastline
from .doors import require
from .gates import place_gates, snap_summary
from .reconcile import (
    PUBLISHED_BLOS,
    PUBLISHED_COASTLINE_KM,
    PUBLISHED_GATE_TOTALS_STATED,
    PUBLISHED_GATES,
    PUBLISHED_SEAPORTS,
    PUBLISHED_SOURCE,
    blo_reconciliation,
    gate_counts,
    gate_reconciliation,
)
from .region import Region


def region_info(region: Region) -> dict[str, Any]:
    """Collect counts, lengths, reconciliation and gate snapping for a region.

    Parameters
    ----------
    region
        From :func:`borderwatch.load_region`.

    Returns
    -------
    dict
        JSON-ready; the keys are documented in docs/reference.md (``borderwatch info --json``).

    Raises
    ------
    ParameterError
        ``region`` is not a Region.
    """
    require(region, Region, where="region_info", name="region", fix="load one with borderwatch.load_region()")
    lines = borderlines(region.countries)
    coast = vietnam_coastline(region.coastline, region.countries)
    snapped = place_gates(region, lines=lines)
    snap = snap_summary(snapped)
    blo_rec = blo_reconciliation(region.blos)
    seaports_located = int(region.seaports.geometry.notna().sum())
    return {
        "layers": {name: len(gdf) for name, gdf in region.layers.items()},
        "gates": gate_counts(region.gates),
        "published_gates": PUBLISHED_GATES,
        "published_gate_totals_stated": PUBLISHED_GATE_TOTALS_STATED,
        "gate_reconciliation": gate_reconciliation(region.gates).to_dict(orient="records"),
        "published_source": PUBLISHED_SOURCE,
        "blo_count": len(region.blos),
        "published_blo_count": sum(len(v) for v in PUBLISHED_BLOS.values()),
        "published_blos_missing": blo_rec.loc[
            blo_rec["published_name"].ne("") & ~blo_rec["in_data"], "published_name"
        ].tolist(),
        "blos_not_published": blo_rec.loc[blo_rec["published_name"].eq(""), "blo_id"].tolist(),
        "seaport_count": len(region.seaports),
        "seaports_located": seaports_located,
        "published_seaport_count": PUBLISHED_SEAPORTS,
        "border_length_km": {b: round(float(v), 1) for b, v in lines["length_km"].items()},
        "border_parts": {b: int(v) for b, v in lines["n_parts"].items()},
        "coastline_km": round(float(coast.at["all", "length_km"]), 1),
        "coastline_mainland_km": round(float(coast.at["mainland", "length_km"]), 1),
        "published_coastline_km": PUBLISHED_COASTLINE_KM,
        "gates_snapped": snap["gates_snapped"],
        "snap_methods": snap["by_method"],
        "snap_distance_km": snap["snap_distance_km"],
        "gates_implausible": snap["implausible"],
        "counterparts_snapped": snap["counterparts_snapped"],
        "counterpart_snap_distance_km": snap["counterpart_snap_distance_km"],
    }
