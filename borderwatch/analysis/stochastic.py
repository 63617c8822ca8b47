"""Interdiction plans that hold under uncertainty: sample-average interdiction and a budget priority list.

The deterministic plan (:mod:`~borderwatch.analysis.interdiction`) picks ``k``
crossings against one cost surface, the profile's costs.  Here the planner
picks them against ``S`` samples of the ensemble's costs
(:func:`sample_cost`: the same counter-based draws as
:func:`~borderwatch.analysis.ensemble.flow_ensemble`, so sample ``i`` is the
ensemble's sample ``i``) and maximises the trafficker's *expected* least
demand-weighted cost, the trafficker re-routing in every sample
(sample-average approximation; Morton, Pan & Saeger 2007 for border sensors):

    max  sum_s p_s sum_t share_t z_st
    s.t. z_st <= cost_s(P) + sum_u delta_s(u, P) x_u   for every known route P to t, every sample s
         sum_u x_u <= k,  x binary

solved exactly by Israeli and Wood's covering decomposition extended across
samples: the master MILP (HiGHS) chooses ``x`` against the known routes; the
true least-cost routes under that choice are found in every sample on the
array engine and added; the master's value is an upper bound, the best
evaluated choice a lower bound, and they meet at the optimum.  A route found
in one sample is a route in every sample, so it is added (with that sample's
costs) to the samples where it is within ``share_within`` of the least cost;
this only tightens the master sooner (every sample's own route is always
added, so the bound stays valid and the method exact).  A closed edge counts
:data:`~borderwatch.analysis.interdiction.CLOSED_COST_H`; a destination reached
only at that cost is *cut off* and reported as such, its cost left out of the
reported values.

Risk-averse planning: ``objective="cvar"`` maximises the conditional value at
risk of the trafficker's cost, the mean of the ``alpha`` share of samples in
which he is cheapest (Rockafellar & Uryasev 2000: ``eta - 1/alpha sum_s p_s
max(0, eta - C_s)``).

Out of sample: a plan is judged on fresh samples drawn from the seed
``seed + OUT_OF_SAMPLE_SEED_OFFSET`` (never the samples it was chosen on),
the stochastic and the deterministic plan on the same fresh draws (common
random numbers), so their difference has a paired confidence interval.

The budget priority list solves k = 1..K twice: the optimum for each k
alone, and the best *nested* list (each plan contains the previous: the order
in which to add teams), one MILP with a plan per budget, ``x_{k,u} <=
x_{k+1,u}``, maximising the sum of the plans' values.  The loss of nesting at
k is the optimum's value minus the nested plan's.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.sparse

from ..doors import require
from ..edits import CloseGates, CloseSegments, Edit, InspectGates
from ..errors import NoRouteError, ParameterError
from ..network.arrays import GraphArrays
from ..places import unit_labels
from ..scenario import Scenario, as_scenario
from ..settings import check_range
from .draws import cost_factors
from .flow import least_cost_flow
from .interdiction import (
    CLOSED_COST_H,
    INTERDICT_KINDS,
    INTERDICT_MODES,
    interdict,
    route_graph_units,
    user_graph_units,
)
from .siting import SolverError, solve_milp

#: Out-of-sample draws use the ensemble seed plus this offset (a distinct stream: never the in-sample draws).
OUT_OF_SAMPLE_SEED_OFFSET = 1_000_003
#: Objectives of the stochastic plan.
OBJECTIVES = ("mean", "cvar")
#: z-value of a two-sided 95 % normal confidence interval.
Z95 = 1.959963984540054


# ---------------------------------------------------------------------- draws
def sample_cost(arrays: GraphArrays, *, seed: int, sample: int, sigma_edge: float, sigma_gate: float) -> np.ndarray:
    """One ensemble sample's per-edge cost: the base cost times its edge and gate factors.

    The factors are those of :func:`~borderwatch.analysis.ensemble.ensemble_of`
    (:func:`~borderwatch.analysis.draws.lognormal_factors`, keyed by seed,
    sample index and edge or gate identity), so sample ``i`` here is the
    ensemble's sample ``i`` whatever else is drawn.

    Parameters
    ----------
    arrays
        The array view (removed edges stay ``inf``).
    seed, sample
        Ensemble seed and sample index (>= 0).
    sigma_edge, sigma_gate
        Log-sd of the per-edge and per-gate factors.

    Returns
    -------
    numpy.ndarray
        One cost per edge.
    """
    return arrays.cost * cost_factors(arrays, seed=seed, sample=sample, sigma_edge=sigma_edge, sigma_gate=sigma_gate)


def sample_costs(
    arrays: GraphArrays, *, seed: int, samples: int, sigma_edge: float, sigma_gate: float, first_sample: int = 0
) -> Iterator[np.ndarray]:
    """Yield the per-edge costs of samples ``first_sample`` .. ``first_sample + samples - 1`` (:func:`sample_cost`)."""
    for s in range(first_sample, first_sample + samples):
        yield sample_cost(arrays, seed=seed, sample=s, sigma_edge=sigma_edge, sigma_gate=sigma_gate)


def cvar(values: np.ndarray, alpha: float) -> float:
    """Mean of the ``alpha`` share of the lowest values (equal sample weights; CVaR of the lower tail).

    Parameters
    ----------
    values
        One value per sample.
    alpha
        Tail share in (0, 1]; 1 gives the mean.

    Returns
    -------
    float

    Examples
    --------
    >>> cvar(np.array([4.0, 1.0, 3.0, 2.0]), 0.5)
    1.5
    """
    v = np.sort(np.asarray(values, dtype=float))
    # max over eta of eta - 1/(alpha n) sum max(0, eta - v): attained at a sample value
    return float(max(eta - np.maximum(0.0, eta - v).sum() / (alpha * len(v)) for eta in v))


# --------------------------------------------------------------------- engine
class _Engine:
    """Covering decomposition over samples and budgets (shared route rows).

    ``costs`` is samples x edges; ``after`` one cost per edge once interdicted
    on the base costs (``inf`` = closed, counted ``CLOSED_COST_H`` in every
    sample); in sample ``s`` a finite one is scaled by the sample's factor
    ``costs[s] / arrays.cost`` (an inspected edge is as uncertain as the edge).
    """

    def __init__(
        self,
        arrays: GraphArrays,
        origin: Hashable,
        shares: Mapping[Hashable, float],
        names: list[str],
        unit_edges: list[np.ndarray],
        costs: np.ndarray,
        after: np.ndarray,
        *,
        share_within: float = 0.05,
    ) -> None:
        self.arrays, self.origin, self.names = arrays, origin, names
        self.shares = dict(shares)
        self.dests = list(self.shares)
        self.share_vec = np.array([self.shares[t] for t in self.dests])
        self.costs = np.atleast_2d(np.asarray(costs, dtype=float))
        self.S, self.n, self.T = len(self.costs), len(names), len(self.dests)
        self.cand = np.unique(np.concatenate(unit_edges)) if unit_edges else np.zeros(0, dtype=np.int64)
        self.col = np.full(arrays.n_edges, -1)
        self.col[self.cand] = np.arange(len(self.cand))
        self.unit_edges = unit_edges
        self.cap_of: dict[int, np.ndarray] = {}
        self.cap_budget = 0  # caps for at least this budget (one bound serves every smaller one)
        self.unit_of = np.full(arrays.n_edges, -1)
        for u, e in enumerate(unit_edges):
            self.unit_of[e] = u
        base = arrays.cost[self.cand]
        on = self.costs[:, self.cand]
        factor = np.divide(on, base, out=np.ones_like(on), where=np.isfinite(base) & (base > 0))
        after = np.asarray(after, dtype=float)[self.cand]
        capped = np.where(np.isinf(after), CLOSED_COST_H, after * factor)
        self.delta = capped - on  # S x candidate edges: the rise of each edge once interdicted
        self.share_within = share_within
        self.rows: list[tuple[int, int, float, dict[int, float]]] = []  # (sample, dest, base cost, unit -> rise)
        self.row_of: dict[tuple[int, int, bytes], int] = {}
        self.cache: dict[bytes, tuple[np.ndarray, list[list[np.ndarray]]]] = {}
        self.evaluations = self.searches = 0
        self.known: list[tuple[np.ndarray, np.ndarray, list, list]] = []  # (levels, costs, routes, units on routes)
        costs0, _ = self.evaluate(np.zeros(self.n))
        self.free = costs0  # S x T least costs before any interdiction
        bad = np.argwhere(~np.isfinite(costs0) | (costs0 >= CLOSED_COST_H))
        if len(bad):
            raise NoRouteError(
                f"destination {self.dests[bad[0][1]]!r} cannot be reached from {origin!r} before any interdiction; "
                "leave it out or check the graph"
            )

    # evaluation ------------------------------------------------------------
    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, list[list[np.ndarray]]]:
        """Least costs (S x T) and routes (per sample, per destination) under unit levels ``x``.

        A route known under levels ``x' <= x`` that crosses no unit whose level
        rose is still least-cost under ``x`` (costs only rise), so a sample
        all of whose routes are known that way needs no search.
        """
        x = np.asarray(x, dtype=float)
        key = np.round(x, 9).tobytes()
        if key in self.cache:
            return self.cache[key]
        out = np.full((self.S, self.T), np.nan)
        routes: list[list[np.ndarray]] = [[np.zeros(0, dtype=np.int64)] * self.T for _ in range(self.S)]
        for known_x, known_out, known_routes, known_units in reversed(self.known):
            if np.isnan(out).sum() == 0:
                break
            if (known_x > x + 1e-12).any():
                continue
            raised = x > known_x + 1e-12
            for s in range(self.S):
                for d in range(self.T):
                    if np.isnan(out[s, d]) and not raised[known_units[s][d]].any():
                        out[s, d], routes[s][d] = known_out[s, d], known_routes[s][d]
        level = x[self.unit_of[self.cand]] if len(self.cand) else np.zeros(0)
        for s in np.flatnonzero(np.isnan(out).any(axis=1)):
            cost = self.costs[s].copy()
            if level.any():
                cost[self.cand] += level * self.delta[s]
            flow = least_cost_flow(self.arrays.with_cost(cost), self.origin, self.shares, reuse_unbarred=True)
            out[s] = [flow.cost[t] for t in self.dests]
            routes[s] = [flow.paths[t] for t in self.dests]
            self.searches += 1
        self.evaluations += 1
        units = [[self.unit_of[e][self.unit_of[e] >= 0] for e in per] for per in routes]
        self.known.append((x.copy(), out, routes, units))
        self.cache[key] = (out, routes)
        return out, routes

    def add_routes(self, routes: list[list[np.ndarray]]) -> int:
        """Add the rows of new routes: in their own sample, and in samples where they are nearly least-cost."""
        added = 0
        for s, per_dest in enumerate(routes):
            for d, e in enumerate(per_dest):
                if not len(e):
                    continue
                e = np.asarray(e)
                tag = e.tobytes()
                sums = self.costs[:, e].sum(axis=1)
                near = np.flatnonzero(sums <= self.free[:, d] * (1.0 + self.share_within))
                for s2 in sorted(set(near.tolist()) | {s}):
                    key = (s2, d, tag)
                    if key in self.row_of:
                        continue
                    rise: dict[int, float] = {}
                    on = e[self.col[e] >= 0]
                    for edge in on:
                        u = int(self.unit_of[edge])
                        rise[u] = rise.get(u, 0.0) + float(self.delta[s2, self.col[edge]])
                    self.row_of[key] = len(self.rows)
                    self.rows.append((s2, d, float(sums[s2]), rise))
                    added += 1
        return added

    def caps(self, k: int) -> np.ndarray:
        """Bound every sample's least cost to every destination once at most ``k`` units are interdicted.

        In each sample, ``k + 1`` routes that share no unit (each found with the
        units of the ones before interdicted): any ``k`` units leave one of
        them untouched, so the least cost is at most the dearest of them.  A
        destination with fewer such routes keeps the loose bound.  The master's
        rises are capped at it (a much tighter relaxation than a closed edge's
        ``CLOSED_COST_H``; the optimum is unchanged).
        """
        if k in self.cap_of:
            return self.cap_of[k]
        loose = CLOSED_COST_H * 100
        U = np.zeros((self.S, self.T))
        for s in range(self.S):
            cost = self.costs[s].copy()
            for _ in range(k + 1):
                flow = least_cost_flow(self.arrays.with_cost(cost), self.origin, self.shares, reuse_unbarred=True)
                found = np.array([flow.cost[t] for t in self.dests])
                U[s] = np.where(found >= CLOSED_COST_H, loose, np.maximum(U[s], found))
                self.searches += 1
                for t in self.dests:
                    on = np.unique(self.unit_of[flow.paths[t]])
                    for u in on[on >= 0]:
                        cost[self.unit_edges[u]] = CLOSED_COST_H
        self.cap_of[k] = U
        return U

    # objective -------------------------------------------------------------
    def per_sample(self, costs: np.ndarray) -> np.ndarray:
        return costs @ self.share_vec

    def value(self, costs: np.ndarray, objective: str, alpha: float) -> float:
        v = self.per_sample(costs)
        return float(v.mean()) if objective == "mean" else cvar(v, alpha)

    # master ----------------------------------------------------------------
    def master(
        self,
        budgets: Sequence[float],
        *,
        nested: bool,
        integer: bool,
        objective: str,
        alpha: float,
        time_limit_s: float,
        upper_x: float = 1.0,
    ) -> tuple[list[np.ndarray], float, np.ndarray | None]:
        """Solve the master: (x per plan, upper bound, LP duals of block 0's route rows)."""
        n, S, T, B = self.n, self.S, self.T, len(budgets)
        cv = objective == "cvar"
        width = n + S * T + (1 + S if cv else 0)
        N = B * width
        c = np.zeros(N)
        lower, upper = np.zeros(N), np.zeros(N)
        integrality = np.zeros(N)
        ri, ci, data, rhs_hi, rhs_lo = [], [], [], [], []
        r = 0

        def add(row: list[tuple[int, float]], lo: float, hi: float) -> None:
            nonlocal r
            for j, v in row:
                ri.append(r)
                ci.append(j)
                data.append(v)
            rhs_lo.append(lo)
            rhs_hi.append(hi)
            r += 1

        p = 1.0 / S
        cap = self.caps(max(int(max(budgets)), self.cap_budget)) if integer else np.full((S, T), CLOSED_COST_H * 100)
        for b, budget in enumerate(budgets):
            o = b * width
            c[o : o + n] = 1e-7  # of equal plans, the one with fewer units
            upper[o : o + n] = upper_x
            integrality[o : o + n] = 1.0 if integer else 0.0
            z0 = o + n
            upper[z0 : z0 + S * T] = cap.ravel()
            if cv:
                eta, w0 = z0 + S * T, z0 + S * T + 1
                lower[eta], upper[eta] = -np.inf, np.inf
                upper[w0 : w0 + S] = np.inf
                c[eta] = -1.0
                c[w0 : w0 + S] = p / alpha
                for s in range(S):  # w_s >= eta - sum_t share_t z_st
                    add(
                        [(w0 + s, 1.0), (eta, -1.0)] + [(z0 + s * T + d, self.shares[self.dests[d]]) for d in range(T)],
                        0.0,
                        np.inf,
                    )
            else:
                for s in range(S):
                    c[z0 + s * T : z0 + (s + 1) * T] = -p * self.share_vec
            if b == 0:
                first_route_row = r
            for s, d, base, rise in self.rows:
                room = max(0.0, cap[s, d] - base)  # a rise beyond the cap is never binding
                add([(z0 + s * T + d, 1.0)] + [(o + u, -min(delta, room)) for u, delta in rise.items()], -np.inf, base)
            add([(o + u, 1.0) for u in range(n)], 0.0, float(budget))
            if nested and b:
                for u in range(n):  # x_{b-1,u} <= x_{b,u}
                    add([(o - width + u, 1.0), (o + u, -1.0)], -np.inf, 0.0)
        A = scipy.sparse.csr_matrix((data, (ri, ci)), shape=(r, N))
        lo, hi = np.array(rhs_lo), np.array(rhs_hi)
        duals = None
        if integer:
            res, _ = solve_milp(
                c,
                [scipy.optimize.LinearConstraint(A, lo, hi)],
                integrality,
                scipy.optimize.Bounds(lower, upper),
                time_limit_s,
            )
            if res.x is None:
                raise SolverError(f"the stochastic interdiction master problem failed: {res.message}")
            bound = res.fun if res.status == 0 else getattr(res, "mip_dual_bound", res.fun)
            xs = res.x
        else:
            # an LP: linprog gives the duals (the trafficker's equilibrium route mix)
            ub_rows = np.isfinite(hi)
            lb_rows = np.isfinite(lo)
            A_ub = scipy.sparse.vstack([A[ub_rows], -A[lb_rows]]).tocsr()
            b_ub = np.concatenate([hi[ub_rows], -lo[lb_rows]])
            res = scipy.optimize.linprog(
                c,
                A_ub=A_ub,
                b_ub=b_ub,
                bounds=list(zip(lower, upper, strict=True)),
                method="highs",
                options={"time_limit": time_limit_s},
            )
            if res.x is None or res.status not in (0, 1):
                raise SolverError(f"the inspection LP failed: {res.message}")
            bound, xs = res.fun, res.x
            marg = np.zeros(len(hi))
            marg[np.flatnonzero(ub_rows)] = -np.asarray(res.ineqlin.marginals)[: int(ub_rows.sum())]
            duals = marg[first_route_row : first_route_row + len(self.rows)]
        plans = [np.clip(xs[b * width : b * width + n], 0.0, upper_x) for b in range(B)]
        if integer:
            plans = [np.round(x) for x in plans]
        small = 1e-7 * sum(float(x.sum()) for x in plans)
        return plans, float(-bound) + small, duals

    def solve(
        self,
        budgets: Sequence[float],
        *,
        nested: bool = False,
        integer: bool = True,
        objective: str = "mean",
        alpha: float = 1.0,
        time_limit_s: float = 300.0,
        start: Sequence[np.ndarray] = (),
        tol: float = 1e-6,
    ) -> dict[str, Any]:
        """Decompose to the optimum; returns plans, total value, bound, status, rounds, history, route duals."""
        started = time.perf_counter()
        best_plans: list[np.ndarray] = [np.zeros(self.n) for _ in budgets]
        best_total, upper, rounds, history, duals = -np.inf, np.inf, 0, [], None
        trial = [list(start)] if len(start) == len(budgets) else []
        trial.append([np.zeros(self.n) for _ in budgets])
        status, master_s = "stopped", 0.0
        while True:
            added = 0
            for plans in trial:
                total = 0.0
                for x in plans:
                    costs, routes = self.evaluate(x)
                    added += self.add_routes(routes)
                    total += self.value(costs, objective, alpha)
                # the LP keeps its last plan (the optimum once no route is new); the MILP its best one
                if total > best_total + 1e-12 or not integer:
                    best_plans, best_total = [x.copy() for x in plans], total
            if rounds and (upper - best_total <= tol * max(1.0, abs(upper)) or added == 0):
                status = "optimal"  # added == 0: every best response is known, the master is exact
                break
            remaining = time_limit_s - (time.perf_counter() - started)
            if remaining <= 0:
                break
            t0 = time.perf_counter()
            plans, upper, duals = self.master(
                budgets, nested=nested, integer=integer, objective=objective, alpha=alpha, time_limit_s=remaining
            )
            master_s += time.perf_counter() - t0
            rounds += 1
            history.append((upper, best_total))
            trial = [plans]
        return {
            "plans": best_plans,
            "total": best_total,
            "upper_bound": upper,
            "status": status,
            "rounds": rounds,
            "history": history,
            "solve_s": round(time.perf_counter() - started, 3),
            "master_s": round(master_s, 3),
            "duals": duals,
        }

    def chosen(self, x: np.ndarray) -> list[str]:
        return [self.names[u] for u in np.flatnonzero(x > 0.5)]


# ------------------------------------------------------------------ scenario level
@dataclass
class PlanValue:
    """One plan judged in and out of sample.

    Attributes
    ----------
    chosen
        Units (``gate:<id>`` / ``segment:<id>``), sorted.
    in_sample_heq
        The objective (mean or CVaR) on the samples it was chosen on (h; the
        deterministic plan: on the same samples, so the two compare).
    out_of_sample_heq, ci95_heq
        Mean over the fresh samples of the demand-weighted least cost, and the
        half-width of its 95 % confidence interval.
    profile_heq
        Its value on the profile's costs (no perturbation).
    cut_off
        Destination name -> share of the fresh samples in which it is cut off
        (only destinations ever cut off; their cost is left out of the values).
    out_of_sample_cvar_heq
        With the CVaR objective: the CVaR on the fresh samples (the table's
        ``*_out_of_sample_cvar_heq``); else ``None``.
    """

    chosen: list[str]
    in_sample_heq: float
    out_of_sample_heq: float
    ci95_heq: float
    profile_heq: float
    cut_off: dict[str, float] = field(default_factory=dict)
    out_of_sample_cvar_heq: float | None = None


@dataclass
class StochasticStudy:
    """Result of :func:`stochastic_study`: deterministic and stochastic plans for k = 1..K, and the nested list.

    Attributes
    ----------
    table
        One row per k: the deterministic (profile) and stochastic plans, their
        in-sample and out-of-sample values with 95 % intervals, their values on
        the profile's costs (``*_profile_heq``), the
        out-of-sample gain of the stochastic plan (paired, same fresh draws) and
        its interval, solve times and status.
    priority
        One row per k: the optimal stochastic plan, the nested list's plan (the
        unit added at k), both values, the loss of nesting (h and %), and what
        the k-th team buys (the nested value's rise from k-1 to k).
    plans
        k -> {"deterministic": PlanValue, "stochastic": PlanValue, "nested": PlanValue}.
    kind, mode, objective, alpha
        The candidates, what interdicting does, and the objective.
    samples, seed, out_of_sample, out_of_sample_seed
        In-sample draws (seed, indices 0..samples-1) and the fresh ones.
    cost_before_heq
        Mean over the in-sample draws of the least cost with nothing interdicted.
    solve_s
        Seconds per part: ``deterministic``, ``stochastic``, ``nested``, ``out_of_sample``.
    places
        Unit -> the planner's name of every unit in a plan (its nearest place
        and province, :func:`borderwatch.places.unit_labels`).
    status
        ``optimal``, or ``stopped`` when a time limit ended a solve (its bound is in the table).
    """

    table: pd.DataFrame
    priority: pd.DataFrame
    plans: dict[int, dict[str, PlanValue]]
    kind: str
    mode: str
    objective: str
    alpha: float
    samples: int
    seed: int
    out_of_sample: int
    out_of_sample_seed: int
    cost_before_heq: float
    solve_s: dict[str, float]
    status: str
    places: dict[str, str] = field(default_factory=dict)

    def as_edits(self, k: int, *, which: str = "stochastic") -> list[Edit]:
        """Return plan ``which`` (``stochastic``, ``deterministic`` or ``nested``) for budget ``k`` as scenario edits.

        Apply them with ``scenario.edited(*study.as_edits(3))``.
        """
        require(
            which,
            str,
            where="StochasticStudy.as_edits",
            name="which",
            choices=("stochastic", "deterministic", "nested"),
        )
        if k not in self.plans:
            raise ParameterError(f"StochasticStudy.as_edits: k must be one of {sorted(self.plans)}, got {k!r}")
        return plan_edits(self.plans[k][which].chosen, mode=self.mode)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data: both tables and the run's facts."""
        return {
            "kind": self.kind,
            "mode": self.mode,
            "objective": self.objective,
            "alpha": self.alpha,
            "samples": self.samples,
            "seed": self.seed,
            "out_of_sample": self.out_of_sample,
            "out_of_sample_seed": self.out_of_sample_seed,
            "cost_before_heq": round(self.cost_before_heq, 4),
            "status": self.status,
            "solve_s": self.solve_s,
            "plans": self.table.to_dict(orient="records"),
            "priority": self.priority.to_dict(orient="records"),
        }


def plan_edits(chosen: Sequence[str], *, mode: str) -> list[Edit]:
    """Units (``gate:<id>``, ``segment:<id>``) as scenario edits: gates closed or inspected, segments closed.

    Parameters
    ----------
    chosen
        Unit names.
    mode
        ``close`` or ``inspect`` (an inspected segment has no edit: segments can only be closed).

    Returns
    -------
    list of Edit
    """
    gates = tuple(u.removeprefix("gate:") for u in chosen if u.startswith("gate:"))
    segments = tuple(u.removeprefix("segment:") for u in chosen if u.startswith("segment:"))
    out: list[Edit] = []
    if gates:
        out.append(CloseGates(gates) if mode == "close" else InspectGates(gates))
    if segments and mode == "close":
        out.append(CloseSegments(segments))
    return out


def scenario_units(sc: Scenario, *, kind: str, mode: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Candidate units and their interdicted per-edge cost (route graph or user graph)."""
    if sc.is_route_graph and sc.region is not None:
        units, after, _ = route_graph_units(sc, kind=kind, mode=mode)
    elif kind == "segments":
        raise ParameterError(
            "a graph without its region has no border segments to interdict; use candidates='gates' or 'both'"
        )
    else:
        units, after, _ = user_graph_units(sc, mode=mode)
    return units, after


def _check_k(name: str, k: Any, n: int, where: str) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ParameterError(f"{where}: {name} must be an integer from 0 to the {n} candidates, got {k!r}")


def stochastic_study(
    scenario: Scenario,
    *,
    max_k: int = 5,
    candidates: str = "gates",
    mode: str = "close",
    samples: int = 50,
    objective: str = "mean",
    alpha: float = 0.2,
    out_of_sample: int = 100,
    out_of_sample_seed: int | None = None,
    nested: bool = True,
    time_limit_s: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> StochasticStudy:
    """Deterministic and stochastic plans for k = 1..max_k, judged in and out of sample, and the nested list.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its edits apply; its settings give
        the ensemble's seed and sigmas).
    max_k
        Largest budget (1 <= max_k <= candidates).
    candidates
        ``gates``, ``segments`` or ``both`` (a user graph: its gates and links).
    mode
        ``close`` or ``inspect``.
    samples
        In-sample draws (the ensemble's samples 0..samples-1; >= 1).
    objective
        ``mean`` (expected cost) or ``cvar`` (mean of the ``alpha`` cheapest share of samples).
    alpha
        CVaR tail share in (0, 1].
    out_of_sample
        Fresh draws the plans are judged on (>= 2).
    out_of_sample_seed
        Their seed (default the ensemble seed + :data:`OUT_OF_SAMPLE_SEED_OFFSET`).
    nested
        Also solve the best nested list (the priority table's nested columns).
    time_limit_s
        Time limit of each solve (s); when one stops its best plan and bound are
        kept and ``status`` is ``stopped``.
    progress
        Called with a short message after each step.

    Returns
    -------
    StochasticStudy

    Raises
    ------
    ParameterError
        An option out of range or not one of its choices (``max_k`` above the candidates, ``samples`` 0 ...).
    NoRouteError
        A destination cannot be reached before any interdiction.

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for via, c in (("a", 1.0), ("b", 1.5), ("c", 2.0)):
    ...     _ = G.add_edge("o", via, cost=1.0, interdictable=False)
    ...     _ = G.add_edge(via, "t", cost=c, gate_id=via.upper())
    >>> sc = Scenario.from_graph(G, origin="o", destinations=["t"], seed=1, sigma_edge=0.3, sigma_gate=0.3)
    >>> study = stochastic_study(sc, max_k=2, samples=20, out_of_sample=20)
    >>> study.table[["k", "deterministic_plan", "stochastic_plan"]].values.tolist()
    [[1, 'gate:A', 'gate:A'], [2, 'gate:A, gate:B', 'gate:A, gate:B']]
    >>> study.priority[["k", "nested_plan", "loss_heq"]].values.tolist()
    [[1, 'gate:A', 0.0], [2, 'gate:A, gate:B', 0.0]]
    """
    sc = as_scenario(scenario, what="stochastic_study")
    where = "stochastic_study"
    require(candidates, str, where=where, name="candidates", choices=INTERDICT_KINDS)
    require(mode, str, where=where, name="mode", choices=INTERDICT_MODES)
    require(objective, str, where=where, name="objective", choices=OBJECTIVES)
    require(progress, (callable, None), where=where, name="progress")
    check_range("samples", samples, what=f"{where}: samples")
    check_range("time_limit_s", time_limit_s, what=f"{where}: time_limit_s")
    if isinstance(out_of_sample, bool) or not isinstance(out_of_sample, (int, np.integer)) or out_of_sample < 2:
        raise ParameterError(
            f"{where}: out_of_sample must be an integer >= 2 (a confidence interval), got {out_of_sample!r}"
        )
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha <= 1:
        raise ParameterError(f"{where}: alpha (the CVaR tail share) must be in (0, 1], got {alpha!r}")
    units, after = scenario_units(sc, kind=candidates, mode=mode)
    _check_k("max_k", max_k, len(units), where)
    if max_k < 1:
        raise ParameterError(f"{where}: max_k must be >= 1 (the budgets 1..max_k), got {max_k!r}")
    say = progress or (lambda _m: None)
    s = sc.settings
    names = sorted(units)
    edges = [np.asarray(units[n]) for n in names]
    oos_seed = s.seed + OUT_OF_SAMPLE_SEED_OFFSET if out_of_sample_seed is None else out_of_sample_seed
    draw = {"sigma_edge": s.sigma_edge, "sigma_gate": s.sigma_gate}
    costs = np.array(list(sample_costs(sc.arrays, seed=s.seed, samples=samples, **draw)))
    arrays, origin, shares = sc.arrays, sc.origin, sc.shares
    budgets = list(range(1, max_k + 1))
    times: dict[str, float] = {}
    statuses: list[str] = []

    # deterministic plans: the profile's costs (interdiction.interdict, the shipped method)
    t0 = time.perf_counter()
    det: dict[int, list[str]] = {}
    for k in budgets:
        r = interdict(arrays, origin, shares, units=units, k=k, interdicted_cost=after, time_limit_s=time_limit_s)
        det[k] = sorted(r.chosen)
        statuses.append("optimal" if r.status == "optimal" else "stopped")
    times["deterministic"] = round(time.perf_counter() - t0, 2)
    say(f"deterministic plans k=1..{max_k}: {times['deterministic']} s")

    engine = _Engine(arrays, origin, shares, names, edges, costs, after)
    engine.cap_budget = max_k  # one bound for every budget: k + 1 disjoint routes searched once
    as_x = {n: i for i, n in enumerate(names)}

    def x_of(chosen: Sequence[str]) -> np.ndarray:
        x = np.zeros(len(names))
        x[[as_x[u] for u in chosen]] = 1.0
        return x

    t0 = time.perf_counter()
    sto: dict[int, list[str]] = {}
    sto_solve: dict[int, dict[str, Any]] = {}
    for k in budgets:
        sol = engine.solve([k], objective=objective, alpha=alpha, time_limit_s=time_limit_s, start=[x_of(det[k])])
        sto[k], sto_solve[k] = engine.chosen(sol["plans"][0]), sol
        statuses.append(sol["status"])
        say(
            f"stochastic k={k}: {', '.join(sto[k])} ({sol['status']}, {sol['rounds']} rounds, {sol['solve_s']} s, "
            f"master {sol['master_s']} s, {len(engine.rows)} route rows, {engine.searches} searches)"
        )
    times["stochastic"] = round(time.perf_counter() - t0, 2)

    nest: dict[int, list[str]] = {}
    if nested:
        t0 = time.perf_counter()
        sol = engine.solve(budgets, nested=True, objective=objective, alpha=alpha, time_limit_s=time_limit_s)
        for k, x in zip(budgets, sol["plans"], strict=True):
            nest[k] = engine.chosen(x)
        statuses.append(sol["status"])
        times["nested"] = round(time.perf_counter() - t0, 2)
        say(f"nested list: {times['nested']} s ({sol['status']})")

    # judge every plan in sample, on the profile's costs and on fresh draws
    plans = {
        k: {"deterministic": det[k], "stochastic": sto[k], **({"nested": nest[k]} if nested else {})} for k in budgets
    }
    distinct = sorted({tuple(c) for p in plans.values() for c in p.values()} | {()})

    def reached(c: tuple[str, ...]) -> float:  # the objective, a cut-off destination left out (as out of sample)
        v = _reached_value(engine, engine.evaluate(x_of(c))[0])[0]
        return float(v.mean()) if objective == "mean" else cvar(v, alpha)

    in_sample = {c: reached(c) for c in distinct}
    profile = _Engine(arrays, origin, shares, names, edges, arrays.cost[None, :], after)
    at_profile = {c: _reached_value(profile, profile.evaluate(x_of(c))[0])[0][0] for c in distinct}
    t0 = time.perf_counter()
    fresh = _judge(sc, names, edges, after, [x_of(c) for c in distinct], seed=oos_seed, samples=out_of_sample)
    times["out_of_sample"] = round(time.perf_counter() - t0, 2)
    say(f"out of sample ({out_of_sample} fresh draws): {times['out_of_sample']} s")
    values = {c: fresh["values"][i] for i, c in enumerate(distinct)}
    cut = {c: fresh["cut_off"][i] for i, c in enumerate(distinct)}
    dnames = sc.destination_names

    def judged(c: tuple[str, ...]) -> PlanValue:
        v = values[c]
        return PlanValue(
            chosen=list(c),
            in_sample_heq=in_sample[c],
            out_of_sample_heq=float(np.nanmean(v)),
            ci95_heq=float(Z95 * np.nanstd(v, ddof=1) / np.sqrt(np.isfinite(v).sum())),
            profile_heq=float(at_profile[c]),
            cut_off={dnames.get(t, str(t)): float(f) for t, f in cut[c].items() if f > 0},
            out_of_sample_cvar_heq=cvar(v[np.isfinite(v)], alpha) if objective == "cvar" else None,
        )

    out = {k: {w: judged(tuple(c)) for w, c in p.items()} for k, p in plans.items()}
    rows, prio = [], []
    for k in budgets:
        d, st = out[k]["deterministic"], out[k]["stochastic"]
        gain = values[tuple(sto[k])] - values[tuple(det[k])]
        rows.append(
            {
                "k": k,
                "deterministic_plan": ", ".join(d.chosen),
                "det_in_sample_heq": round(d.in_sample_heq, 3),
                "det_out_of_sample_heq": round(d.out_of_sample_heq, 3),
                "det_ci95_heq": round(d.ci95_heq, 3),
                "det_profile_heq": round(d.profile_heq, 3),
                "stochastic_plan": ", ".join(st.chosen),
                "sto_in_sample_heq": round(st.in_sample_heq, 3),
                "sto_out_of_sample_heq": round(st.out_of_sample_heq, 3),
                "sto_ci95_heq": round(st.ci95_heq, 3),
                "sto_profile_heq": round(st.profile_heq, 3),
                "gain_heq": round(float(np.nanmean(gain)), 4),
                "gain_ci95_heq": round(float(Z95 * np.nanstd(gain, ddof=1) / np.sqrt(np.isfinite(gain).sum())), 4),
                **(
                    {
                        "det_out_of_sample_cvar_heq": round(d.out_of_sample_cvar_heq, 3),
                        "sto_out_of_sample_cvar_heq": round(st.out_of_sample_cvar_heq, 3),
                    }
                    if objective == "cvar"
                    else {}
                ),
                "sto_bound_heq": round(sto_solve[k]["upper_bound"], 3),
                "sto_status": sto_solve[k]["status"],
                "sto_rounds": sto_solve[k]["rounds"],
                "sto_solve_s": sto_solve[k]["solve_s"],
                "cut_off": "; ".join(f"{n} ({f:.0%})" for n, f in {**d.cut_off, **st.cut_off}.items()),
            }
        )
        if nested:
            nv = out[k]["nested"]
            prev = out[k - 1]["nested"].in_sample_heq if k > 1 else in_sample[()]
            added = sorted(set(nv.chosen) - set(out[k - 1]["nested"].chosen)) if k > 1 else nv.chosen
            prio.append(
                {
                    "k": k,
                    "optimal_plan": ", ".join(st.chosen),
                    "optimal_heq": round(st.in_sample_heq, 3),
                    "nested_adds": ", ".join(added),
                    "nested_plan": ", ".join(nv.chosen),
                    "nested_heq": round(nv.in_sample_heq, 3),
                    "loss_heq": round(st.in_sample_heq - nv.in_sample_heq, 4),
                    "loss_pct": round(100 * (st.in_sample_heq - nv.in_sample_heq) / st.in_sample_heq, 4),
                    "next_team_buys_heq": round(nv.in_sample_heq - prev, 4),
                    "nested_out_of_sample_heq": round(nv.out_of_sample_heq, 3),
                }
            )
    return StochasticStudy(
        table=pd.DataFrame(rows),
        priority=pd.DataFrame(prio),
        plans=out,
        kind=candidates,
        mode=mode,
        objective=objective,
        alpha=float(alpha),
        samples=samples,
        seed=s.seed,
        out_of_sample=out_of_sample,
        out_of_sample_seed=oos_seed,
        cost_before_heq=float(in_sample[()]),
        solve_s=times,
        status="optimal" if all(st == "optimal" for st in statuses) else "stopped",
        places=unit_labels(sc, sorted({u for plans in out.values() for v in plans.values() for u in v.chosen})),
    )


def _reached_value(engine: _Engine, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: demand-weighted cost over the destinations still reached, and which are cut off (S x T)."""
    cut = costs >= CLOSED_COST_H
    return np.where(cut, 0.0, costs) @ engine.share_vec, cut


def _judge(
    sc: Scenario,
    names: list[str],
    edges: list[np.ndarray],
    after: np.ndarray,
    plans: list[np.ndarray],
    *,
    seed: int,
    samples: int,
) -> dict[str, Any]:
    """Evaluate plans on fresh draws, one sample at a time (common random numbers across plans)."""
    s = sc.settings
    values = np.zeros((len(plans), samples))
    cut = np.zeros((len(plans), len(sc.shares)))
    for j, cost in enumerate(
        sample_costs(sc.arrays, seed=seed, samples=samples, sigma_edge=s.sigma_edge, sigma_gate=s.sigma_gate)
    ):
        one = _Engine(sc.arrays, sc.origin, sc.shares, names, edges, cost[None, :], after)
        for i, x in enumerate(plans):
            v, c = _reached_value(one, one.evaluate(x)[0])
            values[i, j] = v[0]
            cut[i] += c[0]
    dests = list(sc.shares)
    return {"values": values, "cut_off": [dict(zip(dests, row / samples, strict=True)) for row in cut]}


# ------------------------------------------------------------------ report
def study_html(study: StochasticStudy) -> str:
    """Return the report section of a :class:`StochasticStudy`: both tables and how to read them (HTML).

    Parameters
    ----------
    study
        From :func:`stochastic_study`.

    Returns
    -------
    str
    """
    require(study, StochasticStudy, where="study_html", name="study", fix="give stochastic_study(...)")

    def named(value: object, column: str) -> object:
        if column.endswith(("_plan", "_adds")) and isinstance(value, str) and value:
            return "; ".join(study.places.get(u, u) for u in value.split(", "))
        return value

    def table(frame: pd.DataFrame) -> str:
        frame = frame.apply(lambda col: col.map(lambda v, c=col.name: named(v, c)))
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in frame.itertuples(index=False)
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    text = (
        f"<p>{study.mode.capitalize()} up to {len(study.table)} {study.kind}: the deterministic plan is chosen on the "
        f"profile's costs, the stochastic plan on {study.samples} ensemble samples (seed {study.seed}, objective "
        f"{study.objective}{f', alpha {study.alpha}' if study.objective == 'cvar' else ''}); both are judged on "
        f"{study.out_of_sample} fresh samples (seed {study.out_of_sample_seed}). Values are the trafficker's "
        f"demand-weighted least cost (h-eq; {study.cost_before_heq:.2f} h-eq with nothing interdicted); the gain is "
        "the stochastic plan's out-of-sample value minus the deterministic plan's on the same draws, with its 95 % "
        f"interval. Status: {study.status}.</p>"
    )
    parts = ["<section id='stochastic-interdiction'><h2>Plans under uncertainty</h2>", text, table(study.table)]
    if len(study.priority):
        parts += [
            "<h3>Budget priority list</h3><p>The optimum for each budget alone beside the best nested list (each "
            "plan contains the previous); the loss is what nesting costs; 'next team buys' is the nested value's "
            "rise from k-1 to k.</p>",
            table(study.priority),
        ]
    parts.append("</section>")
    return "\n".join(parts)
