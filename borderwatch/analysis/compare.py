"""What an edit changes: a scenario against its base, sample by sample.

:func:`compare` runs the chokepoint metrics, the ranking and (with a region)
the coverage on both scenarios and reports the difference:

- per destination, the trafficker's least cost and route before and after,
  and the ensemble's paired cost change;
- per gate and per border segment, the rank and score shift and the flow
  displaced (ensemble mean, as a share of the demand and as a percentage of
  its flow before), each change with its 5–95 % ensemble interval;
- which crossings gain and which lose flow (displacement);
- coverage per border and the crossing flow covered.

**Common random numbers.**  Both runs draw the same random factor for every
edge and gate in every sample (:mod:`~borderwatch.analysis.draws`), so the
per-sample difference is the edit's effect alone: a sample whose routes do not
use a closed gate is unchanged, and no gate that shares no route with a
closed one can lose flow in any sample.  The intervals are the 5th and 95th
percentiles of these paired differences.  Runs on different data, graphs or
draws (another seed, other sample count) are refused unless asked
(``allow_different=True``), because their differences would mix noise into
the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..doors import require
from ..errors import ParameterError
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .chokepoints import Chokepoints, chokepoint_metrics
from .coverage import Coverage, blo_coverage
from .flow import gate_flow
from .ranking import GateRanking, rank_gates

#: Percentiles of the paired per-sample differences reported as an interval.
INTERVAL_PCT = (5.0, 95.0)


@dataclass
class Side:
    """One scenario's results in a comparison."""

    scenario: Scenario
    chokepoints: Chokepoints
    ranking: GateRanking
    coverage: Coverage | None


