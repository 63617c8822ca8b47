"""A cache of built route graphs, so that commands do not rebuild the same graph.

Building the shipped graph takes about 20 s of CPU; loading it from the cache
about 2 s.  With the graph the archive keeps its array view (the
:data:`~borderwatch.network.arrays.COLUMNS` of
:class:`~borderwatch.network.arrays.GraphArrays`, among them the edges'
identity tags) and the fact that it passed the route-graph contract
(:func:`~borderwatch.network.contract.validate_route_graph`, checked before a
graph is written): a warm :meth:`Scenario.from_region
<borderwatch.Scenario.from_region>` neither walks the graph again for its view
nor checks it again (``with_view=True``).  A cached graph is keyed by a SHA-256 of everything it depends on: the
SHA-256 of every input file of the region (layers and DEM), the build part of
the cost profile (:func:`~borderwatch.network.profile.build_part`: analysis
tables such as ``[ensemble]`` or ``[ranking]`` and the demand shares never
rebuild a graph), and the borderwatch version and the source code that builds graphs
(:data:`BUILD_CODE`: a change there never reuses an old graph).  A region with a layer given as an in-memory
GeoDataFrame has no file to hash and is never cached.

The cache folder is ``$BORDERWATCH_CACHE``, else ``$XDG_CACHE_HOME/borderwatch``,
else ``~/.cache/borderwatch``; delete it at any time.

Safety: a cached graph is a NumPy ``.npz`` archive (typed arrays, read with
``allow_pickle=False``, and one JSON document for names, strings and
``G.graph``), so loading one executes nothing from the file.  The folder is
created ``0700`` and the files ``0600`` whatever the umask; a folder or file
that is not yours, or that others may write to, is never read (nor the folder
written), so nobody else can plant a graph.  A cached file that cannot be read
as a graph with the expected key (truncated, corrupt, another format, a folder
in its place) is logged and the graph rebuilt; so is a file whose bytes changed
(every archive member carries a CRC-32, checked as it is read) or whose view
does not match its graph.  A graph with an attribute value the format cannot
store exactly (see :func:`encode_graph`) is not cached, nor one that breaks the
route-graph contract (:class:`~borderwatch.errors.GraphContractError` is raised).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import IO, Any

import networkx as nx
import numpy as np

from .. import __version__
from ..doors import require
from ..errors import BorderwatchError
from ..output import write_atomic
from ..readers import LAYER_FILES
from ..region import Region
from .arrays import COLUMNS, GraphArrays
from .build import build_route_graph
from .contract import GraphMeta, graph_meta, set_graph_meta, validate_route_graph
from .profile import Profile, build_part

log = logging.getLogger(__name__)

#: Bump when the cached format changes (it is part of the key, so old files are never read).
CACHE_FORMAT = 3


def cache_dir() -> Path:
    """Return the folder cached graphs live in (see the module docstring)."""
    env = os.environ.get("BORDERWATCH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "borderwatch"


#: The code a route graph is built by (hashed into the cache key): the network package and the data layer it
#: reads through.  Analyses, maps, the report and the CLI are not in it, so changing them reuses cached graphs.
BUILD_CODE = ("network", "borders.py", "gates.py", "geodesy.py", "readers.py", "region.py", "schema.py", "errors.py")


def _code_digest() -> str:
    h = hashlib.sha256()
    root = Path(str(resources.files("borderwatch")))
    paths = [p for name in BUILD_CODE for p in ([root / name] if name.endswith(".py") else (root / name).rglob("*"))]
    for path in sorted(paths):
        if path.suffix in (".py", ".toml"):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def graph_key(region: Region, profile: Profile) -> str | None:
    """Return the cache key of the graph of ``region`` and ``profile``.

    Parameters
    ----------
    region
        The region (every layer must come from a file).
    profile
        The cost profile.

    Returns
    -------
    str or None
        64 hex digits, or None when a layer has no file (not cacheable).
    """
    missing = [name for name in LAYER_FILES if name not in region.sources]
    if missing:
        return None
    inputs = {name: entry["sha256"] for name, entry in region.manifest().items()}
    blob = json.dumps(
        {
            "format": CACHE_FORMAT,
            "version": __version__,
            "code": _code_digest(),
            "inputs": inputs,
            "profile": build_part(profile),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def cached_route_graph(
    region: Region, *, profile: Profile, use_cache: bool = True, with_view: bool = False
) -> tuple[nx.MultiDiGraph, str] | tuple[nx.MultiDiGraph, str, GraphArrays, GraphMeta]:
    """Build the route graph, or load it from the cache when nothing it depends on changed.

    Parameters
    ----------
    region
        The region.
    profile
        The cost profile.
    use_cache
        ``False`` builds afresh and neither reads nor writes the cache.
    with_view
        Also return the graph's array view (``GraphArrays.from_graph(G)``) and
        its metadata checked against the route-graph contract
        (``validate_route_graph(G)``).  On a cache hit both come from the file
        (it holds them only for a graph that passed the check); otherwise they
        are computed.

    Returns
    -------
    G, status
        The graph and how it was obtained: ``"cache hit"``, ``"built, cached"``,
        ``"built"`` (cache off, not cacheable or not safe to use) or
        ``"built, cache not writable"``.
    G, status, arrays, meta
        With ``with_view``.

    Raises
    ------
    ParameterError
        ``region`` is not a Region, ``profile`` not a Profile, ``use_cache`` or ``with_view`` not a bool.
    ProfileError
        From :func:`~borderwatch.network.build.build_route_graph`.
    GraphContractError
        A graph built to be cached (or with ``with_view``) breaks the route-graph contract.
    """
    require(region, Region, where="cached_route_graph", name="region", fix="load one with borderwatch.load_region()")
    require(profile, Profile, where="cached_route_graph", name="profile", fix="give load_profile(...)")
    require(use_cache, bool, where="cached_route_graph", name="use_cache")
    require(with_view, bool, where="cached_route_graph", name="with_view")

    def result(G: nx.MultiDiGraph, status: str, view: tuple[GraphArrays, GraphMeta] | None = None):
        if not with_view:
            return G, status
        if view is None:
            meta = validate_route_graph(G)
            view = GraphArrays.from_graph(G), meta
        return G, status, *view

    key = graph_key(region, profile) if use_cache else None
    if key is None:
        return result(build_route_graph(region, profile=profile), "built")
    folder = cache_dir()
    unsafe = _unsafe_folder(folder)
    if unsafe:
        log.warning("not using the graph cache %s: %s", folder, unsafe)
        return result(build_route_graph(region, profile=profile), "built")
    path = folder / f"route-graph-{key[:32]}.npz"
    cached = _read_cached(path, key, profile, with_view=with_view)
    if cached is not None:
        log.info("route graph loaded from the cache %s", path)
        G, view = cached
        return result(G, "cache hit", view)
    G = build_route_graph(region, profile=profile)
    meta = validate_route_graph(G)  # a graph that breaks the contract is never cached
    arrays = GraphArrays.from_graph(G)
    try:
        archive = encode_graph(G, key=key, view=arrays)
    except NotCacheableError as exc:
        log.warning("the route graph is not cached: %s", exc)
        return result(G, "built", (arrays, meta))
    try:
        _private_folder(folder)
        write_atomic(path, lambda tmp: _write_private(tmp, archive), overwrite=True)
    except (OSError, BorderwatchError) as exc:
        log.warning("could not cache the route graph in %s (%s)", path, exc)
        return result(G, "built, cache not writable", (arrays, meta))
    return result(G, "built, cached", (arrays, meta))


def _unsafe_folder(folder: Path) -> str | None:
    """Say why ``folder`` may not hold the cache (not yours, writable by others), or None."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return None  # created private by _private_folder
    except OSError as exc:
        return exc.strerror or str(exc)
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    return _not_private(st, "folder")


