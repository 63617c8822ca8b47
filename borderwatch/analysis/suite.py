"""Every analysis of the shipped model in one pass, sharing one graph and one ensemble.

:func:`analyse_region` is what ``borderwatch report``, ``borderwatch map`` and
the notebooks run: the least-cost and diverse routes to the ``[demand]``
destinations, every chokepoint metric (one ensemble), the gate and segment
risk ranking, BLO coverage, the siting of new BLOs and the interdiction of
``k`` crossings, each timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely

from ..borders import borderlines, segment_borders
from ..errors import ParameterError
from ..gates import place_gates
from ..network.arrays import GraphArrays
from ..network.contract import validate_route_graph
from ..region import Region
from . import MAX_K
from .chokepoints import Chokepoints, chokepoint_features, route_graph_chokepoints
from .coverage import Coverage, blo_coverage
from .flow import demand_of
from .interdiction import interdict, interdiction_report, route_graph_units
from .ranking import GateRanking, rank_gates
from .routes import k_routes
from .siting import Siting, site_blos

#: Steps of :func:`analyse_region`, in order (the keys of ``timings_s``).
STEPS = ("routes", "chokepoints", "ranking", "coverage", "siting", "interdiction")
#: Candidate kinds for the interdiction.
INTERDICT_KINDS = ("gates", "segments", "both")


@dataclass
class RegionAnalysis:
    """Everything :func:`analyse_region` computed.

    Attributes
    ----------
    region, G
        The inputs.
    gates
        The placed gate table (:func:`borderwatch.place_gates`).
    segments
        The 5 km border segments every metric is reported on.
    routes
        Up to ``route_k`` routes to each ``[demand]`` destination
        (:func:`~borderwatch.analysis.routes.k_routes`), with ``share``: the
        destination's share of the demand.
    chokepoints
        Every chokepoint metric (one ensemble).
    features
        :func:`~borderwatch.analysis.chokepoints.chokepoint_features` of it.
    ranking
        The gate and segment risk ranking.
    coverage
        BLO coverage within ``settings["hours"]``.
    siting
        ``settings["site_p"]`` new BLO sites (objective ``settings["site_objective"]``).
    interdiction
        :func:`~borderwatch.analysis.interdiction.interdiction_report` of the
        best ``settings["interdict_k"]`` crossings to close, with
        ``routes_after`` lines in ``interdiction_routes``.
    interdiction_routes
        The traffickers' least-cost route to each destination after the
        interdiction (``destination``, ``share``, ``cost_before_h``,
        ``cost_after_h``, line geometry).
    settings
        The options used.
    timings_s
        Seconds per step (:data:`STEPS`).
    """

    region: Region
    G: nx.MultiDiGraph
    gates: pd.DataFrame
    segments: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    chokepoints: Chokepoints
    features: gpd.GeoDataFrame
    ranking: GateRanking
    coverage: Coverage
    siting: Siting
    interdiction: dict[str, Any]
    interdiction_routes: gpd.GeoDataFrame
    settings: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)


def analyse_region(
    G: nx.MultiDiGraph,
    region: Region,
    *,
    samples: int | None = None,
    seed: int | None = None,
    hours: float = 2.0,
    route_k: int = 3,
    site_p: int = 5,
    site_objective: str = "flow",
    interdict_k: int = 5,
    interdict_units: str = "both",
    on_step: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RegionAnalysis:
    """Run every analysis on a route graph built from ``region``.

    Parameters
    ----------
    G
        A route graph built by borderwatch from ``region``.
    region
        The region.
    samples, seed
        Override the profile's ``ensemble.samples`` and ``ensemble.seed``.
    hours
        BLO patrol time (h, > 0) for coverage and siting.
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
        An option out of range (checked before any work).
    """
    _check_options(
        hours=hours,
        route_k=route_k,
        site_p=site_p,
        objective=site_objective,
        k=interdict_k,
        kind=interdict_units,
        samples=samples,
    )
    meta = validate_route_graph(G)
    if meta.profile is None:
        raise ParameterError("the graph has no cost profile; build it with borderwatch (build_route_graph)")
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], Any]) -> Any:
        if on_step is not None:
            on_step(name)
        started = time.perf_counter()
        value = step()
        timings[name] = round(time.perf_counter() - started, 3)
        return value

    arrays = GraphArrays.from_graph(G)
    segments = segment_borders(borderlines(region.countries))
    gates = place_gates(region)
    shares = demand_of(G)
    names = {node: name for name, node in G.graph["destinations"].items()}
    routes = timed("routes", lambda: _routes(G, arrays, shares, names, route_k))
    metrics = timed(
        "chokepoints",
        lambda: route_graph_chokepoints(
            G, segments=segments, arrays=arrays, samples=samples, seed=seed, progress=progress
        ),
    )
    ranking = timed(
        "ranking", lambda: rank_gates(G, region, segments=segments, gates=gates, arrays=arrays, chokepoints=metrics)
    )
    coverage = timed("coverage", lambda: blo_coverage(G, region, hours=hours, arrays=arrays, chokepoints=metrics))
    siting = timed(
        "siting",
        lambda: site_blos(
            G, region, p=site_p, objective=site_objective, hours=hours, chokepoints=metrics, arrays=arrays, gates=gates
        ),
    )

    def interdiction() -> dict[str, Any]:
        units, after, labels = route_graph_units(G, arrays, segments=segments, kind=interdict_units)
        k = min(interdict_k, len(units))
        result = interdict(arrays, G.graph["origin"], metrics.shares, units=units, k=k, interdicted_cost=after)
        return interdiction_report(result, arrays, names=names, units=units, labels=labels)

    report = timed("interdiction", interdiction)
    settings = {
        "samples": metrics.ensemble.samples,
        "seed": seed if seed is not None else meta.profile["ensemble"]["seed"],
        "hours": hours,
        "route_k": route_k,
        "site_p": site_p,
        "site_objective": site_objective,
        "interdict_k": interdict_k,
        "interdict_units": interdict_units,
    }
    return RegionAnalysis(
        region=region,
        G=G,
        gates=gates,
        segments=segments,
        routes=routes,
        chokepoints=metrics,
        features=chokepoint_features(metrics, G),
        ranking=ranking,
        coverage=coverage,
        siting=siting,
        interdiction=report,
        interdiction_routes=_routes_after(G, report, shares, names),
        settings=settings,
        timings_s=timings,
    )


def _check_options(*, hours, route_k, site_p, objective, k, kind, samples) -> None:
    problems = []
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not hours > 0:
        problems.append(f"hours must be a number > 0, got {hours!r}")
    if isinstance(route_k, bool) or not isinstance(route_k, int) or not 1 <= route_k <= MAX_K:
        problems.append(f"route_k must be an integer from 1 to {MAX_K}, got {route_k!r}")
    for name, value in (("site_p", site_p), ("interdict_k", k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"{name} must be an integer >= 0, got {value!r}")
    if objective not in ("flow", "length"):
        problems.append(f"site_objective must be 'flow' or 'length', got {objective!r}")
    if kind not in INTERDICT_KINDS:
        problems.append(f"interdict_units must be one of {', '.join(INTERDICT_KINDS)}, got {kind!r}")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        problems.append(f"samples must be an integer >= 1, got {samples!r}")
    if problems:
        raise ParameterError("; ".join(problems))


def _routes(G, arrays, shares, names, k) -> gpd.GeoDataFrame:
    routes = k_routes(G, destinations=[names[t] for t in shares], k=k, arrays=arrays)
    routes["share"] = routes["destination_node"].map(shares).astype(float)
    return routes


def _routes_after(G, report: dict[str, Any], shares, names) -> gpd.GeoDataFrame:
    node_of = {name: node for node, name in names.items()}
    rows = []
    for r in report["routes_after"]:
        nodes = r["nodes_after"]
        xy = [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes if "x" in G.nodes[n]]
        rows.append(
            {
                "destination": r["destination"],
                "share": shares.get(node_of.get(r["destination"]), 0.0),
                "cost_before_h": r["cost_before_h"],
                "cost_after_h": r["cost_after_h"],
                "crossings_after": r["crossings_after"],
                "geometry": shapely.LineString(xy) if len(xy) > 1 else None,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
