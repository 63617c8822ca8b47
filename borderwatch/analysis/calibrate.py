"""Calibrating the cost model to incident records: a likelihood, intervals, cross-validation.

Observation model
-----------------
A recorded incident (a seizure or an arrest) is taken to happen at one
*crossing unit* ``c``: a gate, or a border segment (its informal crossings).
Its chance of being at ``c`` is

    P(c) = lambda_c / sum_k lambda_k,   lambda_c = F_c(theta) * E_c * R_p(c)

- ``F_c(theta)``: the modelled share of the trafficker flow entering Vietnam
  through ``c`` under the profile multiplied by the parameters ``theta``;
- ``E_c = x_c * (h0 + p_c)``: detection effort.  ``x_c`` is the crossing's
  exposure in the profile *as given* (gate class: 0.35 / 0.25 / 0.15, plus an
  inspection edit's added exposure; a trail crossing 0.10); ``p_c`` the patrol
  hours a BLO has left at ``c`` in one shift (its hours minus its patrol time
  to ``c``, from :func:`~borderwatch.analysis.coverage.blo_coverage`; 0 beyond
  reach); ``h0`` (default 1 h) the presence every crossing has without a patrol
  (guards, informers).  The effort term is fixed data: a parameter changes
  what traffickers *perceive* (their cost), never the effort;
- ``R_p``: an optional reporting factor of the crossing's province (default 1).

An incident known only by its province has the chance of the province's
crossings together; one known by gate, segment or position (matched as
:func:`~borderwatch.analysis.incidents.read_incidents` does) that of its unit.
Incidents are counted (one each); a ``weight`` (count or kg) is read and
reported but not used: a kilogram says how large a load was, not where loads
cross more often.  Dates (with their stated precision) are read and reported;
the model is a steady state, so dates only select records, never weigh them.

What it cannot separate: flow and effort enter as a product, so a crossing
with much traffic and little patrol looks like one with little traffic and
much patrol; where both are high the records cannot tell traffic from
enforcement.  Only the effort data given (patrol hours, gate class) separate
them, and errors in that data go into the parameters.  Only *relative*
chances are identified: the total number of incidents says nothing (it is
conditioned on).  A reporting factor that is the same everywhere cancels;
a reporting factor per province is confounded with the flow through that
province, so it is an input, not fitted.

Flow: a logit route choice over common random numbers
------------------------------------------------------
The least-cost flow jumps from one crossing to another as a cost passes
another's, so the likelihood of the ensemble's flow is a step function of
``theta``.  Here every destination's traffic chooses among crossing units by
a logit of the least cost of a route through each (``scale_h``, default 2 h):
``P_d(c) ~ exp(-C_d(c) / scale_h)`` with ``C_d(c) = a(u) + cost(e) + b_d(v)``
minimised over the unit's crossing edges ``e = (u, v)`` (``a`` forward from
the origin, ``b_d`` backward from the destination, graph rules applied).  This
is done on a few samples of the ensemble's perturbed costs, drawn by
:mod:`~borderwatch.analysis.draws` (common random numbers: the same draws for
every ``theta``), and averaged: the flow is then a smooth function of
``theta`` (the logit smooths the choice, the samples the unobserved costs).
It is computed on a grid of the cost parameters (log scale, the default 1
always a node) and interpolated (cubic with four or more nodes per axis) in
log probability; a demand parameter only reweights the destinations, exactly.
The export demand is routed to the export sink (its cheapest port), not port
by port.  A route through a crossing may cross the border again.

Parameters, fit, intervals, verdicts
------------------------------------
Parameters (:data:`PARAMETERS`) multiply profile values; ``1`` is the profile
as given.  The fit is maximum likelihood over ``log theta`` within the bounds
(L-BFGS-B, from the default and from the best grid node).  Each parameter gets
a profile-likelihood 95 % interval (the others re-fitted along it; the
deviance crosses 3.84, chi-square with 1 degree of freedom) and a verdict:
*not identifiable from these records* when the interval reaches both bounds,
*contradicted* when it excludes 1, else *supported*.  A likelihood ratio
compares the fit with the default profile (chi-square with as many degrees of
freedom as parameters).  :func:`cross_validate` scores held-out incidents
(log-likelihood per incident and the share at the 15 crossings of highest
incident chance), calibrated against default; :func:`recovery` fits synthetic
incidents drawn from known parameters.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.interpolate
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph
import scipy.stats
import shapely

from ..doors import PATH, require
from ..errors import CalibrationError, ParameterError, ValidationError
from ..names import close_matches, fold
from ..network.arrays import GraphArrays
from ..network.profile import Profile, edge_cost, load_profile
from ..scenario import Scenario, as_scenario
from .draws import cost_factors

#: Deviance of a 95 % profile-likelihood interval (chi-square, 1 degree of freedom).
CHI2_95 = float(scipy.stats.chi2.ppf(0.95, 1))
#: Crossings counted by the "share of incidents at the top crossings" score.
TOP_CROSSINGS = 15
#: Perturbed cost samples a calibration averages by default (the ensemble's draws 0..n-1).
DEFAULT_SAMPLES = 2
#: Grid nodes per cost parameter by default.
DEFAULT_GRID = 3


@dataclass(frozen=True)
class Parameter:
    """A global multiplier of profile values that the records may support or contradict.

    Attributes
    ----------
    name
        How users name it (``--parameters trail``).
    doc
        What it multiplies.
    keys
        The profile keys it multiplies (``*`` every entry of a table).
    bounds
        Default (low, high) of the multiplier; both around 1.
    kind
        ``"cost"`` (changes routes) or ``"demand"`` (reweights destinations).
    """

    name: str
    doc: str
    keys: tuple[str, ...]
    bounds: tuple[float, float]
    kind: str = "cost"


#: Every parameter a calibration may fit.
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "trail",
            "the extra cost of an informal (trail) border crossing: its delay and its exposure",
            ("informal_crossing.delay_h", "informal_crossing.exposure"),
            (0.25, 4.0),
        ),
        Parameter(
            "gate_exposure",
            "the inspection exposure of every gate class, as traffickers perceive it",
            ("gate.international.exposure", "gate.primary.exposure", "gate.secondary.exposure"),
            (0.4, 2.5),
        ),
        Parameter(
            "offroad_speed", "the off-road walking speed (Tobler's peak)", ("offroad.peak_speed_kmh",), (0.5, 2.0)
        ),
        Parameter("road_speed", "every road class's speed", ("road.speed_kmh.*", "road.default_speed_kmh"), (0.5, 2.0)),
        Parameter(
            "export_share",
            "the export demand against the domestic destinations (the demand split)",
            ("demand.export",),
            (0.25, 4.0),
            kind="demand",
        ),
    )
}
#: The parameters fitted when none are named.
DEFAULT_PARAMETERS = ("trail", "gate_exposure", "offroad_speed", "export_share")


def parse_parameters(spec: str | Sequence[str] | None) -> dict[str, tuple[float, float]]:
    """Read ``"trail,gate_exposure=0.5:2"`` (or a list of such items) into name -> bounds.

    Parameters
    ----------
    spec
        Comma-separated names, each optionally ``=LOW:HIGH``; ``None`` gives
        :data:`DEFAULT_PARAMETERS` with their default bounds.

    Returns
    -------
    dict
        Name -> (low, high), in the order given.

    Raises
    ------
    ParameterError
        An unknown name (the known ones listed), a name given twice, bounds
        that are not two numbers with ``0 < low < high``, or bounds that
        exclude the default 1 (the profile as given must stay a candidate).
    """
    items = list(DEFAULT_PARAMETERS) if spec is None else spec.split(",") if isinstance(spec, str) else list(spec)
    out: dict[str, tuple[float, float]] = {}
    for raw in (i.strip() for i in items):
        if not raw:
            continue
        name, _, bounds = raw.partition("=")
        name = name.strip()
        if name not in PARAMETERS:
            near = close_matches(name, PARAMETERS)
            raise ParameterError(
                f"parameter {name!r} is not a parameter of the profile"
                + (f" (did you mean {', '.join(near)}?)" if near else "")
                + f"; give one of {', '.join(PARAMETERS)} (borderwatch calibrate --help says what each multiplies)"
            )
        if name in out:
            raise ParameterError(f"parameter {name!r} is named twice; name it once")
        low, high = PARAMETERS[name].bounds
        if bounds:
            parts = bounds.split(":")
            try:
                low, high = (float(p) for p in parts)
            except ValueError:
                raise ParameterError(
                    f"parameter {name!r}: bounds {bounds!r} are not LOW:HIGH numbers; write e.g. {name}=0.5:2"
                ) from None
            if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
                raise ParameterError(
                    f"parameter {name!r}: bounds {bounds!r} must be multipliers with 0 < LOW < HIGH; e.g. {name}=0.5:2"
                )
            if not low <= 1.0 <= high:
                raise ParameterError(
                    f"parameter {name!r}: bounds {low:g}:{high:g} exclude the default 1 (the profile as given), "
                    f"so the fit could not be compared with it; widen them, e.g. {name}={min(low, 1.0):g}:"
                    f"{max(high, 1.0):g}, or change the profile and calibrate around the new value"
                )
        out[name] = (low, high)
    if not out:
        raise ParameterError(f"no parameter named; give one or more of {', '.join(PARAMETERS)}")
    return out


# ---------------------------------------------------------------------- flow under parameters
class CostModel:
    """Edge costs of an array view with cost parameters applied, as a rebuild with the scaled profile gives them.

    Parameters
    ----------
    arrays
        The scenario's array view (closures and inspections applied).
    profile
        The profile the graph was built with.
    """

    def __init__(self, arrays: GraphArrays, profile: Profile) -> None:
        self.arrays = arrays
        self.profile = profile
        crossing = profile["informal_crossing"]
        self.delay_h, self.trail_exposure = float(crossing["delay_h"]), float(crossing["exposure"])
        self.informal = arrays.crossing == "informal"
        self.offroad = arrays.mode == "offroad"
        self.road = arrays.mode == "road"
        self.gate = arrays.crossing == "gate"
        self.touched = (self.informal | self.offroad | self.road | self.gate) & np.isfinite(arrays.cost)
        self.walk_h = np.where(self.informal, arrays.time_h - self.delay_h, arrays.time_h)
        self.walk_exposure = np.where(self.informal, arrays.exposure - self.trail_exposure, arrays.exposure)

    def cost(self, theta: Mapping[str, float]) -> np.ndarray:
        """Per-edge cost (h) with the cost parameters of ``theta`` applied (missing ones are 1).

        Parameters
        ----------
        theta
            Parameter name -> multiplier.

        Returns
        -------
        numpy.ndarray
        """
        trail = theta.get("trail", 1.0)
        time_h = self.walk_h / np.where(self.offroad, theta.get("offroad_speed", 1.0), 1.0)
        time_h = time_h / np.where(self.road, theta.get("road_speed", 1.0), 1.0)
        time_h = time_h + np.where(self.informal, trail * self.delay_h, 0.0)
        exposure = self.walk_exposure + np.where(self.informal, trail * self.trail_exposure, 0.0)
        exposure = np.where(self.gate, np.minimum(1.0, exposure * theta.get("gate_exposure", 1.0)), exposure)
        cost = self.arrays.cost.copy()
        t = self.touched
        cost[t] = edge_cost(time_h[t], exposure[t], profile=self.profile)
        return cost


@dataclass
class Units:
    """The crossing units incidents are matched to, with their detection effort.

    Attributes
    ----------
    table
        One row per unit: ``unit`` (gate id or segment id), ``kind`` (``gate`` or
        ``segment``), ``province``, ``exposure``, ``patrol_h``, ``effort``, ``lon``, ``lat``.
    edge_unit
        Per edge of the array view: the unit's row, or -1 (not a crossing into Vietnam).
    """

    table: pd.DataFrame
    edge_unit: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        """Unit ids in row order."""
        return self.table["unit"].to_numpy()


def crossing_units(scenario: Scenario, *, base_h: float = 1.0) -> Units:
    """Return the gates and border segments of a scenario, with their effort (see the module docstring).

    Parameters
    ----------
    scenario
        A scenario; with its region, segments get their province and patrol hours
        from :func:`~borderwatch.analysis.coverage.blo_coverage`.
    base_h
        ``h0``: the effort hours every crossing has without a patrol.

    Returns
    -------
    Units
    """
    sc = as_scenario(scenario, what="crossing_units")
    return sc.memo(("calibrate.crossing_units", float(base_h)), lambda: _units(sc, base_h))


def _units(sc: Scenario, base_h: float) -> Units:
    arrays = sc.arrays
    entering = arrays.into_vietnam()
    gate_edge = entering & (arrays.crossing == "gate")
    seg_of = sc.segment_of if sc.region is not None else np.full(arrays.n_edges, "", dtype=object)
    seg_edge = entering & (arrays.crossing == "informal") & (seg_of != "")
    unit_name = np.where(gate_edge, arrays.gate_id, np.where(seg_edge, seg_of, "")).astype(object)
    names = sorted(set(unit_name[gate_edge])) + sorted(set(unit_name[seg_edge]))
    row_of = {n: i for i, n in enumerate(names)}
    edge_unit = np.array([row_of.get(n, -1) if n else -1 for n in unit_name], dtype=np.int64)
    n_gates = len(set(unit_name[gate_edge]))
    kind = np.array(["gate"] * n_gates + ["segment"] * (len(names) - n_gates), dtype=object)
    exposure = np.zeros(len(names))
    np.maximum.at(exposure, edge_unit[edge_unit >= 0], arrays.exposure[edge_unit >= 0])
    lon, lat = np.full(len(names), np.nan), np.full(len(names), np.nan)
    at = np.flatnonzero(edge_unit >= 0)
    lon[edge_unit[at]], lat[edge_unit[at]] = arrays.node_x[arrays.edge_v[at]], arrays.node_y[arrays.edge_v[at]]
    patrol = np.zeros(len(names))
    province = np.full(len(names), "", dtype=object)
    if sc.region is not None:
        profile = sc.profile
        exposure[kind == "segment"] = profile["informal_crossing"]["exposure"]
        gates = sc.gates.set_index("id")
        for i in np.flatnonzero(kind == "gate"):
            cls = sc.gate_class.get(names[i])
            if cls in profile["gate"]:
                exposure[i] = min(1.0, profile["gate"][cls]["exposure"] + sc.inspected_gates.get(names[i], 0.0))
            if names[i] in gates.index:
                lon[i], lat[i] = gates.loc[names[i], "lon"], gates.loc[names[i], "lat"]
        segs = sc.segments.set_index("segment_id")
        rows = np.flatnonzero(kind == "segment")
        mids = shapely.line_interpolate_point(
            segs.geometry.loc[[names[i] for i in rows]].to_numpy(), 0.5, normalized=True
        )
        lon[rows], lat[rows] = shapely.get_x(mids), shapely.get_y(mids)
        patrol = _patrol_hours(sc, names, kind)
        province = _provinces_of(sc, lon, lat)
    table = pd.DataFrame(
        {
            "unit": names,
            "kind": kind,
            "province": province,
            "exposure": exposure,
            "patrol_h": patrol,
            "effort": exposure * (base_h + patrol),
            "lon": lon,
            "lat": lat,
        }
    )
    return Units(table=table, edge_unit=edge_unit)


def _patrol_hours(sc: Scenario, names: list[str], kind: np.ndarray) -> np.ndarray:
    """Hours a BLO patrol has left at each unit in one shift (0 beyond reach)."""
    from .coverage import blo_coverage

    cover = blo_coverage(sc)
    left = {}
    for frame, key in ((cover.gates, "gate_id"), (cover.segments, "segment_id")):
        for unit, blo, hours in zip(frame[key], frame["nearest_blo"], frame["nearest_blo_h"], strict=True):
            if isinstance(blo, str) and blo and np.isfinite(hours):
                left[unit] = max(0.0, sc.blo_hours(blo) - float(hours))
    return np.array([left.get(n, 0.0) for n in names])


def _provinces_of(sc: Scenario, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return the Vietnamese province nearest each point (a border point may lie just outside it)."""
    from ..geodesy import lonlat_to_metres, to_metres

    provinces = vietnam_provinces(sc)
    polygons = to_metres(provinces.geometry.to_numpy())
    points = shapely.points(lonlat_to_metres(lon, lat))
    _, nearest = shapely.STRtree(polygons).query_nearest(points, all_matches=False)
    return provinces["name"].to_numpy()[nearest]


