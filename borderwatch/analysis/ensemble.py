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

An ensemble can keep each sample's *support* (the edges of its routes and of
the least-cost tree's paths to every gate crossing).  An edited scenario that
only raises costs then re-routes just the samples whose support it touches
(:func:`rerouted`): the others keep their routes, exactly.  Sweeps and
comparisons use it.
"""

from __future__ import annotations

import dataclasses
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
        each gate in that sample (``inf`` where it cannot be reached; NaN when
        not computed, :func:`rerouted` with ``travel=False``).
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
    support
        What each sample's results rest on (``keep_support=True``), so that
        :func:`rerouted` re-routes only the samples an edit touches.
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
    support: Support | None = field(repr=False, default=None)


def flow_ensemble(
    scenario: Scenario,
    *,
    progress: Callable[[int, int], None] | None = None,
    first_sample: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    keep_support: bool = False,
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
    keep_support
        Keep what each sample's results rest on (:attr:`Ensemble.support`), to
        compare edited scenarios with :func:`rerouted` (about 10 MB per 200
        samples on the shipped graph).

    Returns
    -------
    Ensemble

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, ``progress`` not a function or None, ``first_sample`` not an integer,
        ``keep_support`` not a bool, a bad ``workers`` or a scheduler that does not answer.

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
    require(keep_support, bool, where="flow_ensemble", name="keep_support")
    with parallel.running(workers=workers, scheduler=scheduler):
        return ensemble_of(
            sc.arrays,
            sc.origin,
            sc.shares,
            **_draws_of(sc),
            progress=progress,
            first_sample=first_sample,
            keep_support=keep_support,
        )


def _draws_of(sc: Scenario) -> dict:
    """Return the scenario's ensemble settings as :func:`ensemble_of` takes them."""
    s = sc.settings
    return {
        "samples": s.samples,
        "seed": s.seed,
        "sigma_edge": s.sigma_edge,
        "sigma_gate": s.sigma_gate,
        "segment_of": sc.segment_of if sc.region is not None else None,
    }


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
    keep_support: bool = False,
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
    keep_support
        Keep :attr:`Ensemble.support` (for :func:`rerouted`).

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
    indices = np.arange(first_sample, first_sample + n)
    parts, used, units = _run(
        arrays, origin, shares, seed, sigma_edge, sigma_gate, segment_of, indices, progress, keep_support
    )
    shared = parallel.shared_view(arrays, segment_of)
    support = None
    if keep_support:
        support = Support.joined(
            parts, arrays, origin, shares, seed=seed, sigmas=(sigma_edge, sigma_gate), first_sample=first_sample
        )
    return _joined(parts, _layout(shared.value), list(shares), used, units, support)


