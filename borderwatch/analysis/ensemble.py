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

The samples run in batches on the engine in force (:mod:`borderwatch.parallel`:
this process, local worker processes or a Dask cluster); the per-edge sums are
exact integers (:data:`FLOW_BITS`), so the result is the same bits for any split
of the samples and any engine, and :func:`extend` equals one longer run exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import parallel
from ..doors import require
from ..errors import ParameterError
from ..network.arrays import GraphArrays
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .draws import GateDraws, cost_factors
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
    informal_samples
        Per sample: the share of the demand entering informally.
    edge_use_count, edge_flow_units
        Per edge: how many samples send flow over it, and the sum of its
        flows in units of ``2**-FLOW_BITS`` (exact integers, so that joined
        ensembles and any split of the samples give the same bits).
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
    informal_samples: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    edge_use_count: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_flow_units: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))


def flow_ensemble(
    scenario: Scenario,
    *,
    progress: Callable[[int, int], None] | None = None,
    first_sample: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
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
    workers, scheduler
        Run the samples on ``workers`` local processes or the Dask cluster at
        ``scheduler`` (:func:`borderwatch.parallel.running`; default: the engine in
        force).  The result is the same, bit for bit.

    Returns
    -------
    Ensemble

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, ``progress`` not a function or None, ``first_sample`` not an integer,
        a bad ``workers`` or a scheduler that does not answer.

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
    with parallel.running(workers=workers, scheduler=scheduler):
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
    engine = parallel.current()
    shared = parallel.shared_view(arrays, segment_of)
    # this process: one task per sample (progress after each); workers: a few batches each (balance)
    runs = parallel.batches(n, n if engine.workers == 1 else 4 * engine.workers)
    view_cost = None if shared.value.arrays is arrays else arrays.cost
    tasks = [
        (view_cost, origin, dict(shares), int(seed), float(sigma_edge), float(sigma_gate), first_sample + f, c)
        for f, c in runs
    ]
    parts, done = [], 0
    used = np.zeros(arrays.n_edges, dtype=np.int64)
    units = np.zeros(arrays.n_edges, dtype=np.int64)
    for part in engine.imap(_samples, shared, tasks):
        used[part.edges] += part.edge_used  # integers: the same sum in any grouping
        units[part.edges] += part.edge_units
        part.edges = part.edge_used = part.edge_units = None
        parts.append(part)
        done += len(part.informal)
        if progress is not None:
            progress(done, n)
    return _joined(parts, _layout(shared.value), list(shares), used, units)


@dataclass
class _Layout:
    """Where the ensemble's gates and segments sit among the edges (no cost changes it)."""

    gate_ids: np.ndarray
    on_gate: np.ndarray
    gate_entry: np.ndarray
    informal_entry: np.ndarray
    seg_ids: np.ndarray
    seg_edges: np.ndarray
    seg_col: np.ndarray

    @classmethod
    def of(cls, base: GraphArrays, seg_of: np.ndarray) -> _Layout:
        gates = GateDraws.of(base)
        seg_ids = np.array(sorted(set(seg_of) - {""}), dtype=object)
        seg_index = {s: i for i, s in enumerate(seg_ids)}
        seg_edges = np.flatnonzero(seg_of != "")
        return cls(
            gate_ids=gates.gate_ids,
            on_gate=gates.on_gate,
            gate_entry=np.flatnonzero(base.into_vietnam("gate")),
            informal_entry=base.into_vietnam("informal"),
            seg_ids=seg_ids,
            seg_edges=seg_edges,
            seg_col=np.array([seg_index[s] for s in seg_of[seg_edges]], dtype=np.int64),
        )


#: Per-edge flow sums are kept in units of 2**-FLOW_BITS (integers), so that any split of the samples,
#: joined in any grouping, sums to the same bits.
FLOW_BITS = 40


@dataclass
class _Part:
    """The samples ``first .. first + count - 1`` of an ensemble (per-edge sums only on ``edges``)."""

    gate_flows: np.ndarray
    gate_travel: np.ndarray
    seg_flows: np.ndarray
    informal: np.ndarray
    costs: np.ndarray
    edges: np.ndarray
    edge_used: np.ndarray
    edge_units: np.ndarray


def _layout(base: parallel.SharedView) -> _Layout:
    return base.fact("ensemble layout", lambda: _Layout.of(base.arrays, base.segment_of))


def _samples(
    base: parallel.SharedView,
    view_cost: np.ndarray | None,
    origin: Hashable,
    shares: dict[Hashable, float],
    seed: int,
    se: float,
    sg: float,
    first: int,
    count: int,
) -> _Part:
    arrays = base.view(view_cost)
    lay = _layout(base)
    on_gate, gate_entry, seg_edges = lay.on_gate, lay.gate_entry, lay.seg_edges
    n_gates, n_segs = len(lay.gate_ids), len(lay.seg_ids)
    part = _Part(
        gate_flows=np.zeros((count, n_gates)),
        gate_travel=np.full((count, n_gates), np.inf),
        seg_flows=np.zeros((count, n_segs)),
        informal=np.zeros(count),
        costs=np.zeros((count, len(shares))),
        edges=np.zeros(0, dtype=np.int64),
        edge_used=np.zeros(arrays.n_edges, dtype=np.int64),
        edge_units=np.zeros(arrays.n_edges, dtype=np.int64),
    )
    scale = float(2**FLOW_BITS)
    for s in range(count):
        drawn = first + s
        factor = cost_factors(arrays, seed=seed, sample=drawn, sigma_edge=se, sigma_gate=sg)
        sample_cost = arrays.cost * factor
        routed = least_cost_flow(arrays.with_cost(sample_cost), origin, shares, reuse_unbarred=True)
        flow = routed.edge_flow
        through = routed.origin_distance[arrays.edge_u[gate_entry]] + sample_cost[gate_entry]
        np.minimum.at(part.gate_travel[s], on_gate[gate_entry], through)
        part.costs[s] = [routed.cost[d] for d in shares]
        part.gate_flows[s] = np.bincount(on_gate[gate_entry], weights=flow[gate_entry], minlength=n_gates)
        part.seg_flows[s] = np.bincount(lay.seg_col, weights=flow[seg_edges], minlength=n_segs)
        part.informal[s] = flow[lay.informal_entry].sum()
        used = np.flatnonzero(flow > FLOW_EPS)
        part.edge_used[used] += 1
        part.edge_units[used] += np.rint(flow[used] * scale).astype(np.int64)
    part.edges = np.flatnonzero(part.edge_used)  # sent back: only the edges some sample used
    part.edge_used, part.edge_units = part.edge_used[part.edges], part.edge_units[part.edges]
    return part


def _joined(
    parts: list[_Part], lay: _Layout, destinations: list[Hashable], used: np.ndarray, units: np.ndarray
) -> Ensemble:
    """Join the parts of an ensemble (in sample order) and its per-edge sums into its tables."""
    informal = np.concatenate([p.informal for p in parts])
    return _assemble(
        gate_samples=pd.DataFrame(
            np.vstack([p.gate_flows for p in parts]), columns=pd.Index(lay.gate_ids, name="gate_id")
        ),
        travel_samples=pd.DataFrame(
            np.vstack([p.gate_travel for p in parts]), columns=pd.Index(lay.gate_ids, name="gate_id")
        ),
        segment_samples=pd.DataFrame(
            np.vstack([p.seg_flows for p in parts]), columns=pd.Index(lay.seg_ids, name="segment_id")
        ),
        cost_samples=pd.DataFrame(
            np.vstack([p.costs for p in parts]), columns=pd.Index(destinations, name="destination")
        ),
        informal_samples=informal,
        edge_use_count=used,
        edge_flow_units=units,
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
    return _assemble(
        **{
            name: pd.concat([getattr(first, name), getattr(more, name)], ignore_index=True)
            for name in ("gate_samples", "travel_samples", "segment_samples", "cost_samples")
        },
        informal_samples=np.concatenate([first.informal_samples, more.informal_samples]),
        edge_use_count=first.edge_use_count + more.edge_use_count,
        edge_flow_units=first.edge_flow_units + more.edge_flow_units,
    )


def _assemble(
    *,
    gate_samples: pd.DataFrame,
    segment_samples: pd.DataFrame,
    informal_samples: np.ndarray,
    edge_use_count: np.ndarray,
    edge_flow_units: np.ndarray,
    **rest,
) -> Ensemble:
    """Build the ensemble's tables from its per-sample flows and exact per-edge sums."""
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
        informal_share=float(informal_samples.mean()),
        edge_usage=edge_use_count / n,
        edge_mean_flow=edge_flow_units * 2.0**-FLOW_BITS / n,
        informal_samples=informal_samples,
        edge_use_count=edge_use_count,
        edge_flow_units=edge_flow_units,
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
