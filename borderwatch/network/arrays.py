"""The edge-aware array engine under every analysis.

networkx is the graph users see; heavy kernels run on :class:`GraphArrays`, a
compact view of a (multi)graph:

- every edge of the graph, in ``G.edges`` order, as aligned arrays: its nodes
  (``edge_u``, ``edge_v`` as matrix rows), key, ``time_h``, ``exposure``,
  ``length_m``, ``mode``, ``gate_id``, ``crossing``, ``border`` and the cost in
  force (``cost``; ``inf`` means removed);
- per node: ``node_kind`` and ``node_country``;
- a ``scipy.sparse`` CSR matrix of the cheapest edge in force per ordered node
  pair, with ``entry_edge`` giving, for every matrix entry, the edge it came
  from, so any shortest path traces back to its edges and gates.

Views are cheap and never touch networkx: :meth:`~GraphArrays.without`,
:meth:`~GraphArrays.scaled` and :meth:`~GraphArrays.replaced` change the cost
of chosen edges, :meth:`~GraphArrays.reweighted` recomputes every cost from
``time_h`` and ``exposure`` (e.g. with :func:`~borderwatch.network.profile.edge_cost`
and other weights), and :meth:`~GraphArrays.for_destination` applies the
graph's rules.  Dijkstra runs in compiled code (``scipy.sparse.csgraph``,
O(E log V) per source); results agree with networkx (tested).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from ..errors import GraphContractError, NoRouteError, ParameterError, UnknownNameError
from ..kept import Kept

#: Edge attributes copied into aligned float arrays (NaN where an edge lacks one).
FLOAT_ATTRIBUTES = ("time_h", "exposure", "length_m")
#: Edge attributes copied into aligned string arrays ("" where an edge lacks one).
TEXT_ATTRIBUTES = ("mode", "gate_id", "crossing", "border")
#: The per-node and per-edge arrays a view is assembled from (:meth:`GraphArrays.from_columns`): its node
#: index, node-pair grouping and CSR matrix follow from them.
COLUMNS = (
    "node_kind",
    "node_country",
    "node_x",
    "node_y",
    "edge_u",
    "edge_v",
    "edge_key",
    *FLOAT_ATTRIBUTES,
    *TEXT_ATTRIBUTES,
    "cost",
    "edge_tag",
)


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """Edge-aware CSR view of a (multi)graph (see the module docstring).

    Attributes
    ----------
    nodes
        Node ids in matrix order.
    index
        Node id -> matrix row.
    node_kind, node_country
        Per-node ``kind`` and ``country`` ("" where missing).
    node_x, node_y
        Per-node ``x`` and ``y`` (lon/lat; NaN where missing).
    edge_u, edge_v
        Matrix rows of every edge's tail and head.
    edge_key
        Every edge's key (0 for a simple graph).
    time_h, exposure, length_m
        Per-edge floats (NaN where the graph has none).
    mode, gate_id, crossing, border
        Per-edge text ("" where the graph has none).
    cost
        Per-edge cost in force; ``inf`` marks a removed edge.
    weight
        The edge attribute the base costs came from.
    matrix
        CSR matrix of the cheapest edge in force per ordered node pair.
    entry_edge
        For every entry of ``matrix.data``, the index of its edge.
    rules
        Graph rule ``no_entry_from``: destination node -> barred country.
    edge_tag
        A 64-bit hash of every edge's identity ``(u, v, key)``: the key of its
        random draws (:mod:`borderwatch.analysis.draws`), the same in every
        graph that has the edge.
    pairs
        Edges grouped by node pair (shared by every view; makes a view linear-time).
    structure
        Facts of the graph's structure that no cost changes (entry edges,
        crossing masks), computed once and shared by every view.
    """

    nodes: list[Hashable]
    index: dict[Hashable, int]
    node_kind: np.ndarray
    node_country: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_key: np.ndarray
    time_h: np.ndarray
    exposure: np.ndarray
    length_m: np.ndarray
    mode: np.ndarray
    gate_id: np.ndarray
    crossing: np.ndarray
    border: np.ndarray
    cost: np.ndarray
    weight: str
    matrix: scipy.sparse.csr_matrix
    entry_edge: np.ndarray
    rules: dict[Hashable, str]
    edge_tag: np.ndarray
    pairs: _Pairs
    structure: dict = dataclasses.field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_graph(cls, G: nx.Graph, *, weight: str = "cost") -> GraphArrays:
        """Build the view of a graph.

        An undirected graph gives two directed edges per edge (both with the
        edge's key).

        Parameters
        ----------
        G
            Any networkx graph whose edges carry ``weight``.
        weight
            Edge attribute used as the base cost.

        Returns
        -------
        GraphArrays

        Raises
        ------
        GraphContractError
            An edge lacks ``weight`` or has a negative or non-finite one.
        """
        nodes = list(G.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        triples = (
            G.edges(keys=True, data=True) if G.is_multigraph() else ((u, v, 0, d) for u, v, d in G.edges(data=True))
        )
        u_list, v_list, keys, datas = [], [], [], []
        for u, v, k, d in triples:
            u_list.append(index[u])
            v_list.append(index[v])
            keys.append(k)
            datas.append(d)
        cost = np.array([d.get(weight, np.nan) for d in datas], dtype=float) if datas else np.empty(0)
        bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
        if len(bad):
            d = datas[bad[0]]
            what = f"has no {weight!r} attribute" if weight not in d else f"has {weight!r} = {d[weight]!r}"
            raise GraphContractError(
                [
                    f"edge {nodes[u_list[bad[0]]]!r} -> {nodes[v_list[bad[0]]]!r} {what}; every edge needs a finite "
                    f"{weight!r} >= 0 ({len(bad)} such edges)"
                ]
            )
        floats = {a: np.array([d.get(a, np.nan) for d in datas], dtype=float) for a in FLOAT_ATTRIBUTES}
        texts = {a: np.array([str(d.get(a) or "") for d in datas], dtype=object) for a in TEXT_ATTRIBUTES}
        eu, ev = np.array(u_list, dtype=np.int64), np.array(v_list, dtype=np.int64)
        ekey = np.empty(len(keys), dtype=object)
        ekey[:] = keys
        if not G.is_directed():
            eu, ev = np.concatenate([eu, ev]), np.concatenate([ev, eu])
            ekey, cost = np.concatenate([ekey, ekey]), np.concatenate([cost, cost])
            floats = {a: np.concatenate([x, x]) for a, x in floats.items()}
            texts = {a: np.concatenate([x, x]) for a, x in texts.items()}
        # a user graph may mark gates by gate_id alone
        texts["crossing"] = np.where((texts["gate_id"] != "") & (texts["crossing"] == ""), "gate", texts["crossing"])
        columns = {
            "node_kind": np.array([str(k or "") for _, k in G.nodes(data="kind")], dtype=object),
            "node_country": np.array([str(c or "") for _, c in G.nodes(data="country")], dtype=object),
            "node_x": np.array([_coordinate(x) for _, x in G.nodes(data="x")], dtype=float),
            "node_y": np.array([_coordinate(y) for _, y in G.nodes(data="y")], dtype=float),
            "edge_u": eu,
            "edge_v": ev,
            "edge_key": ekey,
            "cost": cost,
            "edge_tag": identity_tags(
                [f"{nodes[u]!r}|{nodes[v]!r}|{k!r}" for u, v, k in zip(eu, ev, ekey, strict=True)]
            ),
            **floats,
            **texts,
        }
        return cls.from_columns(nodes, columns, weight=weight, rules=dict(G.graph.get("no_entry_from") or {}))

    @classmethod
    def from_columns(
        cls, nodes: Sequence[Hashable], columns: dict[str, np.ndarray], *, weight: str, rules: dict[Hashable, str]
    ) -> GraphArrays:
        """Assemble a view from its :data:`COLUMNS` (as :meth:`columns` gives them); the rest follows from them.

        :meth:`from_graph` reads the columns from a graph; the graph cache
        (:mod:`borderwatch.network.cache`) stores them, so a warm load
        assembles the same view without walking the graph.

        Parameters
        ----------
        nodes
            Node ids in matrix order.
        columns
            :data:`COLUMNS` -> array (per node, or per edge).
        weight
            The edge attribute the costs came from.
        rules
            Graph rule ``no_entry_from`` (destination node -> barred country).

        Returns
        -------
        GraphArrays
        """
        pairs = _Pairs.of(columns["edge_u"], columns["edge_v"])
        matrix, entry = _collapse(pairs, columns["cost"], len(nodes))
        return cls(
            nodes=list(nodes),
            index={n: i for i, n in enumerate(nodes)},
            weight=weight,
            matrix=matrix,
            entry_edge=entry,
            rules=rules,
            pairs=pairs,
            **{name: columns[name] for name in COLUMNS},
        )

    def columns(self) -> dict[str, np.ndarray]:
        """Return the :data:`COLUMNS` of the view (:meth:`from_columns` assembles it again from them)."""
        return {name: getattr(self, name) for name in COLUMNS}

    @property
    def n_edges(self) -> int:
        """Number of edges (including removed ones)."""
        return len(self.edge_u)

    # ------------------------------------------------------------------ views
    def with_cost(self, cost: np.ndarray) -> GraphArrays:
        """Return the same graph with every edge's cost replaced.

        Parameters
        ----------
        cost
            One value per edge, >= 0; ``inf`` removes an edge.

        Returns
        -------
        GraphArrays
            A new view (the edge arrays are shared, not copied).

        Raises
        ------
        ParameterError
            Wrong length, NaN or a negative value.
        """
        cost = np.asarray(cost, dtype=float)
        if cost.shape != (self.n_edges,):
            raise ParameterError(f"cost has shape {cost.shape}; give one value per edge ({self.n_edges})")
        if np.isnan(cost).any() or (cost < 0).any():
            bad = int(np.flatnonzero(np.isnan(cost) | (cost < 0))[0])
            raise ParameterError(
                f"cost of edge {self.edge_id(bad)!r} is {float(cost[bad])!r}; costs must be >= 0 (inf removes an edge)"
            )
        removed = np.isinf(cost)
        if np.array_equal(removed, np.isinf(self.cost)):  # same edges in force: only the weights change
            return self._reweighted_in_place(cost)
        known = self.structure.setdefault("in_force", _InForce())
        like = known.get(removed)
        if like is not None:  # these edges were in force in an earlier view (a rule's view of each sample)
            return self._reweighted_in_place(cost, like=like)
        matrix, entry = _collapse(self.pairs, cost, len(self.nodes))
        view = dataclasses.replace(self, cost=cost, matrix=matrix, entry_edge=entry)
        known.keep(removed, view)
        return view

    def times(self, factor: np.ndarray) -> GraphArrays:
        """Return the same graph with every edge's cost multiplied by its own positive, finite factor.

        The edges in force stay the same, so the matrix structure is reused
        and only groups of parallel edges are searched for their cheapest one:
        the fast path of an ensemble sample (``arrays.cost * factor``, equal to
        :meth:`with_cost` of it).

        Parameters
        ----------
        factor
            One factor per edge, finite and > 0.

        Returns
        -------
        GraphArrays

        Raises
        ------
        ParameterError
            Wrong length, or a factor that is not finite and > 0.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph()
        >>> _ = G.add_edge("a", "b", cost=2.0)
        >>> _ = G.add_edge("a", "b", cost=3.0)
        >>> view = GraphArrays.from_graph(G).times(np.array([2.0, 1.0]))
        >>> view.matrix[0, 1], int(view.entry_edge[0])  # the second edge is now the cheaper
        (np.float64(3.0), 1)
        """
        factor = np.asarray(factor, dtype=float)
        if factor.shape != (self.n_edges,):
            raise ParameterError(f"factor has shape {factor.shape}; give one value per edge ({self.n_edges})")
        if self.n_edges and not (np.isfinite(factor).all() and factor.min() > 0):
            bad = int(np.flatnonzero(~(np.isfinite(factor) & (factor > 0)))[0])
            raise ParameterError(f"factor of edge {self.edge_id(bad)!r} is {float(factor[bad])!r}; give one > 0")
        return self._reweighted_in_place(self.cost * factor)

    def _reweighted_in_place(self, cost: np.ndarray, *, like: GraphArrays | None = None) -> GraphArrays:
        """Return the view for new costs with the edges in force of ``like`` (default this view).

        The matrix structure and pair keys of ``like`` are kept.
        """
        like = self if like is None else like
        matrix, entry = _recollapse(self.pairs, cost, like.matrix, like.entry_edge, like._pair_keys)
        view = dataclasses.replace(self, cost=cost, matrix=matrix, entry_edge=entry)
        view.__dict__["_pair_keys"] = like._pair_keys  # the same (row, col) entries
        return view

    def reweighted(self, cost_of: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> GraphArrays:
        """Every cost recomputed from ``time_h`` and ``exposure``; removed edges stay removed.

        Parameters
        ----------
        cost_of
            ``cost_of(time_h, exposure)`` -> per-edge cost, e.g.
            ``lambda t, x: edge_cost(t, x, profile=other_profile)``.

        Returns
        -------
        GraphArrays
        """
        cost = np.asarray(cost_of(self.time_h, self.exposure), dtype=float)
        return self.with_cost(np.where(np.isinf(self.cost), np.inf, cost))

    def without(self, edges: np.ndarray | Sequence[int]) -> GraphArrays:
        """Return a view with ``edges`` (indices or a boolean mask) removed.

        Parameters
        ----------
        edges
            Edge indices, or a boolean mask over all edges.

        Returns
        -------
        GraphArrays
        """
        cost = self.cost.copy()
        cost[self._select(edges)] = np.inf
        return self.with_cost(cost)

    def scaled(self, edges: np.ndarray | Sequence[int], factor: float | np.ndarray) -> GraphArrays:
        """Return a view with the cost of ``edges`` multiplied by ``factor`` (>= 0).

        Parameters
        ----------
        edges
            Edge indices (repeats multiply repeatedly) or a boolean mask.
        factor
            One factor, or one per selected edge.

        Returns
        -------
        GraphArrays
        """
        cost = self.cost.copy()
        np.multiply.at(cost, self._select(edges), factor)
        return self.with_cost(cost)

    def replaced(self, edges: np.ndarray | Sequence[int], cost: float | np.ndarray) -> GraphArrays:
        """Return a view with the cost of ``edges`` set to ``cost``.

        Parameters
        ----------
        edges
            Edge indices or a boolean mask.
        cost
            One cost, or one per selected edge (>= 0; ``inf`` removes).

        Returns
        -------
        GraphArrays
        """
        new = self.cost.copy()
        new[self._select(edges)] = cost
        return self.with_cost(new)

    def for_destination(self, destination: Hashable) -> GraphArrays:
        """Return the view routes to ``destination`` must use: the graph's rules applied.

        A destination listed in ``no_entry_from`` (the China-border sink)
        loses every edge from the barred country into Vietnam.

        Parameters
        ----------
        destination
            A node id.

        Returns
        -------
        GraphArrays
            ``self`` when no rule applies.
        """
        country = self.rules.get(destination)
        if not country:
            return self
        return self.without(self.entry_edges(country))

    def _select(self, edges: np.ndarray | Sequence[int]) -> np.ndarray:
        sel = np.asarray(edges)
        if sel.dtype == bool:
            if sel.shape != (self.n_edges,):
                raise ParameterError(f"edge mask has shape {sel.shape}; give one value per edge ({self.n_edges})")
            return np.flatnonzero(sel)
        sel = sel.astype(np.int64, copy=False)
        if len(sel) and (sel.min() < 0 or sel.max() >= self.n_edges):
            raise ParameterError(f"edge index out of range 0..{self.n_edges - 1}")
        return sel

    # ---------------------------------------------------------------- selections
    def entry_edges(self, country: str) -> np.ndarray:
        """Return the indices of the edges from ``country`` into Vietnam.

        Parameters
        ----------
        country
            ISO alpha-3 code of a neighbour.

        Returns
        -------
        numpy.ndarray
        """
        key = ("entry_edges", country)
        if key not in self.structure:
            u, v = self.node_country[self.edge_u], self.node_country[self.edge_v]
            self.structure[key] = np.flatnonzero((u == country) & (v == "VNM"))
            self.structure[key].flags.writeable = False
        return self.structure[key]

    def into_vietnam(self, crossing: str | None = None) -> np.ndarray:
        """Mask of the crossing edges that enter Vietnam (of one crossing kind, or any).

        Parameters
        ----------
        crossing
            ``"gate"``, ``"informal"`` or ``None`` for both.

        Returns
        -------
        numpy.ndarray
            Boolean, one value per edge.  On a graph whose nodes carry no
            country (a user graph), every crossing edge counts.
        """
        key = ("into_vietnam", crossing)
        if key not in self.structure:
            kind = self.crossing != "" if crossing is None else self.crossing == crossing
            if self.node_country.any():
                kind = kind & (self.node_country[self.edge_v] == "VNM")
            kind.flags.writeable = False
            self.structure[key] = kind
        return self.structure[key]

    def gate_edges(self, gate_ids: Sequence[str] | None = None) -> np.ndarray:
        """Return the indices of gate crossing edges (of the given gates, or all).

        Parameters
        ----------
        gate_ids
            Gate ids; ``None`` for every gate.

        Returns
        -------
        numpy.ndarray
        """
        if gate_ids is None:
            return np.flatnonzero(self.crossing == "gate")
        if "gate_edges" not in self.structure:  # gate id -> its edges, grouped once (interdiction asks per gate)
            edges = np.flatnonzero(self.crossing == "gate")
            ids = self.gate_id[edges].astype(str)
            order = np.argsort(ids, kind="stable")
            cuts = np.flatnonzero(ids[order][1:] != ids[order][:-1]) + 1
            self.structure["gate_edges"] = {
                str(ids[group[0]]): edges[group] for group in np.split(order, cuts) if len(group)
            }
        by_gate = self.structure["gate_edges"]
        found = [by_gate[g] for g in dict.fromkeys(gate_ids) if g in by_gate]
        return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)

    def parallel(self, edges: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return every edge that joins the same ordered node pair as one of ``edges``.

        Closing or penalising a *link* (not one of its parallel edges) uses these.

        Parameters
        ----------
        edges
            Edge indices or a boolean mask.

        Returns
        -------
        numpy.ndarray
            Sorted edge indices (including ``edges`` themselves).
        """
        sel = self._select(edges)
        n = len(self.nodes)
        pairs = self.edge_u * n + self.edge_v
        return np.flatnonzero(np.isin(pairs, pairs[sel]))

    def edge_id(self, edge: int) -> tuple[Hashable, Hashable, Hashable]:
        """Return the networkx id ``(u, v, key)`` of an edge index.

        Parameters
        ----------
        edge
            An edge index.
        """
        return self.nodes[self.edge_u[edge]], self.nodes[self.edge_v[edge]], self.edge_key[edge]

    # ------------------------------------------------------------- shortest paths
    def row(self, node: Hashable) -> int:
        """Return the matrix row of a node id.

        Parameters
        ----------
        node
            A node id.

        Raises
        ------
        UnknownNameError
            The node is not in the graph.
        """
        try:
            return self.index[node]
        except (KeyError, TypeError):
            raise UnknownNameError(f"node {node!r} is not in the graph") from None

    def dijkstra(
        self, sources: Sequence[Hashable], *, limit: float = np.inf, reverse: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from each source to every node.

        Parameters
        ----------
        sources
            Node ids.
        limit
            Stop at this cost; farther nodes get ``inf``.
        reverse
            Distances from every node *to* each source instead (edges walked
            backwards; ``pred`` then holds each node's successor).

        Returns
        -------
        dist, pred
            Arrays of shape (len(sources), n_nodes); ``pred`` is -9999 where
            there is no predecessor.
        """
        idx = [self.row(s) for s in sources]
        dist, pred = scipy.sparse.csgraph.dijkstra(
            self.matrix.T.tocsr() if reverse else self.matrix,
            directed=True,
            indices=idx,
            return_predecessors=True,
            limit=limit,
        )
        return np.atleast_2d(dist), np.atleast_2d(pred)

    def path(self, source: Hashable, target: Hashable) -> tuple[list[Hashable], float]:
        """Least-cost node path and its cost.

        Parameters
        ----------
        source, target
            Node ids.

        Raises
        ------
        NoRouteError
            ``target`` cannot be reached from ``source``.
        """
        dist, pred = self.dijkstra([source])
        return self.path_from(dist[0], pred[0], source, target)

    def path_from(
        self, dist: np.ndarray, pred: np.ndarray, source: Hashable, target: Hashable
    ) -> tuple[list[Hashable], float]:
        """Rebuild one node path from a row of :meth:`dijkstra` output.

        Parameters
        ----------
        dist, pred
            One row of :meth:`dijkstra` output.
        source, target
            Node ids; ``source`` is the row's source.

        Returns
        -------
        nodes, cost
            Node ids in path order, and the path's cost.

        Raises
        ------
        NoRouteError
            ``target`` cannot be reached from ``source``.
        """
        rows = self._trace(dist, pred, source, target)
        return [self.nodes[i] for i in rows], float(dist[rows[-1]])

    def path_edges(
        self, source: Hashable, target: Hashable, *, dist: np.ndarray | None = None, pred: np.ndarray | None = None
    ) -> tuple[np.ndarray, float]:
        """Edge indices of the least-cost path and its cost.

        Parameters
        ----------
        source, target
            Node ids.
        dist, pred
            A row of :meth:`dijkstra` output from ``source`` (computed if omitted).

        Returns
        -------
        edges, cost
            Edge indices in path order, and the path's cost.

        Raises
        ------
        NoRouteError
            ``target`` cannot be reached from ``source``.
        """
        if dist is None or pred is None:
            d, p = self.dijkstra([source])
            dist, pred = d[0], p[0]
        rows = self._trace(dist, pred, source, target)
        return self.step_edges(rows[:-1], rows[1:]), float(dist[rows[-1]])

    def edges_between(self, path: Sequence[Hashable]) -> np.ndarray:
        """Edge indices of a node path: the cheapest edge in force for each step.

        Parameters
        ----------
        path
            Node ids in order.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        NoRouteError
            Two consecutive nodes have no edge in force between them.
        """
        rows = np.array([self.row(n) for n in path], dtype=np.int64)
        return self.step_edges(rows[:-1], rows[1:])

    def gates_of(self, edges: np.ndarray) -> list[str]:
        """Gate ids crossed by a sequence of edges, in order.

        Parameters
        ----------
        edges
            Edge indices in path order.
        """
        return [g for g in self.gate_id[edges] if g]

    def accumulate(self, paths: Sequence[np.ndarray], weights: Sequence[float] | np.ndarray) -> np.ndarray:
        """Flow on every edge from many paths, in one vectorised step.

        Parameters
        ----------
        paths
            Edge-index arrays (e.g. from :meth:`path_edges`).
        weights
            Flow carried by each path.

        Returns
        -------
        numpy.ndarray
            Per-edge flow (length :attr:`n_edges`).
        """
        weights = np.asarray(weights, dtype=float)
        if len(weights) != len(paths):
            raise ParameterError(f"{len(paths)} paths but {len(weights)} weights; give one weight per path")
        if not len(paths):
            return np.zeros(self.n_edges)
        lengths = np.array([len(p) for p in paths])
        edges = np.concatenate([np.asarray(p, dtype=np.int64) for p in paths])
        return np.bincount(edges, weights=np.repeat(weights, lengths), minlength=self.n_edges)

    def _trace(self, dist: np.ndarray, pred: np.ndarray, source: Hashable, target: Hashable) -> np.ndarray:
        s, t = self.row(source), self.row(target)
        if not np.isfinite(dist[t]):
            raise NoRouteError(
                f"no route from {source!r} to {target!r}: the destination cannot be reached in this graph"
            )
        seq = [t]
        while seq[-1] != s:
            p = int(pred[seq[-1]])
            if p < 0:
                raise NoRouteError(f"no route from {source!r} to {target!r}")
            seq.append(p)
        return np.array(seq[::-1], dtype=np.int64)

    @functools.cached_property
    def _pair_keys(self) -> np.ndarray:
        """``row * n + col`` of every entry of :attr:`matrix`, sorted (CSR order), to look edges up by node pair."""
        m = self.matrix
        n = m.shape[0]
        return np.repeat(np.arange(n, dtype=np.int64), np.diff(m.indptr)) * n + m.indices

    def step_edges(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Return the edge of each step ``rows[i] -> cols[i]`` (matrix rows): the one a shortest path walks.

        Parameters
        ----------
        rows, cols
            Node rows (matrix indices) of each step's tail and head.

        Returns
        -------
        numpy.ndarray
            Edge indices (the cheapest of parallel edges).

        Raises
        ------
        NoRouteError
            A pair has no edge in this view.
        """
        pair_keys = self._pair_keys
        n = self.matrix.shape[0]
        want = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)  # no int32 overflow
        pos = np.searchsorted(pair_keys, want)
        ok = (pos < len(pair_keys)) & (pair_keys[np.minimum(pos, len(pair_keys) - 1)] == want)
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            raise NoRouteError(f"no edge from {self.nodes[rows[k]]!r} to {self.nodes[cols[k]]!r} in this view")
        return self.entry_edge[pos]


def identity_tags(names: Sequence[str]) -> np.ndarray:
    """64-bit tags of names (BLAKE2b), stable across processes, platforms and graphs.

    Parameters
    ----------
    names
        Identities (an edge's ``(u, v, key)`` text, a gate id).

    Returns
    -------
    numpy.ndarray
        ``uint64``, one per name.

    Examples
    --------
    >>> int(identity_tags(["gate:VN-LAO-016"])[0]) == int(identity_tags(["gate:VN-LAO-016"])[0])
    True
    """
    digest = b"".join(hashlib.blake2b(n.encode(), digest_size=8).digest() for n in names)
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def _coordinate(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Edges grouped by ordered node pair, computed once per graph and shared by every view.

    ``order`` lists edge indices sorted by (row, col, edge index); group g spans
    ``order[starts[g]:starts[g + 1]]`` and joins ``rows[g]`` to ``cols[g]``.
    """

    order: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray) -> _Pairs:
        order = np.lexsort((np.arange(len(rows)), cols, rows))
        r, c = rows[order], cols[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        starts = np.flatnonzero(first)
        return cls(order=order, starts=starts, rows=r[starts], cols=c[starts])

    @functools.cached_property
    def parallel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Groups of more than one edge: their indices, and the positions (in ``order``) and group of each member."""
        sizes = np.diff(np.append(self.starts, len(self.order)))
        groups = np.flatnonzero(sizes > 1)
        members = np.concatenate([np.arange(self.starts[g], self.starts[g] + sizes[g]) for g in groups] or [[]])
        owner = np.repeat(np.arange(len(groups)), sizes[groups])
        return groups, members.astype(np.int64), owner

    @functools.cached_property
    def group_starts(self) -> np.ndarray:
        """Where each group of :attr:`parallel` starts among its members (for ``np.minimum.reduceat``)."""
        _, _, owner = self.parallel
        return np.flatnonzero(np.diff(owner, prepend=-1))


class _InForce:
    """The last few views of a graph by the edges in force (:meth:`GraphArrays.with_cost`'s fast path).

    Views under one rule or one closure differ in their weights only, so a
    view with the same edges removed as a kept one reuses its matrix
    structure.  Not pickled: a worker keeps its own.
    """

    KEPT = 4

    def __init__(self) -> None:
        # keyed by the packed removed-edge mask itself; the least recently used goes: one-off closures
        # do not push a rule's view out
        self._views = Kept(self.KEPT, recent=True)

    def get(self, removed: np.ndarray) -> GraphArrays | None:
        return self._views.get(np.packbits(removed).tobytes())

    def keep(self, removed: np.ndarray, view: GraphArrays) -> None:
        self._views.put(np.packbits(removed).tobytes(), view)

    def __reduce__(self):
        return (_InForce, ())


def _recollapse(
    pairs: _Pairs, cost: np.ndarray, matrix: scipy.sparse.csr_matrix, entry: np.ndarray, pair_keys: np.ndarray
) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """:func:`_collapse` for new costs with the same edges in force: the CSR structure is reused.

    A pair joined by one edge keeps it (``entry``, the current view's entry
    edges); only groups of parallel edges need a search for their cheapest
    edge (ties to the lower edge index, as in :func:`_collapse`), and the
    matrix slots of those groups are found by their ``row * n + col`` keys.
    """
    if not len(pairs.order):
        return matrix, np.empty(0, dtype=np.int64)
    groups, members, owner = pairs.parallel
    if len(groups):
        in_members = cost[pairs.order[members]]
        cheapest = np.minimum.reduceat(in_members, pairs.group_starts)
        at = np.flatnonzero(in_members == cheapest[owner])
        best = pairs.order[members[at[np.unique(owner[at], return_index=True)[1]]]]
        kept = np.isfinite(cheapest)
        slots = np.searchsorted(pair_keys, pairs.rows[groups[kept]] * matrix.shape[0] + pairs.cols[groups[kept]])
        entry = entry.copy()
        entry[slots] = best[kept]
    return scipy.sparse.csr_matrix((cost[entry], matrix.indices, matrix.indptr), shape=matrix.shape), entry


def _collapse(pairs: _Pairs, cost: np.ndarray, n: int) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """CSR matrix of the cheapest finite edge per (row, col), and the edge each entry came from.

    Linear in the number of edges (the grouping is precomputed).  Ties go to the
    lower edge index (``G.edges`` order).  Explicit zeros are kept as edges.
    """
    if not len(pairs.order):
        return scipy.sparse.csr_matrix((n, n)), np.empty(0, dtype=np.int64)
    in_order = cost[pairs.order]
    cheapest = np.minimum.reduceat(in_order, pairs.starts)
    sizes = np.diff(np.append(pairs.starts, len(in_order)))
    hits = np.flatnonzero(in_order == np.repeat(cheapest, sizes))
    first = hits[np.searchsorted(hits, pairs.starts)]
    keep = np.isfinite(cheapest)
    entry = pairs.order[first[keep]]
    rows, cols = pairs.rows[keep], pairs.cols[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return scipy.sparse.csr_matrix((cost[entry], cols, indptr), shape=(n, n)), entry
