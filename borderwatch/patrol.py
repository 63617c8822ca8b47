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
from .errors import ParameterError
from .geodesy import distance_m
from .network.arrays import GraphArrays
from .network.contract import gate_node
from .network.nearest import PointIndex

#: A segment's middle must lie this close (m) to a Vietnamese graph node to be coverable.
SEGMENT_NODE_M = 10000.0
#: Modes a patrol can use.
PATROL_MODES = ("road", "offroad", "connector", "river")
#: A BLO position without a stated precision starts its patrols on a road within this distance (m).
ROAD_START_M = 5000.0
#: Farthest a BLO site may lie from any Vietnamese graph node (m).
SITE_NODE_M = 20000.0
#: Columns of :func:`blo_sites`.
BLO_START_COLUMNS = [
    "blo_id",
    "name",
    "start_node",
    "start_kind",
    "start_lon",
    "start_lat",
    "site_lon",
    "site_lat",
    "precision_m",
    "at_gate",
    "start_km",
    "placed_by",
]
_KIND_NAMES = {"cell": "terrain", "river": "river landing"}


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
        kinds = np.where(arrays.node_kind[vnm] == "road", "road", "other")
        self.index = PointIndex([arrays.nodes[i] for i in vnm], node_x[vnm], node_y[vnm], kinds)
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

    def nearest(
        self, lon: float, lat: float, *, max_m: float = SITE_NODE_M, kind: str | None = None
    ) -> tuple[str, float] | None:
        """Return the Vietnamese node nearest a position (a ``road`` node if ``kind="road"``), and its distance (m).

        ``None`` beyond ``max_m`` or for a position that is not finite.
        """
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return None
        return self.index.nearest(lon, lat, max_m=max_m, country=kind)

    def nearest_hours(self, starts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Patrol hours from the nearest start to every node, with no time limit, and which start that is.

        Parameters
        ----------
        starts
            Start node ids.

        Returns
        -------
        hours, nearest : numpy.ndarray
            Per node: hours from the nearest start (``inf`` where none reaches)
            and the index of that start in ``starts`` (-1 where none reaches).
        """
        n = len(self.arrays.nodes)
        if not len(starts):
            return np.full(n, np.inf), np.full(n, -1)
        dist = self.patrol.dijkstra(starts)[0]
        nearest = np.argmin(dist, axis=0)
        hours = dist[nearest, np.arange(n)]
        return hours, np.where(np.isfinite(hours), nearest, -1)

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


def blo_sites(blos: gpd.GeoDataFrame, model: PatrolModel, *, gates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where each BLO stands and where its patrols start, and why.

    The rules, in order:

    1. **At its gate.** A BLO without coordinates, or whose coordinate is
       coarser than its associated gate's placed position
       (``coord_precision_m`` larger than the gate's) while the gate lies within
       that precision of it, stands at the gate: the record says a BLO belongs
       to its gate, and a district or city centroid says less about where
       its officers are than the gate does.  Its patrols start at the gate's
       Vietnamese side (joined to roads and terrain by connectors).
    2. **On a road.** Otherwise the patrols start at the nearest Vietnamese
       road node within the position's precision, or within
       :data:`ROAD_START_M` of a position without a stated precision.
    3. **On the terrain.** Otherwise at the nearest Vietnamese graph node
       (within :data:`SITE_NODE_M`).

    Parameters
    ----------
    blos
        BLO sites (``id``, ``name``, ``lon``, ``lat``, ``coord_precision_m``,
        ``associated_gate_id``).
    model
        The patrol model of the graph.
    gates
        The placed gate table (``id``, ``lon``, ``lat``, ``coord_precision_m``),
        for rule 1; ``None`` skips it.

    Returns
    -------
    pandas.DataFrame
        One row per BLO: ``blo_id``, ``name``, ``start_node`` ("" for a BLO
        without coordinates whose gate is not in the graph: left out), ``start_kind`` (``gate``, ``road``, ``terrain``,
        ``river``...), ``start_lon``, ``start_lat``, ``site_lon``,
        ``site_lat`` and ``precision_m`` (the record's position and its
        precision, kept), ``at_gate`` (rule 1 moved it), ``start_km``
        (distance from the recorded site to the start) and ``placed_by``
        (the reason, in words).

    Raises
    ------
    ParameterError
        A BLO with coordinates that no rule can place (no graph node within
        :data:`SITE_NODE_M`), naming it and the fix.
    """
    placed = gates.set_index("id") if gates is not None and len(gates) else None
    arrays = model.arrays
    rows = []
    for rec in blos.itertuples(index=False):
        lon, lat = float(rec.lon), float(rec.lat)
        precision = float(getattr(rec, "coord_precision_m", np.nan))
        gate_id = str(rec.associated_gate_id) if isinstance(rec.associated_gate_id, str) else ""
        gate_side = gate_node(gate_id, "VNM") if gate_id else ""
        gate = placed.loc[gate_id] if placed is not None and gate_id in placed.index else None
        start, how, at_gate = "", "", False
        has_site = np.isfinite(lon) and np.isfinite(lat)
        if not has_site and gate_side in arrays.index:
            start, at_gate = gate_side, True
            how = f"no site coordinates; stands at its gate {gate_id}"
        elif gate is not None and gate_side in arrays.index:
            gate_m = float(gate["coord_precision_m"])
            gate_m = gate_m if np.isfinite(gate_m) else np.inf
            away = _distance_m(lon, lat, float(gate["lon"]), float(gate["lat"]))
            if precision > gate_m and away <= precision:
                start, at_gate = gate_side, True
                how = (
                    f"stands at its gate {gate_id} ({gate['name']}), {away / 1000:.1f} km from its recorded position: "
                    f"that position is known to {precision / 1000:.1f} km, the gate's to {gate_m / 1000:.1f} km"
                )
        if not start and has_site:
            radius = precision if np.isfinite(precision) and precision > 0 else ROAD_START_M
            road = model.nearest(lon, lat, max_m=radius, kind="road")
            if road is not None:
                start = road[0]
                how = f"nearest road node, {road[1] / 1000:.1f} km from its site (within its {radius / 1000:.1f} km)"
            else:
                found = model.nearest(lon, lat, max_m=SITE_NODE_M)
                if found is not None:
                    start = found[0]
                    how = f"no road within {radius / 1000:.1f} km; nearest terrain node, {found[1] / 1000:.1f} km away"
        if not start and has_site:
            raise ParameterError(
                f"BLO {rec.id} ({rec.name}) at {lon:.4f} E {lat:.4f} N cannot be placed: no Vietnamese road within "
                f"its precision and no graph node within {SITE_NODE_M / 1000:.0f} km; move it onto land near a road "
                "or a gate (or give at_gate)"
            )
        if not start:
            how = "no site coordinates and its gate is not in the graph; left out"
        row = arrays.index.get(start) if start else None
        start_lon = float(arrays.node_x[row]) if row is not None else np.nan
        start_lat = float(arrays.node_y[row]) if row is not None else np.nan
        rows.append(
            {
                "blo_id": rec.id,
                "name": rec.name,
                "start_node": start,
                "start_kind": _KIND_NAMES.get(str(arrays.node_kind[row]), str(arrays.node_kind[row]))
                if row is not None
                else "",
                "start_lon": start_lon,
                "start_lat": start_lat,
                "site_lon": lon,
                "site_lat": lat,
                "precision_m": precision,
                "at_gate": at_gate,
                "start_km": _distance_m(lon, lat, start_lon, start_lat) / 1000.0
                if has_site and row is not None
                else np.nan,
                "placed_by": how,
            }
        )
    return pd.DataFrame(rows, columns=BLO_START_COLUMNS)


def patrol_view(arrays: GraphArrays) -> GraphArrays:
    """Patrol times inside Vietnam: ``time_h`` on the patrol modes, other edges closed."""
    inside = (arrays.node_country[arrays.edge_u] == "VNM") & (arrays.node_country[arrays.edge_v] == "VNM")
    usable = inside & np.isin(arrays.mode, PATROL_MODES) & (arrays.crossing == "")
    return arrays.with_cost(np.where(usable, arrays.time_h, np.inf))


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance (m) between two positions; NaN if either is missing."""
    if not all(np.isfinite(v) for v in (lon1, lat1, lon2, lat2)):
        return float("nan")
    return float(distance_m(lon1, lat1, lon2, lat2))
