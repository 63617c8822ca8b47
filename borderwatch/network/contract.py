"""The route-graph contract: node ids, required attributes, metadata and graph rules.

A borderwatch route graph is a ``networkx.MultiDiGraph`` that keeps these rules
(OSMnx keeps its own in ``_validate.py``); :func:`validate_route_graph` checks
them and says what is missing.  Loading a graph file and every analysis entry
point call it.

Nodes carry ``x``, ``y`` (lon/lat, EPSG:4326), ``kind`` (:data:`NODE_KINDS`)
and ``country`` (ISO alpha-3, ``""`` outside any country).  Edges carry
:data:`EDGE_ATTRIBUTES`; gate edges also :data:`GATE_EDGE_ATTRIBUTES`.  The
graph's metadata (``G.graph``) is typed by :class:`GraphMeta`.

Graph rules: routes to a destination listed in ``no_entry_from`` may not enter
Vietnam from that country (traffic bound for the China border transits
Vietnam; it does not come back from China).  :func:`barred_entry` says which
country a destination bars; :meth:`GraphArrays.for_destination
<borderwatch.network.arrays.GraphArrays.for_destination>` applies it, and every
analysis routes through that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..doors import GRAPH_FIX, require
from ..errors import GraphContractError, ProfileError
from ..schema import GATE_CLASSES, STORAGE_CRS
from .profile import Profile

#: Edge modes of a route graph.
MODES = ("road", "offroad", "connector", "river", "sea", "gate")
#: Node kinds of a route graph.
NODE_KINDS = ("cell", "road", "river", "gate", "seaport", "overseas", "origin", "destination")
#: Attributes every node has.
NODE_ATTRIBUTES = ("x", "y", "kind", "country")
#: Attributes every edge has (units in the names; ``geometry`` a LineString in EPSG:4326).
EDGE_ATTRIBUTES = ("mode", "length_m", "time_h", "exposure", "cost", "geometry", "source")
#: Attributes every gate edge also has.
GATE_EDGE_ATTRIBUTES = ("gate_id", "gate_class", "border", "crossing")

#: The origin of every route: the Golden Triangle (LAO-THA-MMR tri-point).
ORIGIN_NODE = "origin:golden_triangle"
#: Sink of container export (reached from any overseas port).
EXPORT_NODE = "dest:export"
#: Sink of traffic leaving Vietnam into China.
CHINA_NODE = "dest:china_border"
#: Destinations that are not places: display name -> node id.
SPECIAL_DESTINATIONS = {"export": EXPORT_NODE, "China border": CHINA_NODE}


def slug(name: str) -> str:
    """Lower-case ascii-ish id fragment of a name.

    Parameters
    ----------
    name
        Any display name.

    Returns
    -------
    str
        Runs of other characters replaced by ``_``.
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def cell_node(flat: int) -> str:
    """Node id of a lattice cell (flat index into the lattice grid)."""
    return f"cell:{int(flat)}"


def cell_flat(node_id: str) -> int:
    """Flat lattice index of a cell node id (the inverse of :func:`cell_node`)."""
    return int(str(node_id).removeprefix("cell:"))


def gate_node(gate_id: str, side: str) -> str:
    """Node id of one side (``"VNM"`` or the neighbour's ISO code) of a gate."""
    return f"gate:{gate_id}:{side}"


def port_node(port_id: str) -> str:
    """Node id of a Vietnamese seaport (layer ``seaports``)."""
    return f"port:{port_id}"


def overseas_node(port_id: str) -> str:
    """Node id of an overseas World Port Index port."""
    return f"overseas:{port_id}"


def destination_node(name: str) -> str:
    """Node id of a named city destination (``dest:<slug>``)."""
    return f"dest:{slug(name)}"


