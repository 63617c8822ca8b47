"""Graph files: save and load route graphs (GeoPackage, GraphML); read OSMnx GraphML roads.

- GeoPackage: layer ``nodes`` (point per node, ``node_id`` and attributes),
  layer ``edges`` (line per edge, ``u``, ``v``, ``key`` and attributes) and a
  table ``graph`` with the graph attributes as JSON.  Opens in QGIS.
- GraphML: geometry as WKT text, graph attributes as JSON text; any GraphML
  graph whose edges carry a numeric ``cost`` can be routed on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import shapely.errors

from ..doors import GRAPH_FIX, PATH, require
from ..errors import CRSError, DataFileError, GraphContractError
from ..output import write_by_suffix
from ..schema import STORAGE_CRS
from .contract import validate_route_graph

_RESERVED = {"u", "v", "key", "node_id", "geometry"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_graphml(path: Path, *, what: str) -> nx.MultiDiGraph:
    """Read a GraphML file as a multigraph (node ids as str).

    Raises
    ------
    DataFileError
        Not readable GraphML, or a node id appears twice (networkx would
        merge the two nodes silently); the message starts with ``what``.
    """
    try:
        G = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except Exception as exc:  # networkx raises several types for malformed XML
        raise DataFileError(f"{what} {str(path)!r} is not readable GraphML ({exc})") from exc
    if _count_node_elements(path) != G.number_of_nodes():
        _check_unique_node_ids(path, what=what)
    return G


_NODE_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?node[\s/>]")


def _count_node_elements(path: Path) -> int:
    """Count ``<node`` elements by a fast text scan (exact for GraphML writers; confirmed by a parse if it differs)."""
    with open(path, "rb") as fh:
        return len(_NODE_ELEMENT.findall(fh.read()))


def _check_unique_node_ids(path: Path, *, what: str) -> None:
    from xml.etree import ElementTree

    counts: dict[str, int] = {}
    for _, element in ElementTree.iterparse(path):
        if element.tag.rpartition("}")[2] == "node":
            counts[element.get("id", "")] = counts.get(element.get("id", ""), 0) + 1
        element.clear()
    repeated = {node: n for node, n in counts.items() if n > 1}
    if repeated:
        listed = ", ".join(f"node id {node!r} appears {n} times" for node, n in list(repeated.items())[:5])
        raise DataFileError(
            f"{what} {str(path)!r}: {listed}; node ids must be unique (networkx would merge such nodes into one)"
        )


def edge_line(G: nx.Graph, u: str, v: str, data: dict, *, what: str = "graph") -> shapely.Geometry | None:
    """Return a GraphML edge's line.

    Parameters
    ----------
    G
        The graph.
    u, v
        The edge's nodes.
    data
        The edge's attributes.
    what
        How error messages name the file.

    Returns
    -------
    shapely.Geometry or None
        Its ``geometry`` (a geometry or WKT text), else a straight line between
        its nodes' ``x``/``y``; ``None`` if it has neither.

    Raises
    ------
    DataFileError
        ``geometry`` holds text that is not valid WKT.
    """
    geom = data.get("geometry")
    if isinstance(geom, shapely.Geometry):
        return geom
    if isinstance(geom, str) and geom:
        try:
            return shapely.from_wkt(geom)
        except shapely.errors.GEOSException as exc:
            raise DataFileError(
                f"{what}: edge {u!r} -> {v!r} has 'geometry' = {geom[:60]!r}, which is not valid WKT ({exc}); fix or "
                "remove it"
            ) from exc
    try:
        a, b = G.nodes[u], G.nodes[v]
        return shapely.LineString([(float(a["x"]), float(a["y"])), (float(b["x"]), float(b["y"]))])
    except (KeyError, TypeError, ValueError):
        return None


def read_osmnx_roads(path: str | Path) -> gpd.GeoDataFrame:
    """Road lines from an OSMnx GraphML file (``ox.save_graphml`` output).

    Each edge becomes a road line: its ``geometry`` (WKT) if present, else a
    straight line between its nodes' ``x``/``y``; ``road_class`` is the OSM
    ``highway`` tag (the first, if OSMnx merged several); both directions of a
    two-way street are kept once.

    Parameters
    ----------
    path
        A GraphML file saved by ``osmnx.save_graphml`` (unprojected or with its CRS).

    Raises
    ------
    ParameterError
        ``path`` is not a path.
    DataFileError
        The file is not readable GraphML or its nodes lack x/y.
    """
    path = Path(require(path, PATH, where="read_osmnx_roads", name="path"))
    G = read_graphml(path, what="layer 'roads':")
    rows, geoms, seen = [], [], set()
    for u, v, k, d in G.edges(keys=True, data=True):
        pair = (min(u, v), max(u, v), d.get("osmid", k))
        if pair in seen:
            continue
        seen.add(pair)
        geom = edge_line(G, u, v, d, what=f"layer 'roads': {str(path)!r}")
        if geom is None:
            raise DataFileError(
                f"layer 'roads': node {u!r} or {v!r} in {str(path)!r} has no x/y; save the graph with OSMnx "
                "(unprojected)"
            )
        highway = str(d.get("highway", "unclassified"))
        if highway.startswith("["):
            highway = highway.strip("[]").split(",")[0].strip(" '\"")
        rows.append(
            {
                "road_id": f"OSMNX-{u}-{v}-{k}",
                "country": str(d.get("country", "unknown")),
                "road_class": highway,
                "ref": d.get("ref", ""),
                "name": d.get("name", ""),
                "source": f"OSMnx GraphML {path.name} (OpenStreetMap, ODbL 1.0)",
            }
        )
        geoms.append(geom)
    if not rows:
        raise DataFileError(f"layer 'roads': {str(path)!r} has no edges")
    crs = G.graph.get("crs")
    if not crs:
        raise CRSError(
            f"layer 'roads': OSMnx GraphML {str(path)!r} has no 'crs' graph attribute; save it with OSMnx, which "
            "records the CRS"
        )
    try:
        crs = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"layer 'roads': OSMnx GraphML {str(path)!r} has crs = {G.graph['crs']!r}, which is not a CRS; use e.g. "
            "'epsg:4326'"
        ) from exc
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def graph_frames(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges of a route graph as GeoDataFrames (EPSG:4326)."""
    nodes = pd.DataFrame(
        [{"node_id": str(n), **{k: v for k, v in d.items() if k not in _RESERVED}} for n, d in G.nodes(data=True)]
    )
    node_geom = gpd.points_from_xy(nodes["x"], nodes["y"]) if {"x", "y"} <= set(nodes.columns) else [None] * len(nodes)
    nodes_gdf = gpd.GeoDataFrame(nodes, geometry=node_geom, crs=STORAGE_CRS)
    rows, geoms = [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        rows.append(
            {
                "u": str(u),
                "v": str(v),
                "key": int(k) if isinstance(k, int | np.integer) else str(k),
                **{a: b for a, b in d.items() if a not in _RESERVED},
            }
        )
        geoms.append(d.get("geometry"))
    edges_gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=STORAGE_CRS)
    return nodes_gdf, edges_gdf


