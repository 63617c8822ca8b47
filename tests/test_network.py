"""The route graph of the shipped real data: modes, barrier, origin, routes."""

import json
import logging

import networkx as nx
import pytest
from click.testing import CliRunner

from borderwatch import (
    CloseGates,
    GraphArrays,
    Scenario,
    build_route_graph,
    graph_summary,
    k_routes,
    least_cost_routes,
    load_profile,
)
from borderwatch.cli import main
from borderwatch.geodesy import distance_m
from borderwatch.network.contract import MODES

pytestmark = pytest.mark.slow
REQUIRED = ("mode", "length_m", "time_h", "exposure", "cost", "geometry", "source")


def test_all_six_modes_and_required_attributes(route_graph):
    summary = graph_summary(route_graph)
    assert set(summary["edges_by_mode"]) == set(MODES)
    assert all(n > 0 for n in summary["edges_by_mode"].values()), summary["edges_by_mode"]
    for u, v, d in route_graph.edges(data=True):
        missing = [a for a in REQUIRED if a not in d]
        assert not missing, (u, v, missing)
        assert d["cost"] > 0 and d["length_m"] >= 0 and 0 <= d["exposure"] <= 1
        if d["mode"] == "gate":
            assert d["gate_id"] and d["gate_class"] in ("international", "primary", "secondary")
    assert route_graph.graph["crs"] == "EPSG:4326"


def test_the_land_border_is_a_barrier(route_graph):
    """Only gate edges and informal off-road edges join Vietnam to a neighbour."""
    nodes = route_graph.nodes
    for u, v, d in route_graph.edges(data=True):
        cu, cv = nodes[u]["country"], nodes[v]["country"]
        pair = {cu, cv}
        if cu and cv and cu != cv and "VNM" in pair and pair & {"LAO", "CHN", "KHM"}:
            assert d["mode"] == "gate" or (d["mode"] == "offroad" and d["crossing"] == "informal"), (u, v, d["mode"])


def test_golden_triangle_is_computed_from_the_boundaries(route_graph):
    o = route_graph.nodes[route_graph.graph["origin"]]
    # Sop Ruak, the Ruak-Mekong confluence, is at about 20.35 N 100.08 E
    assert float(distance_m(o["x"], o["y"], 100.083, 20.353)) < 5000


def test_route_to_hanoi_enters_vietnam_from_laos(scenario):
    (r,) = least_cost_routes(scenario, destinations=["Hanoi"]).itertuples()
    assert r.entry_border == "LAO"
    assert r.entry_crossing.startswith("VN-LAO-") or r.entry_crossing == "informal"
    assert 500 < r.length_km < 2000
    assert r.cost_heq == pytest.approx(r.cost_time_heq + r.cost_exposure_heq, rel=1e-6)
    assert r.cost_heq == pytest.approx(scenario.least_cost("Hanoi"), rel=1e-9)
    # routes run on the scenario's costs: with the entry gate closed the route enters elsewhere, dearer
    if r.entry_crossing != "informal":
        closed = scenario.edited(CloseGates((r.entry_crossing,)))
        (after,) = least_cost_routes(closed, destinations=["Hanoi"]).itertuples()
        assert after.entry_crossing != r.entry_crossing and after.cost_heq > r.cost_heq


def test_routes_to_hcmc_and_every_seaport_exist(scenario, region):
    routes = least_cost_routes(scenario)
    names = set(routes["destination"])
    assert "Ho Chi Minh City" in names and "export" in names and "China border" in names
    located = region.seaports[region.seaports.geometry.notna()]
    assert {f"port:{i}" for i in located["id"]} <= set(routes["destination_node"])
    assert (routes["length_km"] > 0).all()
    # Phu Quoc is an island: its route ends with a coastal sea leg
    phu_quoc = routes[routes["destination_node"] == "port:SP-16"].iloc[0]
    assert phu_quoc["modes"].endswith("sea")
    # the China-border destination is reached by leaving Vietnam into China
    china = routes[routes["destination"] == "China border"].iloc[0]
    assert china["crossings"].split("; ")[-1].endswith("CHN)") or "informal CHN" in china["crossings"]