@dataclass
class Comparison:
    """Result of :func:`compare` (every table in full precision; round for display only).

    Attributes
    ----------
    base, other
        Each scenario with its chokepoint metrics, ranking and coverage.
    destinations
        One row per destination: ``destination``, ``share``, ``cost_base_heq``,
        ``cost_scenario_heq``, ``cost_change_heq`` (least-cost, generalised cost),
        ``time_base_h``/``time_scenario_h`` (clock time of that route),
        ``route_base``/``route_scenario`` (crossings), ``route_changed``, and
        the ensemble's paired change ``ensemble_cost_change_heq`` with
        ``ensemble_cost_change_low_heq``/``_high_h``.
    gates
        One row per gate: ``gate_id``, ``name``, ``border``, ``edit``
        (closed/inspected/""), ``rank_base``, ``rank_scenario``,
        ``rank_change`` (positive: higher risk now; counted among the gates
        ranked in both runs, so a closed gate dropping out moves no other), ``score_base``,
        ``score_scenario`` (each run's scores are scaled to that run's largest components, so
        a score can move because another gate changed; the flow columns are absolute),
        ``flow_base``, ``flow_scenario``, ``flow_change``
        (ensemble mean share of the demand), ``flow_change_pct`` (of its flow
        before), ``flow_change_low``/``_high`` (interval), ``least_cost_flow_base``,
        ``least_cost_flow_scenario``.
    segments
        The same per border segment with informal crossings (``segment_id``).
    displacement
        Crossings whose ensemble flow changes by more than :data:`~borderwatch.analysis.FLOW_EPS`:
        ``kind`` (gate/segment), ``id``, ``name``, ``border``, ``flow_change``,
        ``share_of_moved_pct`` (of the flow that left the losing crossings),
        sorted gains first.
    coverage
        Per border: ``covered_km_base``, ``covered_km_scenario``, ``covered_km_change``,
        ``covered_pct_base``, ``covered_pct_scenario`` (empty without a region).
    summary
        Headline figures (plain data, JSON-ready).
    route_edges
        Edges on a least-cost route in either run: ``part`` (``base``,
        ``scenario`` or ``both``), ``flow_base``, ``flow_scenario``, line geometry.
    timings_s
        Seconds per step.
    """

    base: Side
    other: Side
    destinations: pd.DataFrame
    gates: pd.DataFrame
    segments: pd.DataFrame
    displacement: pd.DataFrame
    coverage: pd.DataFrame
    summary: dict[str, Any]
    route_edges: gpd.GeoDataFrame
    timings_s: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Gates and segments in one rank-shift table (``kind`` column), what ``compare.csv`` holds."""
        gates = self.gates.rename(columns={"gate_id": "id"}).assign(kind="gate")
        segs = self.segments.rename(columns={"segment_id": "id"}).assign(kind="segment")
        out = pd.concat([gates, segs], ignore_index=True)
        return out[["kind", *[c for c in out.columns if c != "kind"]]]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (what ``compare.json`` holds)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "summary": self.summary,
            "base": self.base.scenario.describe(),
            "scenario": self.other.scenario.describe(),
            "destinations": records(self.destinations),
            "displacement": records(self.displacement),
            "coverage": records(self.coverage.reset_index()) if len(self.coverage) else [],
            "gates_changed": records(self.gates[self.gates["changed"]]),
            "segments_changed": records(self.segments[self.segments["changed"]]),
            "method": {
                "common_random_numbers": True,
                "interval_percentiles": list(INTERVAL_PCT),
                "samples": self.base.scenario.settings.samples,
                "seed": self.base.scenario.settings.seed,
            },
            "timings_s": self.timings_s,
        }


def compare(
    base: Scenario,
    other: Scenario,
    *,
    allow_different: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Compare a scenario with its base: costs, routes, rank shifts, displaced flow and coverage.

    Parameters
    ----------
    base
        The baseline.
    other
        The scenario (usually ``base.edited(...)``).
    allow_different
        Compare even when the two were built on different data, graphs or
        random draws (then a difference may be partly noise; the summary says so).
    progress
        Called as ``progress(done, total)`` after each ensemble sample of each run.

    Returns
    -------
    Comparison

    Raises
    ------
    ParameterError
        ``base`` or ``other`` is not a scenario, ``progress`` not a function (checked first); the two differ in
        data, graph or draws (named) and ``allow_different`` is false.

    Examples
    --------
    Two gates into ``t``; closing the cheaper one moves all flow to the other.

    >>> import networkx as nx
    >>> from borderwatch import CloseGates, Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 2.0, "B")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> base = Scenario.from_graph(G, origin="o", destinations=["t"], samples=20, sigma_gate=0.0)
    >>> c = compare(base, base.edited(CloseGates(("A",))))
    >>> c.gates.set_index("gate_id")["flow_change"].round(6).sort_index().to_dict()
    {'A': -1.0, 'B': 1.0}
    >>> float(c.destinations["cost_change_heq"].iloc[0])
    1.0
    """
    a, b = as_scenario(base, what="compare", name="base"), as_scenario(other, what="compare", name="other")
    require(progress, (callable, None), where="compare", name="progress")
    differences = _differences(a, b)
    if differences and not allow_different:
        raise ParameterError(
            "refusing to compare runs made on different "
            + "; ".join(differences)
            + ": a difference would mix their noise into the answer. Derive the scenario from the base "
            "(base.edited(...), or --scenario/--close with one --base), or pass allow_different=True "
            "(CLI --allow-different)"
        )
    timings: dict[str, float] = {}
    sides = []
    for label, sc in (("base", a), ("scenario", b)):
        started = time.perf_counter()
        like = sides[0].chokepoints if sides and not differences else None  # re-route only what the edits touch
        metrics = chokepoint_metrics(sc, progress=progress, like=like)
        ranking = rank_gates(sc, chokepoints=metrics)
        coverage = blo_coverage(sc, chokepoints=metrics) if sc.region is not None and sc.is_route_graph else None
        sides.append(Side(sc, metrics, ranking, coverage))
        timings[label] = round(time.perf_counter() - started, 3)
    left, right = sides
    destinations = _destinations(left, right)
    gates = _crossing_table(left, right, "gate")
    segments = _crossing_table(left, right, "segment")
    displacement = _displacement(gates, segments)
    coverage = _coverage(left, right)
    summary = _summary(left, right, destinations, gates, segments, displacement, coverage, differences)
    return Comparison(
        base=left,
        other=right,
        destinations=destinations,
        gates=gates,
        segments=segments,
        displacement=displacement,
        coverage=coverage,
        summary=summary,
        route_edges=_route_edges(left, right),
        timings_s=timings,
    )