def vietnam_provinces(scenario: Scenario) -> pd.DataFrame:
    """Return the region's Vietnamese provinces (``provinces`` layer rows with ``iso_a3`` VNM)."""
    layer = scenario.region.layers["provinces"]
    return layer[layer["iso_a3"] == "VNM"].reset_index(drop=True)


@dataclass
class FlowTable:
    """Per-destination-group crossing choice probabilities on a grid of the cost parameters.

    Attributes
    ----------
    axes
        Cost parameter name -> grid of ``log theta`` (increasing, 0 a node).
    probabilities
        Shape ``(*grid, groups, units)``: mean over the samples of the logit
        choice probability of each unit for each destination group.
    groups
        Destination group names (``export``: every export port).
    shares
        Each group's share of the demand in the profile as given.
    units
        :class:`Units`.
    samples, seed, scale_h
        The cost samples averaged, their seed and the logit scale (h).
    seconds
        Wall time of the table.
    """

    axes: dict[str, np.ndarray]
    probabilities: np.ndarray
    groups: list[str]
    shares: np.ndarray
    units: Units
    samples: int
    seed: int
    scale_h: float
    seconds: float = 0.0
    _interpolator: Any = field(default=None, repr=False)

    def group_probabilities(self, log_theta: Mapping[str, float]) -> np.ndarray:
        """Interpolated ``(groups, units)`` probabilities at the cost parameters of ``log_theta``."""
        if not self.axes:
            return self.probabilities
        if self._interpolator is None:
            grids = tuple(self.axes.values())
            method = "cubic" if min(len(g) for g in grids) >= 4 else "linear"
            logp = np.log(np.maximum(self.probabilities, 1e-300))
            self._interpolator = scipy.interpolate.RegularGridInterpolator(grids, logp, method=method)
        point = np.array([[log_theta.get(name, 0.0) for name in self.axes]])
        lo = np.array([g[0] for g in self.axes.values()])
        hi = np.array([g[-1] for g in self.axes.values()])
        p = np.exp(self._interpolator(np.clip(point, lo, hi))[0])
        return p / p.sum(axis=1, keepdims=True)


