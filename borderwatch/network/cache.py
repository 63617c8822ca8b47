"""A cache of built route graphs, so that commands do not rebuild the same graph.

Building the shipped graph takes about 10 s; loading it from the cache about
3 s.  A cached graph is keyed by a SHA-256 of everything it depends on: the
SHA-256 of every input file of the region (layers and DEM), the build part of
the cost profile (:func:`~borderwatch.network.profile.build_part`: analysis
tables such as ``[ensemble]`` or ``[ranking]`` and the demand shares never
rebuild a graph), and the borderwatch version and the source code that builds graphs
(:data:`BUILD_CODE`: a change there never reuses an old graph).  A region with a layer given as an in-memory
GeoDataFrame has no file to hash and is never cached.

The cache folder is ``$BORDERWATCH_CACHE``, else ``$XDG_CACHE_HOME/borderwatch``,
else ``~/.cache/borderwatch``; delete it at any time.  Files are Python
pickles written atomically; only load a cache folder you trust (your own).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import logging
import os
import pickle
from importlib import resources
from pathlib import Path

import networkx as nx

from .. import __version__
from ..doors import require
from ..output import write_atomic
from ..readers import LAYER_FILES
from ..region import Region
from .build import build_route_graph
from .contract import graph_meta, set_graph_meta
from .profile import Profile, build_part

log = logging.getLogger(__name__)

#: Bump when the cached format changes.
CACHE_FORMAT = 1


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


def cached_route_graph(region: Region, *, profile: Profile, use_cache: bool = True) -> tuple[nx.MultiDiGraph, str]:
    """Build the route graph, or load it from the cache when nothing it depends on changed.

    Parameters
    ----------
    region
        The region.
    profile
        The cost profile.
    use_cache
        ``False`` builds afresh and neither reads nor writes the cache.

    Returns
    -------
    G, status
        The graph and how it was obtained: ``"cache hit"``, ``"built, cached"``,
        ``"built"`` (cache off or not cacheable) or ``"built, cache not writable"``.

    Raises
    ------
    ParameterError
        ``region`` is not a Region, ``profile`` not a Profile, ``use_cache`` not a bool.
    ProfileError
        From :func:`~borderwatch.network.build.build_route_graph`.
    """
    require(region, Region, where="cached_route_graph", name="region", fix="load one with borderwatch.load_region()")
    require(profile, Profile, where="cached_route_graph", name="profile", fix="give load_profile(...)")
    require(use_cache, bool, where="cached_route_graph", name="use_cache")
    key = graph_key(region, profile) if use_cache else None
    if key is None:
        return build_route_graph(region, profile=profile), "built"
    path = cache_dir() / f"route-graph-{key[:32]}.pickle"
    if path.exists():
        try:
            G = _load(path)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            log.warning("ignoring unreadable cached graph %s (%s)", path, exc)
        else:
            log.info("route graph loaded from the cache %s", path)
            # the analysis tables are the caller's, not those of the run that built the graph
            set_graph_meta(G, dataclasses.replace(graph_meta(G), profile=profile))
            return G, "cache hit"
    G = build_route_graph(region, profile=profile)
    try:
        write_atomic(path, lambda tmp: _dump(G, tmp), overwrite=True)
    except OSError as exc:
        log.warning("could not cache the route graph in %s (%s)", path.parent, exc)
        return G, "built, cache not writable"
    return G, "built, cached"


def _load(path: Path) -> nx.MultiDiGraph:
    gc.disable()  # hundreds of thousands of small objects: the collector would only slow this down
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    finally:
        gc.enable()


def _dump(G: nx.MultiDiGraph, path: Path) -> None:
    gc.disable()
    try:
        with open(path, "wb") as fh:
            pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        gc.enable()
