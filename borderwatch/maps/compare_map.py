"""The map of a comparison: what an edit changes, drawn over the region.

:func:`comparison_map` composes the builders here on a
:func:`~borderwatch.maps.base_map`: the least-cost routes of both runs (what
both share, what only the baseline used and what only the scenario uses, in
three colours), the gates coloured by their change of risk rank and sized by
the ensemble flow they gain or lose, the border segments whose informal
crossings gain or lose flow, BLO coverage before and after, and the edits
themselves (closed and inspected gates, closed segments, added, moved and
removed BLOs).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from ..analysis import FLOW_EPS
from ..analysis.compare import Comparison
from ..errors import ParameterError
from .base import LINE_TOLERANCE_DEG, base_map, explain, finite
from .controls import ANALYSIS, ANSWER, GROUPS, REFERENCE, GroupedLayerControl, in_group
from .data_layers import blos_layer, closed_segment_features, explain_marks, gate_mark, origin_layer
from .layers import add_layer, feature
from .popups import popup, text, tooltip
from .reference_layers import add_reference_layers
from .symbols import (
    COLOURS,
    GATE_SHAPES,
    RANK_CHANGE_COLOURS,
    line_svg,
    ramp_svg,
    rank_change_colour,
    shape_svg,
    symbol,
)

#: Parts of the route comparison: (layer name, legend label, style).
ROUTE_PARTS = {
    "both": (
        "Least-cost routes of both runs",
        "in both runs",
        {"color": COLOURS["both"], "opacity": 0.5},
    ),
    "base": (
        "Least-cost routes only in the baseline (given up)",
        "only in the baseline (given up)",
        {"color": COLOURS["base_only"], "opacity": 0.9, "dashArray": "10 7", "lineCap": "butt"},
    ),
    "scenario": (
        "Least-cost routes only in the scenario (new)",
        "only in the scenario (new)",
        {"color": COLOURS["scenario_only"], "opacity": 0.95},
    ),
}


def _check(comparison: Any, what: str) -> Comparison:
    if not isinstance(comparison, Comparison):
        raise ParameterError(f"{what} needs a Comparison (borderwatch.compare), got {type(comparison).__name__}")
    return comparison


def _width(flow: float) -> float:
    return 2.0 + 10.0 * min(max(float(flow), 0.0), 1.0)


def route_change_layer(m: folium.Map, comparison: Comparison, part: str, *, show: bool = True) -> folium.FeatureGroup:
    """Add one part of the least-cost route comparison: edges used by both runs, only the baseline or only the scenario.

    Width shows the least-cost flow (share of the demand) on the edge; the
    baseline-only part is dashed blue, the scenario-only part solid orange,
    the shared part grey.

    Parameters
    ----------
    m
        The map.
    comparison
        :func:`~borderwatch.compare`.
    part
        ``both``, ``base`` or ``scenario`` (the ``part`` column of
        ``comparison.route_edges``).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> c = bw.compare(scenario, scenario.edited(bw.CloseGates(("VN-LAO-005",))))  # doctest: +SKIP
    >>> m = base_map(c.other.scenario)  # doctest: +SKIP
    >>> for part in ("both", "base", "scenario"):  # doctest: +SKIP
    ...     route_change_layer(m, c, part)
    """
    c = _check(comparison, "route_change_layer")
    if part not in ROUTE_PARTS:
        raise ParameterError(f"part must be one of {', '.join(ROUTE_PARTS)}, got {part!r}")
    name, label, style = ROUTE_PARTS[part]
    edges = c.route_edges[c.route_edges["part"] == part]
    feats = []
    # one feature per run of edges with the same flows (a route's edges merge into one line)
    keys = edges[["flow_base", "flow_scenario"]].round(6)
    for (flow_base, flow_scenario), group in edges.groupby([keys["flow_base"], keys["flow_scenario"]], sort=True):
        lines = shapely.get_parts(np.array([g for g in group.geometry if g is not None and not g.is_empty]))
        if not len(lines):
            continue
        geom = shapely.line_merge(shapely.multilinestrings(lines))
        modes = ", ".join(sorted({str(x) for x in group["mode"] if x}))
        flow = max(flow_base, flow_scenario)
        feats.append(
            feature(
                geom,
                style={**style, "weight": _width(flow)},
                popup=popup(
                    f"Least-cost route {label}",
                    [
                        ("least-cost flow, baseline (share of demand)", flow_base),
                        ("least-cost flow, scenario (share of demand)", flow_scenario),
                        ("modes", modes or None),
                        ("edges", len(group)),
                    ],
                ),
                tooltip=tooltip(f"least-cost route {label}", f"flow {flow_base:.2f} → {flow_scenario:.2f}"),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    swatch = line_svg(style["color"], width=4, dash="6 3" if part == "base" else None, opacity=style["opacity"])
    explain(
        m,
        "route_change",
        "Least-cost routes, baseline vs scenario (width = flow)",
        [(swatch, label)],
        order=list(ROUTE_PARTS).index(part),
    )
    return add_layer(m, name, feats, show=show)


def _positions(c: Comparison) -> pd.DataFrame:
    gates = c.other.scenario.gates if c.other.scenario.region is not None else pd.DataFrame(columns=["id"])
    return gates.set_index("id")


def gate_change_layer(m: folium.Map, comparison: Comparison, *, show: bool = True) -> folium.FeatureGroup:
    """Add the gates coloured by their change of risk rank and sized by the ensemble flow they gain or lose.

    Red: the gate ranks higher (riskier) in the scenario, blue: lower, grey:
    unchanged or not ranked in one run (a closed gate); ranks are compared
    among the gates both runs rank (``comparison.gates['rank_change']``), so the
    gates below a closed one do not all turn red.  Closed gates carry a
    black cross, inspected ones a purple outline.  A popup gives both runs'
    ranks, scores and flows, the paired change and its 5–95 % ensemble interval.

    Parameters
    ----------
    m
        The map.
    comparison
        :func:`~borderwatch.compare` (of scenarios with a region: gate positions).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> c = bw.compare(scenario, scenario.edited(bw.CloseGates(("VN-LAO-005",))))  # doctest: +SKIP
    >>> gate_change_layer(base_map(c.other.scenario), c)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    c = _check(comparison, "gate_change_layer")
    placed = _positions(c)
    rows = c.gates.copy()
    for col in ("lon", "lat", "class", "closed", "inspected"):
        rows[col] = rows["gate_id"].map(placed[col]) if col in placed.columns else np.nan
    rows["closed"] = rows["closed"].eq(True) | (rows["edit"] == "closed")
    rows["inspected"] = rows["inspected"].eq(True) | (rows["edit"] == "inspected")
    rows["rank_shift"] = rows["rank_change"]
    shifts = rows["rank_shift"].dropna()
    scale = max(float(np.abs(shifts).max()) if len(shifts) else 0.0, MIN_RANK_SCALE)
    most = _most_flow_change(c)
    rows["order"] = np.abs(rows["flow_change"]) + rows["closed"] + rows["inspected"]
    samples = c.base.scenario.settings.samples
    feats = []
    for rec in rows.sort_values("order").to_dict("records"):
        if not finite(rec.get("lon"), rec.get("lat")):
            continue
        mark = gate_mark(rec)
        flow_change = float(rec["flow_change"])
        size = _size(flow_change, most)
        change = rec["rank_shift"]
        metrics = [
            ("id", rec["gate_id"]),
            ("class", rec.get("class")),
            ("border", rec.get("border")),
            ("scenario edit", rec.get("edit") or None),
            ("risk rank, baseline → scenario", f"{text(rec['rank_base'])} → {_rank_after(rec, mark)}"),
            ("rank change (+ = riskier now)", _signed(rec["rank_change"], digits=0)),
            ("… among the gates ranked in both runs", _signed(change, digits=0)),
            ("risk score, baseline → scenario", f"{text(rec['score_base'])} → {text(rec['score_scenario'])}"),
            ("ensemble flow, baseline → scenario", f"{text(rec['flow_base'])} → {text(rec['flow_scenario'])}"),
            ("flow change (share of demand)", _signed(flow_change)),
            (
                "flow change interval (5–95 %)",
                f"{_signed(rec['flow_change_low'])} to {_signed(rec['flow_change_high'])}",
            ),
            ("flow change (% of its flow before)", _signed(rec.get("flow_change_pct"), digits=1)),
            ("samples whose flow changed", f"{text(rec.get('samples_changed'))} of {samples}"),
            (
                "least-cost flow, baseline → scenario",
                f"{text(rec.get('least_cost_flow_base'))} → {text(rec.get('least_cost_flow_scenario'))}",
            ),
        ]
        name = rec.get("name") or rec["gate_id"]
        suffix = f", {mark}" if mark else ""
        feats.append(
            feature(
                shapely.Point(rec["lon"], rec["lat"]),
                style=symbol(
                    GATE_SHAPES.get(rec.get("class"), "circle"),
                    size=size,
                    fill=rank_change_colour(change, scale=scale),
                    kind="gate",
                    title=f"{name} ({rec['gate_id']}{suffix})",
                    mark=mark,
                ),
                popup=popup(f"{name}: baseline → scenario", metrics),
                tooltip=tooltip(name, mark, f"rank change {_signed(change, digits=0)}", f"flow {_signed(flow_change)}"),
            )
        )
    top = f"{scale:.0f}"
    explain(
        m,
        "gate_change",
        "Gates: baseline → scenario",
        [
            (
                ramp_svg(list(RANK_CHANGE_COLOURS)),
                f"risk rank change −{top} … +{top} among the gates ranked in both runs (red: riskier now)",
            ),
            (shape_svg("square", size=12, fill=COLOURS["unranked"]), "not ranked in one run (e.g. closed)"),
            (
                shape_svg("circle", size=10, fill=RANK_CHANGE_COLOURS[2])
                + shape_svg("circle", size=18, fill=RANK_CHANGE_COLOURS[2]),
                "size = ensemble flow gained or lost",
            ),
            (
                "".join(
                    shape_svg(GATE_SHAPES[k], size=13, fill=RANK_CHANGE_COLOURS[2])
                    for k in ("international", "primary", "secondary")
                ),
                "shape: international, primary, secondary gate",
            ),
        ],
    )
    explain_marks(m, rows, c.other.scenario)
    return add_layer(m, "Gates: rank change (colour), flow change (size)", feats, show=show)