def test_k_routes_on_the_shipped_graph_differ_and_keep_their_ranks(scenario):
    assert scenario.with_settings(samples=7).arrays is scenario.arrays  # settings never rebuild the array view
    three = k_routes(scenario, destinations=["Hanoi"], k=3)
    assert list(three["rank"]) == [1, 2, 3]
    assert (three["overlap_with_better"].iloc[1:] < 0.9).all()
    eight = k_routes(scenario, destinations=["Hanoi"], k=8)
    assert eight["cost_heq"].tolist()[:3] == three["cost_heq"].tolist()
    assert eight["crossings"].tolist()[:3] == three["crossings"].tolist()
    assert eight["cost_heq"].iloc[0] == eight["cost_heq"].min()


def test_array_routing_agrees_with_networkx_on_the_shipped_graph(route_graph):
    arrays = GraphArrays.from_graph(route_graph)
    origin = route_graph.graph["origin"]
    target = route_graph.graph["destinations"]["Da Nang"]
    _, cost = arrays.path(origin, target)
    assert cost == pytest.approx(nx.dijkstra_path_length(route_graph, origin, target, weight="cost"), rel=1e-9)


def test_informal_crossing_cost_changes_the_routes(region):
    cheap = build_route_graph(region, profile=load_profile(informal_crossing={"delay_h": 0.0, "exposure": 0.0}))
    (r,) = least_cost_routes(Scenario.from_graph(cheap, region=region), destinations=["Hanoi"]).itertuples()
    assert r.entry_crossing == "informal"


def test_a_gate_with_no_road_and_no_cell_is_warned_about(caplog):
    """A gate side with no road within 2 km and no lattice cell of its country cannot be used."""
    import geopandas as gpd
    from shapely.geometry import Point

    from borderwatch.network.builder import EdgeBuilder
    from borderwatch.network.gates import add_gates
    from borderwatch.network.nearest import PointIndex

    class NoLattice:
        def edge(self, lon, lat, *, country, outbound):
            return None

    gates = gpd.GeoDataFrame(
        {"id": ["G-1"], "name": ["Nowhere"], "class": ["primary"], "border": ["LAO"], "source": ["t"]},
        geometry=[Point(104.0, 19.0)],
        crs=4326,
    )
    empty = PointIndex([], [], [], [])
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.gates"):
        unreached = add_gates(EdgeBuilder(load_profile()), gates, roads=empty, rivers=None, lattice=NoLattice())
    assert unreached == ["G-1:VNM", "G-1:LAO"]
    assert "gate G-1 (Nowhere): no road within 2 km and no lattice cell on the VNM side" in caplog.text


def test_build_network_json_cli():
    result = CliRunner().invoke(main, ["-q", "build-network", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["edges_by_mode"]) == set(MODES) and min(summary["edges_by_mode"].values()) > 0
    assert summary["build_s"] > 0 and summary["weakly_connected_components"] >= 1


def test_china_border_routes_transit_vietnam(scenario):
    """Routes to the China-border sink enter Vietnam from Laos or Cambodia, never from China."""
    routes = k_routes(scenario, destinations=["China border"], k=3)
    assert len(routes) == 3
    assert (routes["entry_border"] != "CHN").all()
    assert routes["crossings"].str.contains(r"CHN\)$|informal CHN").all()


def test_user_road_network_from_osmnx_graphml(tmp_path, region):
    """A user's OSMnx GraphML replaces the shipped roads; routing still reaches Hanoi."""
    from borderwatch import load_region

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=105.70, y=21.05)
    G.add_node(2, x=105.85, y=21.03)
    G.add_edge(1, 2, osmid=7, highway="trunk", geometry="LINESTRING (105.7 21.05, 105.78 21.04, 105.85 21.03)")
    G.add_edge(2, 1, osmid=7, highway="trunk", geometry="LINESTRING (105.85 21.03, 105.78 21.04, 105.7 21.05)")
    path = tmp_path / "hanoi.graphml"
    nx.write_graphml(G, path)
    user = build_route_graph(load_region(roads=path))
    assert graph_summary(user)["edges_by_mode"]["road"] == 2
    (r,) = least_cost_routes(Scenario.from_graph(user), destinations=["Hanoi"]).itertuples()
    assert r.modes.endswith("road > connector") or "offroad" in r.modes
