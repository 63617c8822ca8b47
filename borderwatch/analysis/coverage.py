"""Coverage of the border and the coast by the reach of Border Liaison Office (BLO) patrols.

A patrol leaves a BLO site and moves on the route graph inside Vietnam (roads,
off-road lattice, connectors and rivers; never across a border or by sea) at
the graph's travel times (``time_h``, no trafficker exposure).  Everything it
reaches within ``hours`` (default 2 h; per-BLO overrides) is in reach.  A
5 km border or coast segment is covered when the Vietnamese graph node nearest
its middle (within :data:`SEGMENT_NODE_M`) is in reach of some BLO; a gate is
covered when its Vietnamese side is.  Uncovered segments are merged into
stretches, ranked by length and by the crossing flow they carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..borders import borderlines, segment_borders, vietnam_coastline
from ..errors import DataFileError, ParameterError, ValidationError
from ..network.arrays import GraphArrays
from ..network.contract import gate_node, validate_route_graph
from ..network.nearest import PointIndex
from ..region import Region
from .chokepoints import Chokepoints

#: A segment's middle must lie this close (m) to a Vietnamese graph node to be coverable.
SEGMENT_NODE_M = 10000.0
#: Modes a patrol can use.
PATROL_MODES = ("road", "offroad", "connector", "river")


@dataclass
class Coverage:
    """Result of :func:`blo_coverage`.

    Attributes
    ----------
    segments
        Every border and coast segment: ``segment_id``, ``border`` (LAO, CHN,
        KHM or ``coast``), ``length_km``, ``covered``, ``reach_h`` (patrol time
        from the nearest BLO; NaN beyond reach), ``by`` (BLO ids in reach).
    gates
        Every gate in the graph: ``gate_id``, ``covered``, ``reach_h``, ``by``.
    summary
        Per border and ``coast``: ``border_km``, ``covered_km``, ``covered_pct``.
    uncovered
        Merged uncovered stretches (lines): ``border``, ``length_km``,
        ``segments``, ``flow_share``, ``usage_probability`` (when chokepoints
        were given), ranked by length (``rank_by_length``) and by flow
        (``rank_by_flow``).
    blos
        One row per BLO: ``blo_id``, ``name``, ``start_node`` (where its
        patrols start; "" when it cannot be placed), ``placed_by``, ``hours``.
    reach_areas
        One row per placed BLO: ``blo_id``, ``hours``, ``nodes`` (graph nodes
        its patrols reach) and the convex hull of those nodes (EPSG:4326), to
        draw how far its patrols get.
    flow_covered_pct, ensemble_flow_covered_pct
        Share (%) of the demand-weighted crossing flow entering Vietnam through a
        covered gate or segment: least-cost and ensemble mean (NaN without chokepoints).
    hours
        The patrol time of every BLO without an override (h).
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
        Missing columns, unknown BLO ids, hours not > 0 (each line named).
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
        elif not (np.isfinite(h) and h > 0):
            problems.append(f"line {i + 2}: hours {df['hours'].iloc[i]!r} is not a number > 0")
        else:
            out[blo] = float(h)
    if problems:
        raise ValidationError([f"{what}: {p}" for p in problems])
    return out