def _write_graph_gpkg(G: nx.MultiDiGraph, tmp: Path, name: str) -> None:
    nodes, edges = graph_frames(G)
    meta = pd.DataFrame(
        {
            "attributes_json": [json.dumps(_jsonable(G.graph), ensure_ascii=False)],
            "directed": [G.is_directed()],
            "multigraph": [G.is_multigraph()],
        }
    )
    nodes.to_file(tmp, layer="nodes", driver="GPKG")
    edges.to_file(tmp, layer="edges", driver="GPKG")
    pyogrio.write_dataframe(meta, tmp, layer="graph", driver="GPKG")


def _write_graph_graphml(G: nx.MultiDiGraph, tmp: Path, name: str) -> None:
    H = nx.MultiDiGraph() if G.is_multigraph() else nx.DiGraph()
    H.graph["attributes_json"] = json.dumps(_jsonable(G.graph), ensure_ascii=False)
    for n, d in G.nodes(data=True):
        H.add_node(str(n), **{k: _graphml_value(v) for k, v in d.items()})
    for u, v, *rest in G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True):
        H.add_edge(str(u), str(v), **{k: _graphml_value(x) for k, x in rest[-1].items()})
    nx.write_graphml(H, tmp)


#: Graph formats by suffix (see :func:`borderwatch.output.write_by_suffix`).
GRAPH_WRITERS = {".gpkg": _write_graph_gpkg, ".graphml": _write_graph_graphml}


