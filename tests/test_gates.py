"""Gate positioning: coarse gates move onto their own border, preferring road crossings."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from borderwatch import borderlines, place_gates, road_border_contacts, snap_gates
from borderwatch.gates import snap_summary


def toy_border():
    """A straight LAO border along 105 E from 15 to 16 N."""
    return gpd.GeoDataFrame(
        {"border": ["LAO"]}, geometry=[LineString([(105.0, 15.0), (105.0, 16.0)])], crs="EPSG:4326"
    ).set_index("border", drop=False)


def toy_gates(rows):
    ids, lons, lats, precs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"id": ids, "name": ids, "border": "LAO", "coord_precision_m": precs},
        geometry=[Point(x, y) for x, y in zip(lons, lats, strict=True)],
        crs="EPSG:4326",
    )


def toy_roads():
    # one road crosses the border at 15.5 N; another ends 300 m short of it at 15.8 N
    return gpd.GeoDataFrame(
        {"road_id": ["R1", "R2"]},
        geometry=[LineString([(104.8, 15.5), (105.2, 15.5)]), LineString([(105.3, 15.8), (105.0028, 15.8)])],
        crs="EPSG:4326",
    )


def test_road_contacts_find_crossings_and_road_ends():
    contacts = road_border_contacts(toy_roads(), toy_border(), road_reach_m=1000)
    kinds = dict(zip(contacts["road_id"], contacts["kind"], strict=True))
    assert kinds == {"R1": "crossing", "R2": "road_end"}
    r2 = contacts[contacts["road_id"] == "R2"].geometry.iloc[0]
    assert r2.x == pytest.approx(105.0, abs=1e-6) and r2.y == pytest.approx(15.8, abs=1e-4)


def test_coarse_gate_snaps_to_road_crossing_within_its_precision():
    gates = toy_gates([("A", 105.05, 15.45, 20000.0), ("B", 105.05, 15.2, 20000.0), ("C", 105.001, 15.9, 250.0)])
    snapped = snap_gates(gates, toy_border(), road_border_contacts(toy_roads(), toy_border())).set_index("id")
    # A: the road crossing at 15.5 N is ~8 km away, inside 20 km -> taken
    assert snapped.at["A", "snap_method"] == "road_crossing"
    assert snapped.at["A", "geometry"].y == pytest.approx(15.5, abs=2e-4)
    assert snapped.at["A", "coord_precision_m"] == 1000
    # B: the nearest contact (15.5 N) is ~34 km away, beyond 20 km -> nearest border point
    assert snapped.at["B", "snap_method"] == "nearest_border"
    assert snapped.at["B", "geometry"].x == pytest.approx(105.0, abs=1e-6) and snapped.at[
        "B", "geometry"
    ].y == pytest.approx(15.2, abs=2e-3)
    # precision becomes the half-chord of the precision circle on the border
    d = snapped.at["B", "border_distance_m"]
    assert snapped.at["B", "coord_precision_m"] == pytest.approx(np.sqrt(20000.0**2 - d**2))
    # C is a fine (surveyed) gate: only projected, never pulled to a road
    assert snapped.at["C", "snap_method"] == "nearest_border"
    assert snapped.at["C", "snap_distance_m"] < 150
    # the original coordinate is kept
    assert (snapped.at["A", "orig_lon"], snapped.at["A", "orig_lat"]) == (105.05, 15.45)


def test_implausible_gates_are_flagged():
    gates = toy_gates([("FAR", 105.5, 15.5, 3000.0), ("T1", 105.2, 15.3, 30000.0), ("T2", 105.2, 15.3, 30000.0)])
    snapped = snap_gates(gates, toy_border(), road_border_contacts(toy_roads(), toy_border())).set_index("id")
    assert not snapped.at["FAR", "snap_plausible"]
    assert "beyond its stated precision 3.0 km" in snapped.at["FAR", "snap_note"]
    assert not snapped.at["T1", "snap_plausible"] and "same original coordinate as T2" in snapped.at["T1", "snap_note"]
    summary = snap_summary(snapped.reset_index())
    assert summary["implausible"] == ["FAR", "T1", "T2"]


def test_shipped_gates_all_land_on_their_border(region):
    lines = borderlines(region.countries)
    snapped = place_gates(region, lines=lines)
    assert len(snapped) == 87
    for border, group in snapped.groupby("border"):
        line = lines.at[border, "geometry"]
        assert group.geometry.distance(line).max() < 1e-4, border  # ~10 m: projection round trip
    summary = snap_summary(snapped)
    assert summary["by_method"]["road_crossing"] > 15
    assert 1.0 < summary["snap_distance_km"]["median"] < 10.0
    # counterpart positions (7 given) are snapped too
    assert summary["counterparts_snapped"] == 7
    # Lao Bao, a town coordinate 1.1 km from the border, takes the QL9 crossing
    lao_bao = snapped.set_index("id").loc["VN-LAO-019"]
    assert lao_bao["snap_method"] == "road_crossing" and lao_bao["snap_plausible"]