@dataclass
class GraphMeta:
    """Typed view of a route graph's metadata (``G.graph``).

    Attributes
    ----------
    crs
        Always ``"EPSG:4326"`` for node coordinates and edge geometries.
    origin
        Default origin node id, or ``None`` (a user graph).
    destinations
        Display name -> node id of the named destinations.
    profile
        The cost profile the graph was built with, or ``None`` (a user graph
        whose costs came from elsewhere).
    no_entry_from
        Graph rule: destination node id -> country whose entry into Vietnam
        routes to it may not use.
    build
        Counts and timings recorded by the builder.
    """

    crs: str = STORAGE_CRS
    origin: Hashable | None = None
    destinations: dict[str, Hashable] = field(default_factory=dict)
    profile: Profile | None = None
    no_entry_from: dict[Hashable, str] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)

    @property
    def demand(self) -> dict[str, float]:
        """Destination name -> share of flow (from the profile; empty without one)."""
        return self.profile.demand if self.profile is not None else {}

    def to_graph_attrs(self) -> dict[str, Any]:
        """Plain attributes for ``G.graph`` (JSON-ready except ``build`` timings)."""
        return {
            "crs": self.crs,
            "origin": self.origin,
            "destinations": dict(self.destinations),
            "profile": self.profile.to_dict() if self.profile is not None else None,
            "no_entry_from": dict(self.no_entry_from),
            "build": dict(self.build),
        }


def graph_meta(G: nx.Graph) -> GraphMeta:
    """Read and check a graph's metadata.

    Parameters
    ----------
    G
        A route graph, or any graph (missing keys take their defaults).

    Returns
    -------
    GraphMeta

    Raises
    ------
    ParameterError
        ``G`` is not a graph.
    GraphContractError
        The metadata names nodes that are not in the graph, or holds an
        invalid profile.
    """
    require(G, nx.Graph, where="graph_meta", name="G", fix=GRAPH_FIX)
    g = G.graph
    problems = []
    profile = None
    if g.get("profile"):
        try:
            profile = (
                g["profile"]
                if isinstance(g["profile"], Profile)
                else Profile.from_dict(g["profile"], source="graph metadata")
            )
        except ProfileError as exc:
            problems.append(f"graph attribute 'profile' is not a valid cost profile: {exc}")
    origin = g.get("origin")
    if origin is not None and origin not in G:
        problems.append(
            f"graph attribute 'origin' = {origin!r} is not a node of the graph; set it to a node id or remove it"
        )
    destinations = dict(g.get("destinations") or {})
    for name, node in destinations.items():
        if node not in G:
            problems.append(f"graph attribute 'destinations': {name!r} -> {node!r} is not a node of the graph")
    rules = dict(g.get("no_entry_from") or {})
    for node in rules:
        if node not in G:
            problems.append(f"graph attribute 'no_entry_from' names {node!r}, which is not a node of the graph")
    crs = g.get("crs") or STORAGE_CRS
    if crs != STORAGE_CRS:
        problems.append(
            f"graph attribute 'crs' = {crs!r}; borderwatch graphs use {STORAGE_CRS} (reproject node x/y and geometries)"
        )
    if problems:
        raise GraphContractError(problems)
    return GraphMeta(
        crs=crs,
        origin=origin,
        destinations=destinations,
        profile=profile,
        no_entry_from=rules,
        build=dict(g.get("build") or {}),
    )


def barred_entry(G: nx.Graph, destination: Hashable) -> str | None:
    """Return the country from which routes to ``destination`` may not enter Vietnam.

    Parameters
    ----------
    G
        A route graph.
    destination
        A node id.

    Returns
    -------
    str or None
        An ISO alpha-3 code (``"CHN"`` for the China-border sink), else None.
    """
    return (G.graph.get("no_entry_from") or {}).get(destination)


def is_route_graph(G: nx.Graph) -> bool:
    """Whether ``G`` claims to be a borderwatch route graph (it carries a profile and an origin)."""
    return bool(G.graph.get("profile")) and G.graph.get("origin") is not None