def save_graph(G: nx.MultiDiGraph, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a graph to ``.gpkg`` (node and edge layers) or ``.graphml``, atomically.

    Parameters
    ----------
    G
        The graph.
    path
        Output file.
    overwrite
        Allow replacing an existing file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    ParameterError
        ``G`` is not a graph, ``path`` not a path, ``overwrite`` not a bool; an unsupported suffix.
    """
    require(G, nx.Graph, where="save_graph", name="G", fix=GRAPH_FIX)
    require(path, PATH, where="save_graph", name="path")
    require(overwrite, bool, where="save_graph", name="overwrite")
    return write_by_suffix(G, path, GRAPH_WRITERS, overwrite=overwrite)


def _graphml_value(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return value.wkt
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict | list | tuple):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    if value is None:
        return ""
    return value


def load_graph(path: str | Path, *, weight: str = "cost") -> nx.MultiDiGraph:
    """Read a graph saved by :func:`save_graph`, or any GraphML graph.

    Parameters
    ----------
    path
        ``.gpkg`` with ``nodes``/``edges`` layers, or ``.graphml``.
    weight
        Edge attribute that routing will use; every edge must have it, numeric
        and >= 0.

    Raises
    ------
    ParameterError
        ``path`` is not a path or ``weight`` not a string.
    DataFileError
        Missing or unreadable file, a node id repeated, node x/y that are not numbers.
    ValidationError
        Edges without a usable ``weight`` (each named).
    """
    from ..readers import check_file

    require(weight, str, where="load_graph", name="weight")
    path = Path(require(path, PATH, where="load_graph", name="path", fix="give the .gpkg or .graphml file"))
    check_file(path, "graph file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".gpkg":
            G = _load_gpkg(path)
        elif suffix == ".graphml":
            G = _load_graphml(path)
        else:
            raise DataFileError(f"graph file {str(path)!r}: unsupported format {suffix!r}; use .gpkg or .graphml")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(
            f"graph file {str(path)!r} cannot be read as a route graph GeoPackage ({exc}); it needs layers 'nodes' "
            "and 'edges'"
        ) from exc
    try:
        validate_route_graph(G, weight=weight)
    except GraphContractError as exc:
        raise GraphContractError([f"{path.name}: {p}" for p in exc.problems]) from None
    return G


def _load_gpkg(path: Path) -> nx.MultiDiGraph:
    nodes = gpd.read_file(path, layer="nodes")
    edges = gpd.read_file(path, layer="edges")
    attrs: dict[str, Any] = {}
    if "graph" in {name for name, _ in pyogrio.list_layers(path)}:
        meta = pyogrio.read_dataframe(path, layer="graph")
        attrs = json.loads(meta["attributes_json"].iloc[0])
    for layer, frame, columns in (("nodes", nodes, ("node_id",)), ("edges", edges, ("u", "v", "key"))):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataFileError(
                f"graph file {str(path)!r}: layer {layer!r} has no column {', '.join(map(repr, missing))}; save the "
                "graph with borderwatch (save_graph)"
            )
    repeated = nodes["node_id"][nodes["node_id"].duplicated()].unique().tolist()
    if repeated:
        raise DataFileError(
            f"graph file {str(path)!r}: layer 'nodes' repeats node_id {', '.join(map(repr, repeated[:5]))}; node "
            "ids must be unique"
        )
    G = nx.MultiDiGraph(**attrs)
    ncols = [c for c in nodes.columns if c not in ("node_id", "geometry")]
    for rec in nodes[["node_id", *ncols]].itertuples(index=False):
        G.add_node(rec[0], **{c: v for c, v in zip(ncols, rec[1:], strict=True) if not _isna(v)})
    ecols = [c for c in edges.columns if c not in ("u", "v", "key", "geometry")]
    for rec, geom in zip(edges[["u", "v", "key", *ecols]].itertuples(index=False), edges.geometry.values, strict=True):
        G.add_edge(
            rec[0],
            rec[1],
            key=rec[2],
            geometry=geom,
            **{c: v for c, v in zip(ecols, rec[3:], strict=True) if not _isna(v)},
        )
    return G


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _load_graphml(path: Path) -> nx.MultiDiGraph:
    raw = read_graphml(path, what="graph file")
    G = nx.MultiDiGraph(raw) if not raw.is_directed() else raw
    if "attributes_json" in G.graph:
        G.graph.update(json.loads(G.graph.pop("attributes_json")))
    for n, d in G.nodes(data=True):
        for c in ("x", "y"):
            if isinstance(d.get(c), str):
                try:
                    d[c] = float(d[c])
                except ValueError:
                    raise DataFileError(
                        f"graph file {str(path)!r}: node {n!r} has {c} = {d[c]!r}, which is not a number; give "
                        "decimal degrees (EPSG:4326)"
                    ) from None
    for u, v, d in G.edges(data=True):
        geom = edge_line(G, u, v, d, what=f"graph file {str(path)!r}")
        if geom is None:
            d.pop("geometry", None)
        else:
            d["geometry"] = geom
        for numeric in ("cost", "length_m", "time_h", "exposure", "length"):
            if isinstance(d.get(numeric), str):
                try:
                    d[numeric] = float(d[numeric])
                except ValueError:
                    pass
    return G
