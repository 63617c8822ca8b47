"""The route-graph contract: node ids, required attributes, metadata, and what breaks it."""

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from borderwatch import (
    GraphArrays,
    GraphContractError,
    build_route_graph,
    edge_cost,
    graph_meta,
    load_profile,
    validate_route_graph,
)
from borderwatch.network.contract import CHINA_NODE, ORIGIN_NODE, cell_node, destination_node, gate_node, port_node


def tiny_route_graph() -> nx.MultiDiGraph:
    """Two nodes and one road, with the metadata a route graph carries."""
    profile = load_profile()
    G = nx.MultiDiGraph(
        crs="EPSG:4326", origin="a", destinations={"B": "b"}, profile=profile.to_dict(), no_entry_from={}
    )
    G.add_node("a", x=0.0, y=0.0, kind="origin", country="LAO")
    G.add_node("b", x=1.0, y=0.0, kind="destination", country="VNM")
    G.add_edge(
        "a",
        "b",
        mode="road",
        length_m=1000.0,
        time_h=0.1,
        exposure=0.0,
        cost=0.1,
        geometry=LineString([(0, 0), (1, 0)]),
        source="test",
    )
    return G


def test_node_ids():
    assert cell_node(12) == "cell:12"
    assert gate_node("VN-LAO-016", "VNM") == "gate:VN-LAO-016:VNM"
    assert port_node("SP-01") == "port:SP-01"
    assert destination_node("Ho Chi Minh City") == "dest:ho_chi_minh_city"
    assert ORIGIN_NODE == "origin:golden_triangle" and CHINA_NODE == "dest:china_border"


def test_a_valid_route_graph_passes_and_gives_typed_metadata():
    meta = validate_route_graph(tiny_route_graph())
    assert meta.origin == "a" and meta.destinations == {"B": "b"}
    assert meta.profile["cost"]["exposure_weight_h"] == 48.0
    assert meta.demand["Hanoi"] == 0.15  # demand lives in the profile only


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            lambda G: G.edges["a", "b", 0].pop("time_h"),
            "edge 'a' -> 'b' lacks time_h; route-graph edges need mode, length_m, time_h",
        ),
        (
            lambda G: G.edges["a", "b", 0].update(mode="teleport"),
            "edge 'a' -> 'b' has mode = 'teleport'; use one of road",
        ),
        (lambda G: G.edges["a", "b", 0].update(exposure=2.0), "exposure 2.0 must lie in [0, 1]"),
        (
            lambda G: G.edges["a", "b", 0].update(cost=float("nan")),
            "edge 'a' -> 'b' has cost = nan; every edge needs a finite number 'cost' >= 0",
        ),
        (
            lambda G: G.edges["a", "b", 0].update(mode="gate"),
            "edge 'a' -> 'b' lacks border, crossing, gate_class, gate_id",
        ),
        (lambda G: G.nodes["b"].pop("country"), "node 'b' lacks country"),
        (lambda G: G.graph.update(origin="nowhere"), "graph attribute 'origin' = 'nowhere' is not a node of the graph"),
        (
            lambda G: G.graph.update(destinations={"B": "zz"}),
            "graph attribute 'destinations': 'B' -> 'zz' is not a node",
        ),
        (lambda G: G.graph.update(no_entry_from={"zz": "CHN"}), "graph attribute 'no_entry_from' names 'zz'"),
        (
            lambda G: G.graph["profile"]["cost"].update(exposure_weight_h=-1),
            "graph attribute 'profile' is not a valid cost profile",
        ),
        (lambda G: G.graph.update(crs="EPSG:3857"), "graph attribute 'crs' = 'EPSG:3857'"),
    ],
)
def test_contract_violations_say_what_is_missing(break_it, message):
    G = tiny_route_graph()
    break_it(G)
    with pytest.raises(GraphContractError) as err:
        validate_route_graph(G)
    assert message in str(err.value)


def test_a_plain_user_graph_needs_only_a_cost():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0)
    assert validate_route_graph(G).profile is None
    with pytest.raises(GraphContractError, match="lacks"):
        validate_route_graph(G, full=True)


@pytest.mark.slow
def test_shipped_graph_keeps_the_contract_and_the_one_cost_formula(route_graph):
    meta = validate_route_graph(route_graph, full=True)
    assert meta.no_entry_from == {CHINA_NODE: "CHN"}
    assert "demand" not in route_graph.graph  # stored once, in the profile
    arrays = GraphArrays.from_graph(route_graph)
    np.testing.assert_array_equal(arrays.cost, edge_cost(arrays.time_h, arrays.exposure, profile=meta.profile))


@pytest.mark.slow
def test_reweighting_equals_rebuilding_with_another_exposure_weight(region, route_graph):
    """Re-weighting the array view (no rebuild) gives the costs of a graph built with that weight."""
    other = load_profile(cost={"exposure_weight_h": 12.0})
    rebuilt = GraphArrays.from_graph(build_route_graph(region, profile=other))
    view = GraphArrays.from_graph(route_graph).reweighted(lambda t, x: edge_cost(t, x, profile=other))
    np.testing.assert_allclose(view.cost, rebuilt.cost, rtol=0, atol=1e-12)
    origin = route_graph.graph["origin"]
    d1, _ = view.dijkstra([origin])
    d2, _ = rebuilt.dijkstra([origin])
    np.testing.assert_allclose(d1, d2, rtol=1e-12)
    assert graph_meta(route_graph).profile["cost"]["exposure_weight_h"] == 48.0