def _not_private(st: os.stat_result, what: str) -> str | None:
    if st.st_uid != os.geteuid():
        return f"the {what} belongs to user id {st.st_uid}, not to you"
    if st.st_mode & 0o022:
        return f"others may write to the {what} (mode {stat.S_IMODE(st.st_mode):04o}); chmod go-w it"
    return None


def _private_folder(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)


def _write_private(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive to a new file readable and writable by its owner only (0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        write_graph_archive(fh, arrays)


def _read_cached(
    path: Path, key: str, profile: Profile, *, with_view: bool
) -> tuple[nx.MultiDiGraph, tuple[GraphArrays, GraphMeta] | None] | None:
    """Load the cached graph at ``path`` with ``profile`` (and its view); None (logged): absent, unsafe, unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring the cached graph %s (%s); rebuilding it", path, exc.strerror or exc)
        return None
    st = os.fstat(fd)
    problem = "it is not a file" if not stat.S_ISREG(st.st_mode) else _not_private(st, "file")
    if problem is not None:
        os.close(fd)
    else:
        with os.fdopen(fd, "rb") as fh:
            try:
                G, arrays = _read_archive(fh, key, with_view=with_view)
                # checks that the metadata names nodes of the graph; the analysis tables are the caller's,
                # not those of the run that built the graph
                set_graph_meta(G, replace(graph_meta(G), profile=profile))
            except Exception as exc:  # any unreadable cache file is rebuilt, never trusted
                problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        log.warning("ignoring the cached graph %s (%s); rebuilding it", path, problem)
        return None
    return G, (None if arrays is None else (arrays, graph_meta(G)))


# ------------------------------------------------------------------------------ the archive format


class NotCacheableError(ValueError):
    """The graph holds a value the cache format cannot store exactly."""


#: Column kinds: typed NumPy arrays, strings as codes into a JSON list, geometries as WKB, anything else JSON.
_NUMERIC = {float: ("float", np.float64), bool: ("bool", np.bool_), int: ("int", np.int64)}


def _is_json(value: Any) -> bool:
    """Whether JSON gives ``value`` back with the same types (no tuples, numpy scalars, non-str keys)."""
    kind = type(value)
    if kind in (str, bool, int, float) or value is None:
        return True
    if kind is list:
        return all(map(_is_json, value))
    if kind is dict:
        return all(type(k) is str and _is_json(v) for k, v in value.items())
    return False


def _encode_column(name: str, values: list[Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Store one attribute's values; return its description for the JSON document."""
    import shapely

    kinds = set(map(type, values))
    if len(kinds) == 1 and (kind := next(iter(kinds))) in _NUMERIC:
        label, dtype = _NUMERIC[kind]
        try:
            arrays[name] = np.array(values, dtype=dtype)
        except OverflowError:  # an int beyond 64 bits: JSON keeps it
            pass
        else:
            return {"kind": label}
    if kinds == {str}:
        strings = list(dict.fromkeys(values))
        index = {s: i for i, s in enumerate(strings)}
        arrays[name] = np.array([index[v] for v in values], dtype=np.int32)
        return {"kind": "str", "strings": strings}
    if all(issubclass(k, shapely.Geometry) for k in kinds):
        wkb = shapely.to_wkb(np.array(values, dtype=object), output_dimension=4, include_srid=True)
        arrays[name] = np.frombuffer(b"".join(wkb), dtype=np.uint8)
        arrays[f"{name}.offsets"] = np.cumsum([0, *map(len, wkb)], dtype=np.int64)
        return {"kind": "geometry"}
    if all(map(_is_json, values)):
        return {"kind": "json", "values": values}
    odd = next(v for v in values if not _is_json(v))
    raise NotCacheableError(f"{name} holds a {type(odd).__name__} ({odd!r:.60}), which the cache cannot store exactly")


def _decode_column(name: str, spec: dict[str, Any], arrays: Any, n: int) -> np.ndarray:
    """Return the ``n`` values of one column as a NumPy array (typed, or of Python objects)."""
    import shapely

    kind = spec["kind"]
    if kind in ("float", "bool", "int"):
        values = arrays[name]
        expected = {"float": np.float64, "bool": np.bool_, "int": np.int64}[kind]
        if values.dtype != expected:
            raise ValueError(f"{name}: {values.dtype} instead of {np.dtype(expected)}")
    elif kind == "str":
        values = _objects(spec["strings"])[_codes(arrays[name], len(spec["strings"]), name)]
    elif kind == "geometry":
        blob, offsets = arrays[name], arrays[f"{name}.offsets"]
        if offsets.dtype != np.int64 or len(offsets) != n + 1 or offsets[0] != 0 or offsets[-1] != len(blob):
            raise ValueError(f"{name}: geometry offsets do not match the data")
        data = blob.tobytes()
        values = shapely.from_wkb(
            _objects([data[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)])
        )
    elif kind == "json":
        values = _objects(spec["values"])
    else:
        raise ValueError(f"{name}: unknown column kind {kind!r}")
    if values.shape != (n,):
        raise ValueError(f"{name}: {values.shape} values instead of {n}")
    return values


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element by element: NumPy would turn lists into dimensions
        out[i] = v
    return out


def _codes(codes: np.ndarray, size: int, name: str) -> np.ndarray:
    if codes.dtype.kind not in "iu" or codes.ndim != 1 or (len(codes) and (codes.min() < 0 or codes.max() >= size)):
        raise ValueError(f"{name}: indices out of range")
    return codes


def _encode_records(prefix: str, records: Iterable[dict[str, Any]], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Store attribute dicts column by column, keeping each dict's key order (its "signature")."""
    signatures: dict[tuple[str, ...], int] = {}
    sig: list[int] = []
    columns: dict[str, list[Any]] = {}
    for record in records:
        keys = tuple(record)
        sig.append(signatures.setdefault(keys, len(signatures)))
        for k, v in record.items():
            columns.setdefault(k, []).append(v)
    for k in columns:
        if type(k) is not str:
            raise NotCacheableError(f"{prefix} attribute name {k!r} is not a string")
    arrays[f"{prefix}.signature"] = np.array(sig, dtype=np.int32)
    return {
        "signatures": [list(keys) for keys in signatures],
        # arrays named by position: attribute names are any strings ("id", "key", "x.offsets" ...)
        "columns": {k: _encode_column(f"{prefix}.column{j}", v, arrays) for j, (k, v) in enumerate(columns.items())},
    }


def _decode_records(prefix: str, spec: dict[str, Any], arrays: Any, n: int) -> list[dict[str, Any]]:
    signatures = [tuple(keys) for keys in spec["signatures"]]
    sig = _codes(arrays[f"{prefix}.signature"], len(signatures), f"{prefix}.signature")
    if len(sig) != n:
        raise ValueError(f"{prefix}: {len(sig)} records instead of {n}")
    records: list[dict[str, Any]] = [{}] * n
    holders = {k: np.zeros(len(signatures), dtype=bool) for k in spec["columns"]}
    for s, keys in enumerate(signatures):
        for k in keys:
            holders[k][s] = True  # a key without a column fails here (KeyError)
    columns = {}
    for j, (k, column) in enumerate(spec["columns"].items()):
        has = holders[k][sig]
        columns[k] = (_decode_column(f"{prefix}.column{j}", column, arrays, int(has.sum())), np.cumsum(has) - 1)
    for s, keys in enumerate(signatures):
        rows = np.flatnonzero(sig == s)
        if not keys:
            for r in rows.tolist():
                records[r] = {}
            continue
        values = [columns[k][0][columns[k][1][rows]].tolist() for k in keys]
        for r, row in zip(rows.tolist(), zip(*values, strict=True), strict=True):
            records[r] = dict(zip(keys, row, strict=True))
    return records


def encode_graph(G: nx.MultiDiGraph, *, key: str, view: GraphArrays | None = None) -> dict[str, np.ndarray]:
    """Turn a route graph (and its array view) into the arrays of a cache archive, exactly.

    Node ids, edge keys and attribute values may be ``float``, ``int``,
    ``bool``, ``str``, shapely geometries (stored as WKB), or anything JSON
    gives back unchanged (``None``, lists, dicts with string keys); ``G.graph``
    must be such JSON.  The order of nodes, of every node's successors and
    predecessors, of the keys and of each attribute dict is kept.

    Parameters
    ----------
    G
        A :class:`networkx.MultiDiGraph`.
    key
        The cache key, stored so that a file is never read for another key.
    view
        ``GraphArrays.from_graph(G)``, stored as its
        :data:`~borderwatch.network.arrays.COLUMNS`.

    Returns
    -------
    dict
        Name -> array, for :func:`write_graph_archive`.

    Raises
    ------
    NotCacheableError
        ``G`` holds a value (a tuple, a numpy scalar ...) the format would change.
    """
    if type(G) is not nx.MultiDiGraph:
        raise NotCacheableError(f"a {type(G).__name__}, not a networkx.MultiDiGraph")
    if not _is_json(G.graph):
        raise NotCacheableError("G.graph holds values JSON would change")
    arrays: dict[str, np.ndarray] = {}
    nodes = list(G)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(G.edges(keys=True, data=True))
    pairs = {}
    for u, v, _, _ in edges:
        pairs.setdefault((u, v), len(pairs))
    arrays["edges.u"] = np.array([index[u] for u, _, _, _ in edges], dtype=np.int32)
    arrays["edges.v"] = np.array([index[v] for _, v, _, _ in edges], dtype=np.int32)
    arrays["pred_order"] = np.array([pairs[u, v] for v, preds in G.pred.items() for u in preds], dtype=np.int32)
    doc = {
        "format": CACHE_FORMAT,
        "key": key,
        "graph": G.graph,
        "node_count": len(nodes),
        "edge_count": len(edges),
        "node_ids": _encode_column("nodes.id", nodes, arrays),
        "edge_keys": _encode_column("edges.key", [k for _, _, k, _ in edges], arrays),
        "nodes": _encode_records("nodes", (d for _, d in G.nodes(data=True)), arrays),
        "edges": _encode_records("edges", (d for _, _, _, d in edges), arrays),
        "view": None if view is None else _encode_view(view, arrays),
    }
    arrays["doc"] = np.frombuffer(json.dumps(doc, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    return arrays


def write_graph_archive(fh: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write :func:`encode_graph`'s arrays as an uncompressed ``.npz`` archive.

    Parameters
    ----------
    fh
        A file open for binary writing.
    arrays
        From :func:`encode_graph`.
    """
    np.savez(fh, allow_pickle=False, **arrays)


def read_graph_archive(fh: IO[bytes] | str | Path, *, key: str) -> nx.MultiDiGraph:
    """Read a graph written by :func:`write_graph_archive`; loading executes nothing from the file.

    Parameters
    ----------
    fh
        The archive (a binary file or a path).
    key
        The cache key the file must have been written for.

    Returns
    -------
    networkx.MultiDiGraph
        The graph, identical to the one encoded.

    Raises
    ------
    ValueError
        Not an archive of this format and key, or inconsistent contents
        (other errors of NumPy's and zipfile's readers pass through).
    """
    return _read_archive(fh, key, with_view=False)[0]


def _read_archive(
    fh: IO[bytes] | str | Path, key: str, *, with_view: bool
) -> tuple[nx.MultiDiGraph, GraphArrays | None]:
    """:func:`read_graph_archive`, and with ``with_view`` the graph's array view (ValueError if it has none)."""
    gc.disable()  # hundreds of thousands of small dicts: the collector would only slow this down
    try:
        with np.load(fh, allow_pickle=False) as arrays:
            doc = json.loads(arrays["doc"].tobytes().decode("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT or doc.get("key") != key:
                raise ValueError("written by another format or for another key")
            G = _decode(arrays, doc)
            if not with_view:
                return G, None
            if doc["view"] is None:
                raise ValueError("the archive holds no array view")
            return G, _decode_view(doc["view"], arrays, G)
    finally:
        gc.enable()


def _encode_view(view: GraphArrays, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Store a view's columns: typed arrays as they are, object arrays (text, edge keys) as columns."""
    spec: dict[str, Any] = {"weight": view.weight, "columns": {}}
    for name, values in view.columns().items():
        if values.dtype == object:
            spec["columns"][name] = _encode_column(f"view.{name}", values.tolist(), arrays)
        else:
            arrays[f"view.{name}"] = values
            spec["columns"][name] = {"kind": "array", "dtype": values.dtype.str}
    return spec


def _decode_view(spec: dict[str, Any], arrays: Any, G: nx.MultiDiGraph) -> GraphArrays:
    """Assemble the stored view of ``G``; ValueError when it does not fit the graph."""
    n, m = G.number_of_nodes(), len(arrays["edges.u"])
    if list(spec["columns"]) != list(COLUMNS):
        raise ValueError("the array view has other columns")
    columns = {}
    for name, column in spec["columns"].items():
        size = n if name.startswith("node_") else m
        if column["kind"] == "array":
            values = arrays[f"view.{name}"]
            if values.dtype.str != column["dtype"] or values.shape != (size,):
                raise ValueError(f"view.{name}: {values.dtype} {values.shape} instead of {column['dtype']} ({size},)")
        else:
            values = _decode_column(f"view.{name}", column, arrays, size)
            if values.dtype != object:  # typed edge keys: the view holds them as Python objects
                values = _objects(values.tolist())
        columns[name] = values
    for end in ("u", "v"):
        if not np.array_equal(columns[f"edge_{end}"], arrays[f"edges.{end}"]):
            raise ValueError(f"the array view's edge_{end} does not match the graph's edges")
    rules = dict(G.graph.get("no_entry_from") or {})
    return GraphArrays.from_columns(list(G), columns, weight=spec["weight"], rules=rules)


def _decode(arrays: Any, doc: dict[str, Any]) -> nx.MultiDiGraph:
    n, m = doc["node_count"], doc["edge_count"]
    nodes = _decode_column("nodes.id", doc["node_ids"], arrays, n).tolist()
    node_attrs = _decode_records("nodes", doc["nodes"], arrays, n)
    keys = _decode_column("edges.key", doc["edge_keys"], arrays, m).tolist()
    edge_attrs = _decode_records("edges", doc["edges"], arrays, m)
    us = _codes(arrays["edges.u"], n, "edges.u").tolist()
    vs = _codes(arrays["edges.v"], n, "edges.v").tolist()
    if len(us) != m or len(vs) != m:
        raise ValueError("edge ends do not match the edge count")
    G = nx.MultiDiGraph()
    G.graph.update(doc["graph"])
    # networkx's own structures, filled directly: add_edge cannot reproduce the predecessors' order
    succ, pred, node = G._succ, G._pred, G._node
    for i, attrs in zip(nodes, node_attrs, strict=True):
        node[i], succ[i], pred[i] = attrs, {}, {}
    if len(node) != n:
        raise ValueError("duplicate node ids")
    pair_ends, pair_keys = [], []
    for u, v, k, attrs in zip(us, vs, keys, edge_attrs, strict=True):
        u, v = nodes[u], nodes[v]
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = {}
            pair_ends.append((u, v))
            pair_keys.append(keydict)
        keydict[k] = attrs
    order = _codes(arrays["pred_order"], len(pair_ends), "pred_order")
    if len(order) != len(pair_ends) or (len(order) and np.bincount(order).min() != 1):
        raise ValueError("the predecessor order is not one of every node pair")
    for p in order.tolist():
        u, v = pair_ends[p]
        pred[v][u] = pair_keys[p]
    if G.number_of_edges() != m:
        raise ValueError("duplicate edge keys")
    return G
