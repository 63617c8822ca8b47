"""Save and load route graphs: GeoPackage (node and edge layers) and GraphML.

- GeoPackage: layer ``nodes`` (point per node, ``node_id`` and attributes),
  layer ``edges`` (line per edge, ``u``, ``v``, ``key`` and attributes) and a
  table ``graph`` with the graph attributes as JSON.  Opens in QGIS.
- GraphML: geometry as WKT text, graph attributes as JSON text; any GraphML
  graph whose edges carry a numeric ``cost`` can be routed on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..errors import DataFileError, ValidationError
from ..io import edge_line, read_graphml, write_atomic
from ..schema import STORAGE_CRS

_RESERVED = {"u", "v", "key", "node_id", "geometry"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def graph_frames(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges of a route graph as GeoDataFrames (EPSG:4326)."""
    nodes = pd.DataFrame([{"node_id": str(n), **{k: v for k, v in d.items() if k not in _RESERVED}} for n, d in G.nodes(data=True)])
    node_geom = gpd.points_from_xy(nodes["x"], nodes["y"]) if {"x", "y"} <= set(nodes.columns) else [None] * len(nodes)
    nodes_gdf = gpd.GeoDataFrame(nodes, geometry=node_geom, crs=STORAGE_CRS)
    rows, geoms = [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        rows.append(
            {"u": str(u), "v": str(v), "key": int(k) if isinstance(k, int | np.integer) else str(k), **{a: b for a, b in d.items() if a not in _RESERVED}}
        )
        geoms.append(d.get("geometry"))
    edges_gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=STORAGE_CRS)
    return nodes_gdf, edges_gdf


def save_graph(G: nx.MultiDiGraph, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a graph to ``.gpkg`` (node and edge layers) or ``.graphml``, atomically.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    ValueError
        Unsupported suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        nodes, edges = graph_frames(G)
        meta = pd.DataFrame(
            {"attributes_json": [json.dumps(_jsonable(G.graph), ensure_ascii=False)], "directed": [G.is_directed()], "multigraph": [G.is_multigraph()]}
        )

        def write(tmp: Path) -> None:
            nodes.to_file(tmp, layer="nodes", driver="GPKG")
            edges.to_file(tmp, layer="edges", driver="GPKG")
            pyogrio.write_dataframe(meta, tmp, layer="graph", driver="GPKG")

        return write_atomic(path, write, overwrite=overwrite)
    if suffix == ".graphml":
        H = nx.MultiDiGraph() if G.is_multigraph() else nx.DiGraph()
        H.graph["attributes_json"] = json.dumps(_jsonable(G.graph), ensure_ascii=False)
        for n, d in G.nodes(data=True):
            H.add_node(str(n), **{k: _graphml_value(v) for k, v in d.items()})
        for u, v, *rest in G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True):
            d = rest[-1]
            H.add_edge(str(u), str(v), **{k: _graphml_value(x) for k, x in d.items()})
        return write_atomic(path, lambda tmp: nx.write_graphml(H, tmp), overwrite=overwrite)
    raise ValueError(f"cannot save a graph as {suffix!r}; use .gpkg or .graphml")


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
    DataFileError
        Missing or unreadable file.
    ValidationError
        Edges without a usable ``weight`` (each named).
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"graph file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".gpkg":
            G = _load_gpkg(path)
        elif suffix == ".graphml":
            G = _load_graphml(path)
        else:
            raise DataFileError(f"graph file {str(path)!r}: unsupported format {suffix!r}; use .gpkg or .graphml")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(f"graph file {str(path)!r} cannot be read as a route graph GeoPackage ({exc}); it needs layers 'nodes' and 'edges'") from exc
    check_weights(G, weight=weight, name=path.name)
    return G


def check_weights(G: nx.Graph, *, weight: str = "cost", name: str = "graph", limit: int = 20) -> None:
    """Raise :class:`ValidationError` naming edges whose ``weight`` is missing, non-numeric or negative."""
    problems = []
    for u, v, w in G.edges(data=weight):
        try:
            ok = w is not None and np.isfinite(float(w)) and float(w) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{name}: edge {u!r} -> {v!r} has {weight} = {w!r}; every edge needs a finite {weight!r} >= 0")
            if len(problems) >= limit:
                problems.append(f"{name}: (stopped after {limit} bad edges)")
                break
    if problems:
        raise ValidationError(problems)


def _load_gpkg(path: Path) -> nx.MultiDiGraph:
    nodes = gpd.read_file(path, layer="nodes")
    edges = gpd.read_file(path, layer="edges")
    attrs: dict[str, Any] = {}
    if "graph" in {name for name, _ in pyogrio.list_layers(path)}:
        meta = pyogrio.read_dataframe(path, layer="graph")
        attrs = json.loads(meta["attributes_json"].iloc[0])
    G = nx.MultiDiGraph(**attrs)
    ncols = [c for c in nodes.columns if c not in ("node_id", "geometry")]
    for rec in nodes[["node_id", *ncols]].itertuples(index=False):
        G.add_node(rec[0], **{c: v for c, v in zip(ncols, rec[1:], strict=True) if not _isna(v)})
    ecols = [c for c in edges.columns if c not in ("u", "v", "key", "geometry")]
    for rec, geom in zip(edges[["u", "v", "key", *ecols]].itertuples(index=False), edges.geometry.values, strict=True):
        G.add_edge(rec[0], rec[1], key=rec[2], geometry=geom, **{c: v for c, v in zip(ecols, rec[3:], strict=True) if not _isna(v)})
    return G


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _load_graphml(path: Path) -> nx.MultiDiGraph:
    raw = read_graphml(path, what="graph file")
    G = nx.MultiDiGraph(raw) if not raw.is_directed() else raw
    if "attributes_json" in G.graph:
        G.graph.update(json.loads(G.graph.pop("attributes_json")))
    for _, d in G.nodes(data=True):
        for c in ("x", "y"):
            if isinstance(d.get(c), str):
                d[c] = float(d[c])
    for u, v, d in G.edges(data=True):
        geom = edge_line(G, u, v, d)
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