def flow_table(
    scenario: Scenario,
    parameters: Mapping[str, tuple[float, float]],
    *,
    grid: int = DEFAULT_GRID,
    samples: int = DEFAULT_SAMPLES,
    scale_h: float = 2.0,
    base_h: float = 1.0,
) -> FlowTable:
    """Compute the crossing choice of every destination group on a grid of the cost parameters.

    Parameters
    ----------
    scenario
        The scenario (its seed and sigmas give the draws; its demand the groups).
    parameters
        Name -> bounds (:func:`parse_parameters`); demand parameters need no grid.
    grid
        Nodes per cost parameter (>= 2; the default 1 is added when it is not one).
    samples
        Perturbed cost samples averaged (draws 0 .. samples-1 of the ensemble's streams).
    scale_h
        Logit scale (h): a route through a crossing dearer by ``scale_h`` is ``e`` times less chosen.
    base_h
        Effort hours without a patrol (:func:`crossing_units`).

    Returns
    -------
    FlowTable

    Raises
    ------
    ParameterError
        Bad grid, samples or scale; a demand parameter the scenario has no demand for.
    """
    sc = as_scenario(scenario, what="flow_table")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ParameterError(f"grid must be an integer >= 2 (nodes per parameter), got {grid!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ParameterError(f"samples must be an integer >= 1, got {samples!r}")
    if not (isinstance(scale_h, int | float) and math.isfinite(scale_h) and scale_h > 0):
        raise ParameterError(f"scale_h must be a number of hours > 0, got {scale_h!r}")
    if not sc.is_route_graph:
        raise ParameterError("a calibration needs a route graph built by borderwatch (its costs come from a profile)")
    key = ("calibrate.flow_table", tuple(parameters.items()), grid, samples, float(scale_h), float(base_h))
    return sc.memo(key, lambda: _flow_table(sc, dict(parameters), grid, samples, float(scale_h), base_h))


def _flow_table(
    sc: Scenario,
    parameters: dict[str, tuple[float, float]],
    grid: int,
    samples: int,
    scale_h: float,
    base_h: float,
) -> FlowTable:
    start = time.perf_counter()
    groups, shares, nodes = demand_groups(sc)
    if "export_share" in parameters and "export" not in groups:
        raise ParameterError(
            "parameter 'export_share' scales the export demand, but this scenario sends none; leave it out"
        )
    units = crossing_units(sc, base_h=base_h)
    axes = {name: _axis(*bounds, grid) for name, bounds in parameters.items() if PARAMETERS[name].kind == "cost"}
    model = CostModel(sc.arrays, sc.profile)
    shape = tuple(len(a) for a in axes.values())
    out = np.zeros((*shape, len(groups), len(units.table)))
    factors = [_sample_factors(sc, s) for s in range(samples)]
    for index in np.ndindex(*shape):
        theta = {name: float(np.exp(axis[i])) for (name, axis), i in zip(axes.items(), index, strict=True)}
        cost = model.cost(theta)
        for factor in factors:
            out[index] += _choice(sc.arrays.with_cost(cost * factor), sc.origin, nodes, units, scale_h)
    out /= samples
    return FlowTable(
        axes=axes,
        probabilities=out,
        groups=groups,
        shares=shares,
        units=units,
        samples=samples,
        seed=sc.settings.seed,
        scale_h=float(scale_h),
        seconds=time.perf_counter() - start,
    )


def _axis(low: float, high: float, n: int) -> np.ndarray:
    axis = np.linspace(math.log(low), math.log(high), n)
    if not np.isclose(axis, 0.0).any():
        axis = np.sort(np.append(axis, 0.0))
    axis[np.argmin(np.abs(axis))] = 0.0
    return axis


def _sample_factors(sc: Scenario, sample: int) -> np.ndarray:
    """Return the ensemble's cost factor of every edge in one sample (edge draw times its gate's draw)."""
    s = sc.settings
    return cost_factors(sc.arrays, seed=s.seed, sample=sample, sigma_edge=s.sigma_edge, sigma_gate=s.sigma_gate)


def demand_groups(scenario: Scenario) -> tuple[list[str], np.ndarray, list[Hashable]]:
    """Destination groups of the demand: each domestic destination alone, every export port as ``export``.

    Returns
    -------
    names, shares, nodes
        Group names, their shares of the demand (sum 1) and the node each is routed to.
    """
    sc = scenario
    export_node = sc.destinations.get("export") if sc.is_route_graph else None
    ports = set(sc._export_split()) if export_node is not None else set()
    names, shares, nodes = [], [], []
    by_node = sc.destination_names
    export = 0.0
    for node, share in sc.shares.items():
        name = by_node.get(node, str(node))
        if name in ports:
            export += share
        else:
            names.append(name)
            shares.append(share)
            nodes.append(node)
    if export > 0:
        names.append("export")
        shares.append(export)
        nodes.append(export_node)
    return names, np.array(shares), nodes


def _choice(view: GraphArrays, origin: Hashable, nodes: list[Hashable], units: Units, scale_h: float) -> np.ndarray:
    """Logit choice of crossing units by each destination, on one cost sample."""
    n_units = len(units.table)
    out = np.zeros((len(nodes), n_units))
    free_forward = view.dijkstra([origin])[0][0]
    for g, node in enumerate(nodes):
        v = view.for_destination(node)
        forward = free_forward if v is view else v.dijkstra([origin])[0][0]
        backward = scipy.sparse.csgraph.dijkstra(v.matrix.T.tocsr(), directed=True, indices=v.row(node))
        edges = np.flatnonzero((units.edge_unit >= 0) & np.isfinite(v.cost))
        through = forward[v.edge_u[edges]] + v.cost[edges] + backward[v.edge_v[edges]]
        best = np.full(n_units, np.inf)
        np.minimum.at(best, units.edge_unit[edges], through)
        if not np.isfinite(best).any():
            continue  # no crossing into Vietnam on the way (a user graph's destination abroad)
        z = -(best - best[np.isfinite(best)].min()) / scale_h
        w = np.exp(z)
        out[g] = w / w.sum()
    return out


# ---------------------------------------------------------------------- the likelihood
@dataclass
class Observations:
    """Incidents as rows of a membership matrix over the units.

    Attributes
    ----------
    membership
        ``(incidents, units)`` sparse 0/1: a located incident has its unit, a
        province-only one every unit of its province.
    incident_id
        One id per row.
    located
        Whether the incident names its unit (not only a province).
    """

    membership: scipy.sparse.csr_matrix
    incident_id: np.ndarray
    located: np.ndarray

    def __len__(self) -> int:
        return self.membership.shape[0]

    def subset(self, rows: np.ndarray) -> Observations:
        """Return the observations of some rows."""
        return Observations(self.membership[rows], self.incident_id[rows], self.located[rows])


def observations(
    incidents: pd.DataFrame, units: Units, *, what: str = "the incidents"
) -> tuple[Observations, pd.DataFrame]:
    """Turn matched incidents into observations; report those that cannot be used.

    Parameters
    ----------
    incidents
        :func:`~borderwatch.analysis.incidents.read_incidents` output (``gate_id``,
        ``segment_id``, ``province``, ``match``, ``line``, ``incident_id``).
    units
        :func:`crossing_units`.
    what
        How messages name the records.

    Returns
    -------
    observations, left_out
        ``left_out``: rows not used, with a ``reason``.

    Raises
    ------
    ValidationError
        No usable row (every reason listed, with the fix).
    """
    row_of = {u: i for i, u in enumerate(units.ids)}
    province_units: dict[str, list[int]] = {}
    for i, p in enumerate(units.table["province"]):
        province_units.setdefault(fold(p), []).append(i)
    rows, cols, ids, located, dropped = [], [], [], [], []
    for rec in incidents.to_dict("records"):
        unit = rec.get("gate_id") or rec.get("segment_id") or ""
        province = str(rec.get("province", "") or "")
        if unit:
            if unit not in row_of:
                dropped.append((rec, f"{unit} is not a crossing of the route graph (left out or closed)"))
                continue
            members = [row_of[unit]]
        elif province:
            members = province_units.get(fold(province), [])
            if not members:
                dropped.append((rec, f"province {province!r} has no border crossing of the route graph"))
                continue
        else:
            dropped.append((rec, "no gate or border segment within the match distance"))
            continue
        n = len(ids)
        rows += [n] * len(members)
        cols += members
        ids.append(rec["incident_id"])
        located.append(bool(unit))
    left_out = pd.DataFrame(
        [{"line": r.get("line"), "incident_id": r.get("incident_id"), "reason": why} for r, why in dropped],
        columns=["line", "incident_id", "reason"],
    )
    if not ids:
        reasons = [f"line {r.get('line')}: {why}" for r, why in dropped[:10]]
        raise ValidationError(
            [
                f"{what} has no usable incident row ({len(incidents)} read, none matched to a crossing of the route "
                "graph); give gate_id, segment_id, lat/lon within ranking.incident_match_km of a crossing, or a "
                "province with a land border",
                *reasons,
            ]
        )
    matrix = scipy.sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(units.table)), dtype=float
    )
    return Observations(matrix, np.array(ids, dtype=object), np.array(located)), left_out


