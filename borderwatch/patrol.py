"""Where BLO patrols can go: the patrol graph inside Vietnam and the border and coast segments it can cover.

A patrol leaves a BLO site and moves on the route graph inside Vietnam (roads,
off-road lattice, connectors and rivers; never across a border or by sea) at
the graph's travel times (``time_h``, no trafficker exposure).  A border or
coast segment is coverable through the Vietnamese graph node nearest its
middle (within :data:`SEGMENT_NODE_M`); a gate through its Vietnamese side.
:class:`PatrolModel` is computed once per graph (a
:class:`~borderwatch.Scenario` holds it) and used by coverage and siting.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .borders import segment_borders
from .network.arrays import GraphArrays
from .network.contract import gate_node
from .network.nearest import PointIndex

#: A segment's middle must lie this close (m) to a Vietnamese graph node to be coverable.
SEGMENT_NODE_M = 10000.0
#: Modes a patrol can use.
PATROL_MODES = ("road", "offroad", "connector", "river")


class PatrolModel:
    """The patrol graph of a route graph, and the border and coast segments a patrol can cover.

    Parameters
    ----------
    arrays
        The array view of a route graph.
    node_x, node_y
        Longitude and latitude of every node, in matrix order.
    segments
        The land-border segments (:func:`borderwatch.segment_borders`); their
        length is the coast segments' length too.
    coast
        Vietnam's coastline (one line geometry, :func:`borderwatch.vietnam_coastline`).
    segment_length_km
        Length of the border and coast segments (km).

    Attributes
    ----------
    arrays
        The array view.
    patrol
        The view with patrol times (``time_h`` on :data:`PATROL_MODES` inside Vietnam, other edges closed).
    segments
        Border (LAO, CHN, KHM) and ``coast`` segments: ``segment_id``, ``border``,
        ``length_km``, ``node`` (nearest Vietnamese node to the middle, or None), geometry.
    gate_ids, gate_nodes
        Every gate of the graph and its Vietnamese-side node (None if absent).
    segment_rows, gate_rows
        Array-view row of each segment's node and each gate's node (-1 if none).
    """

    def __init__(
        self,
        arrays: GraphArrays,
        *,
        node_x: np.ndarray,
        node_y: np.ndarray,
        segments: gpd.GeoDataFrame,
        coast: shapely.Geometry,
        segment_length_km: float = 5.0,
    ) -> None:
        self.arrays = arrays
        self.patrol = patrol_view(arrays)
        vnm = np.flatnonzero(arrays.node_country == "VNM")
        self.index = PointIndex([arrays.nodes[i] for i in vnm], node_x[vnm], node_y[vnm], ["VNM"] * len(vnm))
        coast = gpd.GeoDataFrame({"border": ["coast"]}, geometry=[coast], crs="EPSG:4326")
        coast_segments = segment_borders(coast[["border", "geometry"]], segment_length_km=segment_length_km)
        coast_segments["segment_id"] = "COAST-" + coast_segments["segment_id"].str.replace("coast-", "", regex=False)
        table = pd.concat([segments, coast_segments], ignore_index=True)
        middles = shapely.line_interpolate_point(table.geometry.to_numpy(), 0.5, normalized=True)
        table["node"] = self.index.nearest_ids(shapely.get_x(middles), shapely.get_y(middles), max_m=SEGMENT_NODE_M)
        table["length_km"] = table["length_m"] / 1000.0
        self.segments = table[["segment_id", "border", "length_km", "node", "geometry"]]
        self.gate_ids = sorted(set(arrays.gate_id[arrays.crossing == "gate"]))
        self.gate_nodes = [gate_node(g, "VNM") if gate_node(g, "VNM") in arrays.index else None for g in self.gate_ids]
        self.segment_rows = np.array([arrays.row(n) if isinstance(n, str) else -1 for n in self.segments["node"]])
        self.gate_rows = np.array([arrays.row(n) if isinstance(n, str) else -1 for n in self.gate_nodes])

    def nearest(self, lon: float, lat: float, *, max_m: float = 20000.0) -> tuple[str, float] | None:
        """Return the Vietnamese node nearest a position, and its distance (m), or None beyond ``max_m``."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return None
        return self.index.nearest(lon, lat, max_m=max_m)

    def reach(self, starts: list[str], hours: np.ndarray) -> np.ndarray:
        """Patrol hours from each start to every node, ``inf`` beyond that start's ``hours``.

        Parameters
        ----------
        starts
            Start node ids.
        hours
            Patrol time per start (h).

        Returns
        -------
        numpy.ndarray
            Shape (len(starts), nodes).
        """
        if not len(starts):
            return np.zeros((0, len(self.arrays.nodes)))
        dist = self.patrol.dijkstra(starts, limit=float(np.max(hours)))[0]
        return np.where(dist <= np.asarray(hours, dtype=float)[:, None], dist, np.inf)

    def covered_by(self, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boolean (start, segment) and (start, gate) matrices: what each start covers.

        Parameters
        ----------
        reach
            From :meth:`reach`.

        Returns
        -------
        segments, gates : numpy.ndarray
        """
        rows = self.segment_rows, self.gate_rows
        segs, gates = (np.isfinite(reach[:, np.maximum(r, 0)]) & (r >= 0) for r in rows)
        return segs, gates


def blo_sites(blos: gpd.GeoDataFrame, model: PatrolModel) -> pd.DataFrame:
    """Where each BLO's patrols start: the Vietnamese node nearest its site, else its gate's Vietnamese side."""
    rows = []
    for rec in blos.itertuples(index=False):
        found = model.nearest(float(rec.lon), float(rec.lat))
        gate_side = gate_node(str(rec.associated_gate_id), "VNM")
        if found is not None:
            start, how = found[0], f"nearest node to its site ({found[1] / 1000:.1f} km)"
        elif gate_side in model.arrays.index:
            start, how = gate_side, f"no site coordinates; at its gate {rec.associated_gate_id}"
        else:
            start, how = "", "no site coordinates and its gate is not in the graph; left out"
        rows.append({"blo_id": rec.id, "name": rec.name, "start_node": start, "placed_by": how})
    return pd.DataFrame(rows)


def patrol_view(arrays: GraphArrays) -> GraphArrays:
    """Patrol times inside Vietnam: ``time_h`` on the patrol modes, other edges closed."""
    inside = (arrays.node_country[arrays.edge_u] == "VNM") & (arrays.node_country[arrays.edge_v] == "VNM")
    usable = inside & np.isin(arrays.mode, PATROL_MODES) & (arrays.crossing == "")
    return arrays.with_cost(np.where(usable, arrays.time_h, np.inf))
