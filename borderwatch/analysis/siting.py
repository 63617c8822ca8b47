"""Siting new BLOs: maximal covering (p new sites) and partial set covering (fewest sites for a target).

Items to cover are the land-border segments (weight: length in km) or, for
the ``flow`` objective, the border segments and gates weighted by the
ensemble's mean crossing flow.  Existing BLOs stay; what they already cover
counts as covered.  Both problems are solved exactly as mixed-integer
programs with HiGHS (``scipy.optimize.milp``):

* maximal covering: max sum(w_i y_i) s.t. y_i <= sum_j a_ij x_j, sum_j x_j = p,
  x binary, 0 <= y <= 1;
* partial set covering: min sum_j x_j s.t. y_i <= sum_j a_ij x_j,
  sum_i w_i y_i >= target, x binary, 0 <= y <= 1.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.sparse
import shapely

from ..doors import require
from ..errors import BorderwatchError, ParameterError
from ..places import gazetteer
from ..region import Region
from ..scenario import Scenario, as_scenario
from ..settings import check_range
from .chokepoints import Chokepoints, chokepoint_metrics
from .coverage import check_segments

_STATUS = {0: "optimal", 1: "time or iteration limit reached", 2: "infeasible", 3: "unbounded", 4: "other"}


class SolverError(BorderwatchError, RuntimeError):
    """The MILP solver did not prove an optimum (time limit, infeasible); the message gives the best bound."""


@dataclass
class CoverSolution:
    """Result of :func:`max_cover` or :func:`min_sites`.

    Attributes
    ----------
    chosen
        Indices of the chosen candidates.
    covered
        Weight covered with them (existing coverage included).
    before
        Weight covered by the existing sites alone.
    total
        Total weight.
    status
        Solver status (``optimal`` ...).
    mip_gap
        Relative gap between the solution and the solver's bound (0 when optimal).
    solve_s
        Solver time (s).
    """

    chosen: list[int]
    covered: float
    before: float
    total: float
    status: str
    mip_gap: float
    solve_s: float


def _check(a: np.ndarray, w: np.ndarray, fixed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=bool)
    w = np.asarray(w, dtype=float)
    fixed = np.zeros(len(w), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    if a.ndim != 2 or a.shape[0] != len(w) or fixed.shape != w.shape:
        raise ParameterError(f"coverage matrix {a.shape} must be items x candidates, with one weight per item")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ParameterError("item weights must be finite and >= 0")
    return a, w, fixed


def solve_milp(
    c: np.ndarray,
    constraints: list[scipy.optimize.LinearConstraint],
    integrality: np.ndarray,
    bounds: scipy.optimize.Bounds,
    time_limit_s: float,
) -> tuple[scipy.optimize.OptimizeResult, float]:
    """Run HiGHS (``scipy.optimize.milp``, minimising ``c @ x``) with its C-level console output silenced.

    Parameters
    ----------
    c
        Objective coefficients.
    constraints
        Linear constraints.
    integrality
        1 for integer variables, 0 for continuous ones.
    bounds
        Variable bounds.
    time_limit_s
        Solver time limit (s).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    seconds : float
    """
    started = time.perf_counter()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            res = scipy.optimize.milp(
                c, constraints=constraints, integrality=integrality, bounds=bounds, options={"time_limit": time_limit_s}
            )
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return res, time.perf_counter() - started


def max_cover(
    a: np.ndarray, w: np.ndarray, *, p: int, fixed: np.ndarray | None = None, time_limit_s: float = 60.0
) -> CoverSolution:
    """Choose ``p`` candidates that maximise the covered weight (maximal covering location problem).

    Parameters
    ----------
    a
        Boolean items x candidates: candidate j covers item i.
    w
        Weight of each item (>= 0).
    p
        Number of candidates to choose (0 <= p <= candidates).
    fixed
        Items already covered (by existing sites).
    time_limit_s
        Solver time limit (s).

    Returns
    -------
    CoverSolution

    Raises
    ------
    ParameterError
        Bad shapes, weights or ``p``.
    SolverError
        No optimum proved within the time limit (the message gives the best bound).
    """
    a, w, fixed = _check(a, w, fixed)
    n = a.shape[1]
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p <= n:
        raise ParameterError(f"p must be an integer from 0 to the {n} candidates, got {p!r}")
    before = float(w[fixed].sum())
    open_, link, integrality = _cover_model(a, w, fixed)
    k = len(open_)
    c = np.concatenate([np.zeros(n), -w[open_]])
    count = scipy.sparse.hstack([scipy.sparse.csr_matrix(np.ones((1, n))), scipy.sparse.csr_matrix((1, k))])
    constraints = [
        scipy.optimize.LinearConstraint(link, -np.inf, 0.0),
        scipy.optimize.LinearConstraint(count, p, p),
    ]
    res, solve_s = solve_milp(c, constraints, integrality, scipy.optimize.Bounds(0, 1), time_limit_s)
    return _solution(res, solve_s, n, before + (-res.fun if res.x is not None else 0.0), before, float(w.sum()))


def min_sites(
    a: np.ndarray, w: np.ndarray, *, target: float, fixed: np.ndarray | None = None, time_limit_s: float = 60.0
) -> CoverSolution:
    """Fewest candidates that bring the covered weight to ``target`` (partial set covering).

    Parameters
    ----------
    a
        Boolean items x candidates.
    w
        Weight of each item (>= 0).
    target
        Weight to reach (existing coverage included).
    fixed
        Items already covered.
    time_limit_s
        Solver time limit (s).

    Returns
    -------
    CoverSolution

    Raises
    ------
    ParameterError
        The target cannot be reached even with every candidate (the message
        says the most that can be covered).
    SolverError
        No optimum proved within the time limit.
    """
    a, w, fixed = _check(a, w, fixed)
    n = a.shape[1]
    before = float(w[fixed].sum())
    reachable = before + float(w[~fixed & a.any(axis=1)].sum())
    if target > reachable + 1e-9:
        raise ParameterError(
            f"the target {target:.4g} cannot be reached: every candidate together covers {reachable:.4g} of "
            f"{w.sum():.4g}; lower the target, add candidates or lengthen the patrol hours"
        )
    open_, link, integrality = _cover_model(a, w, fixed)
    k = len(open_)
    c = np.concatenate([np.ones(n), np.zeros(k)])
    reach = scipy.sparse.hstack([scipy.sparse.csr_matrix((1, n)), scipy.sparse.csr_matrix(w[open_][None, :])])
    constraints = [
        scipy.optimize.LinearConstraint(link, -np.inf, 0.0),
        scipy.optimize.LinearConstraint(reach, max(0.0, target - before) - 1e-9, np.inf),
    ]
    res, solve_s = solve_milp(c, constraints, integrality, scipy.optimize.Bounds(0, 1), time_limit_s)
    solution = _solution(res, solve_s, n, np.nan, before, float(w.sum()))
    covered = fixed | a[:, solution.chosen].any(axis=1)
    solution.covered = float(w[covered].sum())
    return solution


def _cover_model(a: np.ndarray, w: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, object, np.ndarray]:
    """Shared part of both covering models: variables x (candidates) then y (open items), y_i <= sum_j a_ij x_j.

    Returns the open items (not yet covered, weight > 0, coverable by some
    candidate), the linking matrix (``-a | I``, to be bounded above by 0) and
    the integrality vector (x binary, y continuous).
    """
    n = a.shape[1]
    open_ = np.flatnonzero(~fixed & (w > 0) & a.any(axis=1))
    k = len(open_)
    link = scipy.sparse.hstack([-scipy.sparse.csr_matrix(a[open_].astype(float)), scipy.sparse.identity(k)])
    return open_, link, np.concatenate([np.ones(n), np.zeros(k)])


def _solution(res, solve_s: float, n: int, covered: float, before: float, total: float) -> CoverSolution:
    status = _STATUS.get(res.status, "other")
    if res.status != 0:
        bound = getattr(res, "mip_dual_bound", None)
        best = "no feasible solution" if res.x is None else f"best found {abs(res.fun):.6g}"
        raise SolverError(
            f"the MILP solver stopped: {status} ({res.message}); {best}, bound {bound}; "
            "raise the time limit or reduce the candidates"
        )
    chosen = sorted(int(j) for j in np.flatnonzero(res.x[:n] > 0.5))
    return CoverSolution(
        chosen=chosen,
        covered=float(covered),
        before=before,
        total=total,
        status=status,
        mip_gap=float(getattr(res, "mip_gap", 0.0) or 0.0),
        solve_s=round(solve_s, 4),
    )


def check_in_vietnam_box(candidates: pd.DataFrame, region: Region) -> None:
    """Refuse candidates outside Vietnam's bounding box (0.5° margin): lon and lat swapped, or another country.

    Needs only the region, so a command runs it before the route graph is built.

    Parameters
    ----------
    candidates
        The candidates (``id``, ``name``, ``lon``, ``lat``; checked by :func:`candidate_table`).
    region
        The region whose Vietnam polygon gives the box.

    Raises
    ------
    ParameterError
        As :func:`candidate_table`, or candidates outside the box (named).
    """
    table = candidate_table(candidates)
    min_lon, min_lat, max_lon, max_lat = region.countries[region.countries["iso_a3"] == "VNM"].total_bounds
    outside = table[
        ~table["lon"].between(min_lon - 0.5, max_lon + 0.5) | ~table["lat"].between(min_lat - 0.5, max_lat + 0.5)
    ]
    if len(outside):
        raise ParameterError(
            f"candidates {', '.join(map(str, outside['id'][:5]))} lie outside Vietnam's box; check lon/lat order"
        )


def candidate_table(candidates: pd.DataFrame) -> pd.DataFrame:
    """Check a candidate table (``id``, ``name``, ``lon``, ``lat``) and return it with unique ids.

    Parameters
    ----------
    candidates
        The candidates.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ParameterError
        Missing columns, duplicate ids, or non-numeric coordinates.
    """
    missing = [c for c in ("id", "name", "lon", "lat") if c not in candidates.columns]
    if missing:
        raise ParameterError(f"candidates need columns id, name, lon, lat; missing {', '.join(missing)}")
    dup = candidates["id"][candidates["id"].duplicated()].tolist()
    if dup:
        raise ParameterError(f"duplicate candidate ids {', '.join(map(str, dup[:5]))}; give each candidate its own id")
    out = candidates[["id", "name", "lon", "lat"]].copy()
    out["lon"] = pd.to_numeric(out["lon"], errors="coerce")
    out["lat"] = pd.to_numeric(out["lat"], errors="coerce")
    bad = out.loc[out["lon"].isna() | out["lat"].isna(), "id"].tolist()
    if bad:
        raise ParameterError(f"candidates {', '.join(map(str, bad[:5]))} have no numeric lon/lat")
    return out.reset_index(drop=True)


@dataclass
class Siting:
    """Result of :func:`site_blos`.

    Attributes
    ----------
    chosen
        The chosen candidates: ``id``, ``name``, ``place`` (nearest place and
        province), ``lon``, ``lat``, ``start_node``,
        ``adds`` (weight it covers that nothing else chosen or existing does).
    objective
        ``length`` (km of land border) or ``flow`` (share of the ensemble's crossing flow).
    before, after, total
        Covered weight with the existing BLOs only, with the chosen sites too, and in all.
    solution
        The solver's :class:`CoverSolution`.
    candidates
        Every candidate considered, with ``start_node`` ("" if it could not be placed).
    """

    chosen: pd.DataFrame
    objective: str
    before: float
    after: float
    total: float
    solution: CoverSolution
    candidates: pd.DataFrame


def default_candidates(scenario: Scenario, *, town_km: float = 50.0) -> pd.DataFrame:
    """Every placed gate (at its position on the border) and every Vietnamese town within ``town_km`` of a land border.

    Gates that cannot be placed plausibly (``snap_plausible`` false) are left
    out: their position is not known well enough to site an office.

    Parameters
    ----------
    scenario
        A scenario with its region.
    town_km
        Towns (layer ``places``) this close to the LAO, CHN or KHM border count as border-district towns.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``lon``, ``lat``, ``kind`` (gate/town).
    """
    from ..geodesy import to_metres

    sc = as_scenario(scenario, what="default_candidates")
    gates = sc.gates
    gates = gates[gates["snap_plausible"].astype(bool)]
    rows = [
        {"id": g.id, "name": g.name, "lon": g.lon, "lat": g.lat, "kind": "gate"}
        for g in gates[["id", "name", "lon", "lat"]].itertuples(index=False)
    ]
    places = sc.region.places[sc.region.places["iso_a3"] == "VNM"]
    border = to_metres(shapely.union_all(sc.lines.geometry.to_numpy()))
    points = to_metres(places.geometry.to_numpy())
    near = shapely.distance(points, border) <= town_km * 1000.0
    rows += [
        {"id": p.place_id, "name": p.name, "lon": p.geometry.x, "lat": p.geometry.y, "kind": "town"}
        for p in places[near].itertuples(index=False)
    ]
    return pd.DataFrame(rows)


def site_blos(
    scenario: Scenario,
    *,
    p: int | None = None,
    target_pct: float | None = None,
    objective: str = "length",
    candidates: pd.DataFrame | None = None,
    chokepoints: Chokepoints | None = None,
    time_limit_s: float = 60.0,
) -> Siting:
    """Site new BLOs: ``p`` sites that cover the most, or the fewest that reach ``target_pct``.

    The scenario's BLOs (as edited) stay and patrol for their own hours; a new
    site patrols for ``settings.hours``.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` of a route graph with its region.
    p
        Number of new sites (maximal covering); give this or ``target_pct``.
    target_pct
        Share (%) of the weight to cover with the fewest new sites (partial set covering).
    objective
        ``length``: km of land border (LAO, CHN, KHM); ``flow``: the ensemble's
        mean crossing flow at border segments and gates.
    candidates
        ``id``, ``name``, ``lon``, ``lat`` (default :func:`default_candidates`).
    chokepoints
        Chokepoint metrics of this scenario, for ``objective="flow"`` (default
        :func:`~borderwatch.analysis.chokepoints.chokepoint_metrics`, computed once).
    time_limit_s
        Solver time limit (s).

    Returns
    -------
    Siting

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, an argument of the wrong type, ``p``,
        ``target_pct`` or ``time_limit_s`` out of range (:data:`borderwatch.settings.RANGES`;
        checked first); neither or both of ``p`` and ``target_pct``; an
        unknown objective; candidates outside the region; ``settings.blo_hours``
        naming an unknown BLO; chokepoints of another segment length.
    SolverError
        No optimum proved within the time limit.

    Examples
    --------
    On the shipped data (``scenario = bw.Scenario.from_region()``): two new sites by km of land border.

    >>> sites = site_blos(scenario, p=2, objective="length")
    >>> len(sites.chosen), sites.after > sites.before
    (2, True)
    """
    sc = as_scenario(scenario, what="site_blos")
    if p is not None:
        check_range("site_p", p, what="site_blos: p")
    if target_pct is not None:
        check_range("target_pct", target_pct, what="site_blos: target_pct")
    check_range("time_limit_s", time_limit_s, what="site_blos: time_limit_s")
    require(objective, str, where="site_blos", name="objective", choices=("length", "flow"))
    require(candidates, (pd.DataFrame, None), where="site_blos", name="candidates")
    require(chokepoints, (Chokepoints, None), where="site_blos", name="chokepoints")
    region = sc.region
    if (p is None) == (target_pct is None):
        raise ParameterError("give either p (new sites to place) or target_pct (share to cover), not both")
    hours = sc.settings.hours
    given = candidates if candidates is not None else default_candidates(sc)
    table = candidate_table(given)
    table["kind"] = given["kind"].to_numpy() if "kind" in given.columns else "user"
    if p is not None and (isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p <= len(table)):
        raise ParameterError(f"p must be an integer from 0 to the {len(table)} candidates, got {p!r}")
    if objective == "flow":
        chokepoints = chokepoints if chokepoints is not None else chokepoint_metrics(sc)
        check_segments(sc, chokepoints)
    model = sc.patrol
    check_in_vietnam_box(table, region)
    gate_side = {g: n for g, n in zip(model.gate_ids, model.gate_nodes, strict=True) if n}
    starts = []
    for rec in table.itertuples(index=False):
        if rec.id in gate_side:
            starts.append(gate_side[rec.id])
        else:
            found = model.nearest(float(rec.lon), float(rec.lat))
            starts.append(found[0] if found else "")
    table["start_node"] = starts
    lost = table[table["start_node"] == ""]
    if len(lost):
        raise ParameterError(
            f"candidates {', '.join(map(str, lost['id'][:5]))} lie at sea or more than 20 km from any Vietnamese "
            "graph node, so no patrol can start there; move them onto land in Vietnam (check the lon/lat order)"
        )
    usable = table.reset_index(drop=True)

    existing = sc.blo_starts[sc.blo_starts["start_node"] != ""]
    seg_old, gate_old = model.covered_by(model.reach(list(existing["start_node"]), existing["hours"].to_numpy()))
    seg_new, gate_new = model.covered_by(model.reach(list(usable["start_node"]), np.full(len(usable), hours)))
    if objective == "length":
        land = model.segments["border"].isin(["LAO", "CHN", "KHM"]).to_numpy()
        a, w = seg_new[:, land].T, model.segments.loc[land, "length_km"].to_numpy()
        fixed = seg_old[:, land].any(axis=0)
    else:
        seg_flow = chokepoints.ensemble.segments["mean_flow"].reindex(model.segments["segment_id"]).fillna(0.0)
        gate_flow = chokepoints.ensemble.gates["mean_flow"].reindex(model.gate_ids).fillna(0.0)
        a = np.vstack([seg_new.T, gate_new.T])
        w = np.concatenate([seg_flow.to_numpy(), gate_flow.to_numpy()])
        fixed = np.concatenate([seg_old.any(axis=0), gate_old.any(axis=0)])
    if p is not None:
        solution = max_cover(a, w, p=min(p, len(usable)), fixed=fixed, time_limit_s=time_limit_s)
    else:
        solution = min_sites(a, w, target=w.sum() * target_pct / 100.0, fixed=fixed, time_limit_s=time_limit_s)
    chosen = usable.loc[solution.chosen].drop(columns="place", errors="ignore")
    adds = []
    for j in solution.chosen:
        others = fixed | a[:, [k for k in solution.chosen if k != j]].any(axis=1)
        adds.append(float(w[a[:, j] & ~others].sum()))
    chosen["adds"] = adds
    chosen.insert(
        chosen.columns.get_loc("name") + 1, "place", gazetteer(sc.region).names_of(chosen["lon"], chosen["lat"])
    )
    return Siting(
        chosen=chosen.reset_index(drop=True),
        objective=objective,
        before=solution.before,
        after=solution.covered,
        total=solution.total,
        solution=solution,
        candidates=table,
    )


def siting_summary(result: Siting) -> dict[str, Any]:
    """Summarise a siting result as plain data (what ``site-blos --json`` prints).

    Parameters
    ----------
    result
        From :func:`site_blos`.

    Returns
    -------
    dict
        ``objective``, ``unit``, covered weight ``before``/``after``/``total``
        (and as %), the solver's status, gap and time, the number of
        ``candidates`` and the ``chosen`` sites.
    """
    unit = "km" if result.objective == "length" else "share of crossing flow"
    total = result.total
    return {
        "objective": result.objective,
        "unit": unit,
        "before": round(result.before, 4),
        "after": round(result.after, 4),
        "total": round(total, 4),
        "before_pct": round(100 * result.before / total, 2) if total else None,
        "after_pct": round(100 * result.after / total, 2) if total else None,
        "solver_status": result.solution.status,
        "mip_gap": result.solution.mip_gap,
        "solve_s": result.solution.solve_s,
        "candidates": len(result.candidates),
        "chosen": result.chosen.drop(columns=["start_node"]).round(4).to_dict("records"),
    }
