"""Randomised inspection: where m teams stand, as probabilities, against a trafficker who watches them.

A zero-sum Stackelberg game (the security games of airport, port and ranger
patrols).  The planner commits to coverage probabilities ``x_c`` over the
candidate crossings (``0 <= x_c <= 1``, ``sum_c x_c <= m``: ``m`` teams; any
such ``x`` is a mix of deployments of ``m`` teams, :meth:`InspectionPlan.deployment`
draws one); the trafficker observes ``x`` and takes, to each destination, the
route of least *expected* cost, in the model's own currency:

    cost(P) + L * pi(P, x),    pi(P, x) = sum_{c in P} d_c x_c

with ``L = cost.exposure_weight_h`` (the hours a trafficker trades to avoid one
certain detection, the same weight that prices exposure on every edge) and
``d_c`` the detection probability of a team at crossing ``c`` by its class
(profile ``[inspection.detection]``).  The planner maximises the same
demand-weighted expected cost (zero-sum).

Interception of a route: the **linear sum** ``sum d_c x_c`` (capped at 1), not
``1 - prod(1 - d_c x_c)``.  Why: the sum is additive over a route's edges,
so the trafficker's best response is one Dijkstra search on the array engine
(edge cost + ``L d_c x_c``) and the game is one LP, solved exactly; and it
*equals* the product form on every route that passes at most one candidate
crossing, which a route into Vietnam does unless it crosses the border
twice (:attr:`InspectionPlan.multi_crossing_routes` counts those; where there
are any the sum is an upper bound on the product).

The LP (route generation; the cutting-plane master of
:mod:`~borderwatch.analysis.stochastic` with continuous ``x``):

    max sum_t share_t z_t   s.t.  z_t <= cost(P) + L sum_{c in P} d_c x_c  for known routes P to t,
                                  sum_c x_c <= m,  0 <= x <= 1

Each round the trafficker's best responses to the master's ``x`` are found
by Dijkstra and added as rows; when no new route appears ``x`` is optimal.
The LP's duals are the trafficker's equilibrium route mix, from which the
expected interception probability is computed.  The best *fixed* placement
of the same ``m`` teams is the same model with ``x`` binary (the exact
covering decomposition): a fixed post is learnt and avoided.

Quantal response (optional, ``quantal=lambda`` in 1/h): a boundedly rational
trafficker who takes each known route ``P`` to ``t`` with probability
proportional to ``exp(-lambda (C(P) - min C))``, ``C`` the expected cost above
(``lambda -> inf``: the best response; ``0``: every known route alike).  It is
evaluated at the LP's coverage, over the routes the generation found; the
coverage is not re-optimised against it.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..doors import require
from ..edits import Edit
from ..errors import ParameterError
from ..places import unit_labels
from ..scenario import Scenario, as_scenario
from ..settings import check_range
from .interdiction import INTERDICT_KINDS
from .stochastic import _Engine, plan_edits, scenario_units

#: Crossing classes of the detection table (a gate's class, or ``informal`` for a segment's trails).
DETECTION_CLASSES = ("international", "primary", "secondary", "informal")


@dataclass
class InspectionPlan:
    """Result of :func:`inspection_game`.

    Attributes
    ----------
    crossings
        One row per candidate crossing: ``unit``, ``place`` (the unit named
        by its nearest place and province, :func:`borderwatch.places.unit_labels`), ``kind``, ``class``,
        ``detection``, ``probability`` (coverage of the randomised plan),
        ``fixed`` (in the best fixed placement), ``equilibrium_share`` (share
        of the demand the trafficker sends through it in equilibrium), point
        geometry (EPSG:4326); sorted by probability.
    teams
        ``m``.
    value_heq, fixed_value_heq, free_heq
        Demand-weighted expected cost (h) against the randomised plan, the best
        fixed placement, and no inspection.
    interception, fixed_interception
        Expected interception probability: of the trafficker's equilibrium
        route mix against the randomised plan, and of his best response to
        the fixed placement.
    best_response_interception
        Of the trafficker's pure best response (one least-cost route per
        destination, ties broken by the search) to the randomised plan.
    quantal, quantal_interception
        ``lambda`` (1/h) and the quantal-response trafficker's expected
        interception against the randomised plan (``None`` without).
    multi_crossing_routes
        Known routes that pass more than one candidate crossing (where the
        linear sum over-states the product form).
    rounds, fixed_rounds, solve_s, status
        Route-generation rounds (LP and fixed placement), seconds, and
        ``optimal`` or ``stopped``.
    mode
        Always ``inspect``.
    """

    crossings: gpd.GeoDataFrame
    teams: int
    value_heq: float
    fixed_value_heq: float
    free_heq: float
    interception: float
    fixed_interception: float
    best_response_interception: float
    quantal: float | None
    quantal_interception: float | None
    multi_crossing_routes: int
    rounds: int
    fixed_rounds: int
    solve_s: float
    status: str
    mode: str = "inspect"

    @property
    def fixed(self) -> list[str]:
        """The best fixed placement's crossings."""
        return sorted(self.crossings.loc[self.crossings["fixed"], "unit"])

    def deployment(self, seed: int) -> list[str]:
        """Draw one day's deployment of the teams whose inspection chances are the plan's probabilities.

        Systematic sampling over the crossings in table order: one uniform
        offset ``u``; crossing ``c`` is drawn when a point ``u + j`` (j = 0,
        1, ...) falls in its slice of the cumulated probabilities, so each is
        drawn with exactly its probability and at most ``ceil(sum x)`` teams
        stand.

        Parameters
        ----------
        seed
            Random seed (>= 0).

        Returns
        -------
        list of str
            Units inspected that day.
        """
        require(seed, int, where="InspectionPlan.deployment", name="seed")
        x = self.crossings["probability"].to_numpy(dtype=float)
        edges = np.concatenate([[0.0], np.cumsum(x)])
        u = np.random.default_rng(seed).uniform()
        points = u + np.arange(int(np.ceil(edges[-1] - 1e-12)))
        hit = np.searchsorted(edges, points, side="right") - 1
        return sorted(self.crossings["unit"].to_numpy()[np.unique(hit[hit < len(x)])].tolist())

    def as_edits(self, *, seed: int | None = None) -> list[Edit]:
        """Return the fixed placement (``seed=None``) or one drawn deployment as ``InspectGates`` edits.

        Border segments have no inspect edit (only closing), so a segment in
        the placement is left out: apply with ``scenario.edited(*plan.as_edits())``.
        """
        return plan_edits(self.fixed if seed is None else self.deployment(seed), mode="inspect")

    def summary(self) -> dict[str, Any]:
        """Plain, JSON-ready facts of the plan (without the crossing table)."""
        keys = (
            "teams", "value_heq", "fixed_value_heq", "free_heq", "interception", "fixed_interception",
            "best_response_interception", "quantal", "quantal_interception", "multi_crossing_routes", "rounds",
            "fixed_rounds", "solve_s", "status",
        )  # fmt: skip
        out = {k: getattr(self, k) for k in keys}
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in out.items()} | {"fixed": self.fixed}


