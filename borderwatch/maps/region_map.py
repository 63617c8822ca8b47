"""The planner's map: the region as a vector basemap and every analysis as a toggleable layer."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from ..analysis.suite import RegionAnalysis
from ..borders import borderlines, tripoint
from ..errors import ParameterError
from ..geodesy import geodesic_length_m
from ..region import Region
from .assets import OfflineMap
from .layers import add_layer, feature
from .popups import popup, tooltip
from .symbols import COLOURS, GATE_SHAPES, STYLE, Legend, TitleBox, gate_size, legend_entries, risk_colour, symbol

#: Simplification tolerances for display (degrees; 0.002 is about 200 m).
BASEMAP_TOLERANCE_DEG = 0.004
LINE_TOLERANCE_DEG = 0.001
#: The basemap is clipped to this box (lon/lat) around the routes' region.
DISPLAY_BOUNDS = (95.0, 4.0, 115.0, 27.0)
#: Country names written on the basemap.
COUNTRY_LABELS = {
    "VNM": "Vietnam",
    "LAO": "Laos",
    "KHM": "Cambodia",
    "CHN": "China",
    "THA": "Thailand",
    "MMR": "Myanmar",
}
#: Pinch-point edges drawn: current at least this (share of the unit current).
PINCH_MIN_CURRENT = 0.1
#: Ensemble usage edges drawn: used in at least this share of samples.
USAGE_MIN_PROBABILITY = 0.02
#: Uncovered stretches drawn: the most-flow ones.
UNCOVERED_TOP = 10
#: Why a BLO's reach can be a single node.
SINGLE_NODE_NOTE = (
    "every patrol step from where the patrols start is off-road to the next terrain cell (about 9 km; no trunk "
    "road or river nearby) and takes longer than the patrol time, so the reach is that one node"
)
#: Online tile layers offered by ``tiles=`` (the page then needs the network).
ONLINE_TILES = ("OpenStreetMap", "CartoDB positron")


def region_map(
    region: Region,
    analysis: RegionAnalysis | None = None,
    *,
    tiles: str | None = None,
    title: str = "borderwatch: trafficking routes into Vietnam",
) -> folium.Map:
    """Draw the region, and every analysis when given, as an offline folium map.

    Layers (each in the layer control): countries and provinces, the land
    borders (coloured by BLO coverage when analysed), border gates (a shape per
    class, colour and size by risk score), BLOs (with their patrol reach),
    proposed BLO sites, seaports, Mekong wharfs and the Golden Triangle; with
    an analysis also the least-cost and alternative routes (width by demand
    share), the ensemble's route usage, pinch points, the minimum cut, the
    uncovered border stretches with most flow, the interdicted crossings and
    the routes after interdiction.  A legend explains every symbol; a scale
    bar shows distance.  Popups give each record's metrics and provenance.

    Parameters
    ----------
    region
        The region (:func:`borderwatch.load_region`).
    analysis
        From :func:`~borderwatch.analysis.suite.analyse_region` (None: the
        region and its data only).
    tiles
        None (default): no tile layer, the page loads nothing from the network.
        Or one of :data:`ONLINE_TILES`, added as an optional background that
        needs the internet.
    title
        The title shown on the map.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (or ``.save``); the page is self-contained.

    Raises
    ------
    ParameterError
        An unknown ``tiles`` name.
    """
    if tiles is not None and tiles not in ONLINE_TILES:
        raise ParameterError(f"tiles must be None (offline) or one of {', '.join(ONLINE_TILES)}, got {tiles!r}")
    m = OfflineMap(location=[16.0, 105.5], zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False)
    m.get_root().header.add_child(Element(STYLE), name="bw_style")
    if tiles is not None:
        folium.TileLayer(tiles, name=f"{tiles} (online)", show=False).add_to(m)

    _basemap(m, region)
    if analysis is None:
        _plain_borders(m, region)
    else:
        _coverage_borders(m, analysis)
        _routes(m, analysis)
        _chokepoints(m, analysis)
        _interdiction(m, analysis)
        _blo_reach(m, analysis)
    _gates(m, region, analysis)
    _sites(m, region, analysis)
    hours = analysis.settings["hours"] if analysis is not None else None
    m.add_child(Legend(legend_entries(analysed=analysis is not None, hours=hours)))
    note = (
        f"{date.today().isoformat()} · shipped data"
        if analysis is None
        else (
            f"{date.today().isoformat()} · ensemble {analysis.settings['samples']} samples, seed "
            f"{analysis.settings['seed']} · BLO patrols {hours:g} h · click a symbol for its figures and sources"
        )
    )
    m.add_child(TitleBox(title, note))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    bounds = region.countries.loc[region.countries["iso_a3"] == "VNM"].total_bounds
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def save_map(m: folium.Map, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a map as one self-contained HTML file, atomically.

    Parameters
    ----------
    m
        From :func:`region_map`.
    path
        The ``.html`` file.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        Not an ``.html`` name.
    OutputError
        The file exists (without ``overwrite``) or cannot be written.
    """
    from ..output import write_atomic

    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"map file {str(path)!r}: give an .html file name")
    page = m.get_root().render()
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"), overwrite=overwrite)
    return path


