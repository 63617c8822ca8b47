"""Interdicting k gates or links, the trafficker re-routing afterwards (shortest-path interdiction).

The planner chooses at most ``k`` candidate units (a gate, a border segment's
informal crossings, or a link) to close (their edges removed) or to inspect
(their edges' cost raised); the trafficker then takes the least-cost route to
every destination.  The planner maximises the trafficker's demand-weighted
least cost (Israeli & Wood 2002, bilevel shortest-path interdiction).

Exact method: Israeli and Wood's covering decomposition.  A master MILP
(HiGHS, ``scipy.optimize.milp``) chooses the units against a growing set of
known routes: max sum_t s_t z_t with z_t <= cost(P) + sum_u delta(u, P) x_u
for every known route P to t, sum_u x_u <= k; each round the true least-cost
routes under the master's choice are computed on the array engine and added.
The master's value is an upper bound, the best evaluated choice a lower
bound; they meet at the optimum.  A closed edge counts ``CLOSED_COST_H`` in the
master, and a destination that can only be reached at that cost is reported
as cut off.  Greedy method: add, k times, the unit whose interdiction raises
the cost most (only units on the current routes can); its gap to the exact
bound is reported when both run.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.optimize
import scipy.sparse
import shapely

from ..doors import require
from ..edits import CloseGates, CloseSegments, Edit, InspectGates
from ..errors import NoRouteError, ParameterError
from ..network.arrays import GraphArrays
from ..network.profile import edge_cost
from ..places import unit_labels
from ..scenario import Scenario, as_scenario
from ..settings import check_range
from .siting import SolverError, solve_milp

#: Candidate kinds of a route graph.
INTERDICT_KINDS = ("gates", "segments", "both")
#: What interdicting a unit does.
INTERDICT_MODES = ("close", "inspect")
#: Cost (h) a closed edge counts in the master problem (a route through it is as good as blocked).
CLOSED_COST_H = 1.0e4


@dataclass
class Interdiction:
    """Result of :func:`interdict`.

    Attributes
    ----------
    chosen
        The chosen units, in the order chosen (greedy) or sorted (exact); fewer
        than ``k`` when no further unit raises the cost.
    cost_before, cost_after
        Demand-weighted least cost (h) without and with the interdiction.
    per_destination
        Destination -> (cost before, cost after, edges of the route after,
        edges of the route before).
    cut_off
        Destinations that can no longer be reached.
    method
        ``exact`` or ``greedy``.
    upper_bound
        Best bound on the optimum (exact: equals ``cost_after`` when optimal).
    rounds
        Decomposition rounds (exact) or greedy steps.
    solve_s
        Seconds.
    status
        ``optimal``, ``greedy`` or ``stopped`` (time limit; the gap is reported).
    shares
        Destination -> share of the demand.
    history
        Exact method: (upper bound, best value) after each round.
    greedy_costs
        Demand-weighted least cost (h) after 0, 1, ... units chosen greedily (each step the unit that raises
        it most; the exact method starts from this run): what each next unit buys.  Shorter than ``k + 1``
        when no further unit raises the cost.
    """

    chosen: list[str]
    cost_before: float
    cost_after: float
    per_destination: dict[Hashable, tuple[float, float, np.ndarray, np.ndarray]]
    cut_off: list[Hashable]
    method: str
    upper_bound: float
    rounds: int
    solve_s: float
    status: str
    shares: dict[Hashable, float] = field(default_factory=dict)
    history: list[tuple[float, float]] = field(default_factory=list)
    greedy_costs: list[float] = field(default_factory=list)

    @property
    def gap_pct(self) -> float:
        """Relative gap (%) between the bound and the achieved cost."""
        if not np.isfinite(self.upper_bound) or self.upper_bound <= 0:
            return float("nan")
        return 100.0 * (self.upper_bound - self.cost_after) / self.upper_bound


def interdict(
    arrays: GraphArrays,
    origin: Hashable,
    shares: Mapping[Hashable, float],
    *,
    units: Mapping[str, np.ndarray],
    k: int,
    interdicted_cost: np.ndarray | None = None,
    method: str = "exact",
    time_limit_s: float = 300.0,
) -> Interdiction:
    """Choose at most ``k`` units that maximise the trafficker's demand-weighted least cost.

    Parameters
    ----------
    arrays
        The array view.
    origin
        Origin node id.
    shares
        Destination node -> share of the demand.
    units
        Candidate unit name -> indices of its edges.
    k
        Units to interdict (0 <= k <= candidates).
    interdicted_cost
        Per-edge cost once interdicted (``inf`` = closed); default every edge
        closed.
    method
        ``exact`` (covering decomposition) or ``greedy``.
    time_limit_s
        Time limit of the exact method (s); when it is reached the best choice
        and the gap to the bound are returned with status ``stopped``.

    Returns
    -------
    Interdiction

    Raises
    ------
    ParameterError
        ``k`` out of range, an unknown method, an empty unit.
    NoRouteError
        A destination cannot be reached before any interdiction.
    """
    names = sorted(units)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= len(names):
        raise ParameterError(f"k must be an integer from 0 to the {len(names)} candidates, got {k!r}")
    if method not in ("exact", "greedy"):
        raise ParameterError(f"method must be 'exact' or 'greedy', got {method!r}")
    empty = [n for n in names if not len(units[n])]
    if empty:
        raise ParameterError(f"candidate units without edges: {', '.join(empty[:5])}")
    after_cost = np.full(arrays.n_edges, np.inf) if interdicted_cost is None else np.asarray(interdicted_cost, float)
    model = _Model(arrays, origin, dict(shares), names, [np.asarray(units[n]) for n in names], after_cost)
    started = time.perf_counter()
    if method == "greedy":
        chosen = model.greedy(k)
        rounds, bound, status, history = len(chosen), np.nan, "greedy", []
    else:
        chosen, rounds, bound, status, history = model.exact(k, time_limit_s)
    costs, routes = model.evaluate(chosen)
    base_costs, base_routes = model.evaluate([])
    per = {t: (base_costs[t], costs[t], routes[t], base_routes[t]) for t in model.shares}
    return Interdiction(
        chosen=[names[u] for u in chosen],
        cost_before=model.total(base_costs),
        cost_after=model.total(costs),
        per_destination=per,
        cut_off=[t for t in model.shares if costs[t] >= CLOSED_COST_H],
        method=method,
        upper_bound=float(bound),
        rounds=rounds,
        solve_s=round(time.perf_counter() - started, 3),
        status=status,
        shares=dict(model.shares),
        history=history,
        greedy_costs=model.greedy_costs or [model.total(base_costs)],
    )


class _Model:
    def __init__(self, arrays, origin, shares, names, edges, after_cost):
        self.arrays, self.origin, self.shares, self.names = arrays, origin, shares, names
        self.unit_edges = edges
        self.capped = np.where(np.isinf(after_cost), CLOSED_COST_H, after_cost)
        self.unit_of = np.full(arrays.n_edges, -1)
        for u, e in enumerate(edges):
            self.unit_of[e] = u
        self.greedy_costs: list[float] = []
        self.by_rule: dict = {}
        for t in shares:
            self.by_rule.setdefault(arrays.rules.get(t), []).append(t)
        costs, _ = self.evaluate([])
        unreachable = [t for t in shares if not np.isfinite(costs[t]) or costs[t] >= CLOSED_COST_H]
        if unreachable:
            raise NoRouteError(
                f"destination {unreachable[0]!r} cannot be reached from {origin!r} before any interdiction; "
                "leave it out or check the graph"
            )

    def view(self, chosen) -> GraphArrays:
        edges = np.concatenate([self.unit_edges[u] for u in chosen]) if len(chosen) else np.zeros(0, dtype=int)
        return self.arrays.replaced(edges, self.capped[edges]) if len(edges) else self.arrays

    def evaluate(self, chosen) -> tuple[dict, dict]:
        view = self.view(chosen)
        costs, routes = {}, {}
        for nodes in self.by_rule.values():
            ruled = view.for_destination(nodes[0])
            dist, pred = ruled.dijkstra([self.origin])
            for t in nodes:
                try:
                    routes[t], costs[t] = ruled.path_edges(self.origin, t, dist=dist[0], pred=pred[0])
                except NoRouteError:
                    routes[t], costs[t] = np.zeros(0, dtype=int), np.inf
        return costs, routes

    def total(self, costs: dict) -> float:
        return float(sum(self.shares[t] * costs[t] for t in self.shares))

    def greedy(self, k: int) -> list[int]:
        chosen: list[int] = []
        self.greedy_costs = []
        for _ in range(k):
            costs, routes = self.evaluate(chosen)
            # only a unit on a current route can raise the cost; none left: stop early
            on_routes = {int(u) for t in routes for u in self.unit_of[routes[t]] if u >= 0} - set(chosen)
            now = self.total(costs)
            self.greedy_costs = self.greedy_costs or [now]
            best, best_value = None, now
            for u in sorted(on_routes):
                value = self.total(self.evaluate([*chosen, u])[0])
                if value > best_value + 1e-9:
                    best, best_value = u, value
            if best is None:
                break
            chosen.append(best)
            self.greedy_costs.append(best_value)
        return chosen

    def exact(self, k: int, time_limit_s: float):
        """Israeli-Wood covering decomposition; returns (chosen, rounds, upper bound, status, history)."""
        n, dests = len(self.names), list(self.shares)
        rows: list[tuple[int, float, dict[int, float]]] = []  # (destination index, route cost, unit -> cost rise)
        best, best_value = self.greedy(k), -np.inf  # a good start: greedy's routes and value
        seen = set()
        history = []
        started = time.perf_counter()
        chosen, rounds, upper = best, 0, np.inf
        while True:
            costs, routes = self.evaluate(chosen)
            value = self.total(costs)
            if value > best_value:
                best, best_value = list(chosen), value
            for d, t in enumerate(dests):
                key = (t, tuple(routes[t]))
                if key in seen or not len(routes[t]):
                    continue
                seen.add(key)
                e = routes[t]
                base = float(self.arrays.cost[e].sum())
                rise: dict[int, float] = {}
                for edge in e:
                    u = self.unit_of[edge]
                    if u >= 0:
                        rise[u] = rise.get(u, 0.0) + float(self.capped[edge] - self.arrays.cost[edge])
                rows.append((d, base, rise))
            rounds += 1
            remaining = time_limit_s - (time.perf_counter() - started)
            if remaining <= 0:
                return best, rounds, upper, "stopped", history
            chosen, upper = self._master(n, dests, rows, k, remaining)
            history.append((upper, best_value))
            if upper - best_value <= 1e-6 * max(1.0, abs(upper)):
                return best, rounds, upper, "optimal", history

    def _master(self, n, dests, rows, k, time_limit_s):
        m = len(dests)
        # a tiny price per unit: of equal choices, the one with fewer units (no unit that changes nothing)
        c = np.concatenate([np.full(n, 1e-7), -np.array([self.shares[t] for t in dests])])
        data, ri, ci, upper = [], [], [], []
        for r, (d, base, rise) in enumerate(rows):
            ri.append(r)
            ci.append(n + d)
            data.append(1.0)
            for u, delta in rise.items():
                ri.append(r)
                ci.append(u)
                data.append(-delta)
            upper.append(base)
        A = scipy.sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), n + m))
        budget = scipy.sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
        constraints = [
            scipy.optimize.LinearConstraint(A, -np.inf, np.array(upper)),
            scipy.optimize.LinearConstraint(budget, 0, k),
        ]
        bounds = scipy.optimize.Bounds(np.zeros(n + m), np.concatenate([np.ones(n), np.full(m, CLOSED_COST_H * 100)]))
        integrality = np.concatenate([np.ones(n), np.zeros(m)])
        res, _ = solve_milp(c, constraints, integrality, bounds, time_limit_s)
        if res.x is None:
            raise SolverError(f"the interdiction master problem failed: {res.message}")
        bound = res.fun if res.status == 0 else getattr(res, "mip_dual_bound", res.fun)
        chosen = sorted(int(j) for j in np.flatnonzero(res.x[:n] > 0.5))
        return chosen, float(-bound) + 1e-7 * len(chosen)


def route_graph_units(
    scenario: Scenario, *, kind: str = "gates", mode: str = "close"
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Candidate units of a borderwatch route graph, their cost once interdicted, and a crossing label per edge.

    Parameters
    ----------
    scenario
        A scenario of a route graph with its region.
    kind
        ``gates`` (each gate, closed both ways), ``segments`` (each border
        segment's informal crossings into Vietnam) or ``both``.
    mode
        ``close`` (edges removed) or ``inspect`` (exposure raised by the
        settings' ``inspect_exposure``, cost from the profile's ``[cost]``).

    Returns
    -------
    units : dict
        ``gate:<id>`` / ``segment:<id>`` -> edge indices.
    interdicted_cost : numpy.ndarray
        Per-edge cost once interdicted (``inf`` = closed).
    labels : numpy.ndarray
        Per edge: ``gate:<id>`` for gate crossings, ``segment:<id>`` for
        informal crossings into Vietnam, "" otherwise.

    Raises
    ------
    ParameterError
        Unknown ``kind`` or ``mode``.
    """
    if kind not in INTERDICT_KINDS or mode not in INTERDICT_MODES:
        raise ParameterError(f"kind must be gates, segments or both and mode close or inspect; got {kind!r}, {mode!r}")
    arrays = scenario.arrays
    unit_of_edge, _ = scenario.crossings
    units: dict[str, list[int]] = {}
    if kind in ("gates", "both"):
        for gid in sorted(set(arrays.gate_id[arrays.crossing == "gate"]) - scenario.closed_gates):
            units[f"gate:{gid}"] = list(arrays.gate_edges([gid]))
    if kind in ("segments", "both"):
        for e in np.flatnonzero(np.char.startswith(unit_of_edge.astype(str), "segment:")):
            if np.isfinite(arrays.cost[e]):
                units.setdefault(unit_of_edge[e], []).append(int(e))
    if mode == "close":
        after = np.full(arrays.n_edges, np.inf)
    else:
        raised = np.minimum(1.0, arrays.exposure + scenario.settings.inspect_exposure)
        after = np.where(np.isinf(arrays.cost), np.inf, edge_cost(arrays.time_h, raised, profile=scenario.profile))
    labels = np.where(arrays.crossing == "gate", "gate:" + arrays.gate_id.astype(str), unit_of_edge)
    return {n: np.array(e) for n, e in units.items()}, after, labels