#: The rank change drawn in the strongest colour is at least this (a shift by one place stays pale).
MIN_RANK_SCALE = 5.0


def _rank_after(rec: dict[str, Any], mark: str | None) -> str:
    """Return the scenario's rank of a gate, or why it has none."""
    rank = text(rec["rank_scenario"])
    return "not ranked (closed)" if rank == "–" and mark == "closed" else rank


def _signed(value: Any, *, digits: int = 3) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v):
        return "–"
    if abs(v) < 0.5 * 10**-digits:
        return "0"
    return f"{v:+.{digits}f}"


def segment_change_layer(m: folium.Map, comparison: Comparison, *, show: bool = True) -> folium.FeatureGroup:
    """Add the border segments whose informal crossings gain (red) or lose (blue) ensemble flow.

    Each is a ring at the segment's middle, sized by the flow change on
    the same scale as :func:`gate_change_layer`'s gates, so a gate's lost
    flow and the segments that take it up compare by eye; points, not lines,
    so they are not mistaken for routes.

    Parameters
    ----------
    m
        The map.
    comparison
        :func:`~borderwatch.compare` (of scenarios with a region: segment geometry).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> segment_change_layer(base_map(c.other.scenario), c)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    c = _check(comparison, "segment_change_layer")
    segs = c.base.scenario.segments.set_index("segment_id")
    moved = c.segments[np.abs(c.segments["flow_change"]) > FLOW_EPS]
    most = _most_flow_change(c)
    samples = c.base.scenario.settings.samples
    feats = []
    for rec in moved.sort_values("flow_change", key=np.abs).to_dict("records"):
        line = segs.geometry.get(rec["segment_id"])
        if line is None or line.is_empty:
            continue
        gained = rec["flow_change"] > 0
        where = rec.get("name") or rec["segment_id"]
        feats.append(
            feature(
                shapely.line_interpolate_point(line, 0.5, normalized=True),
                style=symbol(
                    "circle",
                    size=_size(rec["flow_change"], most),
                    fill="#fff",
                    kind="segment",
                    title=f"{where} ({rec['segment_id']})",
                    stroke=COLOURS["segment_gain" if gained else "segment_loss"],
                    stroke_width=3.5,
                ),
                popup=popup(
                    f"Informal crossings of border segment {rec['segment_id']}",
                    [
                        ("where", rec.get("name")),
                        ("border", rec.get("border")),
                        ("scenario edit", rec.get("edit") or None),
                        (
                            "risk rank among segments, baseline → scenario",
                            f"{text(rec['rank_base'])} → {text(rec['rank_scenario'])}",
                        ),
                        (
                            "ensemble flow, baseline → scenario",
                            f"{text(rec['flow_base'])} → {text(rec['flow_scenario'])}",
                        ),
                        ("flow change (share of demand)", _signed(rec["flow_change"])),
                        (
                            "flow change interval (5–95 %)",
                            f"{_signed(rec['flow_change_low'])} to {_signed(rec['flow_change_high'])}",
                        ),
                        ("samples whose flow changed", f"{text(rec.get('samples_changed'))} of {samples}"),
                    ],
                ),
                tooltip=tooltip(where, f"flow {_signed(rec['flow_change'])}"),
            )
        )
    explain(
        m,
        "segment_change",
        "Informal crossings (border segments)",
        [
            (
                shape_svg("circle", size=14, fill="#fff", stroke=COLOURS["segment_gain"], stroke_width=3),
                "ring at a segment gaining ensemble flow",
            ),
            (
                shape_svg("circle", size=14, fill="#fff", stroke=COLOURS["segment_loss"], stroke_width=3),
                "… losing flow (size = change)",
            ),
        ],
    )
    return add_layer(m, f"Informal crossings gaining or losing flow ({len(feats)} segments)", feats, show=show)


def _most_flow_change(c: Comparison) -> float:
    """Return the largest ensemble flow change of any crossing (the size scale of gates and segments)."""
    changes = [np.abs(c.gates["flow_change"]).max() if len(c.gates) else 0.0]
    changes.append(np.abs(c.segments["flow_change"]).max() if len(c.segments) else 0.0)
    return float(np.nanmax(changes))


def _size(flow_change: float, most: float) -> int:
    """Symbol size (px) of a crossing by its flow change: 10 unchanged, up to 28 for the largest."""
    return 10 + (round(18 * abs(float(flow_change)) / most) if most > FLOW_EPS else 0)


#: Coverage change categories: (colour, width on land (coast: half), legend label).
COVERAGE_CHANGE = {
    "gained": ("#1a9850", 6, "newly covered by a BLO patrol"),
    "lost": ("#d73027", 6, "no longer covered"),
    "kept": ("#a6d96a", 3, "covered in both runs"),
    "never": ("#c9b79c", 2, "covered in neither run"),
}


def coverage_change_layer(m: folium.Map, comparison: Comparison, *, show: bool = True) -> folium.FeatureGroup:
    """Add the border and coast segments coloured by BLO coverage before and after (newly covered, lost, kept).

    Border segments the scenario closes to informal crossings are drawn over
    them, black and dashed.

    Parameters
    ----------
    m
        The map.
    comparison
        :func:`~borderwatch.compare` of scenarios with a region (both have a coverage).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Raises
    ------
    ParameterError
        The comparison has no coverage (scenarios of a graph without a region).

    Examples
    --------
    >>> coverage_change_layer(base_map(c.other.scenario), c)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    c = _check(comparison, "coverage_change_layer")
    if c.base.coverage is None or c.other.coverage is None:
        raise ParameterError("coverage_change_layer needs a comparison with BLO coverage (scenarios with a region)")
    before = c.base.coverage.segments.set_index("segment_id")
    after = c.other.coverage.segments.set_index("segment_id")
    hours = (c.base.coverage.hours, c.other.coverage.hours)
    feats = []
    for sid, rec in after.iterrows():
        was = bool(before["covered"].get(sid, False))
        now = bool(rec["covered"])
        kind = "kept" if was and now else "gained" if now else "lost" if was else "never"
        colour, width, label = COVERAGE_CHANGE[kind]
        coast = rec["border"] == "coast"
        feats.append(
            feature(
                rec.geometry,
                style={"color": colour, "weight": width / 2 if coast else width, "opacity": 0.9},
                popup=popup(
                    f"{'Coast' if coast else 'Border'} segment {sid}: {label}",
                    [
                        ("border", rec["border"]),
                        ("length (km)", rec["length_km"]),
                        ("covered, baseline → scenario", f"{text(was)} → {text(now)}"),
                        ("covered by (baseline)", before["by"].get(sid) or None),
                        ("covered by (scenario)", rec["by"] or None),
                        ("patrol time from nearest BLO (scenario, h)", rec["reach_h"]),
                    ],
                ),
                tooltip=tooltip(sid, label),
                tolerance_deg=LINE_TOLERANCE_DEG,
            )
        )
    feats += closed_segment_features(m, c.other.scenario)
    patrol = f"{hours[0]:g} h" if hours[0] == hours[1] else f"{hours[0]:g} h → {hours[1]:g} h"
    explain(
        m,
        "coverage_change",
        f"BLO coverage, baseline → scenario ({patrol} patrols)",
        [(line_svg(colour, width=min(width, 5)), label) for colour, width, label in COVERAGE_CHANGE.values()],
    )
    return add_layer(m, f"Border and coast: BLO coverage, baseline → scenario ({patrol})", feats, show=show)


