"""Coverage of the border and the coast by the reach of Border Liaison Office (BLO) patrols.

A patrol leaves a BLO (where it stands and why:
:func:`borderwatch.patrol.blo_sites`) and moves on the route graph inside
Vietnam (roads, off-road lattice, connectors and rivers; never across a
border or by sea) at the graph's travel times (``time_h``, no trafficker
exposure).  Everything it reaches within ``hours`` (default 2 h; per-BLO
overrides) is in reach.  A 5 km border or coast segment is covered when the
Vietnamese graph node nearest its middle (within
:data:`~borderwatch.patrol.SEGMENT_NODE_M`) is in reach of some BLO; a gate is
covered when its Vietnamese side is.  Every segment and gate also gets the
patrol hours from its nearest BLO, however long, so "uncovered" has a
distance.  Uncovered segments are merged into stretches, ranked by length and
by the crossing flow they carry.  A run of uncovered segments longer than the
planning length ``settings.stretch_km`` (default 50 km, :data:`STRETCH_KM`) is
split at segment ends into the fewest stretches of near-equal length no longer
than it (a 1,005 km run is no task; twenty-one 48 km stretches are), so each
stretch is something one patrol plan can take on.  Every segment and
stretch is named by its nearest place and province (``place``,
:mod:`borderwatch.places`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..doors import require
from ..errors import DataFileError, ParameterError, ValidationError
from ..network.arrays import GraphArrays
from ..places import gazetteer
from ..scenario import Scenario, as_scenario
from .chokepoints import Chokepoints

#: Columns of :attr:`Coverage.segments` after ``segment_id`` (and before the geometry).
SEGMENT_COLUMNS = ["border", "place", "length_km", "covered", "reach_h", "by", "nearest_blo", "nearest_blo_h"]


@dataclass
class Coverage:
    """Result of :func:`blo_coverage`.

    Attributes
    ----------
    segments
        Every border and coast segment: ``segment_id``, ``border`` (LAO, CHN,
        KHM or ``coast``), ``place`` (nearest place, district, province),
        ``length_km``, ``covered``, ``reach_h`` (patrol time
        from the nearest BLO in reach; NaN beyond reach), ``by`` (BLO ids in
        reach), ``nearest_blo`` and ``nearest_blo_h`` (the BLO with the
        shortest patrol time to it, however long, and that time: how far
        "uncovered" is; NaN where no patrol can get, e.g. a segment with no
        Vietnamese node near it).
    gates
        Every gate in the graph: ``gate_id``, ``covered``, ``reach_h``, ``by``,
        ``nearest_blo``, ``nearest_blo_h``.
    summary
        Per border and ``coast``: ``border_km``, ``covered_km``, ``covered_pct``.
    uncovered
        Merged uncovered stretches (lines), each at most ``settings.stretch_km``
        long (longer runs split): ``border``, ``place`` (of its middle), ``length_km``,
        ``segments``, ``flow_share``, ``usage_probability`` (when chokepoints
        were given), ``nearest_blo_h`` and ``farthest_h`` (patrol hours from
        the nearest BLO to the stretch's nearest and farthest segment), ranked
        by length (``rank_by_length``) and by flow (``rank_by_flow``).
    blos
        One row per BLO (:func:`borderwatch.patrol.blo_sites`): ``blo_id``,
        ``name``, ``start_node`` (where its patrols start; "" when it cannot
        be placed), ``start_kind``, ``start_lon``, ``start_lat``, the recorded
        ``site_lon``, ``site_lat`` and ``precision_m``, ``at_gate``,
        ``start_km``, ``placed_by`` (why) and ``hours``.
    reach_areas
        One row per placed BLO: ``blo_id``, ``hours``, ``nodes`` (graph nodes
        its patrols reach) and the convex hull of those nodes (EPSG:4326), to
        draw how far its patrols get.
    flow_covered_pct, ensemble_flow_covered_pct
        Share (%) of the demand-weighted crossing flow entering Vietnam through a
        covered gate or segment: least-cost and ensemble mean (NaN without chokepoints).
    hours
        The patrol time of every BLO without an override (h).
    stretch_km
        The planning length the uncovered stretches were split at (km).
    """

    segments: gpd.GeoDataFrame
    gates: pd.DataFrame
    summary: pd.DataFrame
    uncovered: gpd.GeoDataFrame
    blos: pd.DataFrame
    reach_areas: gpd.GeoDataFrame
    flow_covered_pct: float
    ensemble_flow_covered_pct: float
    hours: float = 2.0
    stretch_km: float = 50.0


def read_hour_overrides(path: str | Path, *, blo_ids: list[str]) -> dict[str, float]:
    """Read per-BLO patrol hours from a CSV with columns ``blo_id`` and ``hours``.

    Parameters
    ----------
    path
        The CSV file.
    blo_ids
        Valid BLO ids.

    Returns
    -------
    dict
        BLO id -> hours.

    Raises
    ------
    DataFileError
        Missing or unreadable file.
    ValidationError
        Missing columns, unknown or repeated BLO ids, hours not > 0 (each line named).
    """
    path = Path(path)
    what = f"BLO hours file {str(path)!r}"
    if not path.is_file():
        raise DataFileError(f"{what} does not exist; give a CSV with columns blo_id, hours")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{what} is not a readable CSV ({exc}); give columns blo_id, hours") from exc
    df.columns = [c.strip().lower() for c in df.columns]
    if not {"blo_id", "hours"} <= set(df.columns):
        raise ValidationError([f"{what} has columns {', '.join(df.columns)}; it needs blo_id and hours"])
    problems, out = [], {}
    hours = pd.to_numeric(df["hours"], errors="coerce")
    for i, (blo, h) in enumerate(zip(df["blo_id"].str.strip(), hours, strict=True)):
        if blo not in blo_ids:
            problems.append(f"line {i + 2}: blo_id {blo!r} is not a BLO; use one of {', '.join(blo_ids)}")
        elif blo in out:
            problems.append(f"line {i + 2}: blo_id {blo!r} is given twice; give one line per BLO")
        elif not (np.isfinite(h) and h > 0):
            problems.append(f"line {i + 2}: hours {df['hours'].iloc[i]!r} is not a number > 0")
        else:
            out[blo] = float(h)
    if problems:
        raise ValidationError([f"{what}: {p}" for p in problems])
    return out


def blo_coverage(scenario: Scenario, *, chokepoints: Chokepoints | None = None) -> Coverage:
    """Which border and coast segments and gates the scenario's BLO patrols reach.

    Each BLO patrols for its own hours (``settings.blo_hours``) or
    ``settings.hours``; BLOs added, moved or removed by edits count as edited.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` of a route graph with its region.
    chokepoints
        Chokepoint metrics of the same scenario
        (:func:`~borderwatch.analysis.chokepoints.chokepoint_metrics`), for the
        flow coverage and the flow ranking of uncovered stretches.

    Returns
    -------
    Coverage

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario or ``chokepoints`` not Chokepoints or None (checked first); the
        chokepoints name border segments of another length than the
        scenario's (their ids would not match), ``settings.blo_hours`` names
        an unknown BLO, or the scenario has no region.

    Examples
    --------
    On the shipped data (``scenario = bw.Scenario.from_region()``), 2 h patrols against 8 h:

    >>> two = blo_coverage(scenario)
    >>> eight = blo_coverage(scenario.with_settings(hours=8.0))
    >>> sorted(two.summary.index)
    ['CHN', 'KHM', 'LAO', 'coast']
    >>> bool((eight.summary["covered_km"] >= two.summary["covered_km"]).all())
    True
    """
    sc = as_scenario(scenario, what="blo_coverage")
    require(chokepoints, (Chokepoints, None), where="blo_coverage", name="chokepoints")
    check_segments(sc, chokepoints)
    model = sc.patrol
    sites = sc.blo_starts
    ids = [b for b, node in zip(sites["blo_id"], sites["start_node"], strict=True) if node]
    per_blo = {b: sc.blo_hours(b) for b in sites["blo_id"]}
    starts = [n for n in sites["start_node"] if n]
    reach = model.reach(starts, np.array([per_blo[b] for b in ids]))
    nearest_h, nearest = model.nearest_hours(starts)
    table = model.segments.copy()
    table["place"] = gazetteer(sc.region).of_lines(table.geometry)
    table["covered"], table["reach_h"], table["by"] = _reached(reach, ids, model.segment_rows)
    table["nearest_blo"], table["nearest_blo_h"] = _nearest(nearest_h, nearest, ids, model.segment_rows)
    segs = gpd.GeoDataFrame(table[["segment_id", *SEGMENT_COLUMNS, "geometry"]], crs="EPSG:4326")
    covered, reach_h, by = _reached(reach, ids, model.gate_rows)
    near_blo, near_h = _nearest(nearest_h, nearest, ids, model.gate_rows)
    gates = pd.DataFrame(
        {
            "gate_id": model.gate_ids,
            "covered": covered,
            "reach_h": reach_h,
            "by": by,
            "nearest_blo": near_blo,
            "nearest_blo_h": near_h,
        }
    )

    summary = segs.groupby("border").apply(
        lambda g: pd.Series(
            {
                "border_km": g["length_km"].sum(),
                "covered_km": g.loc[g["covered"], "length_km"].sum(),
            }
        ),
        include_groups=False,
    )
    summary["covered_pct"] = 100.0 * summary["covered_km"] / summary["border_km"]
    flow_pct, ens_pct = _flow_coverage(sc.arrays, chokepoints, segs, gates)
    return Coverage(
        segments=segs,
        gates=gates,
        summary=summary.round(2),
        uncovered=_uncovered_stretches(segs, chokepoints, stretch_km=sc.settings.stretch_km, region=sc.region),
        blos=sites,
        reach_areas=_reach_areas(sc.arrays, reach, ids, per_blo),
        flow_covered_pct=flow_pct,
        ensemble_flow_covered_pct=ens_pct,
        hours=float(sc.settings.hours),
        stretch_km=float(sc.settings.stretch_km),
    )


def _nearest(hours: np.ndarray, nearest: np.ndarray, ids: list[str], rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Per node row: the BLO with the shortest patrol time to it (any time) and that time (NaN: none reaches it)."""
    ok = rows >= 0
    at = np.where(ok, hours[np.maximum(rows, 0)], np.inf)
    who = np.where(ok, nearest[np.maximum(rows, 0)], -1)
    names = [ids[k] if k >= 0 and np.isfinite(h) else "" for k, h in zip(who, at, strict=True)]
    return names, np.where(np.isfinite(at), at, np.nan)


def check_segments(scenario: Scenario, chokepoints: Chokepoints | None) -> None:
    """Refuse chokepoint metrics whose border segments are not the scenario's (their ids would be joined wrongly).

    Parameters
    ----------
    scenario
        The scenario.
    chokepoints
        Its chokepoint metrics, or ``None`` (nothing to check).

    Raises
    ------
    ParameterError
        The metrics come from another graph or from segments of another length.
    """
    if chokepoints is None:
        return
    theirs_edges, ours_edges = chokepoints.arrays.edge_tag, scenario.arrays.edge_tag
    if theirs_edges is not ours_edges and not np.array_equal(theirs_edges, ours_edges):
        raise ParameterError("the chokepoint metrics were computed on another graph; compute them on this scenario")
    theirs = chokepoints.segment_length_km
    if theirs is not None and theirs != scenario.segment_length_km:
        raise ParameterError(
            f"the chokepoint metrics name {theirs:g} km border segments but this scenario uses "
            f"{scenario.segment_length_km:g} km ones, so their segment ids do not match; compute the metrics with "
            f"the same segment_length_km (scenario.with_settings(segment_length_km={theirs:g}))"
        )


def coverage_summary(result: Coverage) -> dict[str, Any]:
    """Summarise a coverage result as plain data (what ``coverage --json`` prints).

    Parameters
    ----------
    result
        From :func:`blo_coverage`.

    Returns
    -------
    dict
        ``hours``, ``borders`` (per border and ``coast``: ``border_km``,
        ``covered_km``, ``covered_pct``), ``gates_covered``, ``gates``,
        ``gates_covered_ids``, ``gate_patrol_hours`` (per gate its nearest BLO and
        the patrol hours from it), ``flow_covered_pct``,
        ``ensemble_flow_covered_pct``, ``blos``, ``uncovered_stretches`` and ``stretch_km``.
    """
    gates = result.gates
    return {
        "hours": result.hours,
        "borders": {
            border: {
                "border_km": float(row.border_km),
                "covered_km": float(row.covered_km),
                "covered_pct": float(row.covered_pct),
            }
            for border, row in result.summary.iterrows()
        },
        "gates_covered": int(gates["covered"].sum()),
        "gates": len(gates),
        "gates_covered_ids": gates.loc[gates["covered"], "gate_id"].tolist(),
        "gate_patrol_hours": {
            g: {"nearest_blo": b or None, "hours": None if not np.isfinite(h) else round(float(h), 3)}
            for g, b, h in zip(gates["gate_id"], gates["nearest_blo"], gates["nearest_blo_h"], strict=True)
        },
        "flow_covered_pct": round(result.flow_covered_pct, 4),  # 4 places: a display at one place rounds once
        "ensemble_flow_covered_pct": round(result.ensemble_flow_covered_pct, 4),
        "blos": result.blos.astype(object).where(result.blos.notna(), None).to_dict("records"),
        "uncovered_stretches": len(result.uncovered),
        "stretch_km": result.stretch_km,
    }


def coverage_features(result: Coverage) -> gpd.GeoDataFrame:
    """Every segment and every merged uncovered stretch as one table of GIS features.

    Parameters
    ----------
    result
        From :func:`blo_coverage`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``feature`` (``segment`` or ``uncovered_stretch``), the columns of
        :attr:`Coverage.segments` and :attr:`Coverage.uncovered`; ``covered``
        is a boolean on every row (false on stretches). EPSG:4326.
    """
    features = pd.concat(
        [result.segments.assign(feature="segment"), result.uncovered.assign(feature="uncovered_stretch")],
        ignore_index=True,
    )
    features["covered"] = features["covered"].astype("boolean").fillna(False).astype(bool)
    return gpd.GeoDataFrame(features, geometry="geometry", crs="EPSG:4326")


def _reach_areas(
    arrays: GraphArrays, reach: np.ndarray, ids: list[str], hours: Mapping[str, float]
) -> gpd.GeoDataFrame:
    """Convex hull of the nodes each BLO's patrols reach."""
    rows = []
    for blo, times in zip(ids, reach, strict=True):
        reached = np.flatnonzero(np.isfinite(times))
        hull = shapely.MultiPoint(np.column_stack([arrays.node_x[reached], arrays.node_y[reached]])).convex_hull
        rows.append({"blo_id": blo, "hours": hours[blo], "nodes": len(reached), "geometry": hull})
    columns = ["blo_id", "hours", "nodes", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")


def _reached(reach: np.ndarray, ids: list[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per node row: covered by any start, least patrol hours, and the ids of the starts that reach it."""
    column = np.where(rows >= 0, reach[:, np.maximum(rows, 0)], np.inf)  # (start, node)
    ok = np.isfinite(column)
    covered = ok.any(axis=0)
    hours = np.where(covered, np.min(column, axis=0, initial=np.inf), np.nan)
    by = [", ".join(b for b, yes in zip(ids, ok[:, k], strict=True) if yes) for k in range(len(rows))]
    return covered, hours, by


def _flow_coverage(
    arrays: GraphArrays, result: Chokepoints | None, segs: gpd.GeoDataFrame, gates: pd.DataFrame
) -> tuple[float, float]:
    if result is None:
        return float("nan"), float("nan")
    covered_gate = set(gates.loc[gates["covered"], "gate_id"])
    covered_seg = set(segs.loc[segs["covered"], "segment_id"])
    entering = np.flatnonzero(arrays.into_vietnam())
    is_covered = np.array(
        [
            (arrays.gate_id[e] in covered_gate)
            if arrays.crossing[e] == "gate"
            else (result.segment_of[e] in covered_seg)
            for e in entering
        ],
        dtype=bool,
    )
    out = []
    for flow in (result.flow.edge_flow, result.ensemble.edge_mean_flow):
        total = flow[entering].sum()
        out.append(float(100.0 * flow[entering][is_covered].sum() / total) if total > 0 else float("nan"))
    return out[0], out[1]


def _uncovered_stretches(
    segs: gpd.GeoDataFrame, result: Chokepoints | None, *, stretch_km: float, region: Any
) -> gpd.GeoDataFrame:
    """Merge runs of uncovered segments per border into stretches of at most ``stretch_km``; rank by length, flow."""
    open_ = segs[~segs["covered"]].copy()
    flow = pd.Series(0.0, index=open_["segment_id"])
    usage = pd.Series(0.0, index=open_["segment_id"])
    if result is not None:
        entering = np.flatnonzero(result.arrays.into_vietnam("informal") & (result.segment_of != ""))
        by_seg = pd.Series(result.flow.edge_flow[entering]).groupby(result.segment_of[entering]).sum()
        flow = by_seg.reindex(flow.index).fillna(0.0)
        usage = result.ensemble.segments["usage_probability"].reindex(usage.index).fillna(0.0)
    open_["flow_share"] = flow.to_numpy()
    open_["usage_probability"] = usage.to_numpy()
    columns = [
        "border",
        "place",
        "length_km",
        "segments",
        "flow_share",
        "usage_probability",
        "nearest_blo_h",
        "farthest_h",
    ]
    rows = []
    for border, part in open_.groupby("border"):
        merged = shapely.line_merge(shapely.union_all(part.geometry.to_numpy()))
        pieces = list(getattr(merged, "geoms", [merged]))
        middles = shapely.line_interpolate_point(part.geometry.to_numpy(), 0.5, normalized=True)
        for piece in pieces:
            on = shapely.distance(middles, piece) < 1e-9
            inside = part[on].assign(_along=shapely.line_locate_point(piece, middles[on])).sort_values("_along")
            for run in split_run(inside["length_km"].to_numpy(), stretch_km):
                chunk = inside.iloc[run]
                geometry = piece if len(run) == len(inside) else shapely.line_merge(shapely.union_all(chunk.geometry))
                rows.append(
                    {
                        "border": border,
                        "place": "",
                        "length_km": float(chunk["length_km"].sum()),
                        "segments": ", ".join(chunk["segment_id"]),
                        "flow_share": float(chunk["flow_share"].sum()),
                        "usage_probability": float(chunk["usage_probability"].max()),
                        "nearest_blo_h": float(chunk["nearest_blo_h"].min()),
                        "farthest_h": float(chunk["nearest_blo_h"].max()),
                        "geometry": geometry,
                    }
                )
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*columns, "geometry"]),
        geometry="geometry",
        crs=segs.crs,
    )
    if len(out) and region is not None:
        out["place"] = gazetteer(region).of_lines(out.geometry)
    out["rank_by_length"] = out["length_km"].rank(ascending=False, method="first").astype(int)
    by_flow = out.sort_values(["flow_share", "usage_probability", "length_km"], ascending=False, kind="stable")
    out.loc[by_flow.index, "rank_by_flow"] = np.arange(1, len(out) + 1)
    out["rank_by_flow"] = out["rank_by_flow"].astype(int)
    return out.sort_values("rank_by_length").reset_index(drop=True)


def split_run(lengths_km: np.ndarray, stretch_km: float) -> list[np.ndarray]:
    """Split a run of consecutive segments into the fewest near-equal parts of at most ``stretch_km``.

    Parts end at segment ends; a single segment longer than ``stretch_km``
    stays one part.

    Parameters
    ----------
    lengths_km
        The segments' lengths in order along the run.
    stretch_km
        The planning length (> 0).

    Returns
    -------
    list of numpy.ndarray
        The positions (into ``lengths_km``) of each part, in order.

    Examples
    --------
    >>> [len(p) for p in split_run(np.full(21, 5.0), 50.0)]
    [7, 7, 7]
    >>> [p.tolist() for p in split_run(np.array([3.0, 4.0]), 50.0)]
    [[0, 1]]
    """
    lengths = np.asarray(lengths_km, dtype=float)
    n, total = len(lengths), float(lengths.sum())
    if n == 0:
        return []
    ends = np.cumsum(lengths)
    middles = ends - lengths / 2.0
    parts = max(1, math.ceil(total / stretch_km - 1e-9))
    while True:
        label = np.minimum((middles / (total / parts)).astype(int), parts - 1)
        runs = [np.flatnonzero(label == j) for j in range(parts)]
        runs = [r for r in runs if len(r)]
        if parts >= n or all(lengths[r].sum() <= stretch_km + 1e-9 or len(r) == 1 for r in runs):
            return runs
        parts += 1
