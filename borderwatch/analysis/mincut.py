"""Minimum cuts: the cheapest set of crossing units that separates the origin from the destinations.

Each cuttable edge belongs to a *unit* (a gate, a border segment's informal
crossings, or on a user graph one link), and closing a unit closes all its
edges at the unit's closing cost.  Every other edge cannot be cut.  The
problem is solved as a maximum flow (``scipy.sparse.csgraph.maximum_flow``,
compiled Dinic) on a network in which each unit is a hub pair
``in -> out`` whose capacity is the closing cost, every member edge
``u -> v`` becomes ``u -> in`` and ``out -> v`` of unlimited capacity, and
every destination drains into one sink.  The cut units are the hubs whose
``in`` side the residual network still reaches from the origin and whose
``out`` side it does not.

Joining a unit's edges at one hub adds paths between its own ends (from one
member's tail to another member's head).  A cut of the hub network is
therefore always a cut of the route graph; it is the cheapest one as long as
those shortcuts open nothing new, which holds when the heads of one unit's
edges are connected to each other without crossing another unit (true of a
5 km border stretch on the lattice).

``within_pct`` restricts the cut to the traffickers' *plausible* routes: only
edges that lie on some route to a destination costing at most ``(1 +
within_pct/100)`` times its least cost are kept (``d(origin, u) + cost(u, v)
+ d(v, destination) <= bound``); the cut then blocks every such route (and
may block more, since pieces of several plausible routes can form a longer
one).  Without a bound the cut separates every route, which on the shipped
graph is the whole border that the traffickers can reach, because off-road
crossings are possible everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph

from ..doors import require
from ..errors import NoRouteError, ParameterError
from ..network.arrays import GraphArrays
from ..network.endpoints import resolve_name
from ..scenario import Scenario, as_scenario

#: Closing costs are rounded to this resolution for the integer max-flow solver.
COST_RESOLUTION = 1e-3
_INT_LIMIT = 2**31 - 1


@dataclass
class MinimumCut:
    """Result of :func:`minimum_cut`.

    Attributes
    ----------
    value
        Total closing cost of the cut units (in the unit of ``unit_cost``).
    units
        The cut units, indexed by unit name, with ``closing_cost`` (and any
        other column of the ``unit_cost`` table), cheapest first.
    edges
        Indices of the edges of the cut units.
    source_side
        Mask of the nodes the origin still reaches after the cut.
    within_pct
        The route-cost bound used, or ``None`` for every route.
    """

    value: float
    units: pd.DataFrame
    edges: np.ndarray
    source_side: np.ndarray
    within_pct: float | None


def minimum_cut(
    arrays: GraphArrays,
    origin: Hashable,
    destinations: Sequence[Hashable],
    *,
    unit_of_edge: np.ndarray,
    unit_cost: pd.DataFrame | Mapping[str, float],
    within_pct: float | None = None,
) -> MinimumCut:
    """Cheapest set of units whose closing leaves no (plausible) route to any destination.

    Parameters
    ----------
    arrays
        The array view (edges with ``inf`` cost are already closed).
    origin
        Origin node id.
    destinations
        Destination node ids; each destination's graph rule applies to its
        routes, and all are cut together (on the union of the edges their
        routes may use).
    unit_of_edge
        Unit name per edge; "" for an edge that cannot be cut.
    unit_cost
        Unit name -> closing cost (>= 0), or a table with a ``closing_cost``
        column indexed by unit name (its other columns are kept in the result).
    within_pct
        Block only routes costing at most this percentage above each
        destination's least cost (``None``: every route).

    Returns
    -------
    MinimumCut

    Raises
    ------
    ParameterError
        No destination, a unit without a cost, a negative or non-finite cost,
        a negative bound, or a destination reachable without crossing any
        unit (no finite cut).
    NoRouteError
        No destination can be reached at all (nothing to cut).
    """
    network = cut_network(
        arrays, origin, destinations, unit_of_edge=unit_of_edge, unit_cost=unit_cost, within_pct=within_pct
    )
    result = scipy.sparse.csgraph.maximum_flow(network.capacity, network.source, network.sink)
    if result.flow_value >= network.infinite:
        raise ParameterError(
            "a destination can be reached without crossing any cuttable unit, so no cut separates it; "
            "check that the destinations lie beyond the units (e.g. inside Vietnam)"
        )
    n, size = len(arrays.nodes), network.capacity.shape[0]
    residual = (network.capacity - result.flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    seen = np.zeros(size, dtype=bool)
    seen[scipy.sparse.csgraph.breadth_first_order(residual, network.source, return_predecessors=False)] = True
    chosen = [u for i, u in enumerate(network.names) if seen[n + 2 * i] and not seen[n + 2 * i + 1]]
    units = network.units.loc[chosen].sort_values(["closing_cost"], kind="stable")
    return MinimumCut(
        value=float(result.flow_value * COST_RESOLUTION),
        units=units,
        edges=np.flatnonzero(np.isin(network.unit_of_edge, chosen)),
        source_side=seen[:n],
        within_pct=within_pct,
    )


@dataclass
class CutNetwork:
    """The max-flow network of a cut (see the module notes).

    Attributes
    ----------
    capacity
        Integer capacities (units of :data:`COST_RESOLUTION`); rows 0..n-1 are
        the graph's nodes, then each unit's ``in`` and ``out`` hub, then the sink.
    source, sink
        Row of the origin and of the sink.
    infinite
        The capacity standing for "cannot be cut".
    reached
        Destinations that can be reached (the others are left out).
    names
        The units, in hub order.
    units
        The unit table (``closing_cost`` and any other column), indexed by unit.
    unit_of_edge
        Unit name per edge ("" = cannot be cut).
    """

    capacity: scipy.sparse.csr_matrix
    source: int
    sink: int
    infinite: int
    reached: list[Hashable]
    names: list[str]
    units: pd.DataFrame
    unit_of_edge: np.ndarray


def cut_network(
    arrays: GraphArrays,
    origin: Hashable,
    destinations: Sequence[Hashable],
    *,
    unit_of_edge: np.ndarray,
    unit_cost: pd.DataFrame | Mapping[str, float],
    within_pct: float | None,
) -> CutNetwork:
    """Build the max-flow network whose minimum cut is the cheapest set of units.

    Parameters
    ----------
    arrays
        The array view.
    origin
        Origin node id.
    destinations
        Destination node ids.
    unit_of_edge
        Unit name per edge ("" = cannot be cut).
    unit_cost
        Unit name -> closing cost, or a table with a ``closing_cost`` column
        (see :func:`minimum_cut`).
    within_pct
        Route-cost bound (``None``: every route).

    Returns
    -------
    CutNetwork

    Raises
    ------
    NoRouteError
        No destination can be reached.
    ParameterError
        No destination, bad shapes, a unit without a cost, a negative or
        non-finite cost, a negative bound, or costs too large for the integer
        solver.
    """
    if not len(destinations):
        raise ParameterError("give at least one destination")
    if within_pct is not None and not (np.isfinite(within_pct) and within_pct >= 0):
        raise ParameterError(f"within_pct must be a number >= 0 or None, got {within_pct!r}")
    table = unit_cost if isinstance(unit_cost, pd.DataFrame) else pd.DataFrame({"closing_cost": pd.Series(unit_cost)})
    unit_of_edge = np.asarray(unit_of_edge, dtype=object)
    if unit_of_edge.shape != (arrays.n_edges,):
        raise ParameterError(f"unit_of_edge has shape {unit_of_edge.shape}; give one name per edge ({arrays.n_edges})")
    names = sorted(set(unit_of_edge) - {""})
    missing = [u for u in names if u not in table.index]
    if missing:
        raise ParameterError(f"no closing cost for units {', '.join(map(repr, missing[:5]))}; add them to unit_cost")
    costs = table.loc[names, "closing_cost"].to_numpy(dtype=float)
    if len(costs) and not (np.isfinite(costs).all() and (costs >= 0).all()):
        bad = [u for u, c in zip(names, costs, strict=True) if not (np.isfinite(c) and c >= 0)]
        raise ParameterError(f"closing costs must be finite and >= 0; fix {', '.join(map(repr, bad[:5]))}")
    relevant, reached = _relevant_edges(arrays, origin, destinations, within_pct)
    if not reached:
        raise NoRouteError(f"no destination can be reached from {origin!r}; there is nothing to cut")
    n, n_units = len(arrays.nodes), len(names)
    sink = n + 2 * n_units
    unit_index = {u: i for i, u in enumerate(names)}
    e = np.flatnonzero(relevant)
    member = np.array([unit_index.get(x, -1) for x in unit_of_edge[e]], dtype=np.int64)
    plain, cut = e[member < 0], e[member >= 0]
    hub_in, hub_out = n + 2 * member[member >= 0], n + 2 * member[member >= 0] + 1
    scaled = np.round(costs / COST_RESOLUTION).astype(np.int64)
    infinite = int(scaled.sum()) + 1
    if infinite > _INT_LIMIT:
        raise ParameterError("closing costs are too large for the solver; express them in larger units")
    targets = np.array([arrays.row(t) for t in reached], dtype=np.int64)
    hubs = n + 2 * np.arange(n_units)
    tail = np.concatenate([arrays.edge_u[plain], arrays.edge_u[cut], hub_out, hubs, targets])
    head = np.concatenate([arrays.edge_v[plain], hub_in, arrays.edge_v[cut], hubs + 1, np.full(len(targets), sink)])
    unlimited = np.full(len(plain) + 2 * len(cut), infinite)
    capacity = np.concatenate([unlimited, scaled, np.full(len(targets), infinite)]).astype(np.int64)
    keep = tail != head
    size = sink + 1
    matrix = scipy.sparse.coo_matrix((capacity[keep], (tail[keep], head[keep])), shape=(size, size)).tocsr()
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, infinite).astype(np.int32)
    return CutNetwork(
        capacity=matrix,
        source=arrays.row(origin),
        sink=sink,
        infinite=infinite,
        reached=reached,
        names=names,
        units=table,
        unit_of_edge=unit_of_edge,
    )


def border_cut(
    scenario: Scenario,
    *,
    destinations: Sequence[str] | None = None,
    within_pct: float | None = None,
    every_route: bool = False,
) -> MinimumCut:
    """Cheapest set of gates and border segments that separates the origin from the destinations.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` of a route graph with its region (its
        settings give the closing costs and the default bound).
    destinations
        Destination names; default the demand's destinations inside Vietnam.
    within_pct
        Route-cost bound in % (see :func:`minimum_cut`); default the settings' ``within_pct``.
    every_route
        Cut every route, however dear (ignores ``within_pct``).

    Returns
    -------
    MinimumCut
        Its ``units`` table has ``kind`` (gate/segment), ``id``, ``border``,
        ``closing_cost`` and ``length_km``.

    Raises
    ------
    ParameterError
        ``scenario`` is not a scenario, or an option of the wrong type.
    UnknownNameError
        A destination name is not a destination of the scenario.

    Examples
    --------
    On the shipped data (``scenario = bw.Scenario.from_region()``): the cheapest crossings that block every
    least-cost route, and how much more a 10 % bound needs.

    >>> tight = border_cut(scenario, within_pct=0)
    >>> sorted(tight.units["id"])
    ['KHM-05-0104', 'LAO-00-0062', 'LAO-00-0201']
    >>> len(border_cut(scenario, within_pct=10).units) > len(tight.units)
    True
    """
    sc = as_scenario(scenario, what="border_cut")
    require(destinations, (list, tuple, None), where="border_cut", name="destinations", fix="give a list of names")
    require(within_pct, (int, float, None), where="border_cut", name="within_pct")
    require(every_route, bool, where="border_cut", name="every_route")
    if destinations is None:
        nodes = sc.cut_destinations()
    else:
        nodes = [resolve_name(sc.destinations, name, nodes=sc.G)[1] for name in destinations]
    unit_of_edge, units = sc.crossings
    bound = None if every_route else (sc.settings.cut_bound() if within_pct is None else float(within_pct))
    return minimum_cut(sc.arrays, sc.origin, nodes, unit_of_edge=unit_of_edge, unit_cost=units, within_pct=bound)


def _relevant_edges(
    arrays: GraphArrays, origin: Hashable, destinations: Sequence[Hashable], within_pct: float | None
) -> tuple[np.ndarray, list[Hashable]]:
    """Edges that some (plausible) route to a destination may use, and the destinations reached."""
    relevant = np.zeros(arrays.n_edges, dtype=bool)
    reached = []
    for node in destinations:
        view = arrays.for_destination(node)
        from_origin = view.dijkstra([origin])[0][0]
        to_node = view.dijkstra([node], reverse=True)[0][0]
        least = from_origin[arrays.row(node)]
        if not np.isfinite(least):
            continue
        reached.append(node)
        bound = np.inf if within_pct is None else least * (1.0 + within_pct / 100.0) * (1 + 1e-12) + 1e-12
        through = from_origin[arrays.edge_u] + view.cost + to_node[arrays.edge_v]
        relevant |= np.isfinite(through) & (through <= bound)
    return relevant, reached