def comparison_map(comparison: Comparison, *, tiles: str | None = None, title: str | None = None) -> folium.Map:
    """Draw what a scenario changes against its baseline, as an offline folium map.

    Layers: BLO coverage before and after; the border segments whose
    informal crossings gain or lose flow; the least-cost routes of both runs
    in three colours (shared: grey, baseline only: dashed blue, scenario
    only: orange); the gates coloured by rank change and sized by flow
    change, closed and inspected ones marked; the scenario's BLOs (added,
    moved and removed ones marked) and the origin.  The title box gives the
    headline figures; a legend explains every colour; popups give both runs'
    figures and the paired change's ensemble interval.

    Parameters
    ----------
    comparison
        :func:`~borderwatch.compare` (of scenarios with a region).
    tiles
        None (default, offline) or one of :data:`~borderwatch.maps.ONLINE_TILES`.
    title
        The title (default: ``What if: <scenario name>``).

    Returns
    -------
    folium.Map
        Save it with :func:`~borderwatch.maps.save_map`.

    Raises
    ------
    ParameterError
        Not a comparison, a comparison of scenarios without a region, or an unknown ``tiles`` name.

    Examples
    --------
    >>> import borderwatch as bw
    >>> from borderwatch.maps import comparison_map, save_map
    >>> base = bw.Scenario.from_region(samples=40)  # doctest: +SKIP
    >>> c = bw.compare(base, base.edited(bw.CloseGates(("Cầu Treo",))))  # doctest: +SKIP
    >>> save_map(comparison_map(c), "compare.html")  # doctest: +SKIP
    """
    from ..report import data_origin

    c = _check(comparison, "comparison_map")
    base, other = c.base.scenario, c.other.scenario
    if other.region is None:
        raise ParameterError("comparison_map needs scenarios with a region (Scenario.from_region)")
    s = c.summary
    note = (
        f"baseline: {base.name} · {date.today().isoformat()} · {data_origin(other.region)} · demand-weighted "
        f"least cost {s['demand_weighted_cost_base_heq']:.1f} → {s['demand_weighted_cost_scenario_heq']:.1f} h · "
        f"{s['flow_moved']:.1%} of the ensemble flow moves to other crossings · informal share "
        f"{s['informal_share_base']:.0%} → {s['informal_share_scenario']:.0%} · {base.settings.samples} paired "
        f"samples, seed {base.settings.seed}"
    )
    if not s.get("comparable", True):
        note += " · WARNING: runs on different " + "; ".join(s.get("differences", []))
    m = base_map(other, tiles=tiles, title=title or f"What if: {other.name}", note=note)
    GroupedLayerControl(group_order=GROUPS).add_to(m)
    if c.base.coverage is not None and c.other.coverage is not None:
        in_group(coverage_change_layer(m, c), ANALYSIS)
    else:
        from .data_layers import borders_layer

        in_group(borders_layer(m, other), REFERENCE)
    in_group(segment_change_layer(m, c), ANSWER)
    for part in ("both", "base", "scenario"):
        in_group(route_change_layer(m, c, part), ANSWER)
    in_group(gate_change_layer(m, c), ANSWER)
    in_group(blos_layer(m, other, coverage=c.other.coverage, base=base), ANALYSIS)
    in_group(origin_layer(m, other), REFERENCE)
    add_reference_layers(m, other)
    box = change_bounds(c)
    if box is not None:
        m.fit_bounds([[box[1], box[0]], [box[3], box[2]]])
    return m


