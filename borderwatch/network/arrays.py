"""A compact array view of a route graph for heavy shortest-path kernels.

networkx is the graph users see; Dijkstra from one or many sources runs on a
``scipy.sparse`` CSR matrix of the cheapest parallel edge per node pair
(``scipy.sparse.csgraph.dijkstra``, O(E log V) per source in compiled code).
Results agree with ``networkx.dijkstra_path`` on the same weights (tested).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from ..errors import NoRouteError, UnknownNameError


@dataclass
class GraphArrays:
    """CSR view of a (multi)graph's cheapest edge per ordered node pair.

    Attributes
    ----------
    nodes
        Node ids in matrix order.
    index
        Node id -> row.
    matrix
        ``scipy.sparse.csr_matrix`` of edge weights.
    weight
        Edge attribute used.
    """

    nodes: list[Hashable]
    index: dict[Hashable, int]
    matrix: scipy.sparse.csr_matrix
    weight: str

    @classmethod
    def from_graph(cls, G: nx.Graph, *, weight: str = "cost") -> GraphArrays:
        """Build the view; parallel edges collapse to the cheapest.

        Raises
        ------
        ValueError
            An edge lacks ``weight`` or has a negative or non-finite one.
        """
        nodes = list(G.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        m = G.number_of_edges()
        rows = np.empty(m, dtype=np.int64)
        cols = np.empty(m, dtype=np.int64)
        vals = np.empty(m, dtype=np.float64)
        for k, (u, v, w) in enumerate(G.edges(data=weight)):
            if w is None:
                raise ValueError(f"edge {u!r} -> {v!r} has no {weight!r} attribute; every edge needs one")
            rows[k], cols[k], vals[k] = index[u], index[v], w
        if m and (not np.isfinite(vals).all() or vals.min() < 0):
            bad = int(np.flatnonzero(~np.isfinite(vals) | (vals < 0))[0])
            raise ValueError(f"edge {nodes[rows[bad]]!r} -> {nodes[cols[bad]]!r} has {weight!r} = {float(vals[bad])!r}; weights must be finite and >= 0")
        if not G.is_directed():
            rows, cols, vals = np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.concatenate([vals, vals])
        return cls(nodes, index, _min_csr(rows, cols, vals, len(nodes)), weight)

    def with_weights(self, matrix: scipy.sparse.csr_matrix) -> GraphArrays:
        """Same nodes, other weights (used for penalised re-routing)."""
        return GraphArrays(self.nodes, self.index, matrix, self.weight)

    def row(self, node: Hashable) -> int:
        """Matrix row of a node id."""
        try:
            return self.index[node]
        except KeyError:
            raise UnknownNameError(f"node {node!r} is not in the graph") from None

    def dijkstra(self, sources: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from each source (rows) to every node (columns)."""
        idx = [self.row(s) for s in sources]
        dist, pred = scipy.sparse.csgraph.dijkstra(self.matrix, directed=True, indices=idx, return_predecessors=True)
        return np.atleast_2d(dist), np.atleast_2d(pred)

    def path(self, source: Hashable, target: Hashable) -> tuple[list[Hashable], float]:
        """Least-weight node path and its weight.

        Raises
        ------
        NoRouteError
            ``target`` cannot be reached from ``source``.
        """
        dist, pred = self.dijkstra([source])
        return self.path_from(dist[0], pred[0], source, target)

    def path_from(self, dist: np.ndarray, pred: np.ndarray, source: Hashable, target: Hashable) -> tuple[list[Hashable], float]:
        """Rebuild one path from a row of :meth:`dijkstra` output."""
        t = self.row(target)
        if not np.isfinite(dist[t]):
            raise NoRouteError(f"no route from {source!r} to {target!r}: the destination cannot be reached in this graph")
        seq = [t]
        s = self.row(source)
        while seq[-1] != s:
            p = int(pred[seq[-1]])
            if p < 0:
                raise NoRouteError(f"no route from {source!r} to {target!r}")
            seq.append(p)
        return [self.nodes[i] for i in reversed(seq)], float(dist[t])


def _min_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> scipy.sparse.csr_matrix:
    """CSR matrix keeping the minimum value per (row, col); explicit zeros are kept as edges."""
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, vals = rows[first], cols[first], vals[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return scipy.sparse.csr_matrix((vals, cols, indptr), shape=(n, n))


def cheapest_edge(G: nx.MultiDiGraph, u: Hashable, v: Hashable, *, weight: str = "cost") -> tuple[Hashable, dict]:
    """Key and data of the cheapest parallel edge u -> v."""
    if G.is_multigraph():
        return min(G[u][v].items(), key=lambda kv: kv[1][weight])
    return 0, G[u][v]
