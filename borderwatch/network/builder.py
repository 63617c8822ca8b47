"""Accumulate a route graph's nodes and edges, then hand them to networkx in one go.

Edges arrive in batches of aligned arrays (the terrain lattice adds ~280,000 at
once) or one at a time (gates, connectors); costs are computed by the one cost
formula, :func:`~borderwatch.network.profile.edge_cost`, vectorised.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from ..geodesy import distance_m
from .nearest import PointIndex
from .profile import Profile, edge_cost


class EdgeBuilder:
    """Nodes and edge batches of a graph under construction.

    Parameters
    ----------
    profile
        The cost profile (speeds, exposures, cost weights).
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.nodes: dict[str, dict[str, Any]] = {}
        self._batches: list[dict[str, Any]] = []
        self.n_edges = 0

    def node(self, nid: str, lon: float, lat: float, kind: str, country: str = "", **attrs: Any) -> str:
        """Add a node once (later calls with the same id are ignored); return its id."""
        self.nodes.setdefault(nid, {"x": float(lon), "y": float(lat), "kind": kind, "country": country, **attrs})
        return nid

    def edges(
        self,
        u: np.ndarray,
        v: np.ndarray,
        *,
        mode: str,
        length_m: np.ndarray,
        time_h: np.ndarray,
        exposure: np.ndarray,
        geometry: np.ndarray,
        source: str | np.ndarray,
        both: bool = False,
        **columns: Any,
    ) -> None:
        """Add a batch of edges from aligned arrays.

        Parameters
        ----------
        u, v
            Node ids.
        mode
            Edge mode.
        length_m, time_h, exposure
            Per edge; ``cost`` is computed with :func:`edge_cost`.
        geometry
            LineStrings, EPSG:4326, drawn from ``u`` to ``v``.
        source
            Provenance, one for the batch or one per edge.
        both
            Also add every edge reversed (geometry reversed), right after it.
        **columns
            Further attributes: a scalar for the batch or an array per edge;
            ``None`` entries in an array leave the attribute out of that edge.
        """
        n = len(u)
        batch = {
            "u": np.asarray(u, dtype=object),
            "v": np.asarray(v, dtype=object),
            "mode": mode,
            "length_m": np.asarray(length_m, dtype=float),
            "time_h": np.asarray(time_h, dtype=float),
            "exposure": np.asarray(exposure, dtype=float),
            "geometry": np.asarray(geometry, dtype=object),
            "source": source,
            "both": both,
            "columns": columns,
        }
        batch["cost"] = np.broadcast_to(edge_cost(batch["time_h"], batch["exposure"], profile=self.profile), (n,))
        self._batches.append(batch)
        self.n_edges += n * (2 if both else 1)

    def edge(
        self, u: str, v: str, *, geometry: LineString, length_m: float, time_h: float, exposure: float, **attrs: Any
    ) -> None:
        """Add one edge (see :meth:`edges`; ``attrs`` hold ``mode``, ``source``, ``both`` and extra attributes)."""
        self.edges([u], [v], geometry=[geometry], length_m=[length_m], time_h=[time_h], exposure=[exposure], **attrs)

    def connector(self, u: str, v: str, *, both: bool = True, source: str = "borderwatch connector") -> float:
        """Straight hop between two existing nodes at connector speed; return its length in m."""
        a, b = self.nodes[u], self.nodes[v]
        length = float(distance_m(a["x"], a["y"], b["x"], b["y"]))
        c = self.profile["connector"]
        km = length / 1000.0
        self.edge(
            u,
            v,
            mode="connector",
            length_m=length,
            time_h=km / c["speed_kmh"],
            exposure=min(1.0, km * c["exposure_per_km"]),
            geometry=LineString([(a["x"], a["y"]), (b["x"], b["y"])]),
            source=source,
            both=both,
        )
        return length

    def link(self, index: PointIndex, nid: str, *, country: str | None, max_m: float, direction: str = "both") -> bool:
        """Connector between ``nid`` and the nearest indexed node (of ``country``) within ``max_m``.

        Parameters
        ----------
        index
            Candidate nodes.
        nid
            An existing node.
        country
            Only candidates of this country (``None``: any).
        max_m
            Longest connector.
        direction
            ``"both"``, ``"out"`` (nid -> node) or ``"in"`` (node -> nid).

        Returns
        -------
        bool
            Whether a node was found and linked.
        """
        node = self.nodes[nid]
        hit = index.nearest(node["x"], node["y"], country=country, max_m=max_m)
        if hit is None:
            return False
        if direction == "in":
            self.connector(hit[0], nid, both=False)
        else:
            self.connector(nid, hit[0], both=direction == "both")
        return True

    def access(self, lattice, nid: str, *, country: str | None, direction: str = "both") -> bool:
        """Join ``nid`` to the terrain lattice by slope-aware off-road edges (see ``LatticeAccess``).

        Parameters
        ----------
        lattice
            A :class:`~borderwatch.network.lattice.LatticeAccess`.
        nid
            An existing node.
        country
            Join a cell of this country (``None``: any).
        direction
            ``"both"``, ``"out"`` (nid -> cell) or ``"in"`` (cell -> nid).

        Returns
        -------
        bool
            Whether a cell was found.
        """
        node = self.nodes[nid]
        found = False
        for outbound in {"both": (True, False), "out": (True,), "in": (False,)}[direction]:
            hit = lattice.edge(node["x"], node["y"], country=country, outbound=outbound)
            if hit is None:
                continue
            cell, figures = hit
            c = self.nodes[cell]
            u, v = (nid, cell) if outbound else (cell, nid)
            a, b = (node, c) if outbound else (c, node)
            self.edge(
                u,
                v,
                mode="offroad",
                geometry=LineString([(a["x"], a["y"]), (b["x"], b["y"])]),
                source="lattice access (Tobler on the DEM)",
                access=True,
                **figures,
            )
            found = True
        return found

    def _edge_tuples(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for b in self._batches:
            n = len(b["u"])
            per_edge = {k: c for k, c in b["columns"].items() if isinstance(c, np.ndarray | list)}
            constant = {k: c for k, c in b["columns"].items() if k not in per_edge}
            source = b["source"]
            reverse = shapely.reverse(b["geometry"]) if b["both"] else None
            for k in range(n):
                data = {
                    "mode": b["mode"],
                    "length_m": float(b["length_m"][k]),
                    "time_h": float(b["time_h"][k]),
                    "exposure": float(b["exposure"][k]),
                    "cost": float(b["cost"][k]),
                    "geometry": b["geometry"][k],
                    "source": source if isinstance(source, str) else str(source[k]),
                    **constant,
                }
                for key, col in per_edge.items():
                    if col[k] is not None:
                        data[key] = col[k]
                yield b["u"][k], b["v"][k], data
                if reverse is not None:
                    yield b["v"][k], b["u"][k], {**data, "geometry": reverse[k]}

    def graph(self, **graph_attrs: Any) -> nx.MultiDiGraph:
        """Return the finished graph: nodes in insertion order, then edges batch by batch.

        Parameters
        ----------
        **graph_attrs
            ``G.graph`` attributes.

        Returns
        -------
        networkx.MultiDiGraph
        """
        G = nx.MultiDiGraph(**graph_attrs)
        G.add_nodes_from(self.nodes.items())
        G.add_edges_from(self._edge_tuples())
        return G
