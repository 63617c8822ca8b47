"""Layers of the analyses: routes, ensemble usage, pinch points, the minimum cut, BLO reach, sites, interdiction.

Each builder draws one analysis result on a map as one toggleable
:class:`folium.FeatureGroup`, returns it and explains its symbols in the
legend.  Results that carry their own geometry (routes, coverage, siting)
are drawn alone; the chokepoint metrics and an interdiction plan also need
the :class:`~borderwatch.Scenario` they were computed on, for the graph's
edge geometry and the positions of gates and border segments.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from ..analysis.chokepoints import Chokepoints, chokepoint_features, chokepoint_metrics
from ..analysis.coverage import Coverage
from ..analysis.interdiction import InterdictionPlan
from ..analysis.siting import Siting
from ..scenario import Scenario
from .base import LINE_TOLERANCE_DEG, explain, finite, need_scenario
from .layers import add_layer, feature
from .popups import percent, popup, tooltip
from .symbols import COLOURS, area_svg, line_svg, shape_svg, symbol

#: Pinch-point edges drawn: current at least this (share of the unit current).
PINCH_MIN_CURRENT = 0.1
#: Ensemble usage edges drawn: used in at least this share of samples.
USAGE_MIN_PROBABILITY = 0.02
#: Uncovered stretches drawn: the most-flow ones.
UNCOVERED_TOP = 10
#: Why a BLO's reach can be a single node.
SINGLE_NODE_NOTE = (
    "every patrol step from where the patrols start is off-road to the next terrain cell (no road or river "
    "within the connector distance) and takes longer than the patrol time, so the reach is that one node"
)


def routes_layer(
    m: folium.Map, routes: gpd.GeoDataFrame, *, alternatives: bool = False, show: bool = True
) -> folium.FeatureGroup:
    """Add the least-cost routes (rank 1) of a :func:`~borderwatch.k_routes` table, or its alternatives.

    Parameters
    ----------
    m
        The map.
    routes
        :func:`~borderwatch.k_routes` (or :func:`~borderwatch.least_cost_routes`);
        with a ``share`` column (the destination's share of the demand, as
        :func:`~borderwatch.analyse_region` adds) a route's width shows it.
    alternatives
        Draw the 2nd and later diverse routes (thin, dashed) instead of the least-cost ones.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> routes = bw.k_routes(scenario, k=3)  # doctest: +SKIP
    >>> m = base_map(scenario)  # doctest: +SKIP
    >>> routes_layer(m, routes, alternatives=True, show=False)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    >>> routes_layer(m, routes)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    has_share = "share" in routes.columns
    table = routes[routes["rank"] > 1] if alternatives else routes[routes["rank"] == 1]
    if has_share:
        table = table.sort_values("share")
    feats = []
    for rec in table.to_dict("records"):
        share = float(rec["share"]) if has_share and finite(rec.get("share")) else None
        if alternatives:
            style = {"color": COLOURS["route_alt"], "weight": 2, "opacity": 0.8, "dashArray": "6 4"}
        else:
            width = 2 + 14 * share if share is not None else 4
            style = {"color": COLOURS["route"], "weight": width, "opacity": 0.8}
        feats.append(
            feature(
                rec["geometry"],
                style=style,
                popup=popup(
                    f"Route {rec['rank']} to {rec['destination']}",
                    [
                        ("demand share", share),
                        ("length (km)", rec.get("length_km")),
                        ("travel time (h)", rec.get("time_h")),
                        ("cost (h-eq)", rec.get("cost_heq")),
                        ("of which exposure (h-eq)", rec.get("cost_exposure_heq")),
                        ("enters Vietnam at", rec.get("crossings")),
                        ("countries", rec.get("country_path")),
                        ("export port", rec.get("overseas_port") or None),
                        ("alternative", rec.get("alternative")),
                    ],
                ),
                tooltip=tooltip(f"route {rec['rank']} to {rec['destination']}", f"{rec['cost_heq']:.1f} h"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    if alternatives:
        explain(
            m,
            "routes",
            "Routes from the Golden Triangle",
            [(line_svg(COLOURS["route_alt"], width=2, dash="6 4"), "2nd/3rd diverse route")],
            order=1,
        )
        return add_layer(m, "Alternative routes (2nd, 3rd)", feats, show=show)
    label = "least-cost route (width = demand share)" if has_share else "least-cost route"
    explain(m, "routes", "Routes from the Golden Triangle", [(line_svg(COLOURS["route"], width=5), label)])
    name = "Least-cost routes (width = demand share)" if has_share else "Least-cost routes"
    return add_layer(m, name, feats, show=show)


def _edges(scenario: Scenario, chokepoints: Chokepoints | None, what: str) -> gpd.GeoDataFrame:
    sc = need_scenario(scenario, what)
    metrics = chokepoints if chokepoints is not None else chokepoint_metrics(sc)
    features = chokepoint_features(metrics, sc.G)
    return features[features["feature"] == "edge"]


def ensemble_layer(
    m: folium.Map,
    scenario: Scenario,
    chokepoints: Chokepoints | None = None,
    *,
    min_probability: float = USAGE_MIN_PROBABILITY,
    show: bool = True,
) -> folium.FeatureGroup:
    """Add the ensemble's route usage: every edge used in at least ``min_probability`` of the samples.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario the metrics were computed on (its graph's edge geometry).
    chokepoints
        :func:`~borderwatch.chokepoint_metrics` of the scenario (default:
        computed, or the scenario's stored result).
    min_probability
        The least share of samples an edge drawn is used in.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> ensemble_layer(base_map(scenario), scenario)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    edges = _edges(scenario, chokepoints, "ensemble_layer")
    usage = edges[edges["usage_probability"] >= min_probability].sort_values("usage_probability")
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
        for rec in usage.itertuples(index=False)
    ]
    explain(
        m,
        "routes",
        "Routes from the Golden Triangle",
        [(line_svg(COLOURS["usage"], width=3), "ensemble usage (opacity = probability)")],
        order=2,
    )
    return add_layer(m, f"Ensemble route usage (≥ {min_probability:.0%} of samples)", feats, show=show)


def pinch_layer(
    m: folium.Map,
    scenario: Scenario,
    chokepoints: Chokepoints | None = None,
    *,
    min_current: float = PINCH_MIN_CURRENT,
    show: bool = False,
) -> folium.FeatureGroup:
    """Add the pinch points: edges carrying at least ``min_current`` of the unit circuit current.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario the metrics were computed on.
    chokepoints
        :func:`~borderwatch.chokepoint_metrics` of the scenario (default: computed).
    min_current
        The least current (share of the unit current) of an edge drawn.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> pinch_layer(base_map(scenario), scenario, show=True)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    edges = _edges(scenario, chokepoints, "pinch_layer")
    pinch = edges[edges["pinch_current"] >= min_current].sort_values("pinch_current")
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
    explain(m, "chokepoints", "Chokepoints", [(line_svg(COLOURS["pinch"], width=4), "pinch point (circuit current)")])
    return add_layer(m, f"Pinch points (current ≥ {min_current:g})", feats, show=show)


def cut_layer(
    m: folium.Map, scenario: Scenario, chokepoints: Chokepoints | None = None, *, show: bool = False
) -> folium.FeatureGroup:
    """Add the minimum cut: the cheapest set of gates and border segments whose closing blocks every route.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario the metrics were computed on (gate positions, border segments).
    chokepoints
        :func:`~borderwatch.chokepoint_metrics` of the scenario (default: computed).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> cut_layer(base_map(scenario), scenario, show=True)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    sc = need_scenario(scenario, "cut_layer")
    metrics = chokepoints if chokepoints is not None else chokepoint_metrics(sc)
    cut = metrics.cut
    units = cut.units
    segs = sc.segments.set_index("segment_id")
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
        for rec in units[units["kind"] == "segment"].itertuples(index=False)
    ]
    gates = sc.gates.set_index("id")
    for rec in units[units["kind"] == "gate"].itertuples(index=False):
        if rec.id not in gates.index or not finite(gates.at[rec.id, "lon"], gates.at[rec.id, "lat"]):
            continue
        g = gates.loc[rec.id]
        feats.append(
            feature(
                shapely.Point(g["lon"], g["lat"]),
                style={"radius": 15, "color": COLOURS["cut"], "weight": 2.5, "fill": False},
                popup=popup(
                    f"Minimum cut: gate {g['name']}",
                    [("gate", rec.id), ("class", g.get("class")), ("closing cost (teams)", rec.closing_cost)],
                ),
                tooltip=tooltip("in the minimum cut", g["name"]),
            )
        )
    explain(
        m,
        "chokepoints",
        "Chokepoints",
        [
            (line_svg(COLOURS["cut"], width=4), "minimum cut (border segment)"),
            (shape_svg("circle", size=14, fill="none", stroke=COLOURS["cut"], stroke_width=2.5), "gate in the cut"),
        ],
        order=1,
    )
    bound = f"routes ≤ {cut.within_pct:g} % above least cost" if cut.within_pct is not None else "every route"
    label = f"Minimum cut ({len(units)} units, cost {cut.value:.0f}, {bound})"
    return add_layer(m, label, feats, show=show)


def reach_layer(m: folium.Map, coverage: Coverage, *, show: bool = True) -> folium.FeatureGroup:
    """Add how far each BLO's patrols get within its patrol time (the hull of the graph nodes reached).

    Parameters
    ----------
    m
        The map.
    coverage
        :func:`~borderwatch.blo_coverage`.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> reach_layer(base_map(scenario), bw.blo_coverage(scenario))  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    placed_by = dict(zip(coverage.blos["blo_id"], coverage.blos["placed_by"], strict=True))
    outline = {"color": COLOURS["blo"], "weight": 1.5, "dashArray": "4 3"}
    feats = []
    for rec in coverage.reach_areas.itertuples(index=False):
        style = (
            {**outline, "fillColor": COLOURS["blo"], "fillOpacity": 0.12}
            if rec.geometry is not None and rec.geometry.geom_type == "Polygon"
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
    explain(
        m,
        "sites",
        "Sites",
        [(area_svg(COLOURS["blo"], COLOURS["blo"], dash="4 3"), f"area a BLO's patrols reach in {coverage.hours:g} h")],
        order=1,
    )
    return add_layer(m, f"BLO patrol reach ({coverage.hours:g} h)", feats, show=show)


def uncovered_layer(
    m: folium.Map, coverage: Coverage, *, top: int = UNCOVERED_TOP, show: bool = True
) -> folium.FeatureGroup:
    """Add the uncovered border stretches with most crossing flow.

    Parameters
    ----------
    m
        The map.
    coverage
        :func:`~borderwatch.blo_coverage` (with chokepoints, so stretches are ranked by flow).
    top
        How many stretches to draw.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> uncovered_layer(base_map(scenario), bw.blo_coverage(scenario), top=5)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    stretches = coverage.uncovered.sort_values("rank_by_flow").head(top)
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
                    ("least-cost flow share", getattr(rec, "flow_share", None)),
                    ("ensemble usage probability", getattr(rec, "usage_probability", None)),
                    ("patrol hours from the nearest BLO (nearest to farthest part)", _span(rec)),
                    ("segments", rec.segments),
                ],
            ),
            tooltip=tooltip(f"uncovered {rec.border} stretch", f"{rec.length_km:.0f} km"),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for rec in stretches.itertuples(index=False)
    ]
    explain(
        m,
        "coverage",
        f"BLO coverage ({coverage.hours:g} h patrol)",
        [(line_svg(COLOURS["uncovered"], width=7, dash="2 3"), "uncovered stretch with most flow")],
        order=1,
    )
    return add_layer(m, f"Uncovered stretches (top {top} by flow)", feats, show=show)


def _span(rec: tuple) -> str | None:
    """Format a stretch's patrol hours from the nearest BLO, nearest to farthest part."""
    near, far = getattr(rec, "nearest_blo_h", None), getattr(rec, "farthest_h", None)
    if not finite(near):
        return None
    return f"{near:.1f}" if not finite(far) or abs(far - near) < 0.05 else f"{near:.1f} to {far:.1f}"


def siting_layer(m: folium.Map, siting: Siting, *, show: bool = True) -> folium.FeatureGroup:
    """Add the proposed new BLO sites of :func:`~borderwatch.site_blos`.

    Parameters
    ----------
    m
        The map.
    siting
        :func:`~borderwatch.site_blos`.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> siting_layer(base_map(scenario), bw.site_blos(scenario, p=3))  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    s = siting
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
        if finite(rec.lon, rec.lat)
    ]
    explain(
        m,
        "sites",
        "Sites",
        [(shape_svg("star", size=16, fill=COLOURS["site"], stroke="#fff"), "proposed new BLO site")],
        order=2,
    )
    return add_layer(m, f"Proposed BLO sites ({len(feats)}, objective: {s.objective})", feats, show=show)


def interdiction_layer(
    m: folium.Map,
    scenario: Scenario,
    plan: InterdictionPlan,
    *,
    before: gpd.GeoDataFrame | None = None,
    show: bool = False,
) -> folium.FeatureGroup:
    """Add an interdiction plan: the crossings it closes (or inspects) and the traffickers' routes after, or before.

    Drawn twice, once with the routes after and once with ``before`` (the
    least-cost routes now), the two layers make a before/after toggle: put
    both in one exclusive set (:func:`~borderwatch.maps.controls.in_group`),
    as :func:`~borderwatch.maps.region_map` does.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario the plan was computed on (gate positions, border segments).
    plan
        :func:`~borderwatch.interdict_crossings`.
    before
        :func:`~borderwatch.k_routes` of the scenario: draw its least-cost
        routes (rank 1), the routes before the plan, instead of the routes after.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> plan = bw.interdict_crossings(scenario, k=3)  # doctest: +SKIP
    >>> interdiction_layer(base_map(scenario), scenario, plan, show=True)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    sc = need_scenario(scenario, "interdiction_layer")
    report = plan.report
    done = "closed" if plan.mode == "close" else "inspected"
    gates = sc.gates.set_index("id")
    segs = sc.segments.set_index("segment_id")
    k = len(report["chosen"])
    lead = [
        f"One of the {k} crossings the plan {done} to raise the traffickers' cost most: on average "
        f"{float(report['cost_before_heq']):.1f} h-eq before, {float(report['cost_after_heq']):.1f} h-eq once all "
        f"{k} are {done}."
    ]
    feats = []
    for unit in report["chosen"]:
        kind, _, uid = unit.partition(":")
        if kind == "gate" and uid in gates.index and finite(gates.at[uid, "lon"], gates.at[uid, "lat"]):
            g = gates.loc[uid]
            geom, name = shapely.Point(g["lon"], g["lat"]), f"gate {g['name']} ({uid})"
            style = symbol(
                "square",
                size=22,
                fill="none",
                kind="interdicted",
                title=f"{done}: {g['name']}",
                stroke=COLOURS["after"],
                stroke_width=3,
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
                    f"{done.capitalize()}: {name}",
                    [],
                    lead=lead,
                    details=[
                        ("demand-weighted cost before (h-eq)", report["cost_before_heq"]),
                        (f"after all chosen are {done} (h-eq)", report["cost_after_heq"]),
                        ("method", report["method"]),
                        ("status", report["status"]),
                    ],
                ),
                tooltip=tooltip(done, name),
            )
        )
    if before is not None:
        table = before[before["rank"] == 1]
        for rec in table.to_dict("records"):
            share = float(rec["share"]) if finite(rec.get("share")) else 0.0
            feats.append(
                feature(
                    rec["geometry"],
                    style={"color": COLOURS["before"], "weight": 2 + 8 * share, "opacity": 0.85},
                    popup=popup(
                        f"Before interdiction: route to {rec['destination']}",
                        [
                            ("demand share", percent(share)),
                            ("cost (h-eq)", rec.get("cost_heq")),
                            ("enters Vietnam at", rec.get("crossings")),
                        ],
                    ),
                    tooltip=tooltip(f"before interdiction: {rec['destination']}", f"{rec['cost_heq']:.1f} h-eq"),
                    tolerance_deg=LINE_TOLERANCE_DEG,
                )
            )
        explain(
            m,
            "interdiction",
            "Interdiction (before / after)",
            [(line_svg(COLOURS["before"], width=3), "traffickers' route before")],
            order=1,
        )
        return add_layer(m, f"Interdiction: before (routes now; {k} crossings to be {done})", feats, show=show)
    for rec in plan.routes_after.itertuples(index=False):
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
                        ("demand share", percent(rec.share)),
                        ("cost before (h-eq)", rec.cost_before_heq),
                        ("cost after (h-eq)", rec.cost_after_heq),
                        ("enters Vietnam at", rec.crossings_after),
                    ],
                ),
                tooltip=tooltip(f"after interdiction: {rec.destination}", f"{rec.cost_after_heq:.1f} h"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    explain(
        m,
        "interdiction",
        "Interdiction (before / after)",
        [
            (shape_svg("square", size=14, fill="none", stroke=COLOURS["after"], stroke_width=3), f"{done} crossing"),
            (line_svg(COLOURS["after"], width=3, dash="8 5"), f"traffickers' route after the crossings are {done}"),
        ],
    )
    return add_layer(m, f"Interdiction: after ({k} {done} crossings and routes after)", feats, show=show)