def _differences(a: Scenario, b: Scenario) -> list[str]:
    fa, fb = a.fingerprint(), b.fingerprint()
    out = []
    if fa["data"] != fb["data"]:
        out.append("data (their input files differ)")
    if fa["graph"] != fb["graph"]:
        out.append("graphs (their base route graphs differ)")
    if fa["ensemble"] != fb["ensemble"]:
        names = ("samples", "seed", "sigma_edge", "sigma_gate")
        diff = [f"{n} {x!r} vs {y!r}" for n, x, y in zip(names, fa["ensemble"], fb["ensemble"], strict=True) if x != y]
        out.append(f"random draws ({', '.join(diff)})")
    return out


def _route_label(arrays, edges: np.ndarray, segment_of: np.ndarray) -> str:
    parts = []
    for e in edges:
        if arrays.crossing[e] == "gate":
            parts.append(arrays.gate_id[e])
        elif arrays.crossing[e] == "informal":
            parts.append(f"informal {segment_of[e]}" if segment_of[e] else "informal")
    return " > ".join(parts)


def _destinations(left: Side, right: Side) -> pd.DataFrame:
    names = {**left.scenario.destination_names, **right.scenario.destination_names}
    rows = []
    for node in dict.fromkeys([*left.chokepoints.shares, *right.chokepoints.shares]):
        row: dict[str, Any] = {"destination": names.get(node, str(node)), "destination_node": str(node)}
        for label, side in (("base", left), ("scenario", right)):
            flow, arrays = side.chokepoints.flow, side.chokepoints.arrays
            reached = node in flow.cost
            row[f"share_{label}"] = side.chokepoints.shares.get(node, 0.0)
            row[f"cost_{label}_heq"] = flow.cost[node] if reached else np.nan
            row[f"time_{label}_h"] = float(np.nansum(arrays.time_h[flow.paths[node]])) if reached else np.nan
            row[f"route_{label}"] = (
                _route_label(arrays, flow.paths[node], side.chokepoints.segment_of) if reached else ""
            )
        row["cost_change_heq"] = row["cost_scenario_heq"] - row["cost_base_heq"]
        row["route_changed"] = row["route_base"] != row["route_scenario"]
        costs = [side.chokepoints.ensemble.cost_samples for side in (left, right)]
        if all(node in c.columns for c in costs):
            diff = costs[1][node].to_numpy() - costs[0][node].to_numpy()
            row["ensemble_cost_change_heq"] = float(diff.mean())
            row["ensemble_cost_change_low_heq"], row["ensemble_cost_change_high_heq"] = np.percentile(
                diff, INTERVAL_PCT
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _crossing_table(left: Side, right: Side, kind: str) -> pd.DataFrame:
    key = "gate_id" if kind == "gate" else "segment_id"
    per_sample = [
        side.chokepoints.ensemble.gate_samples if kind == "gate" else side.chokepoints.ensemble.segment_samples
        for side in (left, right)
    ]
    ids = sorted(set(per_sample[0].columns) | set(per_sample[1].columns))
    samples = [p.reindex(columns=ids, fill_value=0.0).to_numpy() for p in per_sample]
    diff = samples[1] - samples[0]
    out = pd.DataFrame({key: ids})
    rankings = [side.ranking.gates if kind == "gate" else side.ranking.segments for side in (left, right)]
    info = rankings[0].set_index(key) if key in rankings[0].columns else pd.DataFrame(index=pd.Index([], name=key))
    for col in ("name", "border"):
        if col in info.columns:
            out[col] = out[key].map(info[col]).fillna("")
    if kind == "segment" and left.scenario.region is not None:
        out["name"] = out[key].map(left.scenario.segment_names).fillna("")
    if kind == "gate":
        sc = right.scenario
        out["edit"] = np.where(
            out[key].isin(sc.closed_gates), "closed", np.where(out[key].isin(set(sc.inspected_gates)), "inspected", "")
        )
    else:
        out["edit"] = np.where(out[key].isin(right.scenario.closed_segments), "closed", "")
    for label, ranking in (("base", rankings[0]), ("scenario", rankings[1])):
        table = ranking.set_index(key) if key in ranking.columns else pd.DataFrame(index=pd.Index([], name=key))
        out[f"rank_{label}"] = out[key].map(table["rank"]) if "rank" in table else np.nan
        out[f"score_{label}"] = out[key].map(table["score"]) if "score" in table else np.nan
    # among the crossings ranked in both runs: a closed gate drops out of the scenario's ranking, and every gate
    # below it would otherwise seem to rise one place with no change of its own
    base_rank = pd.to_numeric(out["rank_base"], errors="coerce").astype(float)
    other_rank = pd.to_numeric(out["rank_scenario"], errors="coerce").astype(float)
    both = base_rank.notna() & other_rank.notna()
    out["rank_change"] = np.nan
    out.loc[both, "rank_change"] = base_rank[both].rank(method="min") - other_rank[both].rank(method="min")
    out["flow_base"] = samples[0].mean(axis=0)
    out["flow_scenario"] = samples[1].mean(axis=0)
    out["flow_change"] = diff.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["flow_change_pct"] = np.where(
            out["flow_base"] > FLOW_EPS, 100.0 * out["flow_change"] / out["flow_base"], np.nan
        )
    low, high = np.percentile(diff, INTERVAL_PCT, axis=0) if len(ids) else (np.empty(0), np.empty(0))
    out["flow_change_low"], out["flow_change_high"] = low, high
    out["samples_changed"] = (np.abs(diff) > FLOW_EPS).sum(axis=0)
    for label, side in (("base", left), ("scenario", right)):
        c = side.chokepoints
        if kind == "gate":
            flows = gate_flow(c.arrays, c.flow.edge_flow)
        else:
            entering = c.arrays.into_vietnam("informal") & (c.segment_of != "")
            flows = pd.Series(c.flow.edge_flow[entering]).groupby(c.segment_of[entering]).sum()
        out[f"least_cost_flow_{label}"] = out[key].map(flows).fillna(0.0)
    out["changed"] = (
        (np.abs(out["flow_change"]) > FLOW_EPS)
        | (out["rank_change"].fillna(0) != 0)
        | (out["rank_base"].isna() != out["rank_scenario"].isna())
        | (out["edit"] != "")
    )
    return out.sort_values(["flow_change", key], ascending=[False, True], kind="stable").reset_index(drop=True)


def _displacement(gates: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for kind, table, key in (("gate", gates, "gate_id"), ("segment", segments, "segment_id")):
        moved = table[np.abs(table["flow_change"]) > FLOW_EPS]
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "id": moved[key],
                    "name": moved["name"] if "name" in moved else "",
                    "border": moved["border"] if "border" in moved else "",
                    "flow_base": moved["flow_base"],
                    "flow_scenario": moved["flow_scenario"],
                    "flow_change": moved["flow_change"],
                    "flow_change_low": moved["flow_change_low"],
                    "flow_change_high": moved["flow_change_high"],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    lost = -out.loc[out["flow_change"] < 0, "flow_change"].sum()
    out["share_of_moved_pct"] = 100.0 * out["flow_change"] / lost if lost > FLOW_EPS else np.nan
    return out.sort_values("flow_change", ascending=False, kind="stable").reset_index(drop=True)


def _coverage(left: Side, right: Side) -> pd.DataFrame:
    if left.coverage is None or right.coverage is None:
        return pd.DataFrame()
    a, b = left.coverage.summary, right.coverage.summary
    out = pd.DataFrame(
        {
            "covered_km_base": a["covered_km"],
            "covered_km_scenario": b["covered_km"],
            "covered_pct_base": a["covered_pct"],
            "covered_pct_scenario": b["covered_pct"],
        }
    )
    out["covered_km_change"] = out["covered_km_scenario"] - out["covered_km_base"]
    return out


def _summary(left, right, destinations, gates, segments, displacement, coverage, differences) -> dict[str, Any]:
    def informal(side: Side) -> float:
        return float(side.chokepoints.ensemble.informal_share)

    gains = displacement[displacement["flow_change"] > 0]
    losses = displacement[displacement["flow_change"] < 0]
    out: dict[str, Any] = {
        "base": left.scenario.name,
        "scenario": right.scenario.name,
        "edits": [e.describe() for e in right.scenario.edits[len(left.scenario.edits) :]],
        "comparable": not differences,
        "differences": differences,
        "demand_weighted_cost_base_heq": float(left.chokepoints.flow.total_cost),
        "demand_weighted_cost_scenario_heq": float(right.chokepoints.flow.total_cost),
        "routes_changed": [str(d) for d in destinations.loc[destinations["route_changed"], "destination"]],
        "informal_share_base": informal(left),
        "informal_share_scenario": informal(right),
        "flow_moved": float(-losses["flow_change"].sum()) + 0.0,  # never -0.0
        "top_gains": [
            {"id": r.id, "name": r.name, "kind": r.kind, "flow_change": float(r.flow_change)}
            for r in gains.head(5).itertuples()
        ],
        "top_losses": [
            {"id": r.id, "name": r.name, "kind": r.kind, "flow_change": float(r.flow_change)}
            for r in losses.sort_values("flow_change").head(5).itertuples()
        ],
        "gates_losing_flow": [str(g) for g in gates.loc[gates["flow_change"] < -FLOW_EPS, "gate_id"]],
    }
    for label, side in (("base", left), ("scenario", right)):
        if side.coverage is not None:
            out[f"flow_covered_pct_{label}"] = float(side.coverage.flow_covered_pct)
            out[f"ensemble_flow_covered_pct_{label}"] = float(side.coverage.ensemble_flow_covered_pct)
    if len(coverage):
        out["covered_km_change"] = {str(k): float(v) for k, v in coverage["covered_km_change"].items()}
    return out


def _route_edges(left: Side, right: Side) -> gpd.GeoDataFrame:
    G = left.scenario.G if left.scenario.G is right.scenario.G else None
    flows = []
    for side in (left, right):
        c = side.chokepoints
        flows.append(
            {c.arrays.edge_id(e): float(c.flow.edge_flow[e]) for e in np.flatnonzero(c.flow.edge_flow > FLOW_EPS)}
        )
    rows = []
    for edge in dict.fromkeys([*flows[0], *flows[1]]):
        fa, fb = flows[0].get(edge, 0.0), flows[1].get(edge, 0.0)
        part = "both" if fa and fb else ("base" if fa else "scenario")
        graph = G if G is not None else (left if fa else right).scenario.G
        data = graph.edges[edge] if graph.is_multigraph() else graph.edges[edge[:2]]
        rows.append(
            {
                "part": part,
                "flow_base": fa,
                "flow_scenario": fb,
                "mode": data.get("mode", ""),
                "geometry": data.get("geometry"),
            }
        )
    frame = pd.DataFrame(rows, columns=["part", "flow_base", "flow_scenario", "mode", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Hashable) and not isinstance(value, str | int | float | bool | type(None)):
        return str(value)
    return value
