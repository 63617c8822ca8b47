"""Risk ranking of every border gate, and of the border stretches no gate covers.

Each gate gets its components side by side, each scaled to 0..1 over the
ranked gates, and a score: the weighted mean of the scaled components
(weights: profile ``[ranking]``, or ``weights=``).

=============== ============================================= ===========================
component       column                                        scaled as
=============== ============================================= ===========================
``flow``        ``flow_share``: least-cost share of demand    value / largest
``usage``       ``usage_probability`` in the ensemble         value / largest
``criticality`` ``cost_rise_heq`` when the gate closes          value / largest
``cut``         ``in_min_cut`` (1 or 0)                       as is
``pinch``       ``pinch_current`` (circuit theory)            value / largest
``exposure``    ``class_exposure`` of the gate's class        smallest / value (less watched = riskier)
``travel``      ``travel_cost_heq`` from the Golden Triangle    smallest / value (closer = riskier)
``incidents``   ``incidents`` (weighted count), if given      value / largest
=============== ============================================= ===========================

Ranks run 1 (highest score) downwards; equal scores are ordered by
``gate_id``.  A gate that no least-cost route and no ensemble sample uses
has status ``not on any modelled route`` and is ranked after every gate a
route uses, whatever its score (its score comes only from its class, travel
cost and the circuit).  Gates left out of the graph (unplaced) or
unreachable are listed with their reason but not ranked, as are gates a
scenario edit closed (status ``closed``).  The rank interval is the
5th-95th percentile of each gate's rank over the ensemble samples, with
every sample-dependent component taken from one sample at a time (flow
share, used or not, travel cost; see :func:`_rank_interval`).
``agreement`` is the Spearman rank correlation between every pair of
components and the score.  :func:`~borderwatch.analysis.stability.ranking_stability`
says whether the top of the ranking is the same under other seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.stats

from ..doors import require
from ..errors import ParameterError
from ..network.nearest import PointIndex
from ..places import gazetteer
from ..region import Region
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .chokepoints import Chokepoints, chokepoint_metrics
from .coverage import check_segments
from .flow import gate_flow
from .incidents import read_incidents

#: Component name -> (column, True when a larger value means more risk).
COMPONENTS: dict[str, tuple[str, bool]] = {
    "flow": ("flow_share", True),
    "usage": ("usage_probability", True),
    "criticality": ("cost_rise_heq", True),
    "cut": ("in_min_cut", True),
    "pinch": ("pinch_current", True),
    "exposure": ("class_exposure", False),
    "travel": ("travel_cost_heq", False),
    "incidents": ("incidents", True),
}
#: Status of a gate no least-cost or perturbed route uses: ranked after every gate a route uses.
UNUSED = "not on any modelled route"
#: Statuses that get a rank.
RANKED = ("ranked", UNUSED)
#: Components of the border-segment ranking (no class, no closing of a gate).
SEGMENT_COMPONENTS = ("flow", "usage", "cut", "pinch", "travel", "incidents")


@dataclass
class GateRanking:
    """Result of :func:`rank_gates`.

    Attributes
    ----------
    gates
        One row per gate of the table (see :func:`rank_gates`).
    segments
        One row per border segment with informal crossings into Vietnam
        (GeoDataFrame, the stretch's line): ``segment_id``, ``border``,
        ``place`` (nearest place and province, with a region), ``gate_ids``
        (gates on the stretch), ``rank`` (only stretches no gate
        covers), ``score`` and components.
    agreement
        Spearman rank correlations between the components and the score
        over the ranked gates (NaN where a component is constant).
    weights
        The weights used (normalised to sum 1 over the components in use).
    incidents
        The matched incident table, or ``None``.
    chokepoints
        The metrics the ranking was made from.
    """

    gates: pd.DataFrame
    segments: gpd.GeoDataFrame
    agreement: pd.DataFrame
    weights: dict[str, float]
    incidents: pd.DataFrame | None
    chokepoints: Chokepoints

    def gate_points(self) -> gpd.GeoDataFrame:
        """Return the gate table as points (EPSG:4326) at the gates' positions on the border."""
        return gpd.GeoDataFrame(
            self.gates, geometry=gpd.points_from_xy(self.gates["lon"], self.gates["lat"]), crs="EPSG:4326"
        )


def check_weights(weights: Mapping[str, float], *, use: tuple[str, ...]) -> dict[str, float]:
    """Validate score weights and normalise those in ``use`` to sum 1.

    Parameters
    ----------
    weights
        Component name -> weight (>= 0).
    use
        Components available.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        An unknown component, a negative or non-numeric weight, or all zero.
    """
    unknown = sorted(set(weights) - set(COMPONENTS) - {"incident_match_km"})
    if unknown:
        raise ParameterError(f"unknown score components {', '.join(unknown)}; use {', '.join(COMPONENTS)}")
    chosen = {}
    for name in use:
        value = weights.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (np.isfinite(value) and value >= 0):
            raise ParameterError(f"weight of {name!r} must be a number >= 0, got {value!r}")
        chosen[name] = float(value)
    total = sum(chosen.values())
    if not total > 0:
        raise ParameterError(f"the weights of {', '.join(use)} are all 0; give at least one a weight > 0")
    return {k: v / total for k, v in chosen.items()}


def scaled(values: pd.Series, *, larger_is_riskier: bool) -> pd.Series:
    """Scale a component to 0..1: ``value / largest``, or ``smallest / value`` when smaller is riskier.

    Parameters
    ----------
    values
        Non-negative values (``inf`` allowed when smaller is riskier: scaled 0).
    larger_is_riskier
        Direction of the component.

    Returns
    -------
    pandas.Series
    """
    values = values.astype(float)
    if larger_is_riskier:
        top = values.max()
        return (values / top if top > 0 else values * 0.0).fillna(0.0)
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.empty:
        return pd.Series(np.where(values == 0, 1.0, 0.0), index=values.index)
    out = np.where(values > 0, finite.min() / values, np.where(values == 0, 1.0, 0.0))
    return pd.Series(out, index=values.index).fillna(0.0)


def score(table: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of the scaled components.

    Parameters
    ----------
    table
        One row per item with the component columns of :data:`COMPONENTS`.
    weights
        Normalised weights (:func:`check_weights`).

    Returns
    -------
    pandas.Series
    """
    total = pd.Series(0.0, index=table.index)
    for name, w in weights.items():
        column, larger = COMPONENTS[name]
        total += w * scaled(table[column], larger_is_riskier=larger)
    return total


def ranks(scores: pd.Series) -> pd.Series:
    """Rank 1 for the highest score; equal scores ordered by index (deterministic)."""
    order = sorted(scores.index, key=lambda i: (-round(float(scores[i]), 12), str(i)))
    return pd.Series(np.arange(1, len(order) + 1), index=order).reindex(scores.index)


def rank_gates(
    scenario: Scenario,
    *,
    incidents: str | Path | pd.DataFrame | None = None,
    chokepoints: Chokepoints | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GateRanking:
    """Rank every gate of a scenario by risk (and, with a region, the uncovered border stretches).

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`; its settings give the weights.  On a
        user graph (no region) a gate is the edges with one ``gate_id``: its
        name is the id, class and border come from the edges' ``gate_class``
        and ``border``, its position from the head node's ``x``/``y``.
    incidents
        A CSV of incidents, matched within the settings' ``incident_match_km``,
        or the table :func:`~borderwatch.analysis.incidents.read_incidents`
        returned (needs the region).
    chokepoints
        Chokepoint metrics of this scenario (default
        :func:`~borderwatch.analysis.chokepoints.chokepoint_metrics`, computed once).
    progress
        Called as ``progress(done, total)`` after each ensemble sample.

    Returns
    -------
    GateRanking

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, or another argument of the wrong type (checked first); bad
        weights; a graph with no gate; chokepoints of another graph or
        another segment length (their segment ids would be joined wrongly).
    ValidationError, DataFileError
        A bad incidents file (checked before any routing).

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 1.5, "B"), ("o", "t", 9.0, "C")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> ranking = rank_gates(Scenario.from_graph(G, origin="o", destinations=["t"], samples=30))
    >>> ranking.gates["gate_id"].tolist()[:2]
    ['A', 'B']
    """
    sc = as_scenario(scenario, what="rank_gates")
    require(incidents, (str, Path, pd.DataFrame, None), where="rank_gates", name="incidents")
    require(chokepoints, (Chokepoints, None), where="rank_gates", name="chokepoints")
    require(progress, (callable, None), where="rank_gates", name="progress")
    weights = check_weights(dict(sc.settings.weights), use=tuple(COMPONENTS))
    exposure = {cls: float(sc.profile["gate"][cls]["exposure"]) for cls in ("international", "primary", "secondary")}
    if sc.region is None:
        if incidents is not None:
            raise ParameterError("incidents need the region (gates and segments to match them to)")
        return _rank_user_graph(sc, weights, exposure, chokepoints, progress)
    check_segments(sc, chokepoints)
    matched = incidents if isinstance(incidents, pd.DataFrame) else None
    if incidents is not None and matched is None:
        matched = match_incidents(sc, incidents)
    result = chokepoints if chokepoints is not None else chokepoint_metrics(sc, progress=progress)
    return rank_from_chokepoints(
        result,
        sc.gates,
        segments=sc.segments,
        exposure=exposure,
        weights=weights,
        left_out=sc.gates_left_out,
        incidents=matched,
        closed=sc.closed_gates,
        region=sc.region,
    )


def match_incidents(scenario: Scenario, path: str | Path) -> pd.DataFrame:
    """Read an incidents file and match it to the scenario's gates and border segments.

    Parameters
    ----------
    scenario
        A scenario with its region (bounds from its countries, distance from
        the settings' ``incident_match_km``).
    path
        The incidents CSV.

    Returns
    -------
    pandas.DataFrame
        As :func:`~borderwatch.analysis.incidents.read_incidents`.
    """
    return read_incidents(
        path,
        gates=scenario.gates,
        segments=scenario.segments,
        bounds=tuple(scenario.region.countries.total_bounds),
        match_km=scenario.settings.incident_match_km,
    )


def _rank_user_graph(sc: Scenario, weights, exposure, chokepoints, progress) -> GateRanking:
    G = sc.G
    if not (sc.arrays.crossing == "gate").any():
        raise ParameterError("the graph has no edge with a gate_id, so there is no gate to rank; add gate_id to edges")
    check_segments(sc, chokepoints)
    result = chokepoints if chokepoints is not None else chokepoint_metrics(sc, progress=progress)
    arrays = result.arrays
    rows = {}
    for e in np.flatnonzero(arrays.crossing == "gate"):
        u, v, key = arrays.edge_id(e)
        data = G.edges[u, v, key] if G.is_multigraph() else G.edges[u, v]
        rows.setdefault(
            arrays.gate_id[e],
            {
                "id": arrays.gate_id[e],
                "name": arrays.gate_id[e],
                "class": str(data.get("gate_class") or ""),
                "border": str(data.get("border") or ""),
                "lon": float(arrays.node_x[arrays.edge_v[e]]),
                "lat": float(arrays.node_y[arrays.edge_v[e]]),
            },
        )
    return rank_from_chokepoints(
        result,
        pd.DataFrame(list(rows.values())),
        segments=sc.segments,
        exposure=exposure,
        weights=weights,
        closed=sc.closed_gates,
    )


def rank_from_chokepoints(
    result: Chokepoints,
    gates: pd.DataFrame,
    *,
    segments: gpd.GeoDataFrame,
    exposure: Mapping[str, float],
    weights: Mapping[str, float],
    left_out: Mapping[str, str] | None = None,
    incidents: pd.DataFrame | None = None,
    closed: Collection[str] = (),
    region: Region | None = None,
) -> GateRanking:
    """Rank every gate (and the uncovered border stretches) from the chokepoint metrics.

    Parameters
    ----------
    result
        From :func:`~borderwatch.analysis.chokepoints.chokepoint_metrics`.
    gates
        The gate table (``id``, ``name``, ``class``, ``border``, ``lon``,
        ``lat``), e.g. :func:`borderwatch.place_gates`.
    segments
        Border segments (``segment_id``, ``border``, geometry).
    exposure
        Gate class -> inspection exposure (profile ``gate.<class>.exposure``).
    weights
        Component -> weight (profile ``[ranking]``); ``incidents`` counts
        only when ``incidents`` is given.
    left_out
        ``gate_id`` -> why the gate is not in the graph.
    incidents
        Matched incidents (:func:`~borderwatch.analysis.incidents.read_incidents`).
    closed
        Gate ids closed by the scenario's edits (listed, not ranked).
    region
        The region whose places name the segments (``place``); ``None``: no ``place`` column.

    Returns
    -------
    GateRanking
        ``gates`` has ``gate_id``, ``name``, ``class``, ``border``, ``rank``,
        ``score``, ``rank_low``, ``rank_high``, the component columns,
        ``diverted_to``, ``status`` (ranked, not on any modelled route, left out, closed, unreachable) and
        ``reason``, sorted by rank.
    """
    use = tuple(c for c in COMPONENTS if c != "incidents" or incidents is not None)
    w = check_weights(weights, use=use)
    arrays, left_out = result.arrays, dict(left_out or {})
    table = gates[["id", "name", "class", "border", "lon", "lat"]].rename(columns={"id": "gate_id"})
    table = table.set_index("gate_id", drop=False)
    in_graph = set(arrays.gate_id[arrays.crossing == "gate"])
    dist = result.origin_distance
    entering = np.flatnonzero(arrays.into_vietnam("gate"))
    through = pd.Series(dist[arrays.edge_u[entering]] + arrays.cost[entering]).groupby(arrays.gate_id[entering]).min()
    crit = result.criticality
    table["flow_share"] = gate_flow(arrays, result.flow.edge_flow).reindex(table.index).fillna(0.0)
    table["usage_probability"] = result.ensemble.gates["usage_probability"].reindex(table.index).fillna(0.0)
    table["mean_flow"] = result.ensemble.gates["mean_flow"].reindex(table.index).fillna(0.0)
    table["sd_flow"] = result.ensemble.gates["sd_flow"].reindex(table.index).fillna(0.0)
    table["cost_rise_heq"] = crit["cost_rise_heq"].reindex(table.index).fillna(0.0)
    cut_gates = set(result.cut.units.loc[result.cut.units["kind"] == "gate", "id"])
    table["in_min_cut"] = table.index.isin(cut_gates).astype(int)
    table["pinch_current"] = _gate_current(result).reindex(table.index).fillna(0.0)
    table["class_exposure"] = table["class"].map(dict(exposure)).astype(float)  # unknown class: NaN, scaled 0
    table["travel_cost_heq"] = through.reindex(table.index).astype(float)
    if incidents is not None:
        counted = incidents[incidents["match"].isin(["gate", "gate_id"])]
        table["incidents"] = counted.groupby("gate_id")["weight"].sum().reindex(table.index).fillna(0.0)
    table["diverted_to"] = crit["diverted_to"].reindex(table.index).fillna("")
    closed = set(closed)
    status = np.where(
        table.index.isin(list(left_out)),
        "left out",
        np.where(
            table.index.isin(list(closed)),
            "closed",
            np.where(
                ~table.index.isin(list(in_graph)) | ~np.isfinite(table["travel_cost_heq"]), "unreachable", "ranked"
            ),
        ),
    )
    unused = (table["flow_share"] <= FLOW_EPS) & (table["usage_probability"] <= 0)
    status = np.where((status == "ranked") & unused.to_numpy(), UNUSED, status)
    why = {"unreachable": "no route from the origin reaches it", "closed": "closed in this scenario (an edit)"}
    reason = [
        f"not in the route graph: {left_out[g]}" if g in left_out else why.get(s) or _why(row)
        for g, s, row in zip(table.index, status, table.itertuples(), strict=True)
    ]
    table["status"], table["reason"] = status, reason
    ranked = table[table["status"].isin(RANKED)]
    table["score"] = score(ranked, w).reindex(table.index)
    used = ranked["status"] == "ranked"
    table["rank"] = _used_first(table.loc[ranked.index, "score"], used).reindex(table.index).astype("Int64")
    low, high = _rank_interval(ranked, result, w)
    table["rank_low"], table["rank_high"] = (
        low.reindex(table.index).astype("Int64"),
        high.reindex(table.index).astype("Int64"),
    )
    columns = ["gate_id", "name", "class", "border", "rank", "score", "rank_low", "rank_high"]
    columns += [COMPONENTS[c][0] for c in use] + [
        "mean_flow",
        "sd_flow",
        "diverted_to",
        "status",
        "reason",
        "lon",
        "lat",
    ]
    table = table[columns].reset_index(drop=True).sort_values(["rank", "gate_id"], na_position="last")
    table = table.reset_index(drop=True)
    agreement = _agreement(table[table["status"].isin(RANKED)], use)
    return GateRanking(
        gates=table,
        segments=_segment_ranking(result, segments, gates, w, incidents, region=region),
        agreement=agreement,
        weights=w,
        incidents=incidents,
        chokepoints=result,
    )


def _why(row: tuple) -> str:
    if row.flow_share > FLOW_EPS:
        return f"least-cost routes carry {row.flow_share:.0%} of the demand through it"
    if row.usage_probability > 0:
        return f"used in {row.usage_probability:.0%} of the perturbed routings"
    return "not on any modelled route: no least-cost or perturbed route uses it (ranked after every gate one uses)"


def _gate_current(result: Chokepoints) -> pd.Series:
    """Return the current through each gate: per link, the larger of its two directions' sums."""
    arrays = result.arrays
    e = np.flatnonzero(arrays.into_vietnam("gate"))
    u, v = arrays.edge_u[e], arrays.edge_v[e]
    frame = pd.DataFrame(
        {"gate": arrays.gate_id[e], "lo": np.minimum(u, v), "hi": np.maximum(u, v), "forward": u < v}
    ).assign(current=result.pinch.edge_current[e])
    per_direction = frame.groupby(["gate", "lo", "hi", "forward"])["current"].sum()
    return per_direction.groupby(level=["gate", "lo", "hi"]).max().groupby(level="gate").sum()


def _used_first(scores: pd.Series, used: pd.Series) -> pd.Series:
    """Ranks by score, every gate on a modelled route before every gate on none."""
    first = ranks(scores[used])
    after = ranks(scores[~used]) + len(first)
    return pd.concat([first, after]).reindex(scores.index)


def _rank_interval(ranked: pd.DataFrame, result: Chokepoints, w: Mapping[str, float]) -> tuple[pd.Series, pd.Series]:
    """5th-95th percentile of each gate's rank over the ensemble samples, every sample-dependent component redrawn.

    In each sample the gate's flow share, whether it is used at all (usage 1 or
    0) and its travel cost into Vietnam are that sample's; class exposure,
    criticality, the cut, the pinch current and incidents are the same in
    every sample (they are computed on the profile's mean costs).  All samples
    are scored at once (:func:`_scaled_rows`: the same arithmetic as
    :func:`score`, row by row); the components that no sample changes are scaled once.
    """
    ens = result.ensemble
    if ens.gate_samples.empty or ranked.empty:
        empty = pd.Series(dtype=float)
        return empty, empty
    flows = ens.gate_samples.reindex(columns=ranked.index, fill_value=0.0).to_numpy()
    drawn = {
        "flow_share": flows,
        "usage_probability": (flows > FLOW_EPS).astype(float),
        "travel_cost_heq": ens.travel_samples.reindex(columns=ranked.index, fill_value=np.inf).to_numpy(),
    }
    total = np.zeros(flows.shape)
    for name, weight in w.items():
        column, larger = COMPONENTS[name]
        if column in drawn:
            total += weight * _scaled_rows(drawn[column], larger_is_riskier=larger)
        else:
            total += weight * scaled(ranked[column], larger_is_riskier=larger).to_numpy()
    used = (ranked["status"] == "ranked").to_numpy()
    labels = [str(i) for i in ranked.index]
    stacked = np.vstack([_used_first_rows(row, used, labels) for row in total])
    low = np.floor(np.percentile(stacked, 5, axis=0))
    high = np.ceil(np.percentile(stacked, 95, axis=0))
    return pd.Series(low, index=ranked.index), pd.Series(high, index=ranked.index)


def _scaled_rows(values: np.ndarray, *, larger_is_riskier: bool) -> np.ndarray:
    """:func:`scaled` of every row of ``values`` (one row per sample), with the same arithmetic."""
    values = values.astype(float)
    if larger_is_riskier:
        top = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(top > 0, values / np.where(top > 0, top, 1.0), values * 0.0)
        return np.nan_to_num(out, nan=0.0, posinf=np.inf, neginf=-np.inf)
    positive = np.isfinite(values) & (values > 0)
    smallest = np.where(positive, values, np.inf).min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(values > 0, smallest / values, np.where(values == 0, 1.0, 0.0))
    out = np.where(np.isfinite(smallest), out, np.where(values == 0, 1.0, 0.0))  # no finite value > 0 in the row
    return np.nan_to_num(out, nan=0.0, posinf=np.inf, neginf=-np.inf)


def _used_first_rows(scores: np.ndarray, used: np.ndarray, labels: list[str]) -> np.ndarray:
    """:func:`_used_first` of one row of scores (ranks by score, used gates first; ties by label)."""
    out = np.empty(len(scores))
    start = 1
    for group in (np.flatnonzero(used), np.flatnonzero(~used)):
        order = sorted(group, key=lambda j: (-round(float(scores[j]), 12), labels[j]))
        out[order] = np.arange(start, start + len(order))
        start += len(order)
    return out


def _agreement(ranked: pd.DataFrame, use: tuple[str, ...]) -> pd.DataFrame:
    columns = [COMPONENTS[c][0] for c in use] + ["score"]
    values = ranked[columns].astype(float).replace(np.inf, np.nan)
    for name in use:
        column, larger = COMPONENTS[name]
        if not larger:  # so that a positive correlation always means "agrees on risk"
            values[column] = -values[column]
    out = pd.DataFrame(np.nan, index=columns, columns=columns)
    for i, a in enumerate(columns):
        if values[a].nunique() > 1:
            out.loc[a, a] = 1.0
        for b in columns[i + 1 :]:
            pair = values[[a, b]].dropna()
            if len(pair) > 2 and pair[a].nunique() > 1 and pair[b].nunique() > 1:
                rho = scipy.stats.spearmanr(pair[a], pair[b]).statistic
                out.loc[a, b] = out.loc[b, a] = rho
    return out


def _segment_ranking(
    result: Chokepoints,
    segments: gpd.GeoDataFrame,
    gates: pd.DataFrame,
    weights: Mapping[str, float],
    incidents: pd.DataFrame | None,
    *,
    region: Region | None,
) -> pd.DataFrame:
    arrays = result.arrays
    entering = np.flatnonzero(arrays.into_vietnam("informal") & (result.segment_of != ""))
    seg = result.segment_of[entering]
    if not len(entering):
        columns = ["segment_id", "border", "gate_ids", "rank", "score"]
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    dist = result.origin_distance
    by = pd.DataFrame(
        {
            "segment_id": seg,
            "flow_share": result.flow.edge_flow[entering],
            "pinch_current": result.pinch.edge_current[entering],
            "travel_cost_heq": dist[arrays.edge_u[entering]] + arrays.cost[entering],
        }
    ).groupby("segment_id")
    table = by.agg({"flow_share": "sum", "pinch_current": "sum", "travel_cost_heq": "min"})
    info = segments.set_index("segment_id")
    table["border"] = info["border"].reindex(table.index)
    table["length_km"] = (info["length_m"].reindex(table.index) / 1000.0).round(2)
    ens = result.ensemble.segments
    for column in ("usage_probability", "mean_flow", "sd_flow"):
        table[column] = ens[column].reindex(table.index).fillna(0.0) if column in ens else 0.0
    cut_segments = set(result.cut.units.loc[result.cut.units["kind"] == "segment", "id"])
    table["in_min_cut"] = table.index.isin(cut_segments).astype(int)
    on_gate = _gates_on_segments(gates, segments)
    table["gate_ids"] = on_gate.reindex(table.index).fillna("")
    use = [c for c in SEGMENT_COMPONENTS if c in weights]
    if incidents is not None:
        counted = incidents[incidents["match"] == "segment"]
        table["incidents"] = counted.groupby("segment_id")["weight"].sum().reindex(table.index).fillna(0.0)
    w = {k: weights[k] for k in use}
    total = sum(w.values())
    w = {k: v / total for k, v in w.items()} if total > 0 else w
    uncovered = table[table["gate_ids"] == ""]
    table["score"] = score(uncovered, w).reindex(table.index) if w else np.nan
    table["rank"] = ranks(table.loc[uncovered.index, "score"]).reindex(table.index).astype("Int64")
    columns = ["segment_id", "border", "length_km", "gate_ids", "rank", "score"]
    columns += [COMPONENTS[c][0] for c in use] + ["mean_flow", "sd_flow"]
    table = table.reset_index()[columns].sort_values(["rank", "segment_id"], na_position="last")
    table["geometry"] = info.geometry.reindex(table["segment_id"]).to_numpy()
    if region is not None:
        table.insert(2, "place", gazetteer(region).of_lines(table["geometry"]))
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry="geometry", crs=segments.crs)


def _gates_on_segments(gates: pd.DataFrame, segments: gpd.GeoDataFrame) -> pd.Series:
    """Segment id -> the gates (comma-separated) whose position lies on that stretch (nearest, within 2.5 km)."""
    found = PointIndex.of_line_middles(segments, "segment_id").nearest_ids(
        gates["lon"].to_numpy(dtype=float), gates["lat"].to_numpy(dtype=float), max_m=2500.0
    )
    pairs = pd.Series(gates["id"].to_numpy(), index=pd.Index(found, name="segment_id"))
    pairs = pairs[pairs.index.notna()]
    return pairs.groupby(level=0).agg(lambda ids: ", ".join(sorted(ids)))
