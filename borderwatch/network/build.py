"""Assemble the multimodal route graph (DESIGN.md section 4).

Layers, each a set of directed edges with ``mode``, ``length_m`` (geodesic),
``time_h``, ``exposure``, ``cost``, ``geometry`` and ``source``:

- ``road``: the shipped (or user) road lines, noded, both directions;
- ``offroad``: the 8-neighbour terrain lattice over every land cell; an
  off-road edge crossing Vietnam's land border carries the informal-crossing
  delay and exposure (``crossing = "informal"``);
- ``river``: navigable rivers, cut into landings;
- ``gate``: each gate joins its Vietnamese side to its neighbour side, with a
  class-dependent delay and inspection exposure.  Roads and rivers are cut at
  the border, so a road can cross it only through a gate;
- ``sea``: from each Vietnamese seaport to overseas ports, along sea cells;
- ``connector``: short hops between layers and to origin/destinations.

Cost = time_h + exposure_weight_h * exposure (profile ``[cost]``).
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from ..borders import borderlines, tripoint
from ..errors import ProfileError
from ..gates import place_gates
from ..geodesy import distance_m
from ..io import Region
from ..schema import NEIGHBOURS, STORAGE_CRS
from .lines import CountryLocator, PointIndex, border_union, node_lines
from .profile import load_profile
from .sea import sea_legs
from .terrain import country_grid, offroad_edges

log = logging.getLogger(__name__)

MODES = ("road", "offroad", "connector", "river", "sea", "gate")
ORIGIN_NODE = "origin:golden_triangle"
EXPORT_NODE = "dest:export"
CHINA_NODE = "dest:china_border"
SPECIAL_DESTINATIONS = {"export": EXPORT_NODE, "China border": CHINA_NODE}


def slug(name: str) -> str:
    """Lower-case ascii-ish id fragment of a name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class _Builder:
    """Accumulates nodes and edges, then hands them to networkx in one go."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        self.weight = profile["cost"]["exposure_weight_h"]
        self.floor = profile["cost"]["min_edge_cost_h"]
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[tuple[str, str, dict[str, Any]]] = []

    def node(self, nid: str, lon: float, lat: float, kind: str, country: str = "", **attrs: Any) -> str:
        self.nodes.setdefault(nid, {"x": float(lon), "y": float(lat), "kind": kind, "country": country, **attrs})
        return nid

    def cost(self, time_h: float, exposure: float) -> float:
        return float(max(self.floor, time_h + self.weight * exposure))

    def edge(
        self, u: str, v: str, *, mode: str, length_m: float, time_h: float, exposure: float, geometry: LineString, source: str, both: bool = False, **attrs: Any
    ) -> None:
        data = {
            "mode": mode,
            "length_m": float(length_m),
            "time_h": float(time_h),
            "exposure": float(exposure),
            "cost": self.cost(time_h, exposure),
            "geometry": geometry,
            "source": source,
            **attrs,
        }
        self.edges.append((u, v, data))
        if both:
            self.edges.append((v, u, {**data, "geometry": LineString(list(geometry.coords)[::-1])}))

    def connector(self, u: str, v: str, *, both: bool = True, source: str = "borderwatch connector", **attrs: Any) -> float:
        """Straight hop between two existing nodes at connector speed; returns its length in m."""
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
            **attrs,
        )
        return length


def _link(b: _Builder, index: PointIndex, nid: str, lon: float, lat: float, *, country: str | None, max_m: float, direction: str = "both") -> bool:
    """Connector between ``nid`` and the nearest indexed node (of ``country``) within ``max_m``.

    ``direction``: ``"both"``, ``"out"`` (nid -> node) or ``"in"`` (node -> nid).
    Returns whether a node was found.
    """
    hit = index.nearest(lon, lat, country=country, max_m=max_m)
    if hit is None:
        return False
    if direction == "in":
        b.connector(hit[0], nid, both=False)
    else:
        b.connector(nid, hit[0], both=direction == "both")
    return True


def _cell(flat: int) -> str:
    return f"cell:{flat}"


def build_route_graph(region: Region, *, profile: dict[str, Any] | str | Path | None = None) -> nx.MultiDiGraph:
    """Build the multimodal route graph of a region.

    Parameters
    ----------
    region
        From :func:`borderwatch.load_region`.
    profile
        A profile dict (from :func:`~borderwatch.network.profile.load_profile`),
        a TOML file overriding the defaults, or ``None`` for the defaults.

    Returns
    -------
    networkx.MultiDiGraph
        Node attributes ``x``, ``y`` (lon/lat), ``kind``, ``country``; edge
        attributes as in the module docstring.  ``G.graph`` holds ``crs``,
        ``profile``, ``origin`` (node id), ``destinations`` (name -> node id),
        ``demand`` and ``build`` (counts and timings).
    """
    t0 = time.perf_counter()
    prof = profile if isinstance(profile, dict) else load_profile(profile)
    b = _Builder(prof)
    lines = borderlines(region.countries)
    gates = place_gates(region, lines=lines)
    border = border_union(lines)
    locator = CountryLocator(region.countries)
    stats: dict[str, Any] = {}

    # --- terrain lattice -------------------------------------------------
    log.info("building terrain lattice from the DEM (%d x %d cells)", *region.terrain.shape)
    terrain = region.terrain
    grid = country_grid(terrain, region.countries)
    lon, lat = terrain.cell_centres()
    flon, flat_ = lon.ravel(), lat.ravel()
    land = np.flatnonzero(grid.code.ravel() >= 0)
    land_iso = grid.iso_of(land)
    for f, iso in zip(land, land_iso, strict=True):
        b.node(_cell(int(f)), flon[f], flat_[f], "cell", iso)
    cells = PointIndex([_cell(int(f)) for f in land], flon[land], flat_[land], land_iso)
    _add_offroad(b, terrain, grid, flon, flat_)

    # --- roads and rivers ------------------------------------------------
    log.info("noding %d road lines and cutting them at the border", len(region.roads))
    roads = node_lines(
        region.roads,
        id_column="road_id",
        class_column="road_class",
        locator=locator,
        border=border,
        prefix="road",
        snap_tolerance_m=prof["road"]["snap_tolerance_m"],
    )
    _add_lines(b, roads, mode="road", source_of=dict(zip(region.roads["road_id"], region.roads["source"], strict=True)))
    stats["road_snapped_ends"] = roads.snapped_ends
    stats["road_border_cuts"] = roads.border_cuts
    stats["road_components"] = _components(roads.pieces)
    navigable = set(prof["river"]["navigable"])
    rivers_in = region.rivers[region.rivers["name"].isin(navigable)]
    rivers = None
    if len(rivers_in):
        rivers = node_lines(
            rivers_in.assign(name=rivers_in["name"].astype(str)),
            id_column="river_id",
            class_column="name",
            locator=locator,
            border=border,
            prefix="river",
            split_every_m=prof["river"]["landing_spacing_km"] * 1000.0,
        )
        _add_lines(b, rivers, mode="river", source_of=dict(zip(region.rivers["river_id"], region.rivers["source"], strict=True)))

    # --- connectors: roads and river landings to the lattice ------------
    max_conn = prof["connector"]["max_km"] * 1000.0
    road_index = PointIndex.of_nodes(roads.nodes)
    river_index = PointIndex.of_nodes(rivers.nodes) if rivers is not None else None
    for nid, row in roads.nodes.iterrows():
        _link(b, cells, nid, row["lon"], row["lat"], country=row["country"], max_m=max_conn)
    if rivers is not None:
        for nid, row in rivers.nodes.iterrows():
            _link(b, cells, nid, row["lon"], row["lat"], country=row["country"], max_m=max_conn)
            _link(b, road_index, nid, row["lon"], row["lat"], country=row["country"], max_m=max_conn / 5)

    # --- gates -----------------------------------------------------------
    log.info("linking %d gates", len(gates))
    stats["gates_unreached"] = _add_gates(b, gates, road_index, river_index, cells)

    # --- seaports and sea legs ------------------------------------------
    log.info("routing sea legs over sea cells")
    ports = region.seaports[region.seaports.geometry.notna()]
    for _, port in ports.iterrows():
        pid = b.node(f"port:{port['id']}", port.geometry.x, port.geometry.y, "seaport", "VNM", name=port["name"], port_id=port["id"])
        for index in (cells, road_index):
            _link(b, index, pid, port.geometry.x, port.geometry.y, country="VNM", max_m=max_conn)
    stats["sea_legs"] = _add_sea(b, terrain, grid, ports, region.world_ports)

    # --- origin and destinations ----------------------------------------
    gt = tripoint(region.countries, ("LAO", "THA", "MMR"))
    b.node(ORIGIN_NODE, gt.x, gt.y, "origin", "", name="Golden Triangle (LAO-THA-MMR tri-point)")
    for iso in ("LAO", "THA", "MMR"):
        _link(b, cells, ORIGIN_NODE, gt.x, gt.y, country=iso, max_m=max_conn, direction="out")
    for index in (road_index, river_index):
        if index is not None:
            _link(b, index, ORIGIN_NODE, gt.x, gt.y, country=None, max_m=max_conn, direction="out")
    destinations = _add_destinations(b, region, prof, road_index, cells)

    # --- assemble -------------------------------------------------------
    log.info("assembling the graph (%d nodes, %d edges)", len(b.nodes), len(b.edges))
    G = nx.MultiDiGraph(crs=STORAGE_CRS, profile=prof, origin=ORIGIN_NODE, destinations=destinations, demand=dict(prof["demand"]))
    G.add_nodes_from(b.nodes.items())
    G.add_edges_from(b.edges)
    stats["nodes"] = G.number_of_nodes()
    stats["edges"] = G.number_of_edges()
    stats["edges_by_mode"] = dict(sorted(Counter(m for _, _, m in G.edges(data="mode")).items()))
    stats["weak_components"] = nx.number_weakly_connected_components(G)
    stats["build_s"] = round(time.perf_counter() - t0, 2)
    G.graph["build"] = stats
    log.info("route graph: %d nodes, %d edges in %.1f s", stats["nodes"], stats["edges"], stats["build_s"])
    return G


def _add_offroad(b: _Builder, terrain, grid, flon: np.ndarray, flat_: np.ndarray) -> None:
    prof = b.profile
    e = offroad_edges(terrain, grid, prof["offroad"])
    informal = prof["informal_crossing"]
    geoms = shapely.linestrings(np.stack([np.column_stack([flon[e["src"]], flat_[e["src"]]]), np.column_stack([flon[e["dst"]], flat_[e["dst"]]])], axis=1))
    neighbours = set(NEIGHBOURS)
    china_cells: list[int] = []
    first = len(b.edges)
    for k in range(len(e["src"])):
        s, d = e["src_iso"][k], e["dst_iso"][k]
        t, x = e["time_h"][k], e["exposure"][k]
        extra: dict[str, Any] = {}
        if s != d and ((s == "VNM" and d in neighbours) or (d == "VNM" and s in neighbours)):
            t, x = t + informal["delay_h"], min(1.0, x + informal["exposure"])
            extra = {"crossing": "informal", "border": d if s == "VNM" else s}
            if s == "VNM" and d == "CHN":
                china_cells.append(k)
        b.edge(
            _cell(int(e["src"][k])),
            _cell(int(e["dst"][k])),
            mode="offroad",
            length_m=e["length_m"][k],
            time_h=t,
            exposure=x,
            geometry=geoms[k],
            source="terrain lattice (DEM ETOPO5, Tobler)",
            **extra,
        )
    # leaving Vietnam into China off-road reaches the China-border destination
    for k in china_cells:
        u, _, data = b.edges[first + k]
        b.edges.append((u, CHINA_NODE, dict(data)))


def _add_lines(b: _Builder, noded, *, mode: str, source_of: dict[str, str]) -> None:
    prof = b.profile
    for nid, row in noded.nodes.iterrows():
        b.node(nid, row["lon"], row["lat"], mode, row["country"])
    p = noded.pieces
    for line_id, cls, u, v, length, geom in zip(p["line_id"], p["line_class"], p["u"], p["v"], p["length_m"], p.geometry, strict=True):
        km = length / 1000.0
        if mode == "road":
            speed = prof["road"]["speed_kmh"].get(cls, prof["road"]["default_speed_kmh"])
            rate = prof["road"]["exposure_per_km"]
        else:
            speed, rate = prof["river"]["speed_kmh"], prof["river"]["exposure_per_km"]
        b.edge(
            u,
            v,
            mode=mode,
            length_m=length,
            time_h=km / speed,
            exposure=min(1.0, km * rate),
            geometry=geom,
            source=source_of.get(line_id, ""),
            both=True,
            line_id=line_id,
            line_class=cls,
        )


def _components(pieces: gpd.GeoDataFrame) -> dict[str, int]:
    g = nx.Graph()
    g.add_edges_from(zip(pieces["u"], pieces["v"], strict=True))
    sizes = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
    return {"components": len(sizes), "largest_nodes": sizes[0] if sizes else 0, "nodes_outside_largest_two": sum(sizes[2:])}


def _add_gates(b: _Builder, gates: gpd.GeoDataFrame, roads: PointIndex, rivers: PointIndex | None, cells: PointIndex) -> list[str]:
    prof = b.profile
    link = prof["gate_link"]["max_km"] * 1000.0
    unreached = []
    for _, g in gates.iterrows():
        cls = g["class"]
        params = prof["gate"][cls]
        x, y = g.geometry.x, g.geometry.y
        sides = {"VNM": f"gate:{g['id']}:VNM", g["border"]: f"gate:{g['id']}:{g['border']}"}
        attrs = {"gate_id": g["id"], "gate_class": cls, "gate_name": g["name"], "border": g["border"], "crossing": "gate"}
        for country, nid in sides.items():
            b.node(nid, x, y, "gate", country, **attrs)
        crossing = {
            "mode": "gate",
            "length_m": 0.0,
            "time_h": params["delay_h"],
            "exposure": params["exposure"],
            "geometry": LineString([(x, y), (x, y)]),
            "source": str(g.get("source", "")),
            **attrs,
        }
        b.edge(sides["VNM"], sides[g["border"]], both=True, **crossing)
        if g["border"] == "CHN":  # leaving Vietnam through a China gate reaches the China-border sink
            b.edge(sides["VNM"], CHINA_NODE, **crossing)
        mode = str(g.get("mode", ""))
        for country, nid in sides.items():
            indexes = [roads, *([rivers] if rivers is not None and "river" in mode else []), cells]
            linked = sum(_link(b, index, nid, x, y, country=country, max_m=link) for index in indexes)
            if not linked:
                unreached.append(f"{g['id']}:{country}")
                log.warning(
                    "gate %s (%s): no road, river or lattice node within %.0f km on the %s side; it cannot be used", g["id"], g["name"], link / 1000, country
                )
    return unreached


def _add_sea(b: _Builder, terrain, grid, ports: gpd.GeoDataFrame, world_ports: gpd.GeoDataFrame) -> int:
    sea = b.profile["sea"]
    overseas = world_ports[(world_ports["country_code"] != "Vietnam") & world_ports["harbor_size"].isin(sea["overseas_harbor_sizes"])]
    origins = {f"port:{p['id']}": (p.geometry.x, p.geometry.y) for _, p in ports.iterrows()}
    dests = {}
    for _, w in overseas.iterrows():
        nid = b.node(f"overseas:{w['port_id']}", w.geometry.x, w.geometry.y, "overseas", "", name=f"{w['name']} ({w['country_code']})")
        dests[nid] = (w.geometry.x, w.geometry.y)
        b.node(EXPORT_NODE, w.geometry.x, w.geometry.y, "destination", "", name="export (any overseas port)")
        b.connector(nid, EXPORT_NODE, both=False)
    # overseas legs (export) and coastal legs between Vietnamese ports (islands)
    legs = sea_legs(terrain, grid, origins, {**dests, **origins})
    for leg in legs:
        if leg.origin == leg.destination:
            continue
        km = leg.length_m / 1000.0
        coastal = leg.destination.startswith("port:")
        dwell = sea["coastal_dwell_h"] if coastal else sea["port_dwell_h"]
        b.edge(
            leg.origin,
            leg.destination,
            mode="sea",
            length_m=leg.length_m,
            time_h=dwell + km / sea["speed_kmh"],
            exposure=sea["exposure"],
            geometry=leg.geometry,
            source="sea path over ETOPO5 sea cells; ports NGA WPI / borderwatch seaports",
            sea_leg="coastal" if coastal else "export",
        )
    return sum(leg.origin != leg.destination for leg in legs)


def planned_destinations(region: Region, profile: dict[str, Any]) -> dict[str, str]:
    """Names of the destinations a route graph of ``region`` and ``profile`` offers.

    Returns
    -------
    dict
        Display name -> node id, in order: the profile's ``[demand]`` cities,
        ``export``, ``China border``, then every placed seaport as ``"SP-01 Cat Lai ..."``.
    """
    out = {name: f"dest:{slug(name)}" for name in profile["demand"] if name not in SPECIAL_DESTINATIONS}
    out.update(SPECIAL_DESTINATIONS)
    ports = region.seaports[region.seaports.geometry.notna()]
    out.update({f"{pid} {name}": f"port:{pid}" for pid, name in zip(ports["id"], ports["name"], strict=True)})
    return out


def _add_destinations(b: _Builder, region: Region, prof: dict[str, Any], roads: PointIndex, cells: PointIndex) -> dict[str, str]:
    max_conn = prof["connector"]["max_km"] * 1000.0
    places = region.places[region.places["iso_a3"] == "VNM"]
    planned = planned_destinations(region, prof)
    for name, nid in planned.items():
        if not nid.startswith("dest:") or nid in SPECIAL_DESTINATIONS.values():
            continue
        hit = places[places["name"].str.casefold() == name.casefold()]
        if hit.empty:
            valid = ", ".join(sorted(places["name"]))
            raise ProfileError(f"demand destination {name!r} is not a Vietnamese place in layer 'places'; use one of: {valid}")
        pt = hit.geometry.iloc[0]
        b.node(nid, pt.x, pt.y, "destination", "VNM", name=name)
        for index in (cells, roads):
            _link(b, index, nid, pt.x, pt.y, country="VNM", max_m=max_conn, direction="in")
    chn = [g for g in b.nodes.values() if g["kind"] == "gate" and g.get("border") == "CHN"]
    if chn:
        # traffic transiting Vietnam to China: routes to this sink may not enter Vietnam from China
        b.node(
            CHINA_NODE,
            float(np.mean([g["x"] for g in chn])),
            float(np.mean([g["y"] for g in chn])),
            "destination",
            "CHN",
            name="China border (leaving Vietnam into China)",
            no_entry_from="CHN",
        )
    return {name: nid for name, nid in planned.items() if nid in b.nodes}


def graph_summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Nodes and edges by mode, components and build time of a route graph."""
    build = G.graph.get("build", {})
    by_mode = Counter(m for _, _, m in G.edges(data="mode"))
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_kind": dict(sorted(Counter(k for _, k in G.nodes(data="kind")).items())),
        "edges_by_mode": {m: int(by_mode.get(m, 0)) for m in MODES},
        "weakly_connected_components": nx.number_weakly_connected_components(G),
        "strongly_connected_components": nx.number_strongly_connected_components(G),
        "road_components": build.get("road_components"),
        "road_snapped_ends": build.get("road_snapped_ends"),
        "road_border_cuts": build.get("road_border_cuts"),
        "sea_legs": build.get("sea_legs"),
        "gates_unreached": build.get("gates_unreached", []),
        "build_s": build.get("build_s"),
    }