def _basemap(m: folium.Map, region: Region) -> None:
    countries = region.countries.clip(DISPLAY_BOUNDS)
    feats = []
    for iso, geom in zip(countries["iso_a3"], countries.geometry, strict=True):
        fill = COLOURS["vietnam"] if iso == "VNM" else COLOURS["neighbour"]
        style = {"color": "#8c8c8c", "weight": 1, "fillColor": fill, "fillOpacity": 1.0}
        feats.append(feature(geom, style=style, tooltip=tooltip(iso), tolerance_deg=BASEMAP_TOLERANCE_DEG))
    for iso, geom in zip(countries["iso_a3"], countries.geometry, strict=True):
        if iso in COUNTRY_LABELS and not geom.is_empty:
            label = COUNTRY_LABELS[iso]
            icon = {"icon": html.escape(label), "size": 0, "className": "bw-label", "title": label}
            feats.append(feature(shapely.point_on_surface(shapely.simplify(geom, 0.05)), style=icon))
    add_layer(m, "Countries", feats)
    provinces = region.provinces
    style = {"color": COLOURS["province"], "weight": 0.5, "opacity": 0.6, "fill": False}
    feats = [
        feature(
            geom,
            style={**style, "fill": True, "fillOpacity": 0.0},
            tooltip=tooltip(name, iso),
            tolerance_deg=BASEMAP_TOLERANCE_DEG,
        )
        for name, iso, geom in zip(provinces["name"], provinces["iso_a3"], provinces.geometry, strict=True)
    ]
    add_layer(m, "Provinces", feats)


