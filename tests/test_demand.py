"""Demand (issue 17): export split over the overseas ports by their shares, export by Vietnamese seaport, origins."""

from __future__ import annotations

import networkx as nx
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString

from borderwatch import (
    BorderwatchError,
    NoRouteError,
    ParameterError,
    ProfileError,
    Scenario,
    chokepoint_metrics,
    least_cost_routes,
    load_profile,
)
from borderwatch.analysis.flow import least_cost_flow
from borderwatch.analysis.routes import corridor_table, seaport_flows
from borderwatch.cli import main
from borderwatch.edits import ProfileOverride
from borderwatch.network.build import check_profile_against_region
from borderwatch.network.contract import EXPORT_NODE, ORIGIN_NODE
from borderwatch.network.endpoints import export_shares, origin_points
from borderwatch.network.profile import default_profile

CITIES = ("Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang", "China border")
#: Toy nodes: id -> (lon, lat, kind, country, extra attributes).
NODES = {
    ORIGIN_NODE: (100.0, 20.0, "origin", "", {}),
    "city": (105.0, 21.0, "destination", "VNM", {}),
    "port:P1": (106.0, 20.0, "seaport", "VNM", {"port_id": "P1", "name": "North port"}),
    "port:P2": (106.0, 11.0, "seaport", "VNM", {"port_id": "P2", "name": "South port"}),
    "overseas:A": (120.0, 15.0, "overseas", "", {"name": "Alpha (Testland)"}),
    "overseas:B": (110.0, 2.0, "overseas", "", {"name": "Beta (Testland)"}),
    EXPORT_NODE: (115.0, 8.0, "destination", "", {}),
}
#: Toy edges: (u, v, mode, time_h).  A is cheapest from P1 (2 h against 5), B from P2 (3 h against 6).
EDGES = [
    (ORIGIN_NODE, "city", "road", 1.0),
    (ORIGIN_NODE, "port:P1", "road", 1.0),
    (ORIGIN_NODE, "port:P2", "road", 2.0),
    ("port:P1", "overseas:A", "sea", 1.0),
    ("port:P2", "overseas:A", "sea", 3.0),
    ("port:P1", "overseas:B", "sea", 5.0),
    ("port:P2", "overseas:B", "sea", 1.0),
    ("overseas:A", EXPORT_NODE, "connector", 0.0),
    ("overseas:B", EXPORT_NODE, "connector", 0.0),
]


def toy_profile(ports: dict[str, float], *, export: float = 0.5):
    """The default profile with only the toy's two export ports and demand city 0.5 (as Hanoi), export 0.5."""
    destinations = {**dict.fromkeys(default_profile()["export"]["destinations"], 0.0), **ports}
    demand = {**dict.fromkeys(CITIES, 0.0), "Hanoi": 1.0 - export, "export": export}
    return load_profile(export={"destinations": destinations}, demand=demand)


def toy_graph(profile, *, edges=EDGES) -> nx.MultiDiGraph:
    """A route graph (full contract): origin, a city, two Vietnamese seaports, two overseas ports, the export sink."""
    G = nx.MultiDiGraph()
    for node, (x, y, kind, country, extra) in NODES.items():
        G.add_node(node, x=x, y=y, kind=kind, country=country, **extra)
    for u, v, mode, hours in edges:
        line = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
        G.add_edge(u, v, mode=mode, length_m=0.0, time_h=hours, exposure=0.0, cost=hours, geometry=line, source="toy")
    G.graph.update(
        crs="EPSG:4326",
        origin=ORIGIN_NODE,
        destinations={
            **dict.fromkeys(CITIES, "city"),
            "export": EXPORT_NODE,
            "P1 North port": "port:P1",
            "P2 South port": "port:P2",
            "export to Alpha (Testland)": "overseas:A",
            "export to Beta (Testland)": "overseas:B",
        },
        profile=profile.to_dict(),
    )
    return G


def test_export_demand_splits_by_port_share_and_leaves_from_each_ports_cheapest_seaport():
    sc = Scenario.from_graph(toy_graph(toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3})))
    assert sc.shares == pytest.approx({"city": 0.5, "overseas:A": 0.35, "overseas:B": 0.15}, abs=1e-12)
    assert EXPORT_NODE not in sc.shares  # the sink takes no demand once the ports have shares
    table = seaport_flows(sc)
    got = {(r["seaport_node"], r["overseas_node"]): r["share"] for r in table.to_dict("records")}
    assert got == pytest.approx({("port:P1", "overseas:A"): 0.35, ("port:P2", "overseas:B"): 0.15}, abs=1e-12)
    assert table["vn_seaport"].tolist() == ["P1 North port", "P2 South port"]
    assert table["destination"].tolist() == ["export to Alpha (Testland)", "export to Beta (Testland)"]
    assert table["route_cost_heq"].tolist() == pytest.approx([2.0, 3.0])
    flow = least_cost_flow(sc.arrays, sc.origin, sc.shares)
    assert flow.total_cost == pytest.approx(0.5 * 1.0 + 0.35 * 2.0 + 0.15 * 3.0)


