"""Where BLOs stand and where their patrols start, and coverage as a patrol time (issue 17, items 1 and 6)."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from borderwatch import AddBLO, ParameterError, Scenario
from borderwatch.analysis.coverage import blo_coverage
from borderwatch.patrol import ROAD_START_M, blo_sites


@pytest.fixture(scope="module")
def coverage(scenario):
    return blo_coverage(scenario.with_settings(hours=2.0))


def test_a_blo_known_only_to_its_district_stands_at_its_gate_with_its_record_kept(scenario):
    """Mộc Châu (district centroid, 51 km) and Điện Biên (city, 30 km) stand at Lóng Sập and Tây Trang."""
    starts = scenario.blo_starts.set_index("blo_id")
    for blo, gate in (("BLO-08", "VN-LAO-005"), ("BLO-07", "VN-LAO-002")):
        row = starts.loc[blo]
        assert row["start_node"] == f"gate:{gate}:VNM" and row["at_gate"] and row["start_kind"] == "gate"
        assert gate in row["placed_by"] and "known to" in row["placed_by"]
        record = scenario.blos.set_index("id").loc[blo]  # the record's position and precision are kept
        assert (row["site_lon"], row["site_lat"], row["precision_m"]) == (
            record["lon"],
            record["lat"],
            record["coord_precision_m"],
        )
        assert 10 < row["start_km"] < row["precision_m"] / 1000


def test_without_the_gate_rule_patrols_start_on_the_nearest_road_within_the_precision(scenario):
    off = scenario.with_settings(blo_at_gate=False)
    assert off.arrays is scenario.arrays  # a route-free setting: the graph's facts are reused
    starts = off.blo_starts.set_index("blo_id")
    assert not starts.loc[["BLO-07", "BLO-08"], "at_gate"].any()
    row = starts.loc["BLO-08"]
    assert row["start_kind"] == "road" and row["start_km"] <= row["precision_m"] / 1000
    kinds = dict(zip(off.arrays.nodes, off.arrays.node_kind, strict=True))
    for rec in starts.itertuples():
        if rec.start_kind == "road":
            assert kinds[rec.start_node] == "road" and "nearest road node" in rec.placed_by
        elif rec.start_kind == "terrain":
            assert "no road within" in rec.placed_by
    assert starts.loc["BLO-X1", "at_gate"]  # no coordinates at all: still at its gate


def test_an_exactly_placed_blo_starts_on_a_road_within_the_stated_distance():
    G = nx.MultiDiGraph()
    for node, x, kind in (("cell", 105.000, "cell"), ("road", 105.030, "road"), ("far", 105.100, "road")):
        G.add_node(node, x=x, y=21.0, kind=kind, country="VNM")
    G.add_edge("cell", "road", cost=1.0, time_h=1.0, mode="offroad")
    G.add_edge("road", "far", cost=1.0, time_h=1.0, mode="road")
    arrays_model = Scenario.from_graph(G, origin="cell", destinations=["far"])
    from borderwatch.patrol import PatrolModel

    empty = pd.DataFrame({"segment_id": [], "border": [], "length_m": []})
    import geopandas as gpd
    import shapely

    model = PatrolModel(
        arrays_model.arrays,
        node_x=arrays_model.arrays.node_x,
        node_y=arrays_model.arrays.node_y,
        segments=gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326")),
        coast=shapely.LineString([(104.0, 20.0), (104.0, 20.1)]),
    )
    blos = pd.DataFrame(
        {
            "id": ["A", "B"],
            "name": ["a", "b"],
            "lon": [105.001, 105.001],
            "lat": [21.0, 21.0],
            "coord_precision_m": [np.nan, 1000.0],
            "associated_gate_id": ["", ""],
        }
    )
    sites = blo_sites(blos, model).set_index("blo_id")
    # A: no precision -> a road within ROAD_START_M (the road node is ~3 km away, the cell 0.1 km)
    assert ROAD_START_M > 3000 and sites.loc["A", "start_node"] == "road"
    # B: known to 1 km -> no road that close, so the nearest terrain node
    assert sites.loc["B", "start_node"] == "cell" and sites.loc["B", "start_kind"] == "terrain"


def test_every_segment_and_gate_has_the_patrol_hours_from_its_nearest_blo(scenario, coverage):
    segs, gates = coverage.segments, coverage.gates.set_index("gate_id")
    land = segs[segs["border"] != "coast"]
    # only a few land segments lack one (no Vietnamese node near them, or a pocket no patrol road reaches)
    assert (land["nearest_blo"] != "").mean() > 0.99
    assert segs.loc[segs["nearest_blo"] == "", "nearest_blo_h"].isna().all()
    covered = segs[segs["covered"]]
    assert (covered["nearest_blo_h"] <= 2.0 + 1e-9).all() and np.allclose(covered["nearest_blo_h"], covered["reach_h"])
    assert (segs.loc[~segs["covered"] & (segs["nearest_blo"] != ""), "nearest_blo_h"] > 2.0).all()
    # the same time as one unbounded Dijkstra from the nearest BLO's start on the patrol view
    starts = scenario.blo_starts.set_index("blo_id")["start_node"]
    far = gates[~gates["covered"]].sort_values("nearest_blo_h").iloc[0]
    dist, _ = scenario.patrol.patrol.dijkstra([starts[far["nearest_blo"]]])
    node = scenario.arrays.row(f"gate:{far.name}:VNM")
    assert dist[0, node] == pytest.approx(far["nearest_blo_h"])
    assert all(dist[0, node] <= scenario.patrol.patrol.dijkstra([s])[0][0, node] for s in starts if s)


def test_moc_chau_and_dien_bien_cover_their_own_gates_and_every_blo_reaches_beyond_its_start(coverage):
    gates = coverage.gates.set_index("gate_id")
    assert "BLO-08" in gates.loc["VN-LAO-005", "by"] and "BLO-07" in gates.loc["VN-LAO-002", "by"]
    assert gates.loc["VN-LAO-005", "nearest_blo"] == "BLO-08"
    reach = coverage.reach_areas.set_index("blo_id")["nodes"]
    assert (reach > 1).all(), reach[reach <= 1].to_dict()


def test_the_least_cost_crossing_flow_is_covered_once_blos_stand_at_their_gates(analysis):
    """Before: 0 % of the least-cost crossing flow within 2 h of a BLO (patrols from district centroids)."""
    assert analysis.coverage.flow_covered_pct > 50


def test_an_added_blo_at_a_given_position_is_not_moved_to_a_gate(scenario):
    sc = scenario.edited(AddBLO(name="Mường Lát", lon=104.60, lat=20.53))
    row = sc.blo_starts.set_index("blo_id").loc["NEW-01"]
    assert not row["at_gate"] and row["start_kind"] in ("road", "terrain")


def test_blo_at_gate_must_be_a_boolean(scenario):
    with pytest.raises(ParameterError, match="blo_at_gate must be true or false"):
        scenario.with_settings(blo_at_gate="yes")


def test_a_blo_no_rule_can_place_is_refused_when_it_is_added(scenario):
    """Bạch Long Vĩ island is Vietnamese land, but 20+ km from any node of the graph: refused at the edit."""
    with pytest.raises(ParameterError, match=r"BLO NEW-01 \(Bach Long Vi\) .* cannot be placed: .* within 20 km"):
        scenario.edited(AddBLO(name="Bach Long Vi", lon=107.725, lat=20.135))


def test_a_blo_hours_file_naming_a_blo_twice_is_refused(tmp_path):
    from borderwatch import ValidationError
    from borderwatch.analysis.coverage import read_hour_overrides

    path = tmp_path / "hours.csv"
    path.write_text("blo_id,hours\nBLO-01,2\nBLO-01,3\n")
    with pytest.raises(ValidationError, match="line 3: blo_id 'BLO-01' is given twice"):
        read_hour_overrides(path, blo_ids=["BLO-01", "BLO-02"])
