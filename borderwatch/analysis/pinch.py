"""Pinch points by circuit theory: current-flow betweenness and effective resistance.

The route graph is read as an electrical network: every link is a resistor
whose resistance is its cost (h), parallel edges and both directions of a link
add as parallel resistors (conductance 1/cost).  One unit of current is
injected at the origin and drawn at each destination in turn (or the
destination's share of the demand, ``weights``); the current
through a node (half the sum of the absolute currents on its links) shows how
much of the spread-out traffic squeezes through it, and the potential
difference is the effective resistance between origin and destination.  Unlike
least-cost routing, current spreads over every path in proportion to how easy
it is, so a node that carries current from many near-equal corridors is a
pinch point.

Each destination sees its graph rules applied and no other destination sink
carrying current.  The Laplacian of the network without any sink is factorised
once (``scipy.sparse.linalg.splu``, a symmetric order); ports and other non-sink
destinations are solved on it, and so is a sink of at most :data:`FEW_LINKS`
links (the five city and export sinks), as a low-rank change (Woodbury).  A
sink of many links under a rule (the China border, 1,135 links) has a
factorisation of its own.  On the shipped graph that is 2 factorisations
instead of 6, and the whole analysis is sparse: the networkx
implementation is dense and does not scale.  Results agree with
``networkx.current_flow_betweenness_centrality_subset`` (unnormalised, up to
its constant offset) and ``networkx.resistance_distance`` (tested).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from ..errors import ParameterError
from ..network.arrays import GraphArrays

#: Links cheaper than this (h) are treated as this resistance (a zero-cost link would short the circuit).
MIN_RESISTANCE_H = 1e-6


@dataclass
class PinchPoints:
    """Result of :func:`pinch_points`.

    Attributes
    ----------
    node_current
        Node id -> current through the node, summed over the destinations
        (each destination one unit).
    edge_current
        Current through every edge of the array view, summed over the
        destinations: a link's current, shared among its parallel edges of the
        same direction by conductance (both directions of a link report it).
    resistance
        Destination node -> effective resistance from the origin (h), or NaN
        when it is not connected to the origin.
    unreachable
        Destinations not connected to the origin.
    """

    node_current: pd.Series
    edge_current: np.ndarray
    resistance: dict[Hashable, float]
    unreachable: list[Hashable]


def pinch_points(
    arrays: GraphArrays,
    origin: Hashable,
    destinations: Sequence[Hashable],
    *,
    weights: Mapping[Hashable, float] | None = None,
) -> PinchPoints:
    """Current-flow betweenness of every node and effective resistance to each destination.

    Parameters
    ----------
    arrays
        The array view; each edge's resistance is its cost in force (removed
        edges carry no current).
    origin
        Node where the current enters.
    destinations
        Nodes where it leaves, in turn.
    weights
        Current drawn at each destination (default one unit each); the
        chokepoint metrics pass the demand shares, so eight export ports of
        0.045 weigh what their share of the demand weighs, not eight units.

    Returns
    -------
    PinchPoints

    Raises
    ------
    ParameterError
        No destination given.
    """
    if not len(destinations):
        raise ParameterError("give at least one destination")
    current = np.zeros(len(arrays.nodes))
    edge_current = np.zeros(arrays.n_edges)
    resistance: dict[Hashable, float] = {}
    unreachable: list[Hashable] = []
    sinks = arrays.node_kind == "destination"
    groups: dict[tuple, list[Hashable]] = {}
    for node in destinations:
        # its graph rules apply, and no other destination sink (a node joined to many places, e.g. the
        # whole China border) may carry current through; destinations that are not sinks (ports, user
        # graph nodes) under the same rule see the same network and share one factorisation
        own = node if sinks[arrays.row(node)] else None
        groups.setdefault((arrays.rules.get(node), own), []).append(node)
    no_sinks: _Circuit | None = None  # the rule-free network without any sink, factorised once

    def circuit_without_sinks() -> _Circuit:
        nonlocal no_sinks
        if no_sinks is None:
            closed = sinks[arrays.edge_u] | sinks[arrays.edge_v]
            no_sinks = _Circuit(arrays.without(closed) if closed.any() else arrays, origin)
        return no_sinks

    for (rule, own), nodes in groups.items():
        amount = {n: 1.0 if weights is None else float(weights[n]) for n in nodes}
        if own is not None and rule is None and _few_links(arrays, own):
            # a sink of a few links joins the sink-free network: a low-rank change of its factorisation
            circuit_without_sinks().attach(arrays, own, amount[own], current, edge_current, resistance, unreachable)
            continue
        others = sinks.copy()
        if own is not None:
            others[arrays.row(own)] = False
        if rule is None and own is None:
            circuit = circuit_without_sinks()
        else:
            closed = others[arrays.edge_u] | others[arrays.edge_v]
            view = arrays.for_destination(nodes[0])
            circuit = _Circuit(view.without(closed) if closed.any() else view, origin)
        for node in nodes:
            circuit.drain(node, amount[node], current, edge_current, resistance, unreachable)
    node_current = pd.Series(current, index=pd.Index(arrays.nodes, name="node"), name="current")
    return PinchPoints(
        node_current=node_current, edge_current=edge_current, resistance=resistance, unreachable=unreachable
    )


#: A destination sink with at most this many links is solved on the factorisation of the sink-free network
#: (one solve per link and a small dense system) instead of a factorisation of its own.
FEW_LINKS = 16


def _links(arrays: GraphArrays, row: int) -> np.ndarray:
    """Return the edges in force between node ``row`` and another node."""
    touching = (arrays.edge_u == row) | (arrays.edge_v == row)
    return np.flatnonzero(touching & np.isfinite(arrays.cost) & (arrays.edge_u != arrays.edge_v))


def _few_links(arrays: GraphArrays, sink: Hashable) -> bool:
    return len(_links(arrays, arrays.row(sink))) <= FEW_LINKS


class _Circuit:
    """The resistor network of a view: the origin's component, grounded at the origin, factorised once."""

    def __init__(self, arrays: GraphArrays, origin: Hashable) -> None:
        n = len(arrays.nodes)
        live = np.isfinite(arrays.cost)
        u, v = arrays.edge_u[live], arrays.edge_v[live]
        conductance = 1.0 / np.maximum(arrays.cost[live], MIN_RESISTANCE_H)
        keep = u != v
        # parallel links add (summed per direction); the two directions of one link are one resistor
        directed = scipy.sparse.coo_matrix((conductance[keep], (u[keep], v[keep])), shape=(n, n)).tocsr()
        adjacency = directed.maximum(directed.T).tocsr()
        _, labels = scipy.sparse.csgraph.connected_components(adjacency, directed=False)
        o = arrays.row(origin)
        self.component = np.flatnonzero(labels == labels[o])
        self.local = np.full(n, -1)
        self.local[self.component] = np.arange(len(self.component))
        sub = adjacency[self.component][:, self.component]
        laplacian = scipy.sparse.diags(np.asarray(sub.sum(axis=1)).ravel()) - sub
        self.ground = self.local[o]
        self.free = np.delete(np.arange(len(self.component)), self.ground)
        # the grounded Laplacian is symmetric positive definite: a symmetric fill-reducing order and diagonal
        # pivots (no row exchanges) are stable for it, and factorise in about 60 % of the default's time
        self.solver = scipy.sparse.linalg.splu(
            laplacian[self.free][:, self.free].tocsc(),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        self.coo = scipy.sparse.triu(sub, k=1).tocoo()
        # per edge: its share of its direction's parallel conductance times the link's conductance
        lu, lv = self.local[u[keep]], self.local[v[keep]]
        on = (lu >= 0) & (lv >= 0)
        self.edge_rows = np.flatnonzero(live)[keep][on]
        self.lu, self.lv = lu[on], lv[on]
        share = conductance[keep][on] / np.asarray(directed[u[keep][on], v[keep][on]]).ravel()
        self.edge_conductance = share * np.asarray(sub[self.lu, self.lv]).ravel()
        self.arrays = arrays

    def potentials(self, injected: np.ndarray) -> np.ndarray:
        """Node potentials (the origin at 0) for current ``injected`` at each free node (a matrix: per column)."""
        out = np.zeros((len(self.component), *injected.shape[1:]))
        out[self.free] = self.solver.solve(injected)
        return out

    def add_currents(self, potential: np.ndarray, amount: float, current: np.ndarray, edge_current: np.ndarray):
        """Add the currents of ``potential`` (weighted by ``amount``) to the node and edge totals."""
        coo = self.coo
        flow = amount * np.abs(coo.data * (potential[coo.row] - potential[coo.col]))
        m = len(self.component)
        current[self.component] += 0.5 * (np.bincount(coo.row, flow, m) + np.bincount(coo.col, flow, m))
        edge_current[self.edge_rows] += amount * self.edge_conductance * np.abs(potential[self.lu] - potential[self.lv])

    def drain(self, node, amount, current, edge_current, resistance, unreachable) -> None:
        """Add the currents of one unit in at the origin and out at ``node``, a node of this network."""
        t = self.arrays.row(node)
        if self.local[t] < 0:
            resistance[node] = float("nan")
            unreachable.append(node)
            return
        b = np.zeros(len(self.component))
        b[self.ground], b[self.local[t]] = 1.0, -1.0
        potential = self.potentials(b[self.free])
        resistance[node] = float(potential[self.ground] - potential[self.local[t]])
        self.add_currents(potential, amount, current, edge_current)

    def attach(self, arrays, sink, amount, current, edge_current, resistance, unreachable) -> None:
        """Add the currents of one unit out at ``sink``, a node outside this network joined to it by a few links.

        With ``g`` the conductances of its links to nodes ``J`` (``c`` their sum), eliminating the sink's
        potential ``x_s = (g·x_J - 1) / c`` leaves ``(L + U M Uᵀ) x = -U g / c`` on this network, ``M = diag(g)
        - g gᵀ / c`` (the star of links as a mesh among ``J``).  By Woodbury ``x = Z (I + M S)⁻¹ ρ`` with ``Z =
        L⁻¹ U`` (one solve per link), ``S = Uᵀ Z`` and ``ρ = -g / c``; links to the origin count in ``c`` only,
        and links to nodes outside the origin's component carry no current (a dead end beyond the sink).
        """
        s = arrays.row(sink)
        edges = _links(arrays, s)
        other = np.where(arrays.edge_u[edges] == s, arrays.edge_v[edges], arrays.edge_u[edges])
        into = arrays.edge_v[edges] == s
        conductance = 1.0 / np.maximum(arrays.cost[edges], MIN_RESISTANCE_H)
        edges, other, into, conductance = (x[self.local[other] >= 0] for x in (edges, other, into, conductance))
        if not len(edges):
            resistance[sink] = float("nan")
            unreachable.append(sink)
            return
        nodes = np.unique(other)
        which = np.searchsorted(nodes, other)
        per_direction = np.zeros((len(nodes), 2))
        np.add.at(per_direction, (which, into.astype(int)), conductance)
        g = per_direction.max(axis=1)  # a link: the larger of its two directions' parallel sums, as elsewhere
        c = g.sum()
        at = self.local[nodes]
        free = at != self.ground
        position = np.searchsorted(self.free, at[free])  # rows of the grounded system
        unit = np.zeros((len(self.free), len(position)))
        unit[position, np.arange(len(position))] = 1.0
        Z = self.potentials(unit)
        gf = g[free]
        M = np.diag(gf) - np.outer(gf, gf) / c
        y = np.linalg.solve(np.eye(len(gf)) + M @ Z[at[free]], -gf / c)
        potential = Z @ y
        x_sink = (gf @ potential[at[free]] - 1.0) / c
        resistance[sink] = float(-x_sink)
        self.add_currents(potential, amount, current, edge_current)
        link = amount * g * np.abs(potential[at] - x_sink)
        current[s] += 0.5 * link.sum()
        np.add.at(current, self.component[at], 0.5 * link)
        edge_current[edges] += link[which] * conductance / per_direction[which, into.astype(int)]


def gate_current(arrays: GraphArrays, node_current: pd.Series) -> pd.Series:
    """Return the current through each gate: the larger of its two sides' node currents.

    Parameters
    ----------
    arrays
        The array view.
    node_current
        From :attr:`PinchPoints.node_current`.

    Returns
    -------
    pandas.Series
        Indexed by ``gate_id``.
    """
    gates = np.flatnonzero(arrays.crossing == "gate")
    rows = []
    for e in gates:
        for end in (arrays.edge_u[e], arrays.edge_v[e]):
            if arrays.node_kind[end] == "gate":  # not the China-border sink a China gate also leads to
                rows.append((arrays.gate_id[e], float(node_current.get(arrays.nodes[end], 0.0))))
    frame = pd.DataFrame(rows, columns=["gate_id", "current"])
    return frame.groupby("gate_id")["current"].max()
