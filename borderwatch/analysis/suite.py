"""Every analysis of a scenario in one pass, sharing one graph, one set of facts and one ensemble.

:func:`analyse_region` is what ``borderwatch report``, ``borderwatch map`` and
the notebooks run on a :class:`~borderwatch.Scenario`: the least-cost and
diverse routes to the demand's destinations, every chokepoint metric (one
ensemble), the gate and segment risk ranking, BLO coverage, the siting of new
BLOs and the interdiction of ``k`` crossings, what each next site or
closure buys (:class:`NextTeamCurves`), and where ``m`` inspection teams
should stand against a watching trafficker
(:func:`~borderwatch.analysis.inspection.inspection_game`), each timed.  The scenario
computes the array view, border segments, placed gates and patrol model once,
and keeps the chokepoint metrics, so running the suite again on the same
scenario (or a comparison, :func:`borderwatch.compare`) reuses them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..doors import require
from ..errors import ParameterError
from ..scenario import Scenario, as_scenario
from ..settings import check_range
from . import MAX_K
from .chokepoints import Chokepoints, chokepoint_features, chokepoint_metrics
from .coverage import Coverage, blo_coverage
from .inspection import InspectionPlan, inspection_game
from .interdiction import INTERDICT_KINDS, InterdictionPlan, interdict_crossings
from .ranking import GateRanking, rank_gates
from .routes import k_routes
from .siting import Siting, site_blos
from .stability import RankingStability, check_stability_options, ranking_stability

#: Steps of :func:`analyse_region`, in order (the keys of ``timings_s``).
STEPS = ("routes", "chokepoints", "ranking", "coverage", "siting", "interdiction", "curves", "inspection")


@dataclass
class NextTeamCurves:
    """What each next team buys: the planner's curves (:func:`next_team_curves`).

    Attributes
    ----------
    interdiction
        ``k`` = 0 .. ``interdict_k``: ``cost_heq``, the traffickers'
        demand-weighted least cost (h-equivalent) after ``k`` crossings chosen
        one at a time, each the one that raises it most (the greedy run the
        interdiction solver starts from, so it costs nothing more; after the
        last step that raises the cost, a further crossing buys nothing), and
        ``exact_cost_heq``, the exact optimum for ``k`` where the plan computed
        it (``k = 0`` and ``interdict_k``; NaN elsewhere).
    siting
        ``p`` = 0 .. ``site_p``: ``covered`` (weight of the objective covered
        with the best ``p`` new sites, each ``p`` solved exactly) and ``covered_pct``.
    objective
        The siting objective (``flow`` or ``length``).
    """

    interdiction: pd.DataFrame
    siting: pd.DataFrame
    objective: str


@dataclass
class RegionAnalysis:
    """Everything :func:`analyse_region` computed.

    Attributes
    ----------
    scenario
        What was analysed (graph, region, settings, edits).
    routes
        Up to ``route_k`` routes to each demand destination
        (:func:`~borderwatch.analysis.routes.k_routes`), with ``share``: the
        destination's share of the demand.
    chokepoints
        Every chokepoint metric (one ensemble).
    features
        :func:`~borderwatch.analysis.chokepoints.chokepoint_features` of it.
    ranking
        The gate and segment risk ranking.
    coverage
        BLO coverage within the scenario's patrol hours.
    siting
        ``settings["site_p"]`` new BLO sites (objective ``settings["site_objective"]``).
    interdiction
        The best ``settings["interdict_k"]`` crossings to close
        (:class:`~borderwatch.analysis.interdiction.InterdictionPlan`).
    stability
        Whether the ranking's top 15 is the same under other seeds
        (:func:`~borderwatch.analysis.stability.ranking_stability`), or ``None``.
    curves
        What each next interdiction team and new BLO buys (:class:`NextTeamCurves`).
    inspection
        One randomised inspection plan per team count of ``settings["inspect_teams"]``
        (:class:`~borderwatch.analysis.inspection.InspectionPlan`).
    settings
        The options used (with the scenario's samples, seed and hours).
    timings_s
        Seconds per step (:data:`STEPS`).
    """

    scenario: Scenario
    routes: gpd.GeoDataFrame
    chokepoints: Chokepoints
    features: gpd.GeoDataFrame
    ranking: GateRanking
    coverage: Coverage
    siting: Siting
    interdiction: InterdictionPlan
    settings: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)
    stability: RankingStability | None = None
    curves: NextTeamCurves | None = None
    inspection: list[InspectionPlan] = field(default_factory=list)

    @property
    def region(self):
        """The scenario's region."""
        return self.scenario.region

    @property
    def G(self):  # noqa: N802 (the networkx name)
        """The scenario's route graph."""
        return self.scenario.G

    @property
    def gates(self) -> pd.DataFrame:
        """The placed gate table."""
        return self.scenario.gates

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """The border segments every metric is reported on."""
        return self.scenario.segments


def analyse_region(
    scenario: Scenario,
    *,
    route_k: int = 3,
    site_p: int = 5,
    site_objective: str = "flow",
    interdict_k: int = 5,
    interdict_units: str = "both",
    stability_seeds: int = 3,
    max_samples: int | None = None,
    inspect_teams: tuple[int, ...] = (3, 5),
    on_step: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RegionAnalysis:
    """Run every analysis on a scenario of a route graph with its region.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` (samples, seed and patrol hours are
        its settings: ``scenario.with_settings(samples=40, hours=4)``).
    route_k
        Diverse routes per destination (1 to ``MAX_K``).
    site_p
        New BLO sites to place (>= 0).
    site_objective
        ``flow`` (the ensemble's crossing flow) or ``length`` (km of land border).
    interdict_k
        Crossings to close (>= 0).
    interdict_units
        Candidates: ``gates``, ``segments`` (informal crossings of a 5 km
        border segment) or ``both``.
    stability_seeds
        Rank the gates under this many seeds (the scenario's and the next
        ones) and say whether the top 15 agree
        (:func:`~borderwatch.analysis.stability.ranking_stability`); 0 skips it.
    max_samples
        With ``stability_seeds``: double the samples of every seed until the
        top 15 agree, up to this many (default: the scenario's samples, so
        one check and no doubling).  The ranking, coverage and siting then
        use the first seed's ensemble at the samples it took.
    inspect_teams
        Team counts ``m`` of the randomised inspection
        (:func:`~borderwatch.analysis.inspection.inspection_game` over gates and
        border segments, each ``0 <= m <=`` the candidates); ``()`` skips it.
    on_step
        Called with each step's name (:data:`STEPS`) before it runs.
    progress
        Called as ``progress(done, total)`` after each ensemble sample.

    Returns
    -------
    RegionAnalysis

    Raises
    ------
    ParameterError
        An option of the wrong type, not one of its choices or out of range (``site_p`` and ``interdict_k``:
        :data:`borderwatch.settings.RANGES`), or a scenario without a region (checked before any work).

    Examples
    --------
    On the shipped data (``scenario = bw.Scenario.from_region()``):

    >>> a = analyse_region(scenario, route_k=1, site_p=1, interdict_k=1, interdict_units="gates")
    >>> list(a.timings_s) == list(STEPS), int(a.ranking.gates["rank"].min())
    (True, 1)
    """
    _check_options(route_k=route_k, site_p=site_p, objective=site_objective, k=interdict_k, kind=interdict_units)
    teams = _check_teams(inspect_teams)
    require(on_step, (callable, None), where="analyse_region", name="on_step")
    require(progress, (callable, None), where="analyse_region", name="progress")
    sc = as_scenario(scenario, what="analyse_region")
    check_stability_options(seeds=stability_seeds, max_samples=max_samples, samples=sc.settings.samples)
    if sc.region is None or not sc.is_route_graph:
        raise ParameterError("analyse_region needs a scenario of a route graph with its region (Scenario.from_region)")
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], Any]) -> Any:
        if on_step is not None:
            on_step(name)
        started = time.perf_counter()
        value = step()
        timings[name] = round(time.perf_counter() - started, 3)
        return value

    routes = timed("routes", lambda: _routes(sc, route_k))
    metrics = timed("chokepoints", lambda: chokepoint_metrics(sc, progress=progress))
    stability = None
    if stability_seeds:
        cap = sc.settings.samples if max_samples is None else max_samples
        stability = timed(
            "ranking",
            lambda: ranking_stability(sc, seeds=stability_seeds, max_samples=cap, progress=progress),
        )
        ranking, metrics = stability.ranking, stability.chokepoints
    else:
        ranking = timed("ranking", lambda: rank_gates(sc, chokepoints=metrics))
    coverage = timed("coverage", lambda: blo_coverage(sc, chokepoints=metrics))
    siting = timed("siting", lambda: site_blos(sc, p=site_p, objective=site_objective, chokepoints=metrics))
    plan = timed("interdiction", lambda: interdict_crossings(sc, k=interdict_k, candidates=interdict_units))
    curves = timed("curves", lambda: next_team_curves(sc, siting, plan, k=interdict_k, chokepoints=metrics))
    inspection = timed("inspection", lambda: [inspection_game(sc, teams=m) for m in teams])
    settings = {
        "samples": metrics.ensemble.samples,
        "seed": sc.settings.seed,
        "stability_seeds": stability_seeds,
        "hours": sc.settings.hours,
        "route_k": route_k,
        "site_p": site_p,
        "site_objective": site_objective,
        "interdict_k": interdict_k,
        "interdict_units": interdict_units,
        "inspect_teams": list(teams),
    }
    return RegionAnalysis(
        scenario=sc,
        routes=routes,
        chokepoints=metrics,
        features=chokepoint_features(metrics, sc.G),
        ranking=ranking,
        coverage=coverage,
        siting=siting,
        interdiction=plan,
        settings=settings,
        timings_s=timings,
        stability=stability,
        curves=curves,
        inspection=inspection,
    )


