"""Layers of the region and the scenario's edits: borders, gates, BLOs, seaports, wharfs and the origin.

Each builder takes the map and a :class:`~borderwatch.Scenario` (or a
:class:`~borderwatch.Region`, the data without edits), adds one toggleable
:class:`folium.FeatureGroup` and returns it; an optional analysis result
(coverage, ranking) adds its figures.  Closed and inspected gates, closed
border segments and added, moved or removed BLOs are marked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from ..analysis.coverage import Coverage
from ..analysis.ranking import COMPONENTS, RANKED, GateRanking, scaled
from ..borders import borderlines, tripoint
from ..geodesy import circle, geodesic_length_m
from ..region import Region
from ..scenario import Scenario
from .base import COUNTRY_LABELS, LINE_TOLERANCE_DEG, explain, finite, parts, placed_gates
from .controls import label_style
from .layers import add_layer, feature
from .popups import percent, popup, tooltip
from .symbols import (
    COLOURS,
    GATE_SHAPES,
    RISK_COLOURS,
    gate_size,
    line_svg,
    ramp_svg,
    risk_colour,
    shape_svg,
    symbol,
)

#: Columns of the placed gate table shown in a gate's popup (beside the ranking's).
GATE_DETAILS = (
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
)


#: A ranked gate's name label appears from this zoom: (rank up to, zoom).
GATE_LABEL_ZOOMS = ((5, 6), (15, 8), (10**9, 10))


def borders_layer(
    m: folium.Map, scenario: Scenario | Region, coverage: Coverage | None = None, *, show: bool = True
) -> folium.FeatureGroup:
    """Add Vietnam's land borders; with a coverage, the border and coast segments coloured by BLO coverage.

    Border segments a scenario closes to informal crossings are drawn over
    them, black and dashed.

    Parameters
    ----------
    m
        The map (:func:`~borderwatch.maps.base_map`).
    scenario
        The scenario (or region) whose borders to draw.
    coverage
        :func:`~borderwatch.blo_coverage` of the scenario: every border and
        coast segment green (covered by a BLO patrol) or red (not), with its
        patrol time from the nearest BLO.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> m = base_map(scenario)  # doctest: +SKIP
    >>> borders_layer(m, scenario, bw.blo_coverage(scenario))  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, sc = parts(scenario, "borders_layer")
    feats = []
    if coverage is None:
        lines = sc.lines if sc is not None else borderlines(region.countries)
        for border, geom in zip(lines["border"], lines.geometry, strict=True):
            feats.append(
                feature(
                    geom,
                    style={"color": COLOURS["border"], "weight": 2, "opacity": 0.8},
                    popup=popup(f"Vietnam–{border} border", [("length (km)", geodesic_length_m(geom) / 1000.0)]),
                    tolerance_deg=LINE_TOLERANCE_DEG,
                )
            )
        explain(m, "borders", "Borders", [(line_svg(COLOURS["border"], width=2), "land border of Vietnam")])
        name = "Land borders"
    else:
        hours = coverage.hours
        for rec in coverage.segments.itertuples(index=False):
            coast = rec.border == "coast"
            key = ("coast_" if coast else "") + ("covered" if rec.covered else "uncovered")
            feats.append(
                feature(
                    rec.geometry,
                    style={"color": COLOURS[key], "weight": 2 if coast else 4, "opacity": 0.9},
                    popup=popup(
                        f"{'Coast' if coast else 'Border'} segment {rec.segment_id}",
                        [
                            ("where", getattr(rec, "place", None)),
                            ("border", rec.border),
                            ("length (km)", rec.length_km),
                            (f"covered by a {hours:g} h patrol", bool(rec.covered)),
                            ("patrol time from the nearest BLO (h)", _hours(rec.nearest_blo_h)),
                            ("nearest BLO", rec.nearest_blo or "none: no patrol can get here"),
                            ("covered by", rec.by or None),
                        ],
                    ),
                    tooltip=tooltip(
                        rec.segment_id,
                        getattr(rec, "place", None),
                        "covered" if rec.covered else f"not covered; nearest BLO {_hours(rec.nearest_blo_h)} h away",
                    ),
                    tolerance_deg=LINE_TOLERANCE_DEG,
                    search=(rec.segment_id, getattr(rec, "place", None)),
                    kind="coast segment" if coast else "border segment",
                )
            )
        explain(
            m,
            "coverage",
            f"BLO coverage ({hours:g} h patrol)",
            [
                (line_svg(COLOURS["covered"]), "land border covered"),
                (line_svg(COLOURS["uncovered"]), "land border not covered"),
                (line_svg(COLOURS["coast_covered"], width=2), "coast covered"),
                (line_svg(COLOURS["coast_uncovered"], width=2), "coast not covered"),
            ],
        )
        name = f"Border and coast: BLO coverage ({hours:g} h)"
    feats += closed_segment_features(m, sc)
    return add_layer(m, name, feats, show=show)