def blo_coverage(
    G: nx.MultiDiGraph,
    region: Region,
    *,
    hours: float = 2.0,
    overrides: Mapping[str, float] | None = None,
    arrays: GraphArrays | None = None,
    chokepoints: Chokepoints | None = None,
    segment_length_km: float = 5.0,
) -> Coverage:
    """Which border and coast segments and gates the BLO patrols reach within ``hours``.

    Parameters
    ----------
    G
        A route graph built by borderwatch from ``region``.
    region
        The region (BLO sites, borders, coastline).
    hours
        Patrol time (h, > 0) from each BLO.
    overrides
        BLO id -> hours, for BLOs with another reach.
    arrays
        A prebuilt array view of ``G``.
    chokepoints
        Chokepoint metrics of ``G`` (:func:`~borderwatch.analysis.chokepoints.route_graph_chokepoints`),
        for the flow coverage and the flow ranking of uncovered stretches.
    segment_length_km
        Length of the border and coast segments (km).

    Returns
    -------
    Coverage

    Raises
    ------
    ParameterError
        ``hours`` not > 0, or an override for an unknown BLO.
    """
    if isinstance(hours, bool) or not (isinstance(hours, (int, float)) and np.isfinite(hours) and hours > 0):
        raise ParameterError(f"hours must be a number > 0, got {hours!r}")
    validate_route_graph(G)
    base = arrays if arrays is not None else GraphArrays.from_graph(G)
    blos = region.blos
    per_blo = {b: float(hours) for b in blos["id"]}
    unknown = sorted(set(overrides or {}) - set(per_blo))
    if unknown:
        raise ParameterError(f"hour overrides name unknown BLOs {', '.join(unknown)}; use {', '.join(per_blo)}")
    per_blo.update({k: float(v) for k, v in (overrides or {}).items()})

    model = PatrolModel(G, region, arrays=base, segment_length_km=segment_length_km)
    sites = _blo_sites(blos, model)
    ids = [b for b, node in zip(sites["blo_id"], sites["start_node"], strict=True) if node]
    reach = model.reach([n for n in sites["start_node"] if n], np.array([per_blo[b] for b in ids]))
    table = model.segments.copy()
    table["covered"], table["reach_h"], table["by"] = _reached(reach, ids, model.segment_rows)
    segs = gpd.GeoDataFrame(
        table[["segment_id", "border", "length_km", "covered", "reach_h", "by", "geometry"]], crs="EPSG:4326"
    )
    covered, reach_h, by = _reached(reach, ids, model.gate_rows)
    gates = pd.DataFrame({"gate_id": model.gate_ids, "covered": covered, "reach_h": reach_h, "by": by})

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
    flow_pct, ens_pct = _flow_coverage(base, chokepoints, segs, gates)
    return Coverage(
        segments=segs,
        gates=gates,
        summary=summary.round(2),
        uncovered=_uncovered_stretches(segs, chokepoints),
        blos=sites.assign(hours=sites["blo_id"].map(per_blo)),
        reach_areas=_reach_areas(G, base, reach, ids, per_blo),
        flow_covered_pct=flow_pct,
        ensemble_flow_covered_pct=ens_pct,
        hours=float(hours),
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
        ``gates_covered_ids``, ``flow_covered_pct``,
        ``ensemble_flow_covered_pct``, ``blos`` and ``uncovered_stretches``.
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
        "flow_covered_pct": round(result.flow_covered_pct, 2),
        "ensemble_flow_covered_pct": round(result.ensemble_flow_covered_pct, 2),
        "blos": result.blos.to_dict("records"),
        "uncovered_stretches": len(result.uncovered),
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


class PatrolModel:
    """The patrol graph of a route graph, and the border and coast segments a patrol can cover.

    Parameters
    ----------
    G
        A route graph.
    region
        Its region (borders, coastline).
    arrays
        A prebuilt array view of ``G``.
    segment_length_km
        Length of the border and coast segments (km).

    Attributes
    ----------
    arrays
        The array view.
    patrol
        The view with patrol times (``time_h`` on :data:`PATROL_MODES` inside Vietnam, other edges closed).
    segments
        Border (LAO, CHN, KHM) and ``coast`` segments: ``segment_id``, ``border``,
        ``length_km``, ``node`` (nearest Vietnamese node to the middle, or None), geometry.
    gate_ids, gate_nodes
        Every gate of the graph and its Vietnamese-side node (None if absent).
    segment_rows, gate_rows
        Array-view row of each segment's node and each gate's node (-1 if none).
    """

    def __init__(
        self, G: nx.MultiDiGraph, region: Region, *, arrays: GraphArrays, segment_length_km: float = 5.0
    ) -> None:
        self.arrays = arrays
        self.patrol = _patrol_view(arrays)
        vnm = np.flatnonzero(arrays.node_country == "VNM")
        x = np.array([G.nodes[arrays.nodes[i]]["x"] for i in vnm])
        y = np.array([G.nodes[arrays.nodes[i]]["y"] for i in vnm])
        self.index = PointIndex([arrays.nodes[i] for i in vnm], x, y, ["VNM"] * len(vnm))
        segments = segment_borders(borderlines(region.countries), segment_length_km=segment_length_km)
        coast = vietnam_coastline(region.coastline, region.countries).loc[["all"]].assign(border="coast")
        coast_segments = segment_borders(coast[["border", "geometry"]], segment_length_km=segment_length_km)
        coast_segments["segment_id"] = "COAST-" + coast_segments["segment_id"].str.replace("coast-", "", regex=False)
        table = pd.concat([segments, coast_segments], ignore_index=True)
        middles = shapely.line_interpolate_point(table.geometry.to_numpy(), 0.5, normalized=True)
        table["node"] = self.index.nearest_ids(shapely.get_x(middles), shapely.get_y(middles), max_m=SEGMENT_NODE_M)
        table["length_km"] = table["length_m"] / 1000.0
        self.segments = table[["segment_id", "border", "length_km", "node", "geometry"]]
        self.gate_ids = sorted(set(arrays.gate_id[arrays.crossing == "gate"]))
        self.gate_nodes = [gate_node(g, "VNM") if gate_node(g, "VNM") in arrays.index else None for g in self.gate_ids]
        self.segment_rows = np.array([arrays.row(n) if isinstance(n, str) else -1 for n in self.segments["node"]])
        self.gate_rows = np.array([arrays.row(n) if isinstance(n, str) else -1 for n in self.gate_nodes])

    def nearest(self, lon: float, lat: float, *, max_m: float = 20000.0) -> tuple[str, float] | None:
        """Return the Vietnamese node nearest a position, and its distance (m), or None beyond ``max_m``."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return None
        return self.index.nearest(lon, lat, max_m=max_m)

    def reach(self, starts: list[str], hours: np.ndarray) -> np.ndarray:
        """Patrol hours from each start to every node, ``inf`` beyond that start's ``hours``.

        Parameters
        ----------
        starts
            Start node ids.
        hours
            Patrol time per start (h).

        Returns
        -------
        numpy.ndarray
            Shape (len(starts), nodes).
        """
        if not len(starts):
            return np.zeros((0, len(self.arrays.nodes)))
        dist = self.patrol.dijkstra(starts, limit=float(np.max(hours)))[0]
        return np.where(dist <= np.asarray(hours, dtype=float)[:, None], dist, np.inf)

    def covered_by(self, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boolean (start, segment) and (start, gate) matrices: what each start covers.

        Parameters
        ----------
        reach
            From :meth:`reach`.

        Returns
        -------
        segments, gates : numpy.ndarray
        """
        rows = self.segment_rows, self.gate_rows
        segs, gates = (np.isfinite(reach[:, np.maximum(r, 0)]) & (r >= 0) for r in rows)
        return segs, gates


def _blo_sites(blos: gpd.GeoDataFrame, model: PatrolModel) -> pd.DataFrame:
    """Where each BLO's patrols start: the Vietnamese node nearest its site, else its gate's Vietnamese side."""
    rows = []
    for rec in blos.itertuples(index=False):
        found = model.nearest(float(rec.lon), float(rec.lat))
        gate_side = gate_node(str(rec.associated_gate_id), "VNM")
        if found is not None:
            start, how = found[0], f"nearest node to its site ({found[1] / 1000:.1f} km)"
        elif gate_side in model.arrays.index:
            start, how = gate_side, f"no site coordinates; at its gate {rec.associated_gate_id}"
        else:
            start, how = "", "no site coordinates and its gate is not in the graph; left out"
        rows.append({"blo_id": rec.id, "name": rec.name, "start_node": start, "placed_by": how})
    return pd.DataFrame(rows)


def _reach_areas(
    G: nx.MultiDiGraph, arrays: GraphArrays, reach: np.ndarray, ids: list[str], hours: Mapping[str, float]
) -> gpd.GeoDataFrame:
    """Convex hull of the nodes each BLO's patrols reach."""
    rows = []
    for blo, times in zip(ids, reach, strict=True):
        reached = np.flatnonzero(np.isfinite(times))
        xy = [(G.nodes[arrays.nodes[i]]["x"], G.nodes[arrays.nodes[i]]["y"]) for i in reached]
        hull = shapely.MultiPoint(xy).convex_hull
        rows.append({"blo_id": blo, "hours": hours[blo], "nodes": len(reached), "geometry": hull})
    columns = ["blo_id", "hours", "nodes", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")


def _patrol_view(arrays: GraphArrays) -> GraphArrays:
    """Patrol times inside Vietnam: ``time_h`` on the patrol modes, other edges closed."""
    inside = (arrays.node_country[arrays.edge_u] == "VNM") & (arrays.node_country[arrays.edge_v] == "VNM")
    usable = inside & np.isin(arrays.mode, PATROL_MODES) & (arrays.crossing == "")
    return arrays.with_cost(np.where(usable, arrays.time_h, np.inf))


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


def _uncovered_stretches(segs: gpd.GeoDataFrame, result: Chokepoints | None) -> gpd.GeoDataFrame:
    """Merge runs of uncovered segments per border into stretches; rank by length and by flow."""
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
    rows = []
    for border, part in open_.groupby("border"):
        merged = shapely.line_merge(shapely.union_all(part.geometry.to_numpy()))
        pieces = list(getattr(merged, "geoms", [merged]))
        middles = shapely.line_interpolate_point(part.geometry.to_numpy(), 0.5, normalized=True)
        for piece in pieces:
            inside = part[shapely.distance(middles, piece) < 1e-9]
            rows.append(
                {
                    "border": border,
                    "length_km": float(inside["length_km"].sum()),
                    "segments": ", ".join(inside["segment_id"]),
                    "flow_share": float(inside["flow_share"].sum()),
                    "usage_probability": float(inside["usage_probability"].max()) if len(inside) else 0.0,
                    "geometry": piece,
                }
            )
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["border", "length_km", "segments", "flow_share", "usage_probability", "geometry"]),
        geometry="geometry",
        crs=segs.crs,
    )
    out["rank_by_length"] = out["length_km"].rank(ascending=False, method="first").astype(int)
    by_flow = out.sort_values(["flow_share", "usage_probability", "length_km"], ascending=False, kind="stable")
    out.loc[by_flow.index, "rank_by_flow"] = np.arange(1, len(out) + 1)
    out["rank_by_flow"] = out["rank_by_flow"].astype(int)
    return out.sort_values("rank_by_length").reset_index(drop=True)