def next_team_curves(
    scenario: Scenario, siting: Siting, plan: InterdictionPlan, *, k: int, chokepoints: Chokepoints
) -> NextTeamCurves:
    """Return what each next team buys: cost against crossings interdicted, coverage against new BLO sites.

    The interdiction curve is the plan's greedy run (no extra solve); the
    siting curve solves the maximal covering again for each ``p`` below the
    siting's (the patrol reach of every candidate is the scenario's, computed once).

    Parameters
    ----------
    scenario
        The analysed scenario.
    siting
        Its :func:`~borderwatch.analysis.siting.site_blos` result (``p`` = the curve's last point).
    plan
        Its :func:`~borderwatch.analysis.interdiction.interdict_crossings` plan.
    k
        Crossings the plan was asked for (the curve's last point).
    chokepoints
        The chokepoint metrics the siting used (flow objective).

    Returns
    -------
    NextTeamCurves
    """
    steps = list(plan.result.greedy_costs)
    cost = steps + [steps[-1]] * (k + 1 - len(steps))
    exact = np.full(len(cost), np.nan)
    exact[0] = plan.result.cost_before
    if plan.result.method == "exact":
        exact[-1] = plan.result.cost_after
    interdiction = pd.DataFrame({"k": np.arange(len(cost)), "cost_heq": cost, "exact_cost_heq": exact})
    p = len(siting.chosen)
    covered = [siting.before]
    for fewer in range(1, p):
        covered.append(site_blos(scenario, p=fewer, objective=siting.objective, chokepoints=chokepoints).after)
    covered += [siting.after] if p else []
    pct = [100.0 * c / siting.total if siting.total else np.nan for c in covered]
    table = pd.DataFrame({"p": np.arange(len(covered)), "covered": covered, "covered_pct": pct})
    return NextTeamCurves(interdiction=interdiction, siting=table, objective=siting.objective)