def closed_segment_features(m: folium.Map, sc: Scenario | None) -> list[dict[str, Any] | None]:
    """Features of the border segments a scenario closes to informal crossings (and their legend entry)."""
    if sc is None or not sc.closed_segments:
        return []
    segs = sc.segments.set_index("segment_id")
    explain(
        m,
        "edits",
        "Scenario edits",
        [(line_svg(COLOURS["closed"], width=5, dash="6 3"), "border segment closed to informal crossings")],
        order=2,
    )
    return [
        feature(
            segs.geometry.get(sid),
            style={"color": COLOURS["closed"], "weight": 6, "opacity": 0.9, "dashArray": "6 3"},
            popup=popup(
                f"Closed border segment {sid}",
                [("border", segs["border"].get(sid)), ("scenario edit", "closed to informal crossings")],
            ),
            tooltip=tooltip("closed", sid),
            tolerance_deg=LINE_TOLERANCE_DEG,
        )
        for sid in sorted(sc.closed_segments)
    ]


def gate_rows(scenario: Scenario | Region, ranking: GateRanking | None = None) -> pd.DataFrame:
    """One row per gate: its place on the border, provenance, edits and (if given) ranking.

    Parameters
    ----------
    scenario
        The scenario (or region).
    ranking
        :func:`~borderwatch.rank_gates` of it.

    Returns
    -------
    pandas.DataFrame
        ``gate_id``, ``name``, ``class``, ``border``, ``lon``, ``lat``,
        ``closed``, ``inspected``, the provenance columns and the ranking's.
    """
    placed = placed_gates(scenario)
    if ranking is None:
        return placed.assign(gate_id=placed["id"], score=np.nan, rank=np.nan, status="not analysed", reason="")
    by_id = placed.set_index("id")
    rows = ranking.gates.copy()
    for col in (*GATE_DETAILS, "closed", "inspected"):
        rows[col] = rows["gate_id"].map(by_id[col]) if col in by_id.columns else None
    rows["closed"] = rows["closed"].eq(True)
    rows["inspected"] = rows["inspected"].eq(True)
    return rows


def gate_mark(rec: dict[str, Any]) -> str | None:
    """Return the edit mark of a gate row: ``closed``, ``inspected`` or None."""
    if bool(rec.get("closed")):
        return "closed"
    if bool(rec.get("inspected")):
        return "inspected"
    return None


def explain_marks(m: folium.Map, rows: pd.DataFrame, scenario: Scenario | None) -> None:
    """Legend entries of the closed and inspected gates, when there are any."""
    entries = []
    if rows["closed"].any():
        entries.append((shape_svg("square", size=14, fill="#fd8d3c", mark="closed"), "gate closed by the scenario"))
    if rows["inspected"].any():
        entries.append(
            (shape_svg("square", size=14, fill="#fd8d3c", mark="inspected"), "gate inspected by the scenario")
        )
    if entries:
        explain(m, "edits", "Scenario edits", entries)


def edit_text(rec: dict[str, Any], scenario: Scenario | None) -> str | None:
    """Say what the scenario does to a gate, in words (None: nothing)."""
    mark = gate_mark(rec)
    if mark == "closed":
        return "closed (no crossing either way)"
    if mark == "inspected":
        added = (scenario.inspected_gates if scenario is not None else {}).get(rec.get("gate_id"))
        return f"inspected (exposure +{added:g})" if added is not None else "inspected"
    return None


