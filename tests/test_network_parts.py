"""Building blocks of the route graph on toy inputs: profile, Tobler, noding, graph files."""

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, box

from borderwatch import ProfileError, ValidationError, load_graph, load_profile, read_osmnx_roads, save_graph
from borderwatch.cli import main
from borderwatch.network.lattice import tobler_speed_kmh
from borderwatch.network.noding import CountryLocator, node_lines

from .test_routing import two_way_graph

# --- cost profile -----------------------------------------------------------


def test_default_profile_is_valid_and_documented_keys_exist():
    p = load_profile()
    assert set(p["gate"]) == {"international", "primary", "secondary"}
    assert 0 <= p["informal_crossing"]["exposure"] <= 1


def test_profile_file_overrides_a_subset(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[informal_crossing]\ndelay_h = 3.0\n[road.speed_kmh]\nnational = 70.0\n")
    p = load_profile(f)
    assert p["informal_crossing"] == {"delay_h": 3.0, "exposure": load_profile()["informal_crossing"]["exposure"]}
    assert p["road"]["speed_kmh"]["national"] == 70.0 and p["road"]["speed_kmh"]["asean"] == 60.0


def test_profile_errors_are_listed_together(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[gate.primary]\nexposure = 1.5\n[offroad]\npeak_speed_kmh = -2\nwings = 2\n")
    with pytest.raises(ProfileError) as err:
        load_profile(f)
    text = str(err.value)
    assert "bad.toml: key 'gate.primary.exposure' must be <= 1, got 1.5" in text
    assert "bad.toml: key 'offroad.peak_speed_kmh' must be > 0, got -2" in text
    assert "unknown key 'offroad.wings'" in text
    bad_toml = tmp_path / "broken.toml"
    bad_toml.write_text("[gate\n")
    with pytest.raises(ProfileError, match="is not valid TOML"):
        load_profile(bad_toml)


def test_cli_rejects_bad_profile_with_exit_1(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[road]\nspeed_kmh = { national = -5.0 }\n")
    result = CliRunner().invoke(main, ["build-network", "--profile", str(f)])
    assert result.exit_code == 1
    assert "key 'road.speed_kmh.national' must be > 0, got -5.0" in result.output and "Traceback" not in result.output


# --- Tobler's hiking function -------------------------------------------------


def test_tobler_peaks_on_a_gentle_downhill():
    slopes = np.array([-0.2, -0.05, 0.0, 0.05, 0.2])
    v = tobler_speed_kmh(slopes, peak_speed_kmh=6.0, load_factor=1.0)
    assert v[1] == pytest.approx(6.0)
    assert v[2] == pytest.approx(6.0 * np.exp(-0.175))
    assert v[4] < v[0] < v[1]  # uphill is slower than the same downhill
    assert tobler_speed_kmh(0.0, load_factor=0.5) == pytest.approx(0.5 * 6.0 * np.exp(-0.175))


# --- noding lines and the border barrier --------------------------------------


def toy_world():
    countries = gpd.GeoDataFrame(
        {"iso_a3": ["LAO", "VNM"]},
        geometry=[box(104.0, 15.0, 105.0, 16.0), box(105.0, 15.0, 106.0, 16.0)],
        crs="EPSG:4326",
    )
    border = LineString([(105.0, 15.0), (105.0, 16.0)])
    return countries, border


def test_crossing_roads_are_noded_and_the_border_cuts_them():
    countries, border = toy_world()
    roads = gpd.GeoDataFrame(
        {"road_id": ["EW", "NS", "T"], "road_class": ["national", "national", "provincial"]},
        geometry=[
            LineString([(104.5, 15.5), (105.9, 15.5)]),  # crosses the border at 105 E
            LineString([(105.3, 15.2), (105.3, 15.8)]),  # crosses EW at 105.3 E
            LineString([(105.7, 15.7), (105.7, 15.503)]),  # ends ~330 m short of EW: a T junction
        ],
        crs="EPSG:4326",
    )
    noded = node_lines(
        roads,
        id_column="road_id",
        class_column="road_class",
        locator=CountryLocator(countries),
        border=border,
        prefix="road",
        snap_tolerance_m=500,
    )
    p = noded.pieces
    assert noded.border_cuts == 1 and noded.snapped_ends == 1
    # EW: Lao piece, Vietnamese piece to NS, piece NS->T, piece T->end
    ew = p[p["line_id"] == "EW"]
    assert len(ew) == 4 and set(ew["country"]) == {"LAO", "VNM"}
    # the two pieces meeting at the border share no node: the border is a barrier
    lao_piece, vnm_first = ew.iloc[0], ew.iloc[1]
    assert lao_piece["v"] != vnm_first["u"]
    assert noded.nodes.loc[lao_piece["v"], "country"] == "LAO" and noded.nodes.loc[vnm_first["u"], "country"] == "VNM"
    # NS crosses EW: a shared junction node
    ns_nodes = set(p.loc[p["line_id"] == "NS", ["u", "v"]].to_numpy().ravel())
    assert ns_nodes & set(ew[["u", "v"]].to_numpy().ravel())
    # the T road was extended onto EW
    t_nodes = set(p.loc[p["line_id"] == "T", ["u", "v"]].to_numpy().ravel())
    assert t_nodes & set(ew[["u", "v"]].to_numpy().ravel())
    g = nx.Graph(list(zip(p["u"], p["v"], strict=True)))
    assert nx.number_connected_components(g) == 2  # Lao stub | Vietnamese network
    assert p["length_m"].sum() == pytest.approx(
        sum(float(np.asarray(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(3405).length)[0]) for geom in roads.geometry)
        + 330,
        rel=0.01,
    )


# --- saving, loading and routing on any graph ---------------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".graphml"])
def test_graph_round_trip(tmp_path, suffix):
    G = two_way_graph()
    path = save_graph(G, tmp_path / f"g{suffix}")
    H = load_graph(path)
    assert H.number_of_nodes() == 4 and H.number_of_edges() == 4
    assert H.graph["origin"] == "O" and H.graph["destinations"] == {"Delta": "D"}
    gate = next(d for _, _, d in H.edges(data=True) if d.get("gate_id") == "G1")
    assert gate["cost"] == pytest.approx(2.0) and gate["geometry"].equals(LineString([(1, 1), (2, 0)]))
    with pytest.raises(FileExistsError, match="--overwrite"):
        save_graph(G, path)


def test_route_on_a_plain_graphml_with_cost(tmp_path):
    G = nx.DiGraph()
    G.add_edge("a", "b", cost=1.0)
    G.add_edge("b", "c", cost=1.0)
    G.add_edge("a", "c", cost=5.0)
    path = tmp_path / "plain.graphml"
    nx.write_graphml(G, path)
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--origin", "a", "--to", "c", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "c #1: 0.0 km" in result.output and "cost 2.00" in result.output
    assert out.read_text().splitlines()[0].startswith("origin,destination,destination_node,rank")
    again = CliRunner().invoke(main, ["routes", "--graph", str(path), "--origin", "a", "--to", "c", "--out", str(out)])
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output


def test_graphml_without_cost_is_rejected(tmp_path):
    G = nx.DiGraph()
    G.add_edge("a", "b", weight=1.0)
    path = tmp_path / "nocost.graphml"
    nx.write_graphml(G, path)
    with pytest.raises(ValidationError, match="edge 'a' -> 'b' has no 'cost'"):
        load_graph(path)
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--origin", "a", "--to", "b"])
    assert (
        result.exit_code == 1
        and "edge 'a' -> 'b' has no 'cost'; every edge needs a finite number 'cost' >= 0" in result.output
    )


def test_unreachable_destination_exits_1(tmp_path):
    G = two_way_graph()
    G.add_node("Island", x=9, y=9, kind="cell", country="VNM")
    path = save_graph(G, tmp_path / "g.graphml")
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--to", "Island"])
    assert result.exit_code == 1 and "no route from 'O' to 'Island'" in result.output
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--to", "Nowhere"])
    assert result.exit_code == 1 and "unknown destination 'Nowhere'; valid names: Delta" in result.output


def test_osmnx_graphml_becomes_a_road_layer(tmp_path):
    # the shape of an OSMnx save_graphml file: node x/y, edge highway/osmid/geometry
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=105.80, y=21.00)
    G.add_node(2, x=105.82, y=21.00)
    G.add_node(3, x=105.82, y=21.02)
    G.add_edge(
        1, 2, osmid=11, highway="primary", length=2076.0, geometry="LINESTRING (105.8 21, 105.81 21.001, 105.82 21)"
    )
    G.add_edge(
        2, 1, osmid=11, highway="primary", length=2076.0, geometry="LINESTRING (105.82 21, 105.81 21.001, 105.8 21)"
    )
    G.add_edge(2, 3, osmid=12, highway="['residential', 'tertiary']", length=2224.0)
    path = tmp_path / "osmnx.graphml"
    nx.write_graphml(G, path)
    roads = read_osmnx_roads(path)
    assert len(roads) == 2  # the two-way street once
    assert sorted(roads["road_class"]) == ["primary", "residential"]
    assert roads.crs.to_epsg() == 4326 and len(roads.geometry.iloc[0].coords) == 3
    assert json.loads(roads.to_json())["features"][1]["geometry"]["coordinates"] == [[105.82, 21.0], [105.82, 21.02]]