def detection_table(profile: Mapping[str, Any], detection: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the detection probability per crossing class: the profile's ``[inspection.detection]``, overridden.

    Parameters
    ----------
    profile
        A profile.
    detection
        Class -> probability overrides (each in [0, 1]).

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        An unknown class or a probability outside [0, 1].
    """
    table = dict(profile["inspection"]["detection"])
    for cls, value in dict(detection or {}).items():
        if cls not in DETECTION_CLASSES:
            raise ParameterError(
                f"inspection.detection.{cls}: unknown crossing class; give one of {', '.join(DETECTION_CLASSES)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ParameterError(f"inspection.detection.{cls} must be a probability in [0, 1], got {value!r}")
        table[cls] = float(value)
    return table


def inspection_game(
    scenario: Scenario,
    *,
    teams: int,
    candidates: str = "both",
    detection: Mapping[str, float] | None = None,
    quantal: float | None = None,
    time_limit_s: float = 300.0,
) -> InspectionPlan:
    """Coverage probabilities of ``teams`` inspection teams against a watching trafficker, and the best fixed placement.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (its edits apply; its profile gives
        ``cost.exposure_weight_h`` and ``[inspection.detection]``).
    teams
        ``m``, the number of teams (0 <= m <= candidates).
    candidates
        ``gates``, ``segments`` or ``both`` (a user graph: its gates and links,
        class from ``gate_class``, links ``informal``).
    detection
        Class -> detection probability overrides (in [0, 1]).
    quantal
        ``lambda`` (1/h, >= 0) of a quantal-response trafficker, or ``None``.
    time_limit_s
        Time limit of each solve (s).

    Returns
    -------
    InspectionPlan

    Raises
    ------
    ParameterError
        ``teams`` negative or above the candidates, a detection probability
        outside [0, 1], a negative ``quantal``, an unknown option.

    Examples
    --------
    Two routes, 2 h and 4 h, one team: the trafficker is indifferent when
    ``2 + 48 * 0.4 * x_A = 4 + 48 * 0.4 * (1 - x_A)``.

    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for via, c in (("a", 1.0), ("b", 3.0)):
    ...     _ = G.add_edge("o", via, cost=1.0, interdictable=False)
    ...     _ = G.add_edge(via, "t", cost=c, gate_id=via.upper())
    >>> plan = inspection_game(Scenario.from_graph(G, origin="o", destinations=["t"]), teams=1, candidates="gates")
    >>> plan.crossings[["unit", "probability"]].round(3).values.tolist()
    [['gate:A', 0.552], ['gate:B', 0.448]]
    >>> round(plan.interception, 3), plan.fixed
    (0.2, ['gate:A'])
    """
    sc = as_scenario(scenario, what="inspection_game")
    where = "inspection_game"
    require(candidates, str, where=where, name="candidates", choices=INTERDICT_KINDS)
    check_range("time_limit_s", time_limit_s, what=f"{where}: time_limit_s")
    if quantal is not None and (
        isinstance(quantal, bool) or not isinstance(quantal, (int, float)) or not 0 <= quantal < np.inf
    ):
        raise ParameterError(f"{where}: quantal (lambda, 1/h) must be a number >= 0, got {quantal!r}")
    table = detection_table(sc.profile, detection)
    units, _ = scenario_units(sc, kind=candidates, mode="close")
    names = sorted(units)
    if isinstance(teams, bool) or not isinstance(teams, (int, np.integer)) or not 0 <= teams <= len(names):
        raise ParameterError(f"{where}: teams must be an integer from 0 to the {len(names)} candidates, got {teams!r}")
    classes = sc.gate_class
    cls_of = [
        str(classes.get(n.removeprefix("gate:"), "secondary")) if n.startswith("gate:") else "informal" for n in names
    ]
    d = np.array([table[c] for c in cls_of])
    L = float(sc.profile["cost"]["exposure_weight_h"])
    arrays = sc.arrays
    after = arrays.cost.copy()
    for u, n in enumerate(names):
        after[units[n]] += L * d[u]
    edges = [np.asarray(units[n]) for n in names]
    engine = _Engine(arrays, sc.origin, sc.shares, names, edges, arrays.cost[None, :], after)
    lp = engine.solve([teams], integer=False, time_limit_s=time_limit_s)
    fixed = engine.solve([teams], integer=True, time_limit_s=time_limit_s)
    x, xf = lp["plans"][0], fixed["plans"][0]
    share = engine.share_vec

    def pi(rise: Mapping[int, float], level: np.ndarray) -> float:
        return min(1.0, sum(r * level[u] for u, r in rise.items()) / L) if L > 0 else 0.0

    # the trafficker's equilibrium route mix: the LP duals of the route rows (per destination they sum to its share)
    y = np.clip(lp["duals"], 0.0, None) if lp["duals"] is not None else np.zeros(len(engine.rows))
    through = np.zeros(len(names))
    intercepted = 0.0
    for r, (_, _, _, rise) in enumerate(engine.rows[: len(y)]):
        if y[r] > 0:
            intercepted += y[r] * pi(rise, x)
            for u in rise:
                through[u] += y[r]
    mass = y.sum()
    interception = intercepted / mass if mass > 0 else 0.0

    def best_response(level: np.ndarray) -> float:
        _, routes = engine.evaluate(level)
        out = 0.0
        for dd, e in enumerate(routes[0]):
            units_on = engine.unit_of[e][engine.unit_of[e] >= 0]
            out += share[dd] * min(1.0, float(d[units_on] @ level[units_on]))
        return float(out)

    multi = sum(1 for _, _, _, rise in engine.rows if len(rise) > 1)
    q_int = None if quantal is None else _quantal(engine, x, share, float(quantal), pi)
    geometry = []
    for e in edges:
        xs = np.concatenate([arrays.node_x[arrays.edge_u[e]], arrays.node_x[arrays.edge_v[e]]])
        ys = np.concatenate([arrays.node_y[arrays.edge_u[e]], arrays.node_y[arrays.edge_v[e]]])
        ok = np.isfinite(xs) & np.isfinite(ys)
        geometry.append(shapely.Point(xs[ok].mean(), ys[ok].mean()) if ok.any() else None)
    places = unit_labels(scenario, list(names))
    frame = pd.DataFrame(
        {
            "unit": names,
            "place": [places.get(n, n) for n in names],
            "kind": ["gate" if n.startswith("gate:") else n.split(":", 1)[0] for n in names],
            "class": cls_of,
            "detection": d,
            "probability": np.round(x, 6),
            "fixed": xf > 0.5,
            "equilibrium_share": np.round(through / mass if mass > 0 else through, 6),
        }
    )
    crossings = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    crossings = crossings.sort_values(["probability", "fixed", "unit"], ascending=[False, False, True])
    return InspectionPlan(
        crossings=crossings.reset_index(drop=True),
        teams=int(teams),
        value_heq=float(lp["total"]),
        fixed_value_heq=float(fixed["total"]),
        free_heq=float(engine.per_sample(engine.free)[0]),
        interception=float(interception),
        fixed_interception=best_response(xf),
        best_response_interception=best_response(x),
        quantal=None if quantal is None else float(quantal),
        quantal_interception=q_int,
        multi_crossing_routes=multi,
        rounds=lp["rounds"],
        fixed_rounds=fixed["rounds"],
        solve_s=round(lp["solve_s"] + fixed["solve_s"], 3),
        status="optimal" if lp["status"] == fixed["status"] == "optimal" else "stopped",
    )


def _quantal(engine: _Engine, x: np.ndarray, share: np.ndarray, lam: float, pi) -> float:
    """Return the expected interception of a quantal-response trafficker over the known routes."""
    by_dest: dict[Hashable, list[tuple[float, float]]] = {}
    for _, dest, base, rise in engine.rows:
        cost = base + sum(r * x[u] for u, r in rise.items())
        by_dest.setdefault(dest, []).append((cost, pi(rise, x)))
    out = 0.0
    for dest, routes in by_dest.items():
        cost = np.array([c for c, _ in routes])
        weight = np.exp(-lam * (cost - cost.min()))
        out += share[dest] * float(weight @ np.array([p for _, p in routes]) / weight.sum())
    return float(out)


def inspection_html(plans: list[InspectionPlan], *, top: int = 10) -> str:
    """Return the report section of inspection plans (one per team count): the comparison and the top crossings (HTML).

    Parameters
    ----------
    plans
        From :func:`inspection_game`.
    top
        Crossings listed per plan.

    Returns
    -------
    str
    """
    require(plans, list, where="inspection_html", name="plans")
    rows = "".join(
        f"<tr><td>{p.teams}</td><td>{p.interception:.1%}</td><td>{p.fixed_interception:.1%}</td>"
        f"<td>{p.value_heq:.2f}</td><td>{p.fixed_value_heq:.2f}</td><td>{p.free_heq:.2f}</td>"
        f"<td>{html.escape('; '.join(p.crossings.set_index('unit').loc[p.fixed, 'place']))}</td></tr>"
        for p in plans
    )
    parts = [
        "<section id='randomised-inspection'><h2>Randomised inspection</h2>",
        "<p>Where m teams stand, as probabilities, against a trafficker who watches them (zero-sum Stackelberg "
        "game; interception = sum of detection x coverage on the route). Interception is the trafficker's "
        "equilibrium route mix against the randomised plan, beside his best response to the best fixed "
        "placement of the same teams.</p>",
        "<table><thead><tr><th>teams</th><th>interception (randomised)</th><th>interception (fixed)</th>"
        "<th>expected cost h-eq (randomised)</th><th>expected cost h-eq (fixed)</th><th>no inspection h-eq</th>"
        f"<th>fixed placement</th></tr></thead><tbody>{rows}</tbody></table>",
    ]
    for p in plans:
        head = p.crossings.head(top)[["place", "class", "detection", "probability", "fixed"]]
        body = "".join(
            f"<tr><td>{html.escape(unit)}</td><td>{html.escape(cls)}</td><td>{det:.2f}</td>"
            f"<td>{prob:.3f}</td><td>{'yes' if fixed else ''}</td></tr>"
            for unit, cls, det, prob, fixed in head.itertuples(index=False, name=None)
        )
        parts.append(
            f"<h3>{p.teams} teams</h3><table><thead><tr><th>crossing</th><th>class</th><th>detection</th>"
            f"<th>probability</th><th>fixed</th></tr></thead><tbody>{body}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)