def gates_layer(
    m: folium.Map, scenario: Scenario | Region, ranking: GateRanking | None = None, *, show: bool = True
) -> folium.FeatureGroup:
    """Add the border gates: a shape per class; with a ranking, colour and size by risk score.

    Gates the scenario closes carry a black cross, inspected ones a thick
    purple outline.  A gate's popup gives its figures, what the scenario does
    to it and its provenance (position source, precision, how it was placed
    on the border).

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario (or region).
    ranking
        :func:`~borderwatch.rank_gates` of the scenario.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> m = base_map(scenario)  # doctest: +SKIP
    >>> gates_layer(m, scenario, bw.rank_gates(scenario))  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    _, sc = parts(scenario, "gates_layer")
    rows = gate_rows(scenario, ranking)
    rows = rows.sort_values("score", na_position="first")  # riskiest drawn last, on top
    names = dict(zip(rows["gate_id"], rows["name"], strict=True))
    segments = sc.segments if sc is not None and sc.region is not None else None
    places = (
        dict(zip(segments["segment_id"], segments["place"].fillna(""), strict=True))
        if segments is not None and "place" in segments.columns
        else {}
    )
    leading = _leading_components(rows, ranking) if ranking is not None else {}
    ranked = int(rows["rank"].notna().sum()) if ranking is not None else 0
    feats = []
    for rec in rows.to_dict("records"):
        if not finite(rec["lon"], rec["lat"]):
            continue
        score = rec.get("score")
        mark = gate_mark(rec)
        metrics = [
            ("id", rec["gate_id"]),
            ("Vietnamese name", rec.get("name_vi")),
            ("scenario edit", edit_text(rec, sc)),
        ]
        details: list[tuple[str, Any]] = []
        lead = [_what_gate(rec)]
        if ranking is not None:
            lead += [_why_rank(rec, leading.get(rec["gate_id"], ()), ranked, mark), _if_closed(rec, names, places)]
            metrics += [
                ("risk rank", f"{rec['rank']} of {ranked}" if finite(rec["rank"]) else None),
                ("rank in 90 % of the ensemble samples", _interval(rec)),
                ("risk score (0–1)", score),
                ("share of the demand crossing here", percent(rec["flow_share"])),
            ]
            in_cut = rec["in_min_cut"]
            details = [
                ("status", "closed by the scenario" if mark == "closed" else rec["status"]),
                ("least-cost flow share", rec["flow_share"]),
                ("ensemble usage probability", rec["usage_probability"]),
                ("cost rise if closed (h-eq)", rec["cost_rise_heq"]),
                ("in minimum cut", bool(in_cut) if finite(in_cut) else None),
                ("pinch current", rec["pinch_current"]),
                ("travel cost from Golden Triangle (h-eq)", rec["travel_cost_heq"]),
                ("flow goes to if closed", rec.get("diverted_to") or None),
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
        suffix = f", {mark}" if mark else ""
        point = shapely.Point(rec["lon"], rec["lat"])
        feats.append(
            feature(
                point,
                style=symbol(
                    GATE_SHAPES.get(rec["class"], "circle"),
                    size=gate_size(score),
                    fill=risk_colour(score),
                    kind="gate",
                    title=f"{rec['name']} ({rec['gate_id']}{suffix})",
                    mark=mark,
                ),
                popup=popup(
                    f"{rec['name']} ({rec['class']} gate)", metrics, lead=lead, details=details, provenance=provenance
                ),
                tooltip=tooltip(
                    rec["name"], rec["class"], mark, f"rank {rec['rank']}" if finite(rec["rank"]) else None
                ),
                search=(rec["name"], rec.get("name_vi"), rec["gate_id"]),
                kind="gate",
            )
        )
        if finite(rec.get("rank")):
            zoom = next(z for top, z in GATE_LABEL_ZOOMS if rec["rank"] <= top)
            feats.append(feature(point, style=label_style(f"{rec['rank']}. {rec['name']}", kind="gate", min_zoom=zoom)))
    entries = [
        (shape_svg(GATE_SHAPES[c], size=14, fill="#fd8d3c"), f"{c} gate")
        for c in ("international", "primary", "secondary")
    ]
    if ranking is not None:
        entries += [
            (ramp_svg([RISK_COLOURS(v / 4) for v in range(5)]), "risk score 0 → 1 (colour and size)"),
            (shape_svg("square", size=12, fill=COLOURS["unranked"]), "gate not ranked (popup says why)"),
        ]
    explain(m, "gates", "Border gates", entries)
    explain_marks(m, rows, sc)
    label = "Border gates (colour and size = risk score)" if ranking is not None else "Border gates"
    return add_layer(m, label, feats, show=show)


def _leading_components(rows: pd.DataFrame, ranking: GateRanking) -> dict[str, tuple[str, ...]]:
    """Each ranked gate's two components that add most to its score (weight × scaled value)."""
    ranked = rows[rows["status"].isin(RANKED)]
    if ranked.empty:
        return {}
    parts_of = pd.DataFrame(
        {
            name: w * scaled(ranked[COMPONENTS[name][0]], larger_is_riskier=COMPONENTS[name][1])
            for name, w in ranking.weights.items()
            if w > 0 and COMPONENTS[name][0] in ranked.columns
        },
        index=ranked.index,
    )
    return {
        gid: tuple(parts_of.loc[i].sort_values(ascending=False).index[:2])
        for i, gid in zip(ranked.index, ranked["gate_id"], strict=True)
        if parts_of.loc[i].max() > 0
    }