@dataclass
class Likelihood:
    """The observation model on a flow table (see the module docstring).

    Attributes
    ----------
    table
        :class:`FlowTable`.
    names
        The fitted parameters, in order.
    bounds
        Name -> (low, high) multipliers.
    reporting
        Per unit reporting factor (1 where none is given).
    """

    table: FlowTable
    names: list[str]
    bounds: dict[str, tuple[float, float]]
    reporting: np.ndarray

    def unit_probabilities(self, log_theta: np.ndarray | Mapping[str, float]) -> np.ndarray:
        """P(incident at unit) at ``log theta``."""
        point = log_theta if isinstance(log_theta, Mapping) else dict(zip(self.names, log_theta, strict=True))
        shares = self.table.shares.copy()
        if "export_share" in point:
            shares[self.table.groups.index("export")] *= math.exp(point["export_share"])
        shares /= shares.sum()
        flow = shares @ self.table.group_probabilities(point)
        rate = flow * self.table.units.table["effort"].to_numpy() * self.reporting
        return rate / rate.sum()

    def log_likelihood(self, log_theta: np.ndarray | Mapping[str, float], obs: Observations) -> float:
        """Sum over incidents of log P(incident)."""
        p = obs.membership @ self.unit_probabilities(log_theta)
        return float(np.log(np.maximum(p, 1e-300)).sum())

    def log_bounds(self) -> list[tuple[float, float]]:
        """Bounds of ``log theta``."""
        return [(math.log(self.bounds[n][0]), math.log(self.bounds[n][1])) for n in self.names]


def make_likelihood(
    table: FlowTable,
    parameters: Mapping[str, tuple[float, float]],
    *,
    reporting: Mapping[str, float] | None = None,
    provinces: Sequence[str] | None = None,
) -> Likelihood:
    """Bind the observation model to a flow table.

    Parameters
    ----------
    table
        :func:`flow_table`.
    parameters
        Name -> bounds.
    reporting
        Province -> reporting factor (> 0); others 1.
    provinces
        The region's province names (a reporting province must be one of them).

    Returns
    -------
    Likelihood

    Raises
    ------
    ParameterError
        A reporting province not in the data, or a factor that is not > 0.
    """
    factor = np.ones(len(table.units.table))
    check_provinces(reporting or {}, provinces if provinces is not None else list(table.units.table["province"]))
    for name, value in (reporting or {}).items():
        factor[[fold(p) == fold(name) for p in table.units.table["province"]]] = value
    return Likelihood(table=table, names=list(parameters), bounds=dict(parameters), reporting=factor)


def check_provinces(reporting: Mapping[str, float], provinces: Sequence[str]) -> None:
    """Refuse a reporting factor of a province not in the data, or one that is not > 0.

    Parameters
    ----------
    reporting
        Province -> reporting factor.
    provinces
        The data's province names.

    Raises
    ------
    ParameterError
        Naming the province (with close names) or the factor, and the fix.
    """
    known = {fold(p) for p in provinces}
    for name, value in reporting.items():
        if fold(name) not in known:
            near = close_matches(name, provinces)
            raise ParameterError(
                f"reporting province {name!r} is not a province of the data"
                + (f" (did you mean {', '.join(near)}?)" if near else "")
                + "; use a name of the provinces layer (data/boundaries/provinces.geojson, column name)"
            )
        if isinstance(value, bool) or not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ParameterError(f"reporting factor of {name!r} must be a number > 0, got {value!r}")