def change_bounds(comparison: Comparison, *, margin_deg: float = 0.75) -> tuple[float, float, float, float] | None:
    """Return the box (lon/lat) around what a comparison changes: one run's routes, edited gates and BLOs, moved flow.

    Parameters
    ----------
    comparison
        :func:`~borderwatch.compare`.
    margin_deg
        Added on every side (degrees).

    Returns
    -------
    (west, south, east, north) or None
        None when nothing with a position changed.
    """
    c = comparison
    geoms = [g for g in c.route_edges.loc[c.route_edges["part"] != "both"].geometry if g is not None]
    placed = _positions(c)
    edited = c.gates.loc[(c.gates["edit"] != "") | (np.abs(c.gates["flow_change"]) > FLOW_EPS), "gate_id"]
    for gid in edited:
        if gid in placed.index and finite(placed.at[gid, "lon"], placed.at[gid, "lat"]):
            geoms.append(shapely.Point(placed.at[gid, "lon"], placed.at[gid, "lat"]))
    segs = c.base.scenario.segments.set_index("segment_id") if c.base.scenario.region is not None else None
    if segs is not None:
        moved = c.segments.loc[
            (c.segments["edit"] != "") | (np.abs(c.segments["flow_change"]) > FLOW_EPS), "segment_id"
        ]
        geoms += [segs.geometry[s] for s in moved if s in segs.index]
        from .data_layers import blo_changes

        blos = blo_changes(c.other.scenario, c.base.scenario)
        for rec in blos[blos["change"] != ""].to_dict("records"):
            for lon, lat in ((rec["lon"], rec["lat"]), (rec["lon_before"], rec["lat_before"])):
                if finite(lon, lat):
                    geoms.append(shapely.Point(lon, lat))
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return None
    west, south, east, north = shapely.GeometryCollection(geoms).bounds
    return west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg
