"""An ensemble of perturbed least-cost routings: how likely each gate and border stretch is used.

Every sample multiplies each edge's cost by a log-normal factor (median 1,
log-sd ``ensemble.sigma_edge``) and each gate's crossing edges by one more
factor per gate (log-sd ``ensemble.sigma_gate``), then sends the demand down
the least-cost routes (:func:`~borderwatch.analysis.flow.least_cost_flow`).
Over the samples: per gate and per border segment, the probability of being
used, the mean share of the demand and its standard deviation.  The draws are
counter-based (:mod:`~borderwatch.analysis.draws`): the same seed gives the
same result in any order of the samples, and two scenarios on one graph draw
the same factors (common random numbers), so their per-sample results compare
pair by pair.  The report says how far the top gates' mean shares still move
between the first half of the samples and all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..doors import require
from ..errors import ParameterError
from ..network.arrays import GraphArrays, identity_tags
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .draws import lognormal_factors
from .flow import least_cost_flow


@dataclass
class Ensemble:
    """Result of :func:`flow_ensemble`.

    Attributes
    ----------
    gates
        Indexed by ``gate_id``: ``usage_probability``, ``mean_flow``, ``sd_flow``.
    segments
        Indexed by ``segment_id`` (informal crossings): the same columns.
    samples
        Number of samples.
    informal_share
        Mean share of the demand entering informally.
    convergence
        For the five gates of highest mean flow: mean flow over the first half
        of the samples, over all, and the standard error of the mean.
    gate_samples
        One row per sample, one column per gate: its share of the demand in
        that sample (for rank intervals).
    travel_samples
        The same shape: the least cost (h) from the origin into Vietnam through
        each gate in that sample (``inf`` where it cannot be reached).
    segment_samples
        The same per border segment.
    cost_samples
        One row per sample, one column per destination node: its least cost (h) in that sample.
    edge_usage, edge_mean_flow
        Per edge of the array view: share of the samples that send flow over
        it, and its mean flow.
    """

    gates: pd.DataFrame
    segments: pd.DataFrame
    samples: int
    informal_share: float
    convergence: pd.DataFrame
    gate_samples: pd.DataFrame
    travel_samples: pd.DataFrame
    segment_samples: pd.DataFrame
    cost_samples: pd.DataFrame
    edge_usage: np.ndarray
    edge_mean_flow: np.ndarray


def flow_ensemble(
    scenario: Scenario, *, progress: Callable[[int, int], None] | None = None, first_sample: int = 0
) -> Ensemble:
    """Route the scenario's demand over ``settings.samples`` perturbed copies of its costs.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its settings give samples, seed and
        sigmas; per-segment tables need its region).
    progress
        Called as ``progress(done, total)`` after each sample.
    first_sample
        Index of the first sample drawn (to extend an ensemble: :func:`extend`).

    Returns
    -------
    Ensemble

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, ``progress`` not a function or None, ``first_sample`` not an integer.

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 1.1, "B")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> sc = Scenario.from_graph(G, origin="o", destinations=["t"], samples=50, seed=1)
    >>> e = flow_ensemble(sc)
    >>> e.samples, round(float(e.gates["mean_flow"].sum()), 6)
    (50, 1.0)
    """
    sc = as_scenario(scenario, what="flow_ensemble")
    require(progress, (callable, None), where="flow_ensemble", name="progress")
    require(first_sample, int, where="flow_ensemble", name="first_sample")
    s = sc.settings
    return ensemble_of(
        sc.arrays,
        sc.origin,
        sc.shares,
        samples=s.samples,
        seed=s.seed,
        sigma_edge=s.sigma_edge,
        sigma_gate=s.sigma_gate,
        segment_of=sc.segment_of if sc.region is not None else None,
        progress=progress,
        first_sample=first_sample,
    )


def ensemble_of(
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    *,
    samples: int,
    seed: int,
    sigma_edge: float,
    sigma_gate: float,
    segment_of: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    first_sample: int = 0,
) -> Ensemble:
    """Run the ensemble on any array view (:func:`flow_ensemble` on a route graph).

    Parameters
    ----------
    arrays
        The array view.
    origin
        Origin node id.
    shares
        Destination node -> share of the demand (summing to 1).
    samples, seed
        Number of samples (>= 1) and random seed.
    sigma_edge, sigma_gate
        Log-sd of the per-edge and per-gate cost factors (>= 0).
    segment_of
        Border segment per edge (``None``: no segment table).
    progress
        Called as ``progress(done, total)`` after each sample.
    first_sample
        Index of the first sample: samples ``first_sample`` ..
        ``first_sample + samples - 1`` are drawn, so that
        ``extend(ensemble_of(..., samples=n), ensemble_of(..., samples=m, first_sample=n))``
        equals ``ensemble_of(..., samples=n + m)``.

    Returns
    -------
    Ensemble

    Raises
    ------
    ParameterError
        ``samples`` < 1 or a negative sigma.
    """
    n = samples
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"samples must be an integer >= 1, got {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be an integer >= 0, got {seed!r}")
    if not (sigma_edge >= 0 and sigma_gate >= 0):
        raise ParameterError(f"sigma_edge and sigma_gate must be >= 0, got {sigma_edge!r} and {sigma_gate!r}")
    base = arrays
    gate_ids = np.array(sorted(set(base.gate_id[base.crossing == "gate"])), dtype=object)
    gate_tags = identity_tags([f"gate:{g}" for g in gate_ids])
    gate_index = {g: i for i, g in enumerate(gate_ids)}
    on_gate = np.array([gate_index.get(g, -1) for g in base.gate_id])
    gate_entry = np.flatnonzero(base.into_vietnam("gate"))
    informal_entry = base.into_vietnam("informal")
    seg_of = segment_of if segment_of is not None else np.full(base.n_edges, "", dtype=object)
    seg_ids = np.array(sorted(set(seg_of) - {""}), dtype=object)
    seg_index = {s: i for i, s in enumerate(seg_ids)}
    seg_edges = np.flatnonzero(seg_of != "")
    seg_col = np.array([seg_index[s] for s in seg_of[seg_edges]], dtype=np.int64)
    se, sg = sigma_edge, sigma_gate
    gate_flows = np.zeros((n, len(gate_ids)))
    gate_travel = np.full((n, len(gate_ids)), np.inf)
    seg_flows = np.zeros((n, len(seg_ids)))
    informal = np.zeros(n)
    costs = np.zeros((n, len(shares)))
    edge_used = np.zeros(base.n_edges)
    edge_sum = np.zeros(base.n_edges)
    for s in range(n):
        drawn = first_sample + s
        factor = lognormal_factors(base.edge_tag, seed=seed, sample=drawn, stream="edge", sigma=se)
        if sg > 0 and len(gate_ids):
            per_gate = lognormal_factors(gate_tags, seed=seed, sample=drawn, stream="gate", sigma=sg)
            factor = np.where(on_gate >= 0, factor * per_gate[np.maximum(on_gate, 0)], factor)
        sample_cost = base.cost * factor
        routed = least_cost_flow(base.with_cost(sample_cost), origin, shares, reuse_unbarred=True)
        flow = routed.edge_flow
        through = routed.origin_distance[base.edge_u[gate_entry]] + sample_cost[gate_entry]
        np.minimum.at(gate_travel[s], on_gate[gate_entry], through)
        costs[s] = [routed.cost[d] for d in shares]
        gate_flows[s] = np.bincount(on_gate[gate_entry], weights=flow[gate_entry], minlength=len(gate_ids))
        seg_flows[s] = np.bincount(seg_col, weights=flow[seg_edges], minlength=len(seg_ids))
        informal[s] = flow[informal_entry].sum()
        edge_used += flow > FLOW_EPS
        edge_sum += flow
        if progress is not None:
            progress(s + 1, n)
    return _assemble(
        gate_samples=pd.DataFrame(gate_flows, columns=pd.Index(gate_ids, name="gate_id")),
        travel_samples=pd.DataFrame(gate_travel, columns=pd.Index(gate_ids, name="gate_id")),
        segment_samples=pd.DataFrame(seg_flows, columns=pd.Index(seg_ids, name="segment_id")),
        cost_samples=pd.DataFrame(costs, columns=pd.Index(list(shares), name="destination")),
        informal_share=float(informal.mean()),
        edge_usage=edge_used / n,
        edge_mean_flow=edge_sum / n,
    )


def extend(first: Ensemble, more: Ensemble) -> Ensemble:
    """Join two ensembles of one scenario whose samples follow each other (see ``first_sample``).

    Parameters
    ----------
    first, more
        ``more`` drawn with ``first_sample = first.samples``.

    Returns
    -------
    Ensemble
        The ensemble of all their samples, as if drawn in one run.
    """
    n, m = first.samples, more.samples
    return _assemble(
        **{
            name: pd.concat([getattr(first, name), getattr(more, name)], ignore_index=True)
            for name in ("gate_samples", "travel_samples", "segment_samples", "cost_samples")
        },
        informal_share=(n * first.informal_share + m * more.informal_share) / (n + m),
        edge_usage=(n * first.edge_usage + m * more.edge_usage) / (n + m),
        edge_mean_flow=(n * first.edge_mean_flow + m * more.edge_mean_flow) / (n + m),
    )


def _assemble(*, gate_samples: pd.DataFrame, segment_samples: pd.DataFrame, **rest) -> Ensemble:
    """Build the ensemble's tables from its per-sample flows."""
    flows = gate_samples.to_numpy()
    n = len(flows)
    gates = _summary(flows, gate_samples.columns.to_numpy(), "gate_id")
    top = gates.sort_values("mean_flow", ascending=False).head(5).index
    chosen = gate_samples[top].to_numpy()
    half = max(1, n // 2)
    convergence = pd.DataFrame(
        {
            "mean_first_half": chosen[:half].mean(axis=0),
            "mean_all": chosen.mean(axis=0),
            "standard_error": chosen.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.nan,
        },
        index=pd.Index(top, name="gate_id"),
    )
    return Ensemble(
        gates=gates,
        segments=_summary(segment_samples.to_numpy(), segment_samples.columns.to_numpy(), "segment_id"),
        samples=n,
        convergence=convergence,
        gate_samples=gate_samples,
        segment_samples=segment_samples,
        **rest,
    )


def _summary(flows: np.ndarray, ids: np.ndarray, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "usage_probability": (flows > FLOW_EPS).mean(axis=0),
            "mean_flow": flows.mean(axis=0),
            "sd_flow": flows.std(axis=0, ddof=1) if len(flows) > 1 else np.zeros(flows.shape[1]),
        },
        index=pd.Index(ids, name=name),
    ).sort_values(["mean_flow", "usage_probability"], ascending=False)