# ---------------------------------------------------------------------- fit and intervals
@dataclass
class Fit:
    """A maximum-likelihood fit.

    Attributes
    ----------
    estimate
        Name -> fitted multiplier.
    log_likelihood, default_log_likelihood
        At the fit and at the default (every multiplier 1).
    lr_statistic, lr_p_value, lr_df
        Likelihood ratio against the default and its chi-square p-value.
    intervals
        Name -> (low, high) 95 % profile-likelihood interval, ``None`` when not computed.
    open_ends
        Name -> (low open, high open): the interval reaches that bound.
    verdicts
        Name -> ``supported``, ``contradicted`` or ``not identifiable from these records``.
    profiles
        Name -> DataFrame ``value``, ``deviance`` (the likelihood profile).
    at_bound
        Names whose estimate lies on a bound.
    incidents, evaluations, seconds
        Incidents fitted, likelihood evaluations, wall time.
    """

    estimate: dict[str, float]
    log_likelihood: float
    default_log_likelihood: float
    lr_statistic: float
    lr_p_value: float
    lr_df: int
    intervals: dict[str, tuple[float, float] | None]
    open_ends: dict[str, tuple[bool, bool]]
    verdicts: dict[str, str]
    profiles: dict[str, pd.DataFrame]
    at_bound: list[str]
    incidents: int
    evaluations: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready estimates, intervals, verdicts and the likelihood ratio."""
        return {
            "incidents": self.incidents,
            "parameters": {
                name: {
                    "estimate": self.estimate[name],
                    "interval_95": list(self.intervals[name]) if self.intervals[name] is not None else None,
                    "interval_open": list(self.open_ends.get(name, (False, False))),
                    "verdict": self.verdicts.get(name, ""),
                    "at_bound": name in self.at_bound,
                }
                for name in self.estimate
            },
            "log_likelihood": self.log_likelihood,
            "default_log_likelihood": self.default_log_likelihood,
            "likelihood_ratio": {"statistic": self.lr_statistic, "df": self.lr_df, "p_value": self.lr_p_value},
            "evaluations": self.evaluations,
            "seconds": self.seconds,
        }


def fit(likelihood: Likelihood, obs: Observations, *, intervals: bool = True, profile_points: int = 15) -> Fit:
    """Maximum-likelihood fit of the parameters, with profile-likelihood intervals and verdicts.

    Parameters
    ----------
    likelihood
        :func:`make_likelihood`.
    obs
        :func:`observations`.
    intervals
        Compute the profile-likelihood intervals and verdicts.
    profile_points
        Values along each parameter's bounds for its profile.

    Returns
    -------
    Fit

    Raises
    ------
    CalibrationError
        Fewer incidents than parameters, or the optimiser did not converge
        (the best point and the optimiser's reason given).
    """
    require(likelihood, Likelihood, where="fit", name="likelihood", fix="give make_likelihood(...)")
    require(obs, Observations, where="fit", name="obs", fix="give observations(...)")
    k = len(likelihood.names)
    if len(obs) < k:
        raise CalibrationError(
            f"{len(obs)} usable incident{'s' if len(obs) != 1 else ''} for {k} parameters "
            f"({', '.join(likelihood.names)}); a fit needs at least as many incidents as parameters: "
            "name fewer parameters (--parameters) or give more incidents"
        )
    start = time.perf_counter()
    count = [0]

    def nll(x: np.ndarray) -> float:
        count[0] += 1
        return -likelihood.log_likelihood(x, obs)

    bounds = likelihood.log_bounds()
    best = _maximise(nll, np.zeros(k), _grid_start(likelihood, nll, bounds), bounds=bounds, names=likelihood.names)
    default = -nll(np.zeros(k))
    top = -best.fun
    lr = max(0.0, 2.0 * (top - default))
    estimate = {n: float(math.exp(v)) for n, v in zip(likelihood.names, best.x, strict=True)}
    at_bound = [
        n for n, v, (lo, hi) in zip(likelihood.names, best.x, bounds, strict=True) if min(v - lo, hi - v) < 1e-3
    ]
    result = Fit(
        estimate=estimate,
        log_likelihood=top,
        default_log_likelihood=default,
        lr_statistic=lr,
        lr_p_value=float(scipy.stats.chi2.sf(lr, k)),
        lr_df=k,
        intervals={n: None for n in likelihood.names},
        open_ends={},
        verdicts={},
        profiles={},
        at_bound=at_bound,
        incidents=len(obs),
        evaluations=0,
        seconds=0.0,
    )
    if intervals:
        for j in range(k):
            _profile(likelihood, nll, best, j, top, profile_points, result)
    result.evaluations = count[0]
    result.seconds = time.perf_counter() - start
    return result


def _grid_start(likelihood: Likelihood, nll: Any, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Return the best point of a coarse grid (the table's nodes for cost parameters, 5 values for others)."""
    axes = [
        likelihood.table.axes[n] if n in likelihood.table.axes else np.linspace(lo, hi, 5)
        for n, (lo, hi) in zip(likelihood.names, bounds, strict=True)
    ]
    points = np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(axes), -1).T
    if len(points) > 400:
        points = points[np.linspace(0, len(points) - 1, 400).astype(int)]
    return points[int(np.argmin([nll(p) for p in points]))]


def _maximise(
    nll: Any, *starts: np.ndarray, bounds: list[tuple[float, float]] | None = None, names: list[str] | None = None
) -> scipy.optimize.OptimizeResult:
    """Minimise from each start (L-BFGS-B, then Nelder-Mead where its line search fails at a kink), keep the best.

    Refuses a fit that converged from no start, giving the best point and the optimiser's reason.
    """
    results = []
    for start in starts:
        r = scipy.optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds)
        if not r.success and np.isfinite(r.fun):  # interpolation between grid nodes has kinks
            r = scipy.optimize.minimize(nll, r.x, method="Nelder-Mead", bounds=bounds, options={"xatol": 1e-4})
        results.append(r)
    good = [r for r in results if r.success]
    best = min(results, key=lambda r: r.fun)
    if not good:
        point = ", ".join(f"{n} {math.exp(v):.3g}" for n, v in zip(names or [], best.x, strict=False))
        raise CalibrationError(
            f"the fit did not converge (optimiser: {best.message}); best point found: {point} with log-likelihood "
            f"{-best.fun:.2f}; the likelihood may be flat (too few incidents for these parameters) or rough: name "
            "fewer parameters, give more incidents, or raise --samples"
        )
    return min(good, key=lambda r: r.fun)


def _profile(likelihood: Likelihood, nll: Any, best: Any, j: int, top: float, points: int, result: Fit) -> None:
    """Profile likelihood of parameter j: the others re-fitted at each value; interval and verdict."""
    name = likelihood.names[j]
    bounds = likelihood.log_bounds()
    lo, hi = bounds[j]
    values = np.unique(np.concatenate([np.linspace(lo, hi, points), [best.x[j], 0.0]]))
    others = [i for i in range(len(bounds)) if i != j]
    deviance = np.empty(len(values))
    order = np.argsort(np.abs(values - best.x[j]))  # walk out from the estimate, warm-starting
    warm = {1: best.x[others], -1: best.x[others]}
    for i in order:
        side = 1 if values[i] >= best.x[j] else -1
        if others:

            def partial(y: np.ndarray, v: float = values[i]) -> float:
                x = np.empty(len(bounds))
                x[j], x[others] = v, y
                return nll(x)

            r = scipy.optimize.minimize(partial, warm[side], method="L-BFGS-B", bounds=[bounds[o] for o in others])
            warm[side] = r.x
            value = r.fun
        else:
            value = nll(np.array([values[i]]))
        deviance[i] = max(0.0, 2.0 * (value + top))
    low, low_open = _crossing(values, deviance, best.x[j], -1)
    high, high_open = _crossing(values, deviance, best.x[j], 1)
    interval = (math.exp(low), math.exp(high))
    result.intervals[name] = interval
    result.open_ends[name] = (low_open, high_open)
    result.profiles[name] = pd.DataFrame({"value": np.exp(values), "deviance": deviance})
    if low_open and high_open:
        result.verdicts[name] = "not identifiable from these records"
    elif not interval[0] <= 1.0 <= interval[1]:
        result.verdicts[name] = "contradicted"
    else:
        result.verdicts[name] = "supported"


def _crossing(values: np.ndarray, deviance: np.ndarray, at: float, side: int) -> tuple[float, bool]:
    """Where the deviance first reaches CHI2_95 walking from ``at`` to one side; (bound, True) if never."""
    idx = np.flatnonzero(values >= at) if side > 0 else np.flatnonzero(values <= at)[::-1]
    previous = idx[0]
    for i in idx[1:]:
        if deviance[i] >= CHI2_95:
            d0, d1 = deviance[previous], deviance[i]
            t = (CHI2_95 - d0) / (d1 - d0) if d1 > d0 else 1.0
            return float(values[previous] + t * (values[i] - values[previous])), False
        previous = i
    return float(values[idx[-1]]), True


# ---------------------------------------------------------------------- evaluation
def crossing_table(likelihood: Likelihood, obs: Observations, estimate: Mapping[str, float]) -> pd.DataFrame:
    """Per crossing: incident chance under the default and the fit, and the incidents there.

    An incident known only by its province is spread over the province's
    crossings by their chance under the fit (so the counts are fractional).

    Parameters
    ----------
    likelihood
        :func:`make_likelihood`.
    obs
        The observations.
    estimate
        Parameter name -> fitted multiplier.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``kind``, ``province``, ``effort``, ``p_default``, ``p_calibrated``,
        ``incidents``, sorted by ``p_calibrated`` (largest first).
    """
    fitted = likelihood.unit_probabilities({n: math.log(v) for n, v in estimate.items()})
    share = obs.membership.multiply(fitted[None, :]).tocsr()
    share = scipy.sparse.diags(1.0 / np.maximum(np.asarray(share.sum(axis=1)).ravel(), 1e-300)) @ share
    table = likelihood.table.units.table[["unit", "kind", "province", "effort"]].copy()
    table["p_default"] = likelihood.unit_probabilities(np.zeros(len(likelihood.names)))
    table["p_calibrated"] = fitted
    table["incidents"] = np.asarray(share.sum(axis=0)).ravel()
    return table.sort_values("p_calibrated", ascending=False).reset_index(drop=True)


def top_share(probabilities: np.ndarray, obs: Observations, *, top: int = TOP_CROSSINGS) -> float:
    """Share of the incidents at the ``top`` units of highest incident chance (province-only: the chance within)."""
    chosen = np.zeros(len(probabilities))
    chosen[np.argsort(-probabilities)[:top]] = 1.0
    inside = obs.membership @ (probabilities * chosen)
    total = obs.membership @ probabilities
    return float(np.mean(inside / np.maximum(total, 1e-300)))


def cross_validate(likelihood: Likelihood, obs: Observations, *, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """K-fold cross-validation by incident: calibrated (fitted on the other folds) against the default profile.

    Parameters
    ----------
    likelihood
        :func:`make_likelihood`.
    obs
        All the observations.
    folds
        Number of folds (2 .. number of incidents).
    seed
        Seed of the random split into folds.

    Returns
    -------
    pandas.DataFrame
        One row per fold: ``fold``, ``held_out``, ``loglik_calibrated``,
        ``loglik_default`` (held-out log-likelihood per incident),
        ``top15_calibrated``, ``top15_default`` and the fitted multipliers.

    Raises
    ------
    ParameterError
        ``folds`` < 2 or more folds than incidents.
    """
    require(likelihood, Likelihood, where="cross_validate", name="likelihood", fix="give make_likelihood(...)")
    require(obs, Observations, where="cross_validate", name="obs", fix="give observations(...)")
    n = len(obs)
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= n:
        raise ParameterError(f"folds must be an integer from 2 to the number of incidents ({n}), got {folds!r}")
    assignment = np.random.default_rng(seed).permutation(n) % folds
    default = likelihood.unit_probabilities(np.zeros(len(likelihood.names)))
    rows = []
    for f in range(folds):
        train, test = obs.subset(np.flatnonzero(assignment != f)), obs.subset(np.flatnonzero(assignment == f))
        fitted = fit(likelihood, train, intervals=False)
        x = np.log([fitted.estimate[name] for name in likelihood.names])
        calibrated = likelihood.unit_probabilities(x)
        rows.append(
            {
                "fold": f + 1,
                "held_out": len(test),
                "loglik_calibrated": likelihood.log_likelihood(x, test) / len(test),
                "loglik_default": likelihood.log_likelihood(np.zeros(len(x)), test) / len(test),
                "top15_calibrated": top_share(calibrated, test),
                "top15_default": top_share(default, test),
                **{f"fit_{name}": fitted.estimate[name] for name in likelihood.names},
            }
        )
    return pd.DataFrame(rows)


def synthetic_observations(
    likelihood: Likelihood, truth: Mapping[str, float], n: int, *, seed: int
) -> tuple[Observations, np.ndarray]:
    """Draw ``n`` located incidents from the observation model at multipliers ``truth``.

    Returns
    -------
    observations, units
        The observations and the unit row of each incident.
    """
    p = likelihood.unit_probabilities({name: math.log(v) for name, v in truth.items()})
    drawn = np.random.default_rng(seed).choice(len(p), size=n, p=p)
    matrix = scipy.sparse.csr_matrix((np.ones(n), (np.arange(n), drawn)), shape=(n, len(p)))
    ids = np.array([f"synthetic {i + 1}" for i in range(n)], dtype=object)
    return Observations(matrix, ids, np.ones(n, dtype=bool)), drawn


def synthetic_incidents(likelihood: Likelihood, truth: Mapping[str, float], n: int, *, seed: int) -> pd.DataFrame:
    """Synthetic incidents as an incidents file's rows: ``incident_id``, ``date``, ``gate_id``, ``segment_id``.

    Parameters
    ----------
    likelihood
        :func:`make_likelihood`.
    truth
        Parameter name -> multiplier the incidents are drawn at (missing ones 1).
    n
        Number of incidents.
    seed
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Ready for ``to_csv`` (``borderwatch calibrate --incidents``).
    """
    _, drawn = synthetic_observations(likelihood, truth, n, seed=seed)
    table = likelihood.table.units.table
    kind, unit = table["kind"].to_numpy()[drawn], table["unit"].to_numpy()[drawn]
    days = np.random.default_rng(seed + 1).integers(0, 365 * 5, size=n)
    return pd.DataFrame(
        {
            "incident_id": [f"S{i + 1:04d}" for i in range(n)],
            "date": (pd.Timestamp("2019-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
            "gate_id": np.where(kind == "gate", unit, ""),
            "segment_id": np.where(kind == "segment", unit, ""),
        }
    )


def recovery(
    likelihood: Likelihood,
    truth: Mapping[str, float],
    *,
    sizes: Sequence[int] = (20, 50, 200),
    replicates: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Fit synthetic incidents drawn at known multipliers; how often the 95 % intervals hold the truth.

    Parameters
    ----------
    likelihood
        :func:`make_likelihood`.
    truth
        Parameter name -> true multiplier (every fitted parameter).
    sizes
        Numbers of incidents.
    replicates
        Synthetic data sets per size.
    seed
        First random seed (one per replicate).

    Returns
    -------
    pandas.DataFrame
        One row per size and parameter: ``incidents``, ``parameter``,
        ``truth``, ``median_estimate``, ``covered`` (share of replicates whose
        interval holds the truth), ``median_low``, ``median_high`` (interval
        ends), ``identifiable`` (share whose interval does not reach both
        bounds), ``seconds_per_fit``.
    """
    missing = [n for n in likelihood.names if n not in truth]
    if missing:
        raise ParameterError(f"recovery needs a true value of every fitted parameter; missing {', '.join(missing)}")
    rows = []
    for n in sizes:
        fits = []
        for r in range(replicates):
            obs, _ = synthetic_observations(likelihood, truth, n, seed=seed + 1000 * n + r)
            fits.append(fit(likelihood, obs))
        for name in likelihood.names:
            lows = np.array([f.intervals[name][0] for f in fits])
            highs = np.array([f.intervals[name][1] for f in fits])
            rows.append(
                {
                    "incidents": n,
                    "parameter": name,
                    "truth": truth[name],
                    "median_estimate": float(np.median([f.estimate[name] for f in fits])),
                    "covered": float(np.mean((lows <= truth[name]) & (truth[name] <= highs))),
                    "median_low": float(np.median(lows)),
                    "median_high": float(np.median(highs)),
                    "identifiable": float(np.mean([not all(f.open_ends[name]) for f in fits])),
                    "seconds_per_fit": float(np.mean([f.seconds for f in fits])),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- the calibrated profile
def calibrated_profile(profile: Profile, estimate: Mapping[str, float], *, source: str) -> Profile:
    """Return the profile with every fitted multiplier applied to its keys (:data:`PARAMETERS`).

    Parameters
    ----------
    profile
        The profile calibrated.
    estimate
        Parameter name -> multiplier.
    source
        How the new profile names where it came from.

    Returns
    -------
    Profile
        Validated (:func:`~borderwatch.network.profile.load_profile`).
    """
    data = profile.to_dict()
    for name, factor in estimate.items():
        for key in PARAMETERS[name].keys:
            *path, last = key.split(".")
            table = data
            for part in path:
                table = table[part]
            for entry in list(table) if last == "*" else [last]:
                value = table[entry] * factor
                table[entry] = min(1.0, value) if key.endswith("exposure") else value
    checked = load_profile(data)
    checked.source = source
    return checked


def read_calibration(path: str | Path) -> dict[str, Any]:
    """Read the JSON ``borderwatch calibrate`` wrote beside its profile, checking it has what the report shows.

    Parameters
    ----------
    path
        The ``.json`` beside the calibrated profile.

    Returns
    -------
    dict
        The calibration summary (:func:`calibration_summary`).

    Raises
    ------
    ParameterError
        The file is missing, not JSON, or lacks the fit's estimates, intervals or likelihood ratio.
    """
    path = Path(path)
    fix = "give the .json that borderwatch calibrate wrote beside its --out profile"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParameterError(f"calibration file {path}: cannot read it ({exc.strerror or exc}); {fix}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(f"calibration file {path}: not JSON ({exc}); {fix}") from None
    fitted = data.get("fit") if isinstance(data, dict) else None
    needed = ("parameters", "likelihood_ratio", "incidents")
    if not isinstance(fitted, dict) or any(k not in fitted for k in needed) or "incidents" not in data:
        raise ParameterError(f"calibration file {path}: no fit with {', '.join(needed)}; {fix}")
    for name, p in fitted["parameters"].items():
        if not isinstance(p, dict) or not {"estimate", "verdict", "interval_95", "interval_open"} <= set(p):
            raise ParameterError(
                f"calibration file {path}: parameter {name!r} lacks its estimate, interval or verdict; {fix}"
            )
    return data


def report_section(result: Mapping[str, Any]) -> str:
    """HTML section of a calibration for the report: estimates, intervals, verdicts, likelihood ratio, folds.

    Parameters
    ----------
    result
        The calibration JSON (:func:`calibration_summary`).

    Returns
    -------
    str
        An HTML ``<section>``.
    """
    e = html.escape
    fitted = result["fit"]
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{p['estimate']:.3g}</td><td>{_interval_text(p)}</td><td>{e(p['verdict'])}</td></tr>"
        for name, p in fitted["parameters"].items()
    )
    lr = fitted["likelihood_ratio"]
    cv = result.get("cross_validation") or {}
    folds = (
        f"<p>{cv['folds']}-fold cross-validation by incident: held-out log-likelihood per incident "
        f"{cv['loglik_calibrated']:.3f} calibrated against {cv['loglik_default']:.3f} default; share of held-out "
        f"incidents at the top {TOP_CROSSINGS} crossings {cv['top15_calibrated']:.2f} against "
        f"{cv['top15_default']:.2f}.</p>"
        if cv
        else "<p>No cross-validation was run.</p>"
    )
    return (
        '<section id="calibration"><h2>Calibration to incident records</h2>'
        f"<p>{fitted['incidents']} incidents (file sha256 {e(result['incidents']['sha256'][:12])}…); each counts "
        "once. P(incident at a crossing) ∝ modelled flow × detection effort × reporting factor: traffic and "
        "enforcement are not separable where both are high.</p>"
        "<table><thead><tr><th>parameter (multiplier)</th><th>estimate</th><th>95 % profile interval</th>"
        f"<th>verdict</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>Likelihood ratio against the default profile: {lr['statistic']:.2f} on {lr['df']} degrees of freedom "
        f"(p = {lr['p_value']:.3g}).</p>{folds}{_crossings_html(result.get('crossings') or [])}</section>"
    )


def summary_text(summary: Mapping[str, Any]) -> str:
    """Return a calibration summary as plain text lines (the command's output).

    Parameters
    ----------
    summary
        :func:`calibration_summary`.

    Returns
    -------
    str
    """
    fitted, source = summary["fit"], summary["incidents"]
    lines = [
        f"{fitted['incidents']} incidents used ({source['province_only']} known by province only), "
        f"{source['left_out']} left out; each counted once",
        f"{'parameter':<15} {'estimate':>9}  {'95 % interval':<22} verdict",
    ]
    for name, p in fitted["parameters"].items():
        lines.append(f"{name:<15} {p['estimate']:>9.3g}  {_interval_text(p):<22} {p['verdict']}")
    lr = fitted["likelihood_ratio"]
    lines.append(
        f"log-likelihood {fitted['log_likelihood']:.2f}, default profile {fitted['default_log_likelihood']:.2f}: "
        f"likelihood ratio {lr['statistic']:.2f} on {lr['df']} df, p = {lr['p_value']:.3g}"
    )
    cv = summary["cross_validation"]
    if cv:
        lines.append(
            f"{cv['folds']}-fold cross-validation, held-out log-likelihood per incident: calibrated "
            f"{cv['loglik_calibrated']:.3f}, default {cv['loglik_default']:.3f}; held-out incidents at the top "
            f"{TOP_CROSSINGS} crossings: calibrated {cv['top15_calibrated']:.2f}, default {cv['top15_default']:.2f}"
        )
    lines.append(
        f"flow table {summary['model']['flow_table_seconds']:.1f} s, fit {fitted['seconds']:.1f} s "
        f"({fitted['evaluations']} likelihood evaluations)"
    )
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """Turn numpy scalars and arrays inside dicts and lists into plain Python (JSON-ready)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _crossings_html(rows: list[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    e = html.escape
    body = "".join(
        f"<tr><td>{e(str(r['unit']))}</td><td>{e(str(r['kind']))}</td><td>{e(str(r['province']))}</td>"
        f"<td>{r['p_default']:.3f}</td><td>{r['p_calibrated']:.3f}</td><td>{r['incidents']:.1f}</td></tr>"
        for r in rows[:TOP_CROSSINGS]
    )
    return (
        f"<h3>The {TOP_CROSSINGS} crossings of highest incident chance (calibrated)</h3><table><thead><tr>"
        "<th>crossing</th><th>kind</th><th>province</th><th>chance, default</th><th>chance, calibrated</th>"
        f"<th>incidents (province-only ones spread by chance)</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _interval_text(p: Mapping[str, Any]) -> str:
    if not p["interval_95"]:
        return "not computed"
    low, high = p["interval_95"]
    low_open, high_open = p["interval_open"]
    return f"{'≤ ' if low_open else ''}{low:.3g} – {high:.3g}{' ≥' if high_open else ''}"


def calibration_summary(
    fitted: Fit,
    folds: pd.DataFrame | None,
    *,
    incidents: Mapping[str, Any],
    table: FlowTable,
    parameters: Mapping[str, tuple[float, float]],
) -> dict[str, Any]:
    """Return the calibration as JSON-ready data (what ``borderwatch calibrate`` writes beside the profile)."""
    cv = None
    if folds is not None and len(folds):
        w = folds["held_out"] / folds["held_out"].sum()
        cv = {
            "folds": len(folds),
            **{c: float((folds[c] * w).sum()) for c in folds.columns if c.startswith(("loglik", "top15"))},
            "per_fold": folds.to_dict("records"),
        }
    return _plain(
        {
            "incidents": dict(incidents),
            "parameters": {
                n: {"bounds": list(b), "multiplies": list(PARAMETERS[n].keys)} for n, b in parameters.items()
            },
            "model": {
                "flow": "logit choice of crossing (scale_h) averaged over common-random-number cost samples",
                "scale_h": table.scale_h,
                "samples": table.samples,
                "seed": table.seed,
                "grid": {n: np.exp(a).round(6).tolist() for n, a in table.axes.items()},
                "flow_table_seconds": table.seconds,
                "uses": "incident counts (weight column read, not used)",
            },
            "fit": fitted.to_dict(),
            "profiles": {n: p.to_dict("list") for n, p in fitted.profiles.items()},
            "cross_validation": cv,
        }
    )


@dataclass
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    profile
        The calibrated profile (the scenario's with the estimates applied).
    fit
        :class:`Fit` on every usable incident.
    folds
        :func:`cross_validate` table (``None`` without folds).
    summary
        :func:`calibration_summary` (what the JSON holds).
    likelihood, observations
        What was fitted (for plots and further fits).
    left_out
        Incident rows not used, with the reason.
    """

    profile: Profile
    fit: Fit
    folds: pd.DataFrame | None
    summary: dict[str, Any]
    likelihood: Likelihood
    observations: Observations
    left_out: pd.DataFrame

    def toml(self) -> str:
        """Return the calibrated profile as a TOML file with its provenance as comments."""
        from ..network.profile import profile_toml

        s = self.summary
        lines = [
            "borderwatch calibrated profile (borderwatch calibrate): a profile file every command accepts (--profile).",
            f"incidents file {s['incidents']['file']} sha256 {s['incidents']['sha256']}; "
            f"{s['fit']['incidents']} incidents used, {s['incidents']['left_out']} left out",
            f"flow: {s['model']['flow']}; scale_h {s['model']['scale_h']}, samples {s['model']['samples']}, "
            f"seed {s['model']['seed']}",
        ]
        for name, p in s["fit"]["parameters"].items():
            interval = _interval_text(p)
            lines.append(f"{name} x {p['estimate']:.4g} (95 % profile interval {interval}): {p['verdict']}")
        lr = s["fit"]["likelihood_ratio"]
        lines.append(
            f"log-likelihood {s['fit']['log_likelihood']:.3f} (default {s['fit']['default_log_likelihood']:.3f}); "
            f"likelihood ratio {lr['statistic']:.2f} on {lr['df']} df, p = {lr['p_value']:.3g}"
        )
        cv = s["cross_validation"]
        if cv:
            lines.append(
                f"{cv['folds']}-fold cross-validation: held-out log-likelihood per incident "
                f"{cv['loglik_calibrated']:.4f} calibrated, {cv['loglik_default']:.4f} default; held-out share at "
                f"the top {TOP_CROSSINGS} crossings {cv['top15_calibrated']:.3f} calibrated, "
                f"{cv['top15_default']:.3f} default"
            )
        return profile_toml(self.profile, comments=tuple(lines))


def calibrate(
    scenario: Scenario,
    incidents: str | Path,
    *,
    parameters: Mapping[str, tuple[float, float]] | None = None,
    folds: int = 5,
    grid: int = DEFAULT_GRID,
    samples: int = DEFAULT_SAMPLES,
    scale_h: float = 2.0,
    base_h: float = 1.0,
    reporting: Mapping[str, float] | None = None,
    seed: int = 0,
) -> Calibration:
    """Calibrate a scenario's profile to an incidents file: fit, intervals, verdicts, cross-validation.

    Parameters
    ----------
    scenario
        A scenario on a route graph (its region gives gates, segments, provinces and patrols).
    incidents
        The incidents CSV (:func:`~borderwatch.analysis.incidents.read_incidents`).
    parameters
        Name -> bounds (:func:`parse_parameters`; default :data:`DEFAULT_PARAMETERS`).
    folds
        Cross-validation folds (0: none).
    grid, samples, scale_h, base_h
        As :func:`flow_table`.
    reporting
        Province -> reporting factor.
    seed
        Seed of the split into folds.

    Returns
    -------
    Calibration

    Raises
    ------
    ParameterError
        A scenario without a region, bad options, a reporting province not in the data.
    ValidationError
        A bad incidents file, or one with no usable row.
    CalibrationError
        Fewer usable incidents than parameters; a fit that does not converge.
    """
    import hashlib

    from .incidents import read_incidents

    sc = as_scenario(scenario, what="calibrate")
    require(incidents, PATH, where="calibrate", name="incidents", fix="give the incidents CSV's path")
    require(reporting, (Mapping, None), where="calibrate", name="reporting", fix="give {province: factor}")
    if sc.region is None:
        raise ParameterError("calibrate needs a route graph with its region (gates, segments, provinces, BLOs)")
    params = dict(parameters) if parameters is not None else parse_parameters(None)
    provinces = list(vietnam_provinces(sc)["name"])
    path = Path(incidents)
    matched = read_incidents(
        path,
        gates=sc.gates,
        segments=sc.segments,
        bounds=tuple(sc.region.countries.total_bounds),
        match_km=sc.settings.incident_match_km,
        provinces=provinces,
    )
    units = crossing_units(sc, base_h=base_h)
    obs, left_out = observations(matched, units, what=f"incidents file {str(path)!r}")
    if len(obs) < len(params):
        raise CalibrationError(
            f"incidents file {str(path)!r} has {len(obs)} usable incidents for {len(params)} parameters "
            f"({', '.join(params)}); name fewer parameters (--parameters) or give more incidents"
        )
    if folds and not 2 <= folds <= len(obs):
        raise ParameterError(f"--folds {folds}: give 2 to {len(obs)} (the usable incidents), or 0 for none")
    table = flow_table(sc, params, grid=grid, samples=samples, scale_h=scale_h, base_h=base_h)
    likelihood = make_likelihood(table, params, reporting=reporting, provinces=provinces)
    fitted = fit(likelihood, obs)
    cv = cross_validate(likelihood, obs, folds=folds, seed=seed) if folds else None
    source = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": len(matched),
        "used": len(obs),
        "province_only": int((~obs.located).sum()),
        "left_out": len(left_out),
        "dates": {
            "first": str(matched["date"].min().date()) if len(matched) else None,
            "last": str(matched["date"].max().date()) if len(matched) else None,
            "precision": matched["date_precision"].value_counts().to_dict(),
        },
        "counted_as": "one per incident (the weight column is not used)",
    }
    summary = calibration_summary(fitted, cv, incidents=source, table=table, parameters=params)
    summary["reporting"] = dict(reporting or {})
    crossings = crossing_table(likelihood, obs, fitted.estimate)
    summary["crossings"] = _plain(crossings.head(TOP_CROSSINGS * 2).round(6).to_dict("records"))
    profile = calibrated_profile(sc.profile, fitted.estimate, source=f"calibrated from {path.name}")
    return Calibration(
        profile=profile,
        fit=fitted,
        folds=cv,
        summary=summary,
        likelihood=likelihood,
        observations=obs,
        left_out=left_out,
    )