def test_seaport_flows_carry_the_ensemble_mean_on_every_sea_leg():
    G = toy_graph(toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3}))
    still = Scenario.from_graph(G, samples=5, sigma_edge=0.0, sigma_gate=0.0)  # no noise: the least-cost flow
    table = seaport_flows(still, chokepoints=chokepoint_metrics(still))
    assert table["ensemble_share"].tolist() == pytest.approx(table["share"].tolist(), abs=1e-12)
    noisy = Scenario.from_graph(G, samples=50, sigma_edge=1.0, seed=3)
    table = seaport_flows(noisy, chokepoints=chokepoint_metrics(noisy))
    assert table["ensemble_share"].sum() == pytest.approx(0.5) and len(table) > 2  # every sample ships the export
    assert set(table["share"].round(12)) >= {0.35, 0.15, 0.0}  # the least-cost column stays least cost


def test_the_export_sink_stays_a_destination_to_route_to_and_routes_name_their_seaport():
    sc = Scenario.from_graph(toy_graph(toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3})))
    routes = least_cost_routes(sc, destinations=["export", "export to Beta (Testland)", "Hanoi"]).set_index(
        "destination"
    )
    assert routes.loc["export", "cost_heq"] == 2.0 and routes.loc["export", "vn_seaport"] == "P1 North port"
    assert routes.loc["export to Beta (Testland)", "vn_seaport"] == "P2 South port"
    assert routes.loc["Hanoi", "vn_seaport"] == ""  # by land
    assert corridor_table(routes.reset_index())["vn_seaport"].tolist() == ["P1 North port", "P2 South port", ""]


def test_export_shares_that_do_not_sum_to_1_are_an_error_naming_the_sum(region):
    bad = toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.2})
    with pytest.raises(ProfileError, match=r"sum to 0\.9(.|\n)*no World Port Index port 'Alpha'"):
        check_profile_against_region(region, bad)  # before a build, with every other problem
    with pytest.raises(ProfileError, match=r"export.destinations.*sum to 0\.9, not 1 \(Alpha \(Testland\) 0\.7, Beta"):
        export_shares(bad)
    with pytest.raises(ProfileError, match=r"sum to 0\.9"):
        Scenario.from_graph(toy_graph(bad))  # refused when the scenario is made, not at the first analysis
    assert export_shares(toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3 + 5e-7}))  # rounding passes


def test_a_negative_export_share_is_an_error_naming_the_port():
    with pytest.raises(ProfileError, match=r"export\.destinations\.Beta \(Testland\)"):
        toy_profile({"Alpha (Testland)": 1.1, "Beta (Testland)": -0.1})


def test_an_export_port_the_graph_lacks_or_cannot_reach_is_an_error_naming_it():
    G = toy_graph(toy_profile({"Alpha (Testland)": 0.7, "Gamma (Testland)": 0.3}))
    with pytest.raises(ParameterError, match=r"'export to Gamma \(Testland\)'.*no such destination"):
        Scenario.from_graph(G)
    no_leg_to_b = [e for e in EDGES if e[1] != "overseas:B"]
    profile = toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3})
    sc = Scenario.from_graph(toy_graph(profile, edges=no_leg_to_b))
    with pytest.raises(NoRouteError, match="overseas:B"):
        seaport_flows(sc)


def test_a_user_graph_keeps_its_named_destinations_unsplit():
    G = toy_graph(toy_profile({"Alpha (Testland)": 0.7, "Beta (Testland)": 0.3}))
    sc = Scenario.from_graph(G, destinations=[EXPORT_NODE, "city"])  # --to dest:export: equal shares, no split
    assert sc.shares == {EXPORT_NODE: 0.5, "city": 0.5}


def test_shipped_export_demand_is_split_over_the_eight_ports(scenario):
    exports = {n: s for n, s in scenario.demand.items() if n.startswith("export to ")}
    assert len(exports) == 8 and sum(exports.values()) == pytest.approx(0.45)
    assert exports["export to Manila (Philippines)"] == pytest.approx(0.45 * 0.20)
    assert EXPORT_NODE not in scenario.shares and len(scenario.shares) == 5 + 8
    table = seaport_flows(scenario)
    assert table["share"].sum() == pytest.approx(0.45) and table["destination"].is_unique
    lat = {n: scenario.G.nodes[n]["y"] for n in table["seaport_node"]}
    by_port = table.set_index("destination")
    for south in ("Sydney (Australia)", "Port Klang (Malaysia)", "Keppel - (East Singapore) (Singapore)"):
        assert lat[by_port.loc[f"export to {south}", "seaport_node"]] < 11.5  # the Ho Chi Minh City ports
    for north in ("Hong Kong (Hong Kong)", "Kao-Hsiung (Taiwan)", "Busan (South Korea)", "Yokohama Ko (Japan)"):
        assert lat[by_port.loc[f"export to {north}", "seaport_node"]] > 20.0  # Hai Phong