def rerouted(
    reference: Ensemble,
    scenario: Scenario,
    *,
    travel: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Ensemble | None:
    """Return the ensemble of an edited scenario, re-routing only the samples its edits touch.

    ``reference`` is the ensemble of a scenario on the same graph, kept with
    ``keep_support=True``.  Where the scenario's costs differ from it only
    upwards (closed gates, slower or riskier edges), a sample none of whose
    least-cost paths (:class:`Support`) crosses a changed edge keeps its
    routes, costs and flows; only the least cost through a changed gate
    crossing is recomputed, from its tail's cost.  The other samples are
    routed again from the same draws.  The result equals
    :func:`flow_ensemble` of the scenario (random costs have no ties, so the
    least-cost paths are unique), in a fraction of the time when an edit
    touches few samples.

    Parameters
    ----------
    reference
        The base ensemble, with its support.
    scenario
        The edited scenario (its samples, seed and sigmas those of the reference).
    travel
        Also the least cost through every gate (:attr:`Ensemble.travel_samples`).
        ``False`` re-routes only the samples whose routes an edit touches
        and leaves ``travel_samples`` NaN (not computed): enough for flows,
        costs and shares (:func:`~borderwatch.analysis.sweep.sweep`).
    progress
        Called as ``progress(done, samples)`` after each re-routed sample (the kept ones count as done).

    Returns
    -------
    Ensemble or None
        ``None`` when the reference cannot be reused: it kept no support, ran
        on another graph, origin, demand or draws, or the scenario lowers a
        cost (then run :func:`flow_ensemble`).

    Raises
    ------
    ParameterError
        ``reference`` is not an ensemble, ``scenario`` not a scenario, ``progress`` not a function or None.

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import CloseGates, Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 1.1, "B"), ("o", "t", 3.0, "C")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> base = Scenario.from_graph(G, origin="o", destinations=["t"], samples=40, seed=1)
    >>> e0 = flow_ensemble(base, keep_support=True)
    >>> closed = base.edited(CloseGates(("C",)))
    >>> e1 = rerouted(e0, closed)
    >>> e1.gates.equals(flow_ensemble(closed).gates)
    True
    """
    require(reference, Ensemble, where="rerouted", name="reference", fix="give a flow_ensemble(...) result")
    sc = as_scenario(scenario, what="rerouted")
    require(travel, bool, where="rerouted", name="travel")
    require(progress, (callable, None), where="rerouted", name="progress")
    return rerouted_of(reference, sc.arrays, sc.origin, sc.shares, **_draws_of(sc), travel=travel, progress=progress)


def rerouted_of(
    reference: Ensemble,
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    *,
    samples: int,
    seed: int,
    sigma_edge: float,
    sigma_gate: float,
    segment_of: np.ndarray | None = None,
    travel: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Ensemble | None:
    """Run :func:`rerouted` on any array view (the chokepoint metrics' ensemble); the arguments of :func:`ensemble_of`.

    Returns
    -------
    Ensemble or None
        ``None`` when ``reference`` cannot be reused.
    """
    sup = reference.support
    if (
        sup is None
        or reference.samples != samples
        or (sup.seed, sup.sigmas) != (seed, (sigma_edge, sigma_gate))
        or sup.origin != origin
        or sup.shares != dict(shares)
        or len(sup.cost) != arrays.n_edges
        or not (sup.edge_tag is arrays.edge_tag or np.array_equal(sup.edge_tag, arrays.edge_tag))
        or (arrays.cost < sup.cost).any()
    ):
        return None
    changed = np.flatnonzero(arrays.cost != sup.cost)
    rests_on = zip(sup.routes_rest_on, sup.tails_rest_on if travel else [[]] * reference.samples, strict=True)
    touched = np.array(
        [i for i, (routes, tails) in enumerate(rests_on) if _meets(routes, changed) or _meets(tails, changed)],
        dtype=np.int64,
    )
    kept = samples - len(touched)
    counted = None if progress is None else (lambda done, _total: progress(kept + done, samples))
    parts, used, units = _run(
        arrays, origin, shares, seed, sigma_edge, sigma_gate, segment_of, sup.first_sample + touched, counted, False
    )
    if progress is not None and not len(touched):
        progress(samples, samples)
    for i in touched:  # take the touched samples' flows out of the reference's exact sums
        used[sup.flow_edges[i]] -= 1
        units[sup.flow_edges[i]] -= sup.flow_units[i]
    tables = {
        name: getattr(reference, name).copy()
        for name in ("gate_samples", "travel_samples", "segment_samples", "cost_samples")
    }
    informal = reference.informal_samples.copy()
    if len(touched):
        for name, attr in [
            ("gate_samples", "gate_flows"),
            ("travel_samples", "gate_travel"),
            ("segment_samples", "seg_flows"),
            ("cost_samples", "costs"),
        ]:
            tables[name].iloc[touched] = np.vstack([getattr(p, attr) for p in parts])
        informal[touched] = np.concatenate([p.informal for p in parts])
    lay = _layout(parallel.shared_view(arrays, segment_of).value)
    if travel:
        untouched = np.setdiff1d(np.arange(samples), touched)
        tables["travel_samples"] = _through_changed_crossings(
            tables["travel_samples"], untouched, sup, arrays, lay, changed
        )
    else:
        tables["travel_samples"] = tables["travel_samples"] * np.nan
    return _assemble(
        **tables,
        informal_samples=informal,
        edge_use_count=reference.edge_use_count + used,
        edge_flow_units=reference.edge_flow_units + units,
    )


def _meets(sorted_edges: np.ndarray, edges: np.ndarray) -> bool:
    """Whether any of ``edges`` is in ``sorted_edges``."""
    sorted_edges = np.asarray(sorted_edges, dtype=np.int64)
    if not len(sorted_edges) or not len(edges):
        return False
    pos = np.minimum(np.searchsorted(sorted_edges, edges), len(sorted_edges) - 1)
    return bool((sorted_edges[pos] == edges).any())


def _through_changed_crossings(
    travel: pd.DataFrame, samples: np.ndarray, sup: Support, arrays: GraphArrays, lay: _Layout, changed: np.ndarray
) -> pd.DataFrame:
    """Return ``travel`` with, in ``samples`` (untouched), the least cost through every gate whose crossings changed."""
    hit = np.isin(lay.gate_entry, changed)
    if not hit.any() or not len(samples):
        return travel
    gates = np.unique(lay.on_gate[lay.gate_entry[hit]])
    cols = np.flatnonzero(np.isin(lay.on_gate[lay.gate_entry], gates))  # every crossing of those gates
    edges = lay.gate_entry[cols]
    values = travel.to_numpy().copy()
    for i in samples:
        factor = cost_factors(
            arrays, seed=sup.seed, sample=int(sup.first_sample + i), sigma_edge=sup.sigmas[0],
            sigma_gate=sup.sigmas[1], edges=edges,
        )  # fmt: skip
        values[i, gates] = np.inf
        np.minimum.at(values[i], lay.on_gate[edges], sup.tail_cost[i, cols] + arrays.cost[edges] * factor)
    return pd.DataFrame(values, index=travel.index, columns=travel.columns)


def _run(
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    seed: int,
    sigma_edge: float,
    sigma_gate: float,
    segment_of: np.ndarray | None,
    indices: np.ndarray,
    progress: Callable[[int, int], None] | None,
    keep_support: bool,
) -> tuple[list[_Part], np.ndarray, np.ndarray]:
    """Run the samples ``indices`` on the engine in force: their parts (in order) and exact per-edge sums."""
    if not len(indices):
        return [], np.zeros(arrays.n_edges, dtype=np.int64), np.zeros(arrays.n_edges, dtype=np.int64)
    engine = parallel.current()
    shared = parallel.shared_view(arrays, segment_of)
    # this process: one task per sample (progress after each); workers: a few batches each (balance)
    runs = parallel.batches(len(indices), len(indices) if engine.workers == 1 else 4 * engine.workers)
    view_cost = None if shared.value.arrays is arrays else arrays.cost
    tasks = [
        (
            view_cost,
            origin,
            dict(shares),
            int(seed),
            float(sigma_edge),
            float(sigma_gate),
            indices[f : f + c],
            keep_support,
        )
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
            progress(done, len(indices))
    return parts, used, units


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
    """The samples ``indices`` of an ensemble (per-edge sums only on ``edges``; support parts when kept)."""

    gate_flows: np.ndarray
    gate_travel: np.ndarray
    seg_flows: np.ndarray
    informal: np.ndarray
    costs: np.ndarray
    edges: np.ndarray
    edge_used: np.ndarray
    edge_units: np.ndarray
    routes_rest_on: list[np.ndarray] = field(default_factory=list)
    tails_rest_on: list[np.ndarray] = field(default_factory=list)
    tail_cost: np.ndarray | None = None
    flow_edges: list[np.ndarray] = field(default_factory=list)
    flow_units: list[np.ndarray] = field(default_factory=list)


@dataclass
class Support:
    """What each sample of an ensemble rests on, to re-route only the samples an edit touches (:func:`rerouted`).

    A sample's results (its routes, their costs, the least cost to every
    gate) follow from the least-cost paths to its destinations and to the
    tail of every gate's crossing edge into Vietnam.  An edit that only
    raises costs (closing, slowing) and raises none of those paths' edges
    leaves those paths least-cost, so the sample's results stay as they are:
    only the least cost *through* a crossing edge the edit raised changes,
    and it is the tail's cost plus the edge's new cost.

    Attributes
    ----------
    routes_rest_on
        Per sample: the sorted edge indices of its routes (and of the
        unrestricted least-cost path to a destination under a graph rule,
        which decides whether the rule's view is searched).
    tails_rest_on
        Per sample: the sorted edges of the least-cost tree's paths to the
        tail of every gate crossing (they give :attr:`Ensemble.travel_samples`).
    tail_cost
        Per sample and gate crossing edge (:func:`~borderwatch.network.arrays.GraphArrays.into_vietnam`
        ``"gate"``, in edge order): least cost from the origin to its tail.
    flow_edges, flow_units
        Per sample: the edges it sends flow over, and their flows in units of ``2**-FLOW_BITS``.
    cost, edge_tag
        The ensemble's per-edge base costs and edge identities (the graph it ran on).
    origin, shares, seed, sigmas, first_sample
        What it drew and routed.
    """

    routes_rest_on: list[np.ndarray]
    tails_rest_on: list[np.ndarray]
    tail_cost: np.ndarray
    flow_edges: list[np.ndarray]
    flow_units: list[np.ndarray]
    cost: np.ndarray
    edge_tag: np.ndarray
    origin: Hashable
    shares: dict[Hashable, float]
    seed: int
    sigmas: tuple[float, float]
    first_sample: int

    @classmethod
    def joined(
        cls,
        parts: list[_Part],
        arrays: GraphArrays,
        origin: Hashable,
        shares: Mapping[Hashable, float],
        *,
        seed: int,
        sigmas: tuple[float, float],
        first_sample: int,
    ) -> Support:
        """Return the support of an ensemble from its parts (in sample order)."""
        return cls(
            routes_rest_on=[r for p in parts for r in p.routes_rest_on],
            tails_rest_on=[r for p in parts for r in p.tails_rest_on],
            tail_cost=np.vstack([p.tail_cost for p in parts]),
            flow_edges=[e for p in parts for e in p.flow_edges],
            flow_units=[u for p in parts for u in p.flow_units],
            cost=arrays.cost,
            edge_tag=arrays.edge_tag,
            origin=origin,
            shares=dict(shares),
            seed=int(seed),
            sigmas=(float(sigmas[0]), float(sigmas[1])),
            first_sample=int(first_sample),
        )

    def then(self, more: Support) -> Support:
        """Return the support of this ensemble's samples followed by ``more``'s (:func:`extend`)."""
        return dataclasses.replace(
            self,
            routes_rest_on=self.routes_rest_on + more.routes_rest_on,
            tails_rest_on=self.tails_rest_on + more.tails_rest_on,
            tail_cost=np.vstack([self.tail_cost, more.tail_cost]),
            flow_edges=self.flow_edges + more.flow_edges,
            flow_units=self.flow_units + more.flow_units,
        )


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
    indices: np.ndarray,
    keep_support: bool,
) -> _Part:
    arrays = base.view(view_cost)
    lay = _layout(base)
    on_gate, gate_entry, seg_edges = lay.on_gate, lay.gate_entry, lay.seg_edges
    n_gates, n_segs = len(lay.gate_ids), len(lay.seg_ids)
    count = len(indices)
    part = _Part(
        gate_flows=np.zeros((count, n_gates)),
        gate_travel=np.full((count, n_gates), np.inf),
        seg_flows=np.zeros((count, n_segs)),
        informal=np.zeros(count),
        costs=np.zeros((count, len(shares))),
        edges=np.zeros(0, dtype=np.int64),
        edge_used=np.zeros(arrays.n_edges, dtype=np.int64),
        edge_units=np.zeros(arrays.n_edges, dtype=np.int64),
        tail_cost=np.zeros((count, len(gate_entry))) if keep_support else None,
    )
    scale = float(2**FLOW_BITS)
    tails = arrays.edge_u[gate_entry]
    for s, drawn in enumerate(indices):
        factor = cost_factors(arrays, seed=seed, sample=int(drawn), sigma_edge=se, sigma_gate=sg)
        view = arrays.times(factor)
        sample_cost = view.cost
        routed = least_cost_flow(view, origin, shares, reuse_unbarred=True)
        flow = routed.edge_flow
        through = routed.origin_distance[tails] + sample_cost[gate_entry]
        np.minimum.at(part.gate_travel[s], on_gate[gate_entry], through)
        part.costs[s] = [routed.cost[d] for d in shares]
        part.gate_flows[s] = np.bincount(on_gate[gate_entry], weights=flow[gate_entry], minlength=n_gates)
        part.seg_flows[s] = np.bincount(lay.seg_col, weights=flow[seg_edges], minlength=n_segs)
        part.informal[s] = flow[lay.informal_entry].sum()
        used = np.flatnonzero(flow > FLOW_EPS)
        units = np.rint(flow[used] * scale).astype(np.int64)
        part.edge_used[used] += 1
        part.edge_units[used] += units
        if keep_support:
            ruled = [view.path_edges(origin, d, dist=routed.origin_distance, pred=routed.origin_predecessor)[0]
                     for d in shares if d in view.rules]  # fmt: skip
            part.routes_rest_on.append(np.unique(np.concatenate([*routed.paths.values(), *ruled])))
            part.tails_rest_on.append(_tree_edges(view, routed.origin_predecessor, tails))
            part.tail_cost[s] = routed.origin_distance[tails]
            part.flow_edges.append(used)
            part.flow_units.append(units)
    part.edges = np.flatnonzero(part.edge_used)  # sent back: only the edges some sample used
    part.edge_used, part.edge_units = part.edge_used[part.edges], part.edge_units[part.edges]
    return part


def _tree_edges(view: GraphArrays, pred: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Sorted edges of a least-cost tree's paths to ``targets`` (node rows)."""
    seen = np.zeros(len(pred), dtype=bool)
    frontier = np.unique(targets)
    while len(frontier):  # climb the tree from every target at once, each node once
        seen[frontier] = True
        up = pred[frontier]
        up = up[up >= 0]
        frontier = np.unique(up[~seen[up]])
    nodes = np.flatnonzero(seen & (pred >= 0))
    return np.sort(view.step_edges(pred[nodes], nodes))


def _joined(
    parts: list[_Part],
    lay: _Layout,
    destinations: list[Hashable],
    used: np.ndarray,
    units: np.ndarray,
    support: Support | None = None,
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
        support=support,
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
        support=first.support.then(more.support) if first.support and more.support else None,
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