def _plain_borders(m: folium.Map, region: Region) -> None:
    lines = borderlines(region.countries)
    feats = [
        feature(
            geom,
            style={"color": COLOURS["uncovered"], "weight": 3},
            popup=popup(f"Vietnam–{border} border", [("length (km)", geodesic_length_m(geom) / 1000.0)]),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for border, geom in zip(lines["border"], lines.geometry, strict=True)
    ]
    add_layer(m, "Land borders", feats)


def _coverage_borders(m: folium.Map, a: RegionAnalysis) -> None:
    cov = a.coverage
    hours = a.settings["hours"]
    feats = []
    for rec in cov.segments.itertuples(index=False):
        coast = rec.border == "coast"
        key = ("coast_" if coast else "") + ("covered" if rec.covered else "uncovered")
        feats.append(
            feature(
                rec.geometry,
                style={"color": COLOURS[key], "weight": 2 if coast else 4, "opacity": 0.9},
                popup=popup(
                    f"{'Coast' if coast else 'Border'} segment {rec.segment_id}",
                    [
                        ("border", rec.border),
                        ("length (km)", rec.length_km),
                        (f"covered by a {hours:g} h patrol", bool(rec.covered)),
                        ("patrol time from nearest BLO (h)", rec.reach_h),
                        ("covered by", rec.by or None),
                    ],
                ),
                tooltip=tooltip(rec.segment_id, "covered" if rec.covered else "not covered"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    add_layer(m, f"Border and coast: BLO coverage ({hours:g} h)", feats)
    top = cov.uncovered.sort_values("rank_by_flow").head(UNCOVERED_TOP)
    feats = [
        feature(
            rec.geometry,
            style={"color": COLOURS["uncovered"], "weight": 9, "opacity": 0.55, "dashArray": "2 6"},
            popup=popup(
                f"Uncovered stretch, {rec.border}",
                [
                    ("rank by flow", rec.rank_by_flow),
                    ("rank by length", rec.rank_by_length),
                    ("length (km)", rec.length_km),
                    ("least-cost flow share", rec.flow_share),
                    ("ensemble usage probability", rec.usage_probability),
                    ("segments", rec.segments),
                ],
            ),
            tooltip=tooltip(f"uncovered {rec.border} stretch", f"{rec.length_km:.0f} km"),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for rec in top.itertuples(index=False)
    ]
    add_layer(m, f"Uncovered stretches (top {UNCOVERED_TOP} by flow)", feats)


def _routes(m: folium.Map, a: RegionAnalysis) -> None:
    best, alts = [], []
    for rec in a.routes.sort_values("share").itertuples(index=False):
        first = rec.rank == 1
        style = (
            {"color": COLOURS["route"], "weight": 2 + 14 * float(rec.share), "opacity": 0.8}
            if first
            else {"color": COLOURS["route_alt"], "weight": 2, "opacity": 0.8, "dashArray": "6 4"}
        )
        (best if first else alts).append(
            feature(
                rec.geometry,
                style=style,
                popup=popup(
                    f"Route {rec.rank} to {rec.destination}",
                    [
                        ("demand share", rec.share),
                        ("length (km)", rec.length_km),
                        ("travel time (h)", rec.time_h),
                        ("cost (h)", rec.cost),
                        ("of which exposure (h)", rec.cost_exposure_h),
                        ("enters Vietnam at", rec.crossings),
                        ("countries", rec.country_path),
                        ("export port", rec.overseas_port or None),
                        ("alternative", rec.alternative),
                    ],
                ),
                tooltip=tooltip(f"route {rec.rank} to {rec.destination}", f"{rec.cost:.1f} h"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    usage = a.features[(a.features["feature"] == "edge") & (a.features["usage_probability"] >= USAGE_MIN_PROBABILITY)]
    feats = [
        feature(
            rec.geometry,
            style={"color": COLOURS["usage"], "weight": 3, "opacity": 0.25 + 0.75 * float(rec.usage_probability)},
            popup=popup(
                "Ensemble route usage",
                [
                    ("used in share of samples", rec.usage_probability),
                    ("mean flow", rec.mean_flow),
                    ("mode", rec.mode),
                    ("crossing", rec.gate_id or rec.segment_id or None),
                ],
            ),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for rec in usage.sort_values("usage_probability").itertuples(index=False)
    ]
    add_layer(m, f"Ensemble route usage (≥ {USAGE_MIN_PROBABILITY:.0%} of samples)", feats)
    add_layer(m, "Alternative routes (2nd, 3rd)", alts, show=False)
    add_layer(m, "Least-cost routes (width = demand share)", best)


def _chokepoints(m: folium.Map, a: RegionAnalysis) -> None:
    edges = a.features[a.features["feature"] == "edge"]
    pinch = edges[edges["pinch_current"] >= PINCH_MIN_CURRENT].sort_values("pinch_current")
    feats = [
        feature(
            rec.geometry,
            style={"color": COLOURS["pinch"], "weight": 1.5 + 5 * float(rec.pinch_current), "opacity": 0.85},
            popup=popup(
                "Pinch point",
                [
                    ("current (share of the unit current)", rec.pinch_current),
                    ("mode", rec.mode),
                    ("crossing", rec.gate_id or rec.segment_id or None),
                ],
            ),
            tooltip=tooltip("pinch current", f"{rec.pinch_current:.2f}"),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for rec in pinch.itertuples(index=False)
    ]
    add_layer(m, f"Pinch points (current ≥ {PINCH_MIN_CURRENT:g})", feats, show=False)
    cut = a.chokepoints.cut
    units = cut.units
    segs = a.segments.set_index("segment_id")
    seg_units = units[units["kind"] == "segment"]
    feats = [
        feature(
            segs.geometry.get(rec.id),
            style={"color": COLOURS["cut"], "weight": 5, "opacity": 0.9},
            popup=popup(
                f"Minimum cut: border segment {rec.id}",
                [("border", rec.border), ("length (km)", rec.length_km), ("closing cost (teams)", rec.closing_cost)],
            ),
            tooltip=tooltip("in the minimum cut", rec.id),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for rec in seg_units.itertuples(index=False)
    ]
    ranked = a.ranking.gates.set_index("gate_id")
    for rec in units[units["kind"] == "gate"].itertuples(index=False):
        if rec.id not in ranked.index:
            continue
        g = ranked.loc[rec.id]
        feats.append(
            feature(
                shapely.Point(g["lon"], g["lat"]),
                style={"radius": gate_size(g["score"]) * 0.8, "color": COLOURS["cut"], "weight": 2.5, "fill": False},
                popup=popup(
                    f"Minimum cut: gate {g['name']}",
                    [("gate", rec.id), ("class", g["class"]), ("closing cost (teams)", rec.closing_cost)],
                ),
                tooltip=tooltip("in the minimum cut", g["name"]),
            )
        )
    label = f"Minimum cut ({len(units)} units, cost {cut.value:.0f}, routes ≤ {cut.within_pct:g} % above least cost)"
    add_layer(m, label, feats, show=False)


def _interdiction(m: folium.Map, a: RegionAnalysis) -> None:
    report = a.interdiction
    feats = []
    ranked = a.ranking.gates.set_index("gate_id")
    segs = a.segments.set_index("segment_id")
    for unit in report["chosen"]:
        kind, _, uid = unit.partition(":")
        if kind == "gate" and uid in ranked.index:
            g = ranked.loc[uid]
            geom, name = shapely.Point(g["lon"], g["lat"]), f"gate {g['name']} ({uid})"
            style = symbol(
                "square", size=22, fill="none", kind="closed", title=f"closed: {g['name']}", stroke=COLOURS["after"]
            )
        elif kind == "segment" and uid in segs.index:
            geom, name = segs.geometry[uid], f"border segment {uid}"
            style = {"color": COLOURS["after"], "weight": 8, "opacity": 0.8}
        else:
            continue
        feats.append(
            feature(
                geom,
                style=style,
                popup=popup(
                    f"Closed: {name}",
                    [
                        ("demand-weighted cost before (h)", report["cost_before"]),
                        ("after closing all chosen (h)", report["cost_after"]),
                        ("method", report["method"]),
                        ("status", report["status"]),
                    ],
                ),
                tooltip=tooltip("closed", name),
            )
        )
    for rec in a.interdiction_routes.itertuples(index=False):
        feats.append(
            feature(
                rec.geometry,
                style={
                    "color": COLOURS["after"],
                    "weight": 2 + 8 * float(rec.share),
                    "opacity": 0.85,
                    "dashArray": "8 5",
                },
                popup=popup(
                    f"After interdiction: route to {rec.destination}",
                    [
                        ("demand share", rec.share),
                        ("cost before (h)", rec.cost_before_h),
                        ("cost after (h)", rec.cost_after_h),
                        ("enters Vietnam at", rec.crossings_after),
                    ],
                ),
                tooltip=tooltip(f"after interdiction: {rec.destination}", f"{rec.cost_after_h:.1f} h"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    k = len(report["chosen"])
    add_layer(m, f"Interdiction: {k} closed crossings and routes after", feats, show=False)


def _patrol_starts(a: RegionAnalysis) -> dict[str, str]:
    """BLO id -> where its patrols start, in words."""
    return dict(zip(a.coverage.blos["blo_id"], a.coverage.blos["placed_by"], strict=True))


def _blo_reach(m: folium.Map, a: RegionAnalysis) -> None:
    areas = a.coverage.reach_areas
    placed_by = _patrol_starts(a)
    outline = {"color": COLOURS["blo"], "weight": 1.5, "dashArray": "4 3"}
    feats = []
    for rec in areas.itertuples(index=False):
        style = (
            {
                "color": COLOURS["blo"],
                "weight": 1.5,
                "dashArray": "4 3",
                "fillColor": COLOURS["blo"],
                "fillOpacity": 0.12,
            }
            if rec.geometry.geom_type == "Polygon"
            else {**outline, "radius": 6, "fill": False}
        )
        feats.append(
            feature(
                rec.geometry,
                style=style,
                popup=popup(
                    f"Patrol reach of {rec.blo_id}",
                    [
                        ("patrol time (h)", rec.hours),
                        ("graph nodes reached", rec.nodes),
                        ("patrols start", placed_by.get(rec.blo_id)),
                        ("note", SINGLE_NODE_NOTE if rec.nodes == 1 else None),
                    ],
                ),
                tooltip=tooltip(f"{rec.blo_id} reach", f"{rec.nodes} nodes"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    add_layer(m, f"BLO patrol reach ({a.settings['hours']:g} h)", feats)


def _gate_rows(region: Region, analysis: RegionAnalysis | None) -> pd.DataFrame:
    """One row per gate with its position on the border, provenance and (if analysed) ranking."""
    if analysis is None:
        from ..gates import place_gates

        placed = place_gates(region)
        return placed.assign(gate_id=placed["id"], score=np.nan, rank=np.nan, status="not analysed", reason="")
    placed = analysis.gates.set_index("id")
    rows = analysis.ranking.gates.copy()
    for col in (
        "name_vi",
        "province",
        "counterpart_name",
        "coord_source",
        "coord_precision_m",
        "snap_method",
        "snap_distance_m",
        "snap_note",
        "orig_coord_source",
        "source",
        "mode",
    ):
        rows[col] = rows["gate_id"].map(placed[col]) if col in placed.columns else None
    return rows


def _gates(m: folium.Map, region: Region, analysis: RegionAnalysis | None) -> None:
    rows = _gate_rows(region, analysis)
    rows = rows.sort_values("score", na_position="first")  # riskiest drawn last, on top
    feats = []
    for rec in rows.to_dict("records"):
        if not (np.isfinite(rec["lon"]) and np.isfinite(rec["lat"])):
            continue
        score = rec.get("score")
        shape = GATE_SHAPES.get(rec["class"], "circle")
        metrics = [
            ("id", rec["gate_id"]),
            ("Vietnamese name", rec.get("name_vi")),
            ("class", rec["class"]),
            ("border", rec["border"]),
            ("province", rec.get("province")),
            ("counterpart", rec.get("counterpart_name")),
            ("crossing mode", rec.get("mode")),
        ]
        if analysis is not None:
            metrics += [
                ("status", rec["status"] if not rec.get("reason") else f"{rec['status']}: {rec['reason']}"),
                ("risk rank", rec["rank"]),
                ("risk score", score),
                ("rank interval (5–95 %)", _interval(rec)),
                ("least-cost flow share", rec["flow_share"]),
                ("ensemble usage probability", rec["usage_probability"]),
                ("cost rise if closed (h)", rec["cost_rise_h"]),
                ("in minimum cut", bool(rec["in_min_cut"]) if rec["in_min_cut"] == rec["in_min_cut"] else None),
                ("pinch current", rec["pinch_current"]),
                ("travel cost from Golden Triangle (h)", rec["travel_cost_h"]),
            ]
        provenance = [
            ("position", rec.get("coord_source")),
            ("coordinate precision (m)", rec.get("coord_precision_m")),
            ("snapping method", rec.get("snap_method")),
            ("moved by snapping (m)", rec.get("snap_distance_m")),
            ("snapping note", rec.get("snap_note")),
            ("original coordinate", rec.get("orig_coord_source")),
            ("record source", rec.get("source")),
        ]
        title = f"{rec['name']} ({rec['class']} gate)"
        feats.append(
            feature(
                shapely.Point(rec["lon"], rec["lat"]),
                style=symbol(
                    shape,
                    size=gate_size(score),
                    fill=risk_colour(score),
                    kind="gate",
                    title=f"{rec['name']} ({rec['gate_id']})",
                ),
                popup=popup(title, metrics, provenance=provenance),
                tooltip=tooltip(rec["name"], rec["class"], f"score {score:.2f}" if score == score else None),
            )
        )
    label = "Border gates (colour and size = risk score)" if analysis is not None else "Border gates"
    add_layer(m, label, feats)


def _interval(rec: dict[str, Any]) -> str | None:
    low, high = rec.get("rank_low"), rec.get("rank_high")
    if low is None or low != low:
        return None
    return f"{low:.0f}–{high:.0f}"


def _site_layer(
    m: folium.Map,
    name: str,
    table: pd.DataFrame,
    *,
    symbol_of: Callable[[dict[str, Any]], dict[str, Any]],
    heading: str,
    tip: str,
    fields: list[tuple[str, str]],
    more_rows: Callable[[dict[str, Any]], list[tuple[str, Any]]] | None = None,
    more_provenance: tuple[tuple[str, str], ...] = (),
) -> None:
    """Add a layer of point records (BLOs, seaports, wharfs) with their fields and provenance; skip unlocated ones."""
    feats = []
    for rec in table.to_dict("records"):
        if not (np.isfinite(rec["lon"]) and np.isfinite(rec["lat"])):
            continue
        rows = [(label, rec.get(column)) for label, column in fields]
        provenance = [
            ("position", rec.get("coord_source")),
            ("coordinate precision (m)", rec.get("coord_precision_m")),
            *[(label, rec.get(column)) for label, column in more_provenance],
            ("record source", rec.get("source")),
        ]
        feats.append(
            feature(
                shapely.Point(rec["lon"], rec["lat"]),
                style=symbol_of(rec),
                popup=popup(
                    f"{heading} {rec['name']}", rows + (more_rows(rec) if more_rows else []), provenance=provenance
                ),
                tooltip=tooltip(tip, rec["name"]),
            )
        )
    add_layer(m, name, feats)


def _sites(m: folium.Map, region: Region, analysis: RegionAnalysis | None) -> None:
    blos = region.blos
    more_rows = None
    if analysis is not None:
        segs = analysis.coverage.segments
        covered = {
            blo: float(segs.loc[segs["by"].str.split(", ").apply(lambda ids, b=blo: b in ids), "length_km"].sum())
            for blo in blos["id"]
        }
        starts = _patrol_starts(analysis)

        def more_rows(rec: dict[str, Any]) -> list[tuple[str, Any]]:
            return [("border and coast covered (km)", covered.get(rec["id"])), ("patrols start", starts.get(rec["id"]))]

    _site_layer(
        m,
        "Border Liaison Offices (BLOs)",
        blos,
        symbol_of=lambda rec: symbol(
            "circle", size=14, fill=COLOURS["blo"], kind="blo", title=rec["name"], stroke="#fff"
        ),
        heading="BLO",
        tip="BLO",
        fields=[
            ("id", "id"),
            ("Vietnamese name", "name_vi"),
            ("province", "province"),
            ("border", "border"),
            ("gate", "associated_gate"),
            ("counterpart BLO", "counterpart_blo"),
        ],
        more_rows=more_rows,
        more_provenance=(("listed in", "list_source"),),
    )
    if analysis is not None:
        s = analysis.siting
        unit = "share of crossing flow" if s.objective == "flow" else "km of land border"
        feats = [
            feature(
                shapely.Point(rec.lon, rec.lat),
                style=symbol(
                    "star", size=20, fill=COLOURS["site"], kind="site", title=f"proposed: {rec.name}", stroke="#fff"
                ),
                popup=popup(
                    f"Proposed BLO site: {rec.name}",
                    [
                        ("candidate", rec.id),
                        ("kind", rec.kind),
                        (f"adds ({unit})", rec.adds),
                        (f"covered before → after ({unit})", f"{s.before:.3f} → {s.after:.3f} of {s.total:.3f}"),
                    ],
                ),
                tooltip=tooltip("proposed BLO site", rec.name),
            )
            for rec in s.chosen.itertuples(index=False)
        ]
        add_layer(m, f"Proposed BLO sites ({len(feats)}, objective: {s.objective})", feats)
    _site_layer(
        m,
        "Seaports",
        region.seaports,
        symbol_of=lambda rec: symbol(
            "anchor", size=14, fill=COLOURS["port"], kind="port", title=rec["name"], stroke=COLOURS["port"]
        ),
        heading="Seaport",
        tip="seaport",
        fields=[
            ("id", "id"),
            ("province", "province"),
            ("kind", "kind"),
            ("UN/LOCODE", "unlocode"),
            ("throughput", "throughput"),
            ("year", "throughput_year"),
        ],
    )
    _site_layer(
        m,
        "Mekong wharfs",
        region.wharfs,
        symbol_of=lambda rec: symbol(
            "circle", size=10, fill=COLOURS["wharf"], kind="wharf", title=rec["name"], stroke="#fff"
        ),
        heading="Mekong wharf",
        tip="Mekong wharf",
        fields=[
            ("id", "id"),
            ("local name", "local_name"),
            ("country", "country"),
            ("kind", "kind"),
            ("notes", "notes"),
        ],
    )
    gt = tripoint(region.countries, ("LAO", "THA", "MMR"))
    add_layer(
        m,
        "Golden Triangle",
        [
            feature(
                gt,
                style=symbol(
                    "star", size=24, fill=COLOURS["origin"], kind="origin", title="Golden Triangle", stroke="#fff"
                ),
                popup=popup(
                    "Golden Triangle (origin of every route)",
                    [("position", f"{gt.y:.4f} N, {gt.x:.4f} E")],
                    provenance=[("derived from", "the Laos–Thailand–Myanmar tri-point of the shipped country borders")],
                ),
                tooltip=tooltip("Golden Triangle"),
            )
        ],
    )