def validate_route_graph(G: nx.Graph, *, weight: str = "cost", full: bool | None = None, limit: int = 20) -> GraphMeta:
    """Check a graph against the route-graph contract.

    Every graph must have a finite, non-negative ``weight`` on every edge, and
    a ``gate_class`` (where an edge has one) from :data:`~borderwatch.schema.GATE_CLASSES`.  A
    full route graph (``full=True``, or by default any graph that carries a
    profile and an origin, see :func:`is_route_graph`) must also have the
    node attributes :data:`NODE_ATTRIBUTES`, the edge attributes
    :data:`EDGE_ATTRIBUTES` (:data:`GATE_EDGE_ATTRIBUTES` on gate edges),
    modes from :data:`MODES` and valid metadata.

    Parameters
    ----------
    G
        The graph.
    weight
        The edge attribute routing will minimise.
    full
        Check the whole contract; ``None`` decides by :func:`is_route_graph`.
    limit
        Stop listing after this many problems.

    Returns
    -------
    GraphMeta
        The graph's checked metadata.

    Raises
    ------
    ParameterError
        ``G`` is not a graph, or an option of the wrong type.
    GraphContractError
        Every problem found (up to ``limit``), each naming the node or edge,
        the attribute and the fix.
    """
    require(G, nx.Graph, where="validate_route_graph", name="G", fix=GRAPH_FIX)
    require(weight, str, where="validate_route_graph", name="weight")
    require(full, (bool, None), where="validate_route_graph", name="full")
    require(limit, int, where="validate_route_graph", name="limit")
    if full is None:
        full = is_route_graph(G)
    problems: list[str] = []

    def add(problem: str) -> bool:
        problems.append(problem)
        return len(problems) >= limit

    if G.number_of_nodes() == 0:
        raise GraphContractError(
            ["the graph has no nodes; build one with borderwatch build-network or give a non-empty graph file"]
        )
    for u, v, d in G.edges(data=True):
        w = d.get(weight)
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            what = f"has no {weight!r}" if w is None else f"has {weight} = {w!r}"
            if add(f"edge {u!r} -> {v!r} {what}; every edge needs a finite number {weight!r} >= 0"):
                break
        gate_class = d.get("gate_class")
        if gate_class is not None and gate_class not in GATE_CLASSES:
            if add(f"edge {u!r} -> {v!r} has gate_class = {gate_class!r}; use one of {', '.join(GATE_CLASSES)}"):
                break
    if full and len(problems) < limit:
        _full_contract(G, add)
    if len(problems) >= limit:
        problems.append(f"(stopped after {limit} problems)")
    if problems:
        raise GraphContractError(problems)
    return graph_meta(G)


def _full_contract(G: nx.Graph, add) -> None:
    required_nodes = set(NODE_ATTRIBUTES)
    for n, d in G.nodes(data=True):
        missing = required_nodes - d.keys()
        if missing and add(
            f"node {n!r} lacks {', '.join(sorted(missing))}; route-graph nodes need {', '.join(NODE_ATTRIBUTES)}"
        ):
            return
    required = set(EDGE_ATTRIBUTES)
    gate_required = set(GATE_EDGE_ATTRIBUTES)
    modes = set(MODES)
    for u, v, d in G.edges(data=True):
        missing = required - d.keys()
        if d.get("mode") == "gate":
            missing |= gate_required - d.keys()
        if missing:
            if add(
                f"edge {u!r} -> {v!r} lacks {', '.join(sorted(missing))}; route-graph edges need "
                f"{', '.join(EDGE_ATTRIBUTES)}"
            ):
                return
        elif d["mode"] not in modes:
            if add(f"edge {u!r} -> {v!r} has mode = {d['mode']!r}; use one of {', '.join(MODES)}"):
                return
        elif not 0.0 <= d["exposure"] <= 1.0 or not d["length_m"] >= 0 or not d["time_h"] >= 0:
            if add(
                f"edge {u!r} -> {v!r}: exposure {d['exposure']!r} must lie in [0, 1], length_m {d['length_m']!r} and "
                f"time_h {d['time_h']!r} >= 0"
            ):
                return
    try:
        graph_meta(G)
    except GraphContractError as exc:
        for p in exc.problems:
            add(p)


def set_graph_meta(G: nx.Graph, meta: GraphMeta) -> None:
    """Write ``meta`` into ``G.graph`` (replacing the keys it covers).

    Parameters
    ----------
    G
        The graph.
    meta
        Its metadata.
    """
    G.graph.update(meta.to_graph_attrs())