def _what_gate(rec: dict[str, Any]) -> str:
    """One sentence: what this gate is and where."""
    country = COUNTRY_LABELS.get(rec.get("border"), rec.get("border"))
    where = f"on the Vietnam–{country} border" if _given(country) else "on the border"
    province = f" in {rec['province']} province" if _given(rec.get("province")) else ""
    facing = f", facing {rec['counterpart_name']}" if _given(rec.get("counterpart_name")) else ""
    mode = f" ({rec['mode']})" if _given(rec.get("mode")) else ""
    article = "An" if str(rec["class"])[:1].lower() in "aeiou" else "A"
    return f"{article} {rec['class']} border gate{mode} {where}{province}{facing}."


def _given(value: Any) -> bool:
    return value is not None and value == value and str(value).strip() not in ("", "nan")


#: A score component in plain words (its value given by the function).
COMPONENT_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "flow": lambda r: f"the least-cost routes send {float(r['flow_share']):.0%} of the demand through it",
    "usage": lambda r: f"{float(r['usage_probability']):.0%} of the perturbed routings use it",
    "criticality": lambda r: (
        f"closing it adds {float(r['cost_rise_heq']):.1f} h-equivalent to the traffickers' average route cost"
    ),
    "cut": lambda r: "it is one of the cheapest set of crossings that together block every route",
    "pinch": lambda r: "many alternative routes squeeze through it",
    "exposure": lambda r: f"as a {r['class']} gate it is lightly inspected",
    "travel": lambda r: (
        f"it is close to the Golden Triangle ({float(r['travel_cost_heq']):.0f} h-equivalent of route cost away)"
    ),
    "incidents": lambda r: "incidents were recorded near it",
}


def _why_rank(rec: dict[str, Any], leading: tuple[str, ...], ranked: int, mark: str | None) -> str:
    """One sentence: why the gate ranks where it does (or why it is not ranked)."""
    if mark == "closed":
        return "The scenario closes it, so it is not ranked."
    if not finite(rec.get("rank")):
        return f"Not ranked: {rec.get('reason') or rec.get('status')}."
    if rec.get("status") != "ranked":
        return f"Ranked {rec['rank']} of {ranked}, after every gate a route uses: {rec.get('reason')}."
    if not leading:
        return f"Ranked {rec['rank']} of {ranked}."
    said = " and ".join(COMPONENT_WORDS[c](rec) for c in leading)
    return f"Ranked {rec['rank']} of {ranked} mainly because {said}."


def _if_closed(rec: dict[str, Any], names: dict[str, str], places: dict[str, str]) -> str:
    """One sentence: where the gate's flow goes if it closes (from the ranking's ``diverted_to``).

    ``names`` gives gate names by id, ``places`` a border segment's place description (when the segments have one).
    """
    flow = float(rec.get("flow_share") or 0.0)
    if flow <= 0:
        return "No least-cost route uses it: closing it would move no flow."
    moves = []
    for part in str(rec.get("diverted_to") or "").split(", "):
        where, _, share = part.rpartition(" ")
        if not where or not finite(share):
            continue
        if where in names:
            where = f"{names[where]} gate"
        elif where == "other informal":
            where = "other informal crossings"
        elif where != "informal":
            near = f" ({places[where]})" if places.get(where) else ""
            where = f"informal crossings on border segment {where}{near}"
        else:
            where = "informal crossings"
        moves.append(f"{min(float(share) / flow, 1.0):.0%} to {where}")
    rise = ""
    if finite(rec["cost_rise_heq"]):
        rise = f", and the traffickers' average route cost rises by {float(rec['cost_rise_heq']):.1f} h-equivalent"
    if not moves:
        return f"If it closes, its flow has nowhere else to go{rise}."
    return f"If it closes, its flow moves: {', '.join(moves[:4])}{rise}."


