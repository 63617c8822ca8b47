"""Issue 20: a warm load reads the graph's array view and contract check from the graph cache.

The view read from the cache must be the one ``GraphArrays.from_graph`` builds
from the loaded graph, bit for bit (every array, dtype and Python type); a file
whose view is missing, altered or of another graph is rebuilt, and a graph that
breaks the route-graph contract is never cached.
"""

import dataclasses
import logging

import numpy as np
import pytest
import scipy.sparse

from borderwatch import Scenario
from borderwatch.errors import GraphContractError
from borderwatch.network import cache
from borderwatch.network.arrays import GraphArrays
from borderwatch.network.contract import validate_route_graph
from borderwatch.network.profile import load_profile

from .test_safety import NO_LAYERS, cached_toy, toy_graph


def assert_same_view(a: GraphArrays, b: GraphArrays) -> None:
    """Every field equal, bit for bit: arrays by dtype, shape and bytes, object arrays by value and type."""

    def same(x, y, name):
        assert type(x) is type(y), name
        if isinstance(x, np.ndarray):
            assert (x.dtype, x.shape) == (y.dtype, y.shape), name
            if x.dtype == object:
                assert x.tolist() == y.tolist() and list(map(type, x)) == list(map(type, y)), name
            else:
                assert x.tobytes() == y.tobytes(), name
        elif isinstance(x, scipy.sparse.csr_matrix):
            assert x.shape == y.shape, name
            for part in ("data", "indices", "indptr"):
                same(getattr(x, part), getattr(y, part), f"{name}.{part}")
        elif dataclasses.is_dataclass(x):
            for f in dataclasses.fields(x):
                same(getattr(x, f.name), getattr(y, f.name), f"{name}.{f.name}")
        elif isinstance(x, list | dict):
            assert x == y and list(map(type, x)) == list(map(type, y)), name
        else:
            assert x == y, name

    same(a, b, "view")


@pytest.fixture
def toy_cache(tmp_path, monkeypatch):
    """cached_route_graph on the toy graph with its view; builds are counted; the cache is tmp_path/cache."""
    return cached_toy(tmp_path, monkeypatch, with_view=True)


def test_the_cached_view_is_the_view_of_the_graph(toy_cache):
    get, _, builds = toy_cache
    _, status1, view1, meta1 = get()
    G2, status2, view2, meta2 = get()
    assert (status1, status2, len(builds)) == ("built, cached", "cache hit", 1)
    assert_same_view(view2, GraphArrays.from_graph(G2))
    assert_same_view(view2, view1)
    assert (meta1.origin, meta1.destinations) == (meta2.origin, meta2.destinations) == ("o", {"D": "d"})
    assert len(cache.cached_route_graph(NO_LAYERS, profile=load_profile())) == 2  # (G, status) without the view


def _rewrite(path, G, view):
    with open(path, "wb") as fh:
        cache.write_graph_archive(fh, cache.encode_graph(G, key="ab" * 32, view=view))


def _other_toy():
    G = toy_graph()
    G["o"]["d"][0]["cost"] = 7.0
    return G


@pytest.mark.parametrize("fault", ["no view", "view of another graph", "view of other edges", "a flipped bit"])
def test_a_missing_or_altered_view_is_rebuilt(toy_cache, fault, caplog):
    get, path, _ = toy_cache
    get()
    G = toy_graph()
    if fault == "no view":
        _rewrite(path, G, None)
        message = "holds no array view"
    elif fault == "view of another graph":
        bigger = toy_graph()
        bigger.add_edge("d", "d", cost=1.0)
        _rewrite(path, G, GraphArrays.from_graph(bigger))
        message = "instead of"
    elif fault == "view of other edges":
        _rewrite(path, G, GraphArrays.from_graph(G.reverse()))  # as many edges, other ends
        message = "does not match the graph's edges"
    else:
        cost = GraphArrays.from_graph(G).cost.tobytes()
        data = bytearray(path.read_bytes())
        at = data.find(cost, data.find(b"view.cost"))
        assert at > 0
        data[at + 3] ^= 1
        path.write_bytes(bytes(data))
        message = "CRC-32"
    assert cache.cached_route_graph(NO_LAYERS, profile=load_profile())[1] == "cache hit"  # the graph alone reads
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.cache"):
        G_back, status, view, _ = get()
    assert status == "built, cached" and message in caplog.text and "rebuilding it" in caplog.text
    assert_same_view(view, GraphArrays.from_graph(G_back))
    assert get()[1] == "cache hit"


def test_a_graph_that_breaks_the_contract_is_not_cached(toy_cache, monkeypatch):
    _, path, _ = toy_cache
    broken = toy_graph()
    broken["o"]["d"][0]["cost"] = -1.0
    monkeypatch.setattr(cache, "build_route_graph", lambda region, profile: broken)
    with pytest.raises(GraphContractError, match=r"'o' -> 'd' has cost = -1\.0"):
        cache.cached_route_graph(NO_LAYERS, profile=load_profile())
    assert not path.exists()


def test_a_warm_load_reads_the_shipped_view_and_check_from_the_cache(region, scenario, monkeypatch):
    """The shipped graph, loaded again by Scenario.from_region from the cache the session's scenario wrote or read.

    The warm load neither builds the view nor checks the contract (both replaced by failures), and its
    view is the one GraphArrays.from_graph builds from the loaded graph, bit for bit.
    """
    if scenario.graph_status not in ("cache hit", "built, cached"):
        pytest.skip(f"the session's graph cache is not in use ({scenario.graph_status})")
    build_view = GraphArrays.from_graph

    def refused(*args, **kwargs):
        raise AssertionError("a warm load walked the graph again")

    monkeypatch.setattr(GraphArrays, "from_graph", refused)
    monkeypatch.setattr(cache, "validate_route_graph", refused)
    sc = Scenario.from_region(region)
    assert sc.graph_status == "cache hit"
    view = sc._facts.arrays
    monkeypatch.undo()
    assert_same_view(view, build_view(sc.G))
    assert sc.meta == validate_route_graph(sc.G)  # the check the warm load skipped passes, with the same metadata


# -- the region: each GeoJSON file is parsed once -------------------------------------------------------------


def test_a_geojson_layer_is_read_without_listing_its_layers(monkeypatch, tmp_path):
    """GeoJSON holds one layer: listing the layers parsed the whole file a second time; the frame is the same."""
    import pyogrio
    from geopandas.testing import assert_geodataframe_equal

    from borderwatch import readers

    path = readers.shipped_data_dir() / readers.LAYER_FILES["lakes"]
    listed = []
    list_layers = pyogrio.list_layers
    monkeypatch.setattr(pyogrio, "list_layers", lambda p: listed.append(p) or list_layers(p))
    lakes = readers.read_layer(path, "lakes")
    assert listed == []
    monkeypatch.setattr(readers, "_single_layer_format", lambda p: False)  # the old way: list, then read
    listed_way = readers.read_layer(path, "lakes")
    assert_geodataframe_equal(listed_way, lakes, check_dtype=True)
    assert listed_way.geometry.to_wkb().tolist() == lakes.geometry.to_wkb().tolist()
    assert listed == [path]
    monkeypatch.undo()
    topology = tmp_path / "lakes.geojson"  # TopoJSON (several layers) under a GeoJSON name is still listed
    topology.write_text('{"type": "Topology", "objects": {}, "arcs": []}')
    assert not readers._single_layer_format(topology)
    assert readers._single_layer_format(path) and readers._single_layer_format(tmp_path / "x.shp")
    assert not readers._single_layer_format(tmp_path / "x.gpkg")