def _check_options(*, route_k, site_p, objective, k, kind) -> None:
    if isinstance(route_k, bool) or not isinstance(route_k, int) or not 1 <= route_k <= MAX_K:
        raise ParameterError(f"analyse_region: route_k must be an integer from 1 to {MAX_K}, got {route_k!r}")
    check_range("site_p", site_p, what="analyse_region: site_p")
    check_range("interdict_k", k, what="analyse_region: interdict_k")
    require(objective, str, where="analyse_region", name="site_objective", choices=("flow", "length"))
    require(kind, str, where="analyse_region", name="interdict_units", choices=INTERDICT_KINDS)


def _check_teams(teams: Any) -> tuple[int, ...]:
    require(teams, (tuple, list), where="analyse_region", name="inspect_teams", fix="give team counts, e.g. (3, 5)")
    for m in teams:
        require(m, int, where="analyse_region", name="inspect_teams", fix="give whole team counts, e.g. (3, 5)")
        if m < 0:
            raise ParameterError(f"analyse_region: inspect_teams holds {m}; a team count is >= 0")
    return tuple(int(m) for m in teams)


def _routes(sc: Scenario, k: int) -> gpd.GeoDataFrame:
    names = sc.destination_names
    routes = k_routes(sc, destinations=[names[t] for t in sc.shares], k=k)
    routes["share"] = routes["destination_node"].map({str(n): s for n, s in sc.shares.items()}).astype(float)
    return routes