def _interval(rec: dict[str, Any]) -> str | None:
    low, high = rec.get("rank_low"), rec.get("rank_high")
    if not finite(low, high):
        return None
    return f"{low:.0f}–{high:.0f}"


def point_layer(
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
    extra: list[dict[str, Any] | None] | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Add a layer of point records (BLOs, seaports, wharfs) with their fields and provenance; skip unlocated ones."""
    feats = []
    for rec in table.to_dict("records"):
        if not finite(rec.get("lon"), rec.get("lat")):
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
                search=(rec["name"], rec.get("name_vi"), rec.get("local_name"), rec.get("id")),
                kind=tip,
            )
        )
    return add_layer(m, name, [*(extra or []), *feats], show=show)


def blo_changes(scenario: Scenario | Region, base: Scenario | Region | None = None) -> pd.DataFrame:
    """Compare the BLOs of a scenario with a base: which were added, moved or removed.

    Parameters
    ----------
    scenario
        The scenario (or region).
    base
        What to compare with (default: the region's own BLO table, before any edit).

    Returns
    -------
    pandas.DataFrame
        Every BLO of either, with ``change`` (``added``, ``moved``, ``removed``
        or ""), ``lon``/``lat`` (the scenario's; the base's for removed ones)
        and ``lon_before``/``lat_before``.
    """
    region, sc = parts(scenario, "the BLOs")
    now = sc.blos if sc is not None else region.blos
    if base is None:
        before = region.blos
    else:
        base_region, base_sc = parts(base, "the BLOs")
        before = base_sc.blos if base_sc is not None else base_region.blos
    old = before.set_index("id")
    rows = pd.DataFrame(now.drop(columns="geometry"))
    rows["lon_before"] = rows["id"].map(old["lon"])
    rows["lat_before"] = rows["id"].map(old["lat"])
    moved = rows["id"].isin(old.index) & ~(
        np.isclose(rows["lon"].astype(float), rows["lon_before"].astype(float), equal_nan=True)
        & np.isclose(rows["lat"].astype(float), rows["lat_before"].astype(float), equal_nan=True)
    )
    rows["change"] = np.where(~rows["id"].isin(old.index), "added", np.where(moved, "moved", ""))
    gone = pd.DataFrame(before.loc[~before["id"].isin(set(now["id"]))].drop(columns="geometry"))
    gone = gone.assign(change="removed", lon_before=gone["lon"], lat_before=gone["lat"])
    return pd.concat([rows, gone], ignore_index=True)


def blos_layer(
    m: folium.Map,
    scenario: Scenario | Region,
    *,
    coverage: Coverage | None = None,
    base: Scenario | Region | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Add the Border Liaison Offices of the scenario, its edits marked.

    BLOs the scenario adds or moves get an orange ring (a moved one also a
    dashed line from where it stood); removed ones are drawn grey with a
    cross.  BLOs without a known position are left out.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario (its BLOs, edits included) or a region.
    coverage
        :func:`~borderwatch.blo_coverage` of the scenario: each popup adds the
        border and coast it covers, its patrol hours and where its patrols start.
    base
        What the edits are relative to (default: the region's BLO table);
        :func:`~borderwatch.maps.comparison_map` passes the comparison's base.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> other = scenario.edited(bw.AddBLO(name="Nam Can", at_gate="VN-LAO-009"))  # doctest: +SKIP
    >>> blos_layer(base_map(other), other)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    table = blo_changes(scenario, base)
    _, sc = parts(scenario, "the BLOs")
    placed = coverage.blos if coverage is not None else sc.blo_starts if sc is not None else None
    table, uncertain = _where_blos_stand(table, placed)
    covered: dict[str, float] = {}
    hours: dict[str, float] = {}
    if coverage is not None:
        by = coverage.segments["by"].fillna("").str.split(", ")
        for blo in table["id"]:
            covered[blo] = float(coverage.segments.loc[by.apply(lambda ids, b=blo: b in ids), "length_km"].sum())
        hours = dict(zip(coverage.blos["blo_id"], coverage.blos["hours"], strict=True))
    starts = placed.set_index("blo_id") if placed is not None else None

    def more_rows(rec: dict[str, Any]) -> list[tuple[str, Any]]:
        change = rec.get("change") or None
        rows: list[tuple[str, Any]] = [("scenario edit", change)]
        if change == "moved":
            rows.append(("moved from", f"{rec['lat_before']:.4f} N, {rec['lon_before']:.4f} E"))
        if starts is not None and change != "removed" and rec["id"] in starts.index:
            start = starts.loc[rec["id"]]
            if finite(start["site_lon"], start["site_lat"]):
                known = f", known to {start['precision_m'] / 1000:.1f} km" if finite(start["precision_m"]) else ""
                rows.append(("recorded position", f"{start['site_lat']:.4f} N, {start['site_lon']:.4f} E{known}"))
            rows.append(("where it stands and why", start["placed_by"]))
            if start["start_node"]:
                rows.append(("patrols start", f"{start['start_kind']} node {start['start_node']}"))
        if coverage is not None and change != "removed":
            rows += [
                ("border and coast covered (km)", covered.get(rec["id"])),
                ("patrol time (h)", hours.get(rec["id"])),
            ]
        return rows

    def symbol_of(rec: dict[str, Any]) -> dict[str, Any]:
        change = rec.get("change")
        if change == "removed":
            return symbol(
                "circle",
                size=14,
                fill="none",
                kind="blo",
                title=f"{rec['name']} (removed)",
                stroke=COLOURS["removed"],
                mark="removed",
            )
        edited = change in ("added", "moved")
        return symbol(
            "circle",
            size=16 if edited else 14,
            fill=COLOURS["blo"],
            kind="blo",
            title=f"{rec['name']} ({change})" if edited else rec["name"],
            stroke=COLOURS["edited"] if edited else "#fff",
            stroke_width=3.0 if edited else 1.2,
            mark="edited" if edited else None,
        )

    moves = [
        feature(
            shapely.LineString([(rec["lon_before"], rec["lat_before"]), (rec["lon"], rec["lat"])]),
            style={"color": COLOURS["edited"], "weight": 2, "dashArray": "4 4", "opacity": 0.9},
            tooltip=tooltip(f"{rec['name']} moved"),
        )
        for rec in table[table["change"] == "moved"].to_dict("records")
        if finite(rec["lon_before"], rec["lat_before"], rec["lon"], rec["lat"])
    ]
    entries = [(shape_svg("circle", size=14, fill=COLOURS["blo"], stroke="#fff"), "Border Liaison Office (BLO)")]
    if uncertain:
        entries += [
            (
                shape_svg("circle", size=14, fill="none", stroke=COLOURS["blo"]),
                "where a BLO's recorded position may be",
            ),
            (line_svg(COLOURS["blo"], width=1.5, dash="2 4"), "from its recorded position to where it stands"),
        ]
    explain(m, "sites", "Sites", entries)
    changes = set(table["change"])
    edits = []
    if changes & {"added", "moved"}:
        edits.append(
            (
                shape_svg("circle", size=14, fill=COLOURS["blo"], stroke=COLOURS["edited"], stroke_width=2.5),
                "BLO added or moved by the scenario",
            )
        )
    if "moved" in changes:
        edits.append((line_svg(COLOURS["edited"], width=2, dash="4 4"), "where a moved BLO stood"))
    if "removed" in changes:
        edits.append(
            (
                shape_svg("circle", size=14, fill="none", stroke=COLOURS["removed"], mark="removed"),
                "BLO removed by the scenario",
            )
        )
    if edits:
        explain(m, "edits", "Scenario edits", edits, order=1)
    return point_layer(
        m,
        "Border Liaison Offices (BLOs)",
        table,
        symbol_of=symbol_of,
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
        extra=moves + uncertain,
        show=show,
    )


def _hours(value: float) -> str:
    """Patrol hours for display ("none" where no patrol gets)."""
    return f"{value:.1f}" if finite(value) else "none"


def _where_blos_stand(table: pd.DataFrame, placed: pd.DataFrame | None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Put each BLO where it stands (at its gate when its record is coarser) and draw its recorded position's precision.

    Returns the table with ``lon``/``lat`` where each BLO stands, and the
    features: a circle of its precision around every recorded position, and a
    dotted line from the record to a BLO that stands elsewhere.
    """
    if placed is None or not len(placed):
        return table, []
    starts = placed.set_index("blo_id")
    table = table.copy()
    moved = table["id"].map(starts["at_gate"]).astype("boolean").fillna(False).to_numpy(dtype=bool)
    moved &= (table["change"] != "removed").to_numpy()
    table.loc[moved, "lon"] = table.loc[moved, "id"].map(starts["start_lon"])
    table.loc[moved, "lat"] = table.loc[moved, "id"].map(starts["start_lat"])
    features = []
    style = {"color": COLOURS["blo"], "weight": 1.2, "opacity": 0.8, "fillOpacity": 0.06, "dashArray": "3 3"}
    for rec in starts.reset_index().to_dict("records"):
        if not finite(rec["site_lon"], rec["site_lat"]):
            continue
        if finite(rec["precision_m"]) and rec["precision_m"] > 0:
            known = f"recorded position of {rec['name']}: known to {rec['precision_m'] / 1000:.1f} km"
            shape = circle(rec["site_lon"], rec["site_lat"], rec["precision_m"])
            features.append(feature(shape, style=style, tooltip=tooltip(known)))
        if rec["at_gate"] and finite(rec["start_lon"], rec["start_lat"]):
            line = shapely.LineString([(rec["site_lon"], rec["site_lat"]), (rec["start_lon"], rec["start_lat"])])
            line_style = {"color": COLOURS["blo"], "weight": 1.5, "dashArray": "2 4", "opacity": 0.9}
            features.append(feature(line, style=line_style, tooltip=tooltip(f"{rec['name']} stands at its gate")))
    return table, [f for f in features if f is not None]


def seaports_layer(m: folium.Map, scenario: Scenario | Region, *, show: bool = True) -> folium.FeatureGroup:
    """Add Vietnam's seaports (the export routes leave through them).

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> seaports_layer(base_map(region), region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, _ = parts(scenario, "seaports_layer")
    explain(
        m,
        "sites",
        "Sites",
        [(shape_svg("anchor", size=14, fill=COLOURS["port"], stroke=COLOURS["port"]), "seaport")],
        order=3,
    )
    return point_layer(
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
        show=show,
    )


def wharfs_layer(m: folium.Map, scenario: Scenario | Region, *, show: bool = True) -> folium.FeatureGroup:
    """Add the Mekong wharfs (river crossings and landings upstream of Vietnam).

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> wharfs_layer(base_map(region), region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, _ = parts(scenario, "wharfs_layer")
    explain(
        m,
        "sites",
        "Sites",
        [(shape_svg("circle", size=10, fill=COLOURS["wharf"], stroke="#fff"), "Mekong wharf")],
        order=4,
    )
    return point_layer(
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
        show=show,
    )


def origin_layer(m: folium.Map, scenario: Scenario | Region, *, show: bool = True) -> folium.FeatureGroup:
    """Add the origin of every route: the Golden Triangle (a user graph's origin node when it has no region tri-point).

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> origin_layer(base_map(region), region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, sc = parts(scenario, "origin_layer")
    if sc is not None and not sc.is_route_graph and sc.origin in sc.G and "x" in sc.G.nodes[sc.origin]:
        node = sc.G.nodes[sc.origin]
        point, name = shapely.Point(node["x"], node["y"]), f"Origin {sc.origin}"
        derived = "the origin node of the graph"
    else:
        point, name = tripoint(region.countries, ("LAO", "THA", "MMR")), "Golden Triangle"
        derived = "the Laos–Thailand–Myanmar tri-point of the country borders"
    explain(
        m,
        "sites",
        "Sites",
        [(shape_svg("star", size=16, fill=COLOURS["origin"], stroke="#fff"), f"{name} (origin)")],
        order=5,
    )
    return add_layer(
        m,
        name,
        [
            feature(
                point,
                style=symbol("star", size=24, fill=COLOURS["origin"], kind="origin", title=name, stroke="#fff"),
                popup=popup(
                    f"{name} (origin of every route)",
                    [("position", f"{point.y:.4f} N, {point.x:.4f} E")],
                    provenance=[("derived from", derived)],
                ),
                tooltip=tooltip(name),
            )
        ],
        show=show,
    )
