"""The facts ``borderwatch info`` reports about a region."""

from __future__ import annotations

from typing import Any

from .borders import borderlines, vietnam_coastline
from .gates import place_gates, snap_summary
from .io import Region
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


def region_info(region: Region) -> dict[str, Any]:
    """Counts, lengths, reconciliation and gate snapping for a region.

    Returns
    -------
    dict
        JSON-ready; the keys are documented in the README (``borderwatch info --json``).
    """
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
        "published_blos_missing": blo_rec.loc[blo_rec["published_name"].ne("") & ~blo_rec["in_data"], "published_name"].tolist(),
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


def format_info(info: dict[str, Any]) -> str:
    """Human-readable text of :func:`region_info`."""
    out = ["Layers: " + ", ".join(f"{k} {v}" for k, v in info["layers"].items()), ""]
    out.append(f"Gates per border and class: data / published ({info['published_source']})")
    out.append(f"  {'border':<7}{'international':>15}{'primary':>11}{'secondary':>12}{'total':>11}")
    for b, counts in info["gates"].items():
        pub = info["published_gates"][b]
        cells = [f"{counts[c]:>3} / {pub[c]:<3}" for c in ("international", "primary", "secondary")]
        total = f"{sum(counts.values()):>3} / {sum(pub.values()):<3}"
        stated = info["published_gate_totals_stated"][b]
        note = f"  (published total stated as {stated}, class counts add to {sum(pub.values())})" if stated != sum(pub.values()) else ""
        out.append(f"  {b:<7}{cells[0]:>15}{cells[1]:>11}{cells[2]:>12}{total:>11}{note}")
    out.append("")
    missing = ", ".join(info["published_blos_missing"]) or "none"
    out.append(
        f"BLOs: {info['blo_count']} in data, {info['published_blo_count']} published (missing from data: {missing}; not in the published list: {', '.join(info['blos_not_published']) or 'none'})"
    )
    out.append(f"Seaports: {info['seaport_count']} in data ({info['seaports_located']} with coordinates), {info['published_seaport_count']} published")
    out.append("")
    out.append("Land border length (geodesic, OSM 100 m polygons): " + ", ".join(f"{b} {v:,.1f} km" for b, v in info["border_length_km"].items()))
    out.append(
        f"Coastline (NE 1:10m within 1 km of Vietnam): {info['coastline_km']:,.1f} km, mainland {info['coastline_mainland_km']:,.1f} km (published {info['published_coastline_km']:,.0f} km)"
    )
    out.append("")
    d = info["snap_distance_km"]
    methods = ", ".join(f"{k} {v}" for k, v in info["snap_methods"].items())
    out.append(f"Gates snapped to their border: {info['gates_snapped']} ({methods}); moved median {d['median']:.2f} km, max {d['max']:.2f} km")
    out.append(f"Gates that cannot be placed plausibly: {', '.join(info['gates_implausible']) or 'none'}")
    if info["counterpart_snap_distance_km"]:
        c = info["counterpart_snap_distance_km"]
        out.append(f"Counterpart gates snapped: {info['counterparts_snapped']} (moved median {c['median']:.2f} km, max {c['max']:.2f} km)")
    return "\n".join(out)
