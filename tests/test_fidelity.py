"""Route-model fidelity on the shipped data: roads everywhere, distinct gates, short connectors,
an honest crossing model, real export destinations, rivers and coast, the corridor table."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point

from borderwatch import GraphArrays, InspectGates, ProfileError, Scenario, k_routes, load_profile, snap_gates
from borderwatch.analysis.sensitivity import crossing_sensitivity
from borderwatch.cli import main
from borderwatch.geodesy import distance_m, geodesic_length_m, to_metres
from borderwatch.network.build import check_profile_against_region
from borderwatch.network.contract import EXPORT_NODE


def run(*args):
    return CliRunner().invoke(main, list(args))


# -- 1. roads for every country ------------------------------------------------------------


def test_natural_earth_roads_cover_the_neighbours_and_only_fill_gaps_in_laos_and_vietnam(region):
    roads = region.roads
    ne = roads[roads["road_id"].str.startswith("NE-")]
    km = ne.assign(km=[geodesic_length_m(g) / 1000 for g in ne.geometry]).groupby("country")["km"].sum()
    for iso, at_least in {"CHN": 10000, "THA": 10000, "MMR": 5000, "KHM": 3000}.items():
        assert km[iso] > at_least, (iso, km[iso])
    assert ne["source"].str.contains("Natural Earth").all()
    detailed = shapely.union_all(to_metres(roads.loc[~roads["road_id"].str.startswith("NE-")].geometry.values))
    for _, piece in ne[ne["country"].isin(["LAO", "VNM"])].iterrows():
        mid = to_metres(piece.geometry.interpolate(0.5, normalized=True))
        assert detailed.distance(mid) > 1500, piece["road_id"]  # a gap-filler, not a duplicate


def _longest_steps_km(geoms) -> np.ndarray:
    """The longest vertex-to-vertex step of each line (of any of its parts), geodesic km."""
    out = []
    for geom in geoms:
        steps = [distance_m(*c[:-1].T, *c[1:].T) for c in map(shapely.get_coordinates, shapely.get_parts(geom))]
        out.append(np.concatenate(steps).max() / 1000)
    return np.asarray(out)


def test_no_shipped_road_takes_a_straight_step_longer_than_natural_earth_ever_does(region):
    # scripts/build_data.py once joined seven Natural Earth road ends to points 9.7 to 1,302 km away (from Lai
    # Chau to Saigon, out and back across northern Laos, over the Gulf of Tonkin); the longest real step of a
    # Natural Earth road in the box is 28.7 km
    steps = _longest_steps_km(region.roads.geometry)
    worst = region.roads["road_id"].to_numpy()[np.argsort(-steps)[:3]]
    assert steps.max() < 50, dict(zip(worst, np.sort(steps)[::-1][:3].round(1), strict=True))


def test_no_road_edge_of_the_route_graph_is_a_phantom_straight_line(route_graph):
    roads = [(u, v, d) for u, v, d in route_graph.edges(data=True) if d.get("mode") == "road"]
    steps = _longest_steps_km([d["geometry"] for _, _, d in roads])
    u, v, d = roads[int(steps.argmax())]
    assert steps.max() < 50, (u, v, d.get("line_id"), round(float(steps.max()), 1))


# -- 2. distinct gates stay distinct ---------------------------------------------------------


def toy_snap(precisions):
    """Two gates given near one border crossing; the first has the finer stated position."""
    border = gpd.GeoDataFrame({"border": ["LAO"]}, geometry=[LineString([(104.0, 19.0), (104.0, 20.0)])], crs=4326)
    gates = gpd.GeoDataFrame(
        {
            "id": ["G-PRECISE", "G-COARSE"],
            "name": ["a", "b"],
            "border": ["LAO", "LAO"],
            "class": ["international", "primary"],
            "coord_precision_m": precisions,
            "coord_source": ["t", "t"],
        },
        geometry=[Point(104.01, 19.50), Point(104.05, 19.52)],
        crs=4326,
    )
    contacts = gpd.GeoDataFrame(
        {"border": ["LAO", "LAO"], "road_id": ["r1", "r2"], "kind": ["crossing", "crossing"]},
        geometry=[Point(104.0, 19.50), Point(104.0, 19.80)],
        crs=4326,
    )
    return snap_gates(gates, border, contacts).set_index("id")


def test_a_coarse_gate_does_not_take_a_crossing_a_precise_gate_owns():
    out = toy_snap([2000.0, 40000.0])
    assert out.loc["G-PRECISE", "snap_method"] == "road_crossing"
    assert out.loc["G-COARSE", "snap_method"] == "road_crossing"
    assert out.loc["G-COARSE", "lat"] == pytest.approx(19.80)  # its own next crossing, not 19.50
    assert "nearer crossing(s) belong to G-PRECISE" in out.loc["G-COARSE", "snap_note"]
    # with no other crossing within its precision and its nearest border point owned too, it stays unplaced
    out = toy_snap([2000.0, 5000.0])
    assert out.loc["G-COARSE", "snap_method"] == "unplaced" and not out.loc["G-COARSE", "snap_plausible"]
    assert "belong to G-PRECISE" in out.loc["G-COARSE", "snap_note"]


def test_no_two_routed_gates_share_a_crossing(route_graph, scenario):
    gates = {}
    for _, _, d in route_graph.edges(data=True):
        if d["mode"] == "gate":
            gates[d["gate_id"]] = d["geometry"].coords[0]
    left_out = route_graph.graph["build"]["gates_left_out"]
    assert "VN-LAO-003" in left_out and "VN-LAO-002" in gates and "VN-LAO-003" not in gates
    assert "VN-KHM-014" in left_out and "cannot be told apart" in left_out["VN-KHM-014"]
    ids = sorted(gates)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            d = float(distance_m(*gates[a], *gates[b]))
            assert d > 200 or {a, b} <= {"VN-CHN-024", "VN-CHN-025"}, (a, b, d)
    routes = k_routes(scenario, k=2)
    used = {g.split(" ")[0] for c in routes["crossings"] for g in c.split("; ") if g.startswith("VN-")}
    assert not used & set(left_out)


def test_unplaced_gates_can_be_let_in_only_explicitly():
    with pytest.raises(ProfileError, match=r"key 'gate_link\.include_unplaced' must be true or false, got str 'yes'"):
        load_profile(gate_link={"include_unplaced": "yes"})
    assert load_profile(gate_link={"include_unplaced": True})["gate_link"]["include_unplaced"] is True


# -- 3. short connectors; everything else over the terrain -------------------------------------


def test_connectors_are_short_and_access_goes_over_the_lattice(route_graph):
    limit = load_profile()["connector"]["max_km"] * 1000
    arrays = GraphArrays.from_graph(route_graph)
    connector = arrays.mode == "connector"
    assert connector.any() and arrays.length_m[connector].max() <= limit + 1
    longest = route_graph.graph["build"]["longest_link_m"]
    assert all(v <= limit + 1 for k, v in longest.items() if k.startswith("connector"))
    access = [d for _, _, d in route_graph.edges(data=True) if d.get("access")]
    assert access and all(d["mode"] == "offroad" and d["time_h"] > 0 for d in access)


# -- 4. the crossing model and its sensitivity ---------------------------------------------------


def test_trails_are_less_exposed_than_any_gate_and_the_sensitivity_moves_the_right_way(scenario):
    p = load_profile()
    assert p["informal_crossing"]["exposure"] < min(
        p["gate"][c]["exposure"] for c in ("secondary", "primary", "international")
    )
    table = crossing_sensitivity(
        scenario, exposure_weights_h=(48.0,), informal=((2.0, 0.02), (8.0, 0.10), (24.0, 0.30))
    )
    assert list(table.columns[:5]) == [
        "exposure_weight_h",
        "informal_delay_h",
        "informal_exposure",
        "informal_share",
        "entry_crossings",
    ]
    shares = table["informal_share"].tolist()
    assert shares == sorted(shares, reverse=True)  # dearer trails, fewer informal entries
    assert shares[0] > shares[-1]
    assert np.allclose(table[["share_LAO", "share_KHM", "share_CHN"]].sum(axis=1), 1.0)


def test_an_inspected_gate_keeps_the_cost_split_into_time_and_exposure():
    """Inspecting gate A raises its exposure by 0.25: its route costs 48 * 0.25 h more, all of it exposure."""
    G = nx.MultiDiGraph(origin="o", destinations={"T": "t"}, profile=load_profile(demand={"T": 1.0}).to_dict())
    for n in ("o", "a", "t"):
        G.add_node(n, x=0.0, y=0.0, kind="cell", country="VNM")
    base = {"length_m": 1.0, "mode": "road", "geometry": None, "source": "t", "exposure": 0.0}
    G.add_edge("o", "a", cost=1.0, time_h=1.0, **base)
    G.add_edge(
        "a",
        "t",
        cost=1.0,
        time_h=1.0,
        gate_id="A",
        crossing="gate",
        gate_class="primary",
        border="LAO",
        **{**base, "mode": "gate"},
    )
    G.add_edge("o", "t", cost=50.0, time_h=50.0, **base)
    sc = Scenario.from_graph(G)
    inspected = sc.edited(InspectGates(("A",), exposure=0.25))
    (before,) = k_routes(sc, k=1).itertuples()
    (after,) = k_routes(inspected, k=1).itertuples()
    assert before.cost_heq == 2.0 and after.cost_heq == pytest.approx(2.0 + 48.0 * 0.25)
    assert after.exposure == pytest.approx(0.25) and after.cost_time_heq == pytest.approx(2.0)
    assert after.cost_heq == pytest.approx(after.cost_time_heq + after.cost_exposure_heq)
    assert sc.G.edges["a", "t", 0]["exposure"] == 0.0  # the edit never touches the graph


@pytest.mark.slow
def test_the_sensitivity_keeps_the_scenarios_inspections(scenario):
    """With dear trails the demand enters at gates; inspecting them fully moves it, in every combination."""
    grid = {"exposure_weights_h": (48.0,), "informal": ((24.0, 0.30),)}
    (base,) = crossing_sensitivity(scenario, **grid).itertuples()
    used = [e for e in base.entries.split(", ") if e.startswith("VN-")]
    assert used
    (after,) = crossing_sensitivity(scenario.edited(InspectGates(tuple(used), exposure=1.0)), **grid).itertuples()
    assert not set(used) & set(after.entries.split(", "))


# -- 5. export to real destinations ----------------------------------------------------------------


def test_export_ends_at_a_named_overseas_port_at_that_ports_own_cost(route_graph, scenario):
    names = [n for n in scenario.destinations if n.startswith("export to ")]
    assert names == [n for n in route_graph.graph["destinations"] if n.startswith("export to ")]
    assert len(names) == 8 and "export to Manila (Philippines)" in names
    routes = k_routes(scenario, destinations=["export", *names], k=1).set_index("destination")
    best = routes.loc[names, "cost_heq"].idxmin()
    assert routes.loc["export", "cost_heq"] == pytest.approx(routes.loc[best, "cost_heq"], abs=1e-5)
    assert routes.loc["export", "overseas_port"] == best.removeprefix("export to ")
    # Manila lies beyond the DEM's box: its leg leaves the box and goes on to the port itself
    manila = routes.loc["export to Manila (Philippines)"]
    assert manila["geometry"].coords[-1] == pytest.approx((120.966667, 14.583333), abs=1e-4)
    assert route_graph.nodes[EXPORT_NODE]["kind"] == "destination"


def test_an_overseas_destination_no_port_matches_is_a_clear_error(region):
    bad = load_profile(export={"destinations": {"Atlantis Harbour (Atlantis)": 0.1}})
    with pytest.raises(ProfileError, match="no World Port Index port 'Atlantis Harbour' in 'Atlantis'"):
        check_profile_against_region(region, bad)


# -- 6. rivers and coast ------------------------------------------------------------------------------


def test_mekong_is_not_navigable_across_the_khone_falls(route_graph):
    falls = load_profile()["river"]["barriers"][0]
    rivers = [d for _, _, d in route_graph.edges(data=True) if d["mode"] == "river"]
    near = [d for d in rivers if to_metres(d["geometry"]).distance(to_metres(Point(*falls))) < 7000]
    assert not near
    lats = [
        d["geometry"].coords[0][1]
        for d in rivers
        if d.get("line_class") == "Mekong" and 105 < d["geometry"].coords[0][0] < 107
    ]
    assert min(lats) < falls[1] < max(lats)  # navigable stretches on both sides, none across


def test_coastal_legs_join_neighbouring_ports_and_phu_quoc_is_a_ferry_from_the_mainland(route_graph):
    coastal = [(u, v, d) for u, v, d in route_graph.edges(data=True) if d.get("sea_leg") == "coastal"]
    assert coastal and max(d["length_m"] for *_, d in coastal) < 600_000
    ferries = [(u, v, d) for u, v, d in route_graph.edges(data=True) if d.get("sea_leg") == "ferry"]
    to_phu_quoc = [d for u, v, d in ferries if v == "port:SP-16"]
    assert to_phu_quoc and to_phu_quoc[0]["length_m"] < 100_000


def test_the_mekong_enters_vietnam_through_its_river_gate(route_graph):
    """Vinh Xuong (VN-KHM-025), the Mekong gate, joins the river on both sides; nothing else bridges it."""
    for side in ("VNM", "KHM"):
        kinds = {route_graph.nodes[v]["kind"] for _, v in route_graph.out_edges(f"gate:VN-KHM-025:{side}")}
        assert "river" in kinds, side


def test_no_river_or_road_edge_crosses_the_vietnamese_border(route_graph):
    nodes = route_graph.nodes
    for u, v, d in route_graph.edges(data=True):
        if d["mode"] in ("river", "road"):
            assert (nodes[u]["country"] == "VNM") == (nodes[v]["country"] == "VNM"), (u, v)


# -- 7. corridor table ------------------------------------------------------------------------------


def test_routes_summary_prints_the_corridor_table():
    result = run("-q", "routes", "--to", "Hanoi", "--to", "export", "--summary")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header == [
        "destination",
        "rank",
        "entry",
        "country_path",
        "length_km",
        "time_h",
        "cost_heq",
        "vn_seaport",
        "overseas_port",
    ]
    assert "LAO > VNM" in result.output or "KHM > VNM" in result.output or "CHN > VNM" in result.output


# -- bad input ------------------------------------------------------------------------------------------


def test_road_file_outside_the_region_exits_1(tmp_path, region):
    roads = region.roads.iloc[:2].copy()
    roads.loc[roads.index[0], "geometry"] = LineString([(130.0, 40.0), (131.0, 41.0)])
    path = tmp_path / "roads.geojson"
    roads.to_file(path)
    result = run("build-network", "--roads", str(path))
    assert result.exit_code == 1 and "outside the region" in result.output and "Traceback" not in result.output