def test_routes_summary_prints_export_by_seaport(scenario, monkeypatch):
    monkeypatch.setattr("borderwatch.cli.routes.build_scenario", lambda options, check: scenario)  # the fixture's
    result = CliRunner().invoke(main, ["-q", "routes", "--to", "export to Sydney (Australia)", "--summary"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[-2:] == ["vn_seaport", "overseas_port"]
    table = result.output.split("export by Vietnamese seaport")[1].splitlines()
    assert table[1].split() == ["vn_seaport", "overseas_port", "share", "route_cost_heq"]
    # Manila's containers now load at Chân Mây (the port access roads: every port reached by truck)
    assert any(line.startswith("SP-20 Chan May") and "Manila (Philippines)" in line for line in table)
    assert any(line.startswith("SP-08 Hai Phong") and "Hong Kong (Hong Kong)" in line for line in table)


# -- origins ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "problem"),
    [
        ([112.0, 12.0], "lies at sea"),
        ([130.0, 40.0], "lies outside the region's DEM"),
        ([105.8, 21.0], "lies in Vietnam"),
    ],
)
def test_a_misplaced_origin_is_an_error_naming_it(region, position, problem):
    bad = load_profile(origins={"position": {"Elsewhere": position}})
    with pytest.raises(ProfileError, match=rf"origins\.position\.Elsewhere.*{problem}"):
        origin_points(region, bad)
    with pytest.raises(ProfileError, match=problem):
        check_profile_against_region(region, bad)  # before any graph is built


def test_an_origin_with_a_share_needs_a_position_given_as_lon_lat(region):
    bad = load_profile(origins={"share": {"Golden Triangle": 0.0, "Mong La (Shan)": 1.0}})
    with pytest.raises(ProfileError, match=r"origins\.share\.Mong La \(Shan\).*has no position"):
        origin_points(region, bad)
    with pytest.raises(ProfileError, match=r"origins\.position\.Lumphat \(Ratanakiri\)' must be \[lon, lat\]"):
        load_profile(origins={"position": {"Lumphat (Ratanakiri)": [13.507, 106.981]}})  # lat, lon swapped
    with pytest.raises(ProfileError, match=r"'origins\.share': the shares sum to 0"):
        load_profile(origins={"share": {"Golden Triangle": 0.0}})


def test_shipped_origins_are_nodes_with_edges_out_only(scenario):
    built = scenario.meta.build["origins"]
    assert built == {
        "Golden Triangle": ORIGIN_NODE,
        "Simao (Yunnan)": "origin:simao_yunnan",
        "Lumphat (Ratanakiri)": "origin:lumphat_ratanakiri",
    }
    for node, country in [("origin:simao_yunnan", "CHN"), ("origin:lumphat_ratanakiri", "KHM")]:
        data = scenario.G.nodes[node]
        assert data["kind"] == "origin" and data["country"] == country
        assert scenario.G.in_degree(node) == 0 and scenario.G.out_degree(node) >= 1  # no route passes through it
    assert scenario.origin_shares == {ORIGIN_NODE: 1.0} and scenario.origin == ORIGIN_NODE  # the default


def test_one_other_origin_with_the_whole_share_is_routed_from(scenario):
    yunnan = scenario.edited(ProfileOverride({"origins.share": {"Golden Triangle": 0.0, "Simao (Yunnan)": 1.0}}))
    assert yunnan.G is scenario.G and yunnan.origin == "origin:simao_yunnan"  # a share rebuilds nothing
    route = least_cost_routes(yunnan, destinations=["Hanoi"]).iloc[0]
    assert route["origin"] == "origin:simao_yunnan" and route["country_path"].startswith("CHN")


def test_demand_from_several_origins_is_refused_when_the_profile_is_read(scenario):
    """The analyses route from one origin at a time, so the profile (and validate) refuse several at once."""
    with pytest.raises(BorderwatchError, match=r"Golden Triangle, Lumphat \(Ratanakiri\) all have a share > 0"):
        scenario.edited(ProfileOverride({"origins.share": {"Golden Triangle": 0.8, "Lumphat (Ratanakiri)": 0.2}}))
    with pytest.raises(BorderwatchError, match="route from one origin at a time"):
        load_profile(origins={"share": {"Golden Triangle": 0.5, "Simao (Yunnan)": 0.6}})
    missing = ProfileOverride({"origins.share": {"Golden Triangle": 0.0, "Nowhere": 1.0}})
    with pytest.raises(ParameterError, match="'Nowhere' have a share but no node in the graph"):
        scenario.edited(missing)