def user_graph_units(
    scenario: Scenario, *, mode: str = "close"
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Candidate units of any graph: its gates (``gate_id``) and its interdictable links.

    Parameters
    ----------
    scenario
        A scenario of a user graph; an edge is a candidate when its
        ``interdictable`` attribute is true (every edge, when no edge has the
        attribute) or it has a ``gate_id``; ``interdicted_cost`` (>= its cost)
        replaces removal.  Edges the scenario's edits closed are no
        candidates (as on a route graph); an inspected edge costs at least its
        inspected cost once interdicted.
    mode
        ``close`` or ``inspect`` (which needs ``interdicted_cost`` on every candidate edge).

    Returns
    -------
    units, interdicted_cost, labels
        As :func:`route_graph_units` (units ``gate:<id>`` and ``link:<u>-><v>``).

    Raises
    ------
    ParameterError
        No candidate edge, ``interdicted_cost`` below the cost, or ``inspect``
        without ``interdicted_cost``.
    """
    G, arrays = scenario.G, scenario.arrays
    units: dict[str, list[int]] = {}
    after = np.full(arrays.n_edges, np.inf)
    any_flag = any("interdictable" in d for _, _, d in G.edges(data=True))
    closed = np.isinf(arrays.cost)  # closed by the scenario's edits (the graph's own costs are finite)
    for e in range(arrays.n_edges):
        u, v, key = arrays.edge_id(e)
        data = G.edges[u, v, key] if G.is_multigraph() else G.edges[u, v]
        flag = str(data.get("interdictable", "true" if not any_flag else "false")).lower() in ("true", "1", "yes")
        if closed[e] or not (flag or arrays.gate_id[e]):
            continue
        name = f"gate:{arrays.gate_id[e]}" if arrays.gate_id[e] else f"link:{u}->{v}"
        units.setdefault(name, []).append(e)
        if "interdicted_cost" in data:
            value = float(data["interdicted_cost"])
            own = float(data.get("cost", arrays.cost[e]))
            if not value >= own:
                raise ParameterError(
                    f"edge {u!r} -> {v!r}: interdicted_cost {value} is below its cost {own}; give a number "
                    ">= cost (or leave it out for removal)"
                )
            after[e] = max(value, float(arrays.cost[e]))
        elif mode == "inspect":
            raise ParameterError(f"--mode inspect needs interdicted_cost on every interdictable edge ({u!r} -> {v!r})")
    if not units:
        raise ParameterError("the graph has no interdictable edge (attribute interdictable, or gate_id)")
    labels = np.where(arrays.gate_id != "", "gate:" + arrays.gate_id.astype(str), "")
    return {n: np.array(e) for n, e in units.items()}, after, labels


def interdiction_report(
    result: Interdiction,
    arrays: GraphArrays,
    *,
    names: Mapping[Hashable, str],
    units: Mapping[str, np.ndarray],
    labels: np.ndarray,
) -> dict[str, Any]:
    """Describe an interdiction as plain data: the choice, costs, routes after, and displaced flow.

    Parameters
    ----------
    result
        From :func:`interdict`.
    arrays
        The array view it was solved on.
    names
        Destination node -> display name.
    units
        The candidate units (name -> edge indices).
    labels
        Per-edge crossing label (:func:`route_graph_units`); "" for none.

    Returns
    -------
    dict
        ``chosen``, ``chosen_edges`` (unit -> [u, v, gate_id] per edge),
        ``cost_before_heq``/``cost_after_heq`` (demand-weighted cost, h-eq), ``method``,
        ``status``, ``upper_bound_heq``, ``gap_pct``, ``rounds``, ``solve_s``,
        ``cut_off``, ``routes_after`` (per destination: costs, crossings
        before and after, ``nodes_after``) and ``displacement`` (crossings
        whose share of the demand changes).  JSON-serialisable.
    """

    def crossings(edges: np.ndarray) -> list[str]:
        return [labels[e] or f"informal {arrays.nodes[arrays.edge_u[e]]}" for e in edges if arrays.crossing[e]]

    routes, before_flow, after_flow = [], {}, {}
    for t, (cost_before, cost_after, edges, edges_before) in result.per_destination.items():
        if t in result.cut_off:  # no route after: nothing is drawn or counted through the closed crossings
            edges = np.empty(0, dtype=np.int64)
        share = result.shares[t]
        for c in crossings(edges_before):
            before_flow[c] = before_flow.get(c, 0.0) + share
        for c in crossings(edges):
            after_flow[c] = after_flow.get(c, 0.0) + share
        nodes = [str(arrays.nodes[arrays.edge_u[e]]) for e in edges]
        nodes += [str(arrays.nodes[arrays.edge_v[edges[-1]]])] if len(edges) else []
        routes.append(
            {
                "destination": names.get(t, str(t)),
                "cost_before_heq": round(cost_before, 3),
                "cost_after_heq": round(cost_after, 3),
                "crossings_before": ", ".join(crossings(edges_before)),
                "crossings_after": ", ".join(crossings(edges)),
                "nodes_after": nodes,
            }
        )
    displacement = [
        {
            "crossing": c,
            "share_before": round(before_flow.get(c, 0.0), 4),
            "share_after": round(after_flow.get(c, 0.0), 4),
        }
        for c in sorted(set(before_flow) | set(after_flow))
        if abs(before_flow.get(c, 0.0) - after_flow.get(c, 0.0)) > 1e-9
    ]
    return {
        "chosen": result.chosen,
        "chosen_edges": {
            unit: [
                [str(arrays.nodes[arrays.edge_u[e]]), str(arrays.nodes[arrays.edge_v[e]]), arrays.gate_id[e]]
                for e in units[unit]
            ]
            for unit in result.chosen
        },
        "cost_before_heq": round(result.cost_before, 4),
        "cost_after_heq": round(result.cost_after, 4),
        "method": result.method,
        "status": result.status,
        "upper_bound_heq": None if result.upper_bound != result.upper_bound else round(result.upper_bound, 4),
        "gap_pct": None if result.gap_pct != result.gap_pct else round(result.gap_pct, 4),
        "rounds": result.rounds,
        "solve_s": result.solve_s,
        "cut_off": [names.get(t, str(t)) for t in result.cut_off],
        "routes_after": routes,
        "displacement": displacement,
    }


@dataclass
class InterdictionPlan:
    """Result of :func:`interdict_crossings`: the best crossings to interdict and what the traffickers do then.

    Attributes
    ----------
    result
        The solver's answer (:class:`Interdiction`).
    report
        :func:`interdiction_report` of it (plain, JSON-ready data).
    routes_after
        The least-cost route to each destination after the interdiction
        (``destination``, ``share``, ``cost_before_heq``, ``cost_after_heq``,
        ``crossings_after``, line geometry).
    kind, mode
        The candidates and what interdicting does.
    """

    result: Interdiction
    report: dict[str, Any]
    routes_after: gpd.GeoDataFrame
    kind: str
    mode: str

    @property
    def chosen(self) -> list[str]:
        """The chosen units (``gate:<id>``, ``segment:<id>``, ``link:<u>-><v>``)."""
        return list(self.result.chosen)

    def as_edits(self) -> list[Edit]:
        """Return the plan as scenario edits (gates and segments closed or inspected).

        Apply them with ``scenario.edited(*plan.as_edits())``.
        """
        gates = [u.removeprefix("gate:") for u in self.chosen if u.startswith("gate:")]
        segments = [u.removeprefix("segment:") for u in self.chosen if u.startswith("segment:")]
        out: list[Edit] = []
        if gates:
            out.append(CloseGates(tuple(gates)) if self.mode == "close" else InspectGates(tuple(gates)))
        if segments and self.mode == "close":
            out.append(CloseSegments(tuple(segments)))
        return out


def interdict_crossings(
    scenario: Scenario,
    *,
    k: int,
    candidates: str = "gates",
    mode: str = "close",
    method: str = "exact",
    time_limit_s: float = 300.0,
) -> InterdictionPlan:
    """Choose at most ``k`` crossings to close or inspect that raise the trafficker's least cost the most.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its edits apply: a closed gate is no candidate).
    k
        Units to interdict (>= 0; capped at the number of candidates).
    candidates
        On a route graph: ``gates``, ``segments`` (informal crossings of a
        border segment) or ``both``.  On a user graph its gates and
        interdictable links (:func:`user_graph_units`) are the candidates.
    mode
        ``close`` or ``inspect``.
    method
        ``exact`` or ``greedy``.
    time_limit_s
        Time limit of the exact method (s).

    Returns
    -------
    InterdictionPlan

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario; an option of the wrong type, not one of its choices, or out of range
        (``k``: ``interdict_k`` and ``time_limit_s`` of :data:`borderwatch.settings.RANGES`).
    SolverError
        The master problem failed.  (At the time limit the best choice is
        returned with ``result.status == "stopped"`` and its gap.)

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 2.0, "B"), ("o", "t", 4.0, "C")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> plan = interdict_crossings(Scenario.from_graph(G, origin="o", destinations=["t"]), k=2)
    >>> plan.chosen, plan.result.cost_after
    (['gate:A', 'gate:B'], 4.0)
    """
    sc = as_scenario(scenario, what="interdict_crossings")
    check_range("interdict_k", k, what="interdict_crossings: k")
    check_range("time_limit_s", time_limit_s, what="interdict_crossings: time_limit_s")
    require(candidates, str, where="interdict_crossings", name="candidates", choices=INTERDICT_KINDS)
    require(mode, str, where="interdict_crossings", name="mode", choices=INTERDICT_MODES)
    require(method, str, where="interdict_crossings", name="method", choices=("exact", "greedy"))
    if sc.is_route_graph and sc.region is not None:
        units, after, labels = route_graph_units(sc, kind=candidates, mode=mode)
    elif candidates == "segments":
        raise ParameterError(
            "a graph without its region has no border segments to interdict; use candidates='gates' (its "
            "gate_id edges) or 'both'"
        )
    else:
        units, after, labels = user_graph_units(sc, mode=mode)
    result = interdict(
        sc.arrays,
        sc.origin,
        sc.shares,
        units=units,
        k=min(k, len(units)),
        interdicted_cost=after,
        method=method,
        time_limit_s=time_limit_s,
    )
    names = sc.destination_names
    report = interdiction_report(result, sc.arrays, names=names, units=units, labels=labels)
    report["chosen_places"] = unit_labels(sc, list(result.chosen))
    rows = []
    node_of = {name: node for node, name in names.items()}
    arrays = sc.arrays
    for r in report["routes_after"]:
        rows_idx = [arrays.row(n) for n in r["nodes_after"]]
        xy = [(arrays.node_x[i], arrays.node_y[i]) for i in rows_idx if np.isfinite(arrays.node_x[i])]
        rows.append(
            {
                "destination": r["destination"],
                "share": sc.shares.get(node_of.get(r["destination"], r["destination"]), 0.0),
                "cost_before_heq": r["cost_before_heq"],
                "cost_after_heq": r["cost_after_heq"],
                "crossings_after": r["crossings_after"],
                "geometry": shapely.LineString(xy) if len(xy) > 1 else None,
            }
        )
    columns = ["destination", "share", "cost_before_heq", "cost_after_heq", "crossings_after", "geometry"]
    routes = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs="EPSG:4326")
    return InterdictionPlan(result=result, report=report, routes_after=routes, kind=candidates, mode=mode)
