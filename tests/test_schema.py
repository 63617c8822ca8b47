"""Layer validation: every problem is reported, each naming layer, record, column and value."""

import geopandas as gpd
import numpy as np
from shapely.geometry import Point, Polygon

from borderwatch.schema import SCHEMAS, GateClass, validate_layer


def gates(**changes):
    data = {
        "id": ["G-1", "G-2"],
        "name": ["Alpha", "Beta"],
        "class": ["international", "secondary"],
        "border": ["LAO", "KHM"],
        "coord_source": ["test", "test"],
        "source": ["test", "test"],
        "coord_precision_m": [250.0, 3000.0],
    }
    geoms = [Point(104.0, 19.0), Point(106.0, 11.0)]
    data.update({k: v for k, v in changes.items() if k != "geometry"})
    return gpd.GeoDataFrame(data, geometry=changes.get("geometry", geoms), crs="EPSG:4326")


def test_valid_gates_have_no_problems():
    assert validate_layer(gates(), SCHEMAS["gates"]) == []


def test_gate_classes_enum_matches_schema():
    assert set(SCHEMAS["gates"].allowed["class"]) == {c.value for c in GateClass}


def test_unknown_gate_class_names_record_column_and_value():
    problems = validate_layer(gates(**{"class": ["international", "tertiary"]}), SCHEMAS["gates"])
    assert problems == [
        "layer 'gates' record 'G-2': column 'class' = 'tertiary' is not one of international, primary, secondary; "
        "use one of them"
    ]


def test_missing_column_is_reported():
    problems = validate_layer(gates().drop(columns=["border"]), SCHEMAS["gates"])
    assert any("missing required column 'border'" in p for p in problems)


def test_duplicate_id_is_reported():
    problems = validate_layer(gates(id=["G-1", "G-1"]), SCHEMAS["gates"])
    assert problems == ["layer 'gates': duplicate id 'G-1' in column 'id'; ids must be unique"]


def test_nan_and_out_of_region_coordinates():
    problems = validate_layer(gates(geometry=[Point(np.nan, np.nan), Point(19.0, 104.0)]), SCHEMAS["gates"])
    assert any("record 'G-1'" in p and "NaN" in p for p in problems)
    assert any("record 'G-2'" in p and "outside the region" in p and "lat/lon swapped" in p for p in problems)


def test_non_positive_precision_is_reported():
    problems = validate_layer(gates(coord_precision_m=[0.0, -5.0]), SCHEMAS["gates"])
    assert len(problems) == 2 and all("'coord_precision_m'" in p and "must be > 0" in p for p in problems)


def test_optional_precision_of_tripoints_and_wharfs_must_be_positive():
    """coord_precision_m is not required for tripoints and wharfs, but where given it must be > 0."""
    tripoints = gpd.GeoDataFrame(
        {
            "id": ["TP-01", "TP-02"],
            "name": ["a", "b"],
            "countries": ["VNM/LAO/CHN", "VNM/LAO/KHM"],
            "coord_source": ["test", "test"],
            "coord_precision_m": [-5.0, np.nan],
        },
        geometry=[Point(102.14, 22.40), None],
        crs="EPSG:4326",
    )
    problems = validate_layer(tripoints, SCHEMAS["tripoints"])
    assert problems == ["layer 'tripoints' record 'TP-01': column 'coord_precision_m' = -5.0 must be > 0"]
    wharfs = tripoints.rename(columns={"countries": "country"}).assign(coord_precision_m=["x", 25000.0])
    problems = validate_layer(wharfs, SCHEMAS["wharfs"])
    assert problems == [
        "layer 'wharfs' record 'TP-01': column 'coord_precision_m' = 'x' is not a number; give a number"
    ]


def test_all_problems_are_collected_together():
    bad = gates(id=["G-1", "G-1"], border=["LAO", "THA"], **{"class": ["x", "primary"]})
    problems = validate_layer(bad, SCHEMAS["gates"])
    assert len(problems) == 3


def test_invalid_polygon_is_reported():
    bowtie = Polygon([(100, 10), (101, 11), (101, 10), (100, 11)])
    layer = gpd.GeoDataFrame({"iso_a3": ["VNM"], "source": ["t"]}, geometry=[bowtie], crs="EPSG:4326")
    (problem,) = validate_layer(layer, SCHEMAS["countries"])
    assert "record 'VNM'" in problem and "invalid polygon" in problem and "Self-intersection" in problem


def test_layer_without_crs_and_empty_layer():
    assert any("has no CRS" in p for p in validate_layer(gates().set_crs(None, allow_override=True), SCHEMAS["gates"]))
    assert validate_layer(gates().iloc[:0], SCHEMAS["gates"]) == [
        "layer 'gates': has no records; give a file with at least one feature"
    ]


def test_optional_coordinates_for_wharfs():
    wharfs = gpd.GeoDataFrame(
        {
            "id": ["MK-1"],
            "name": ["Guanlei"],
            "country": ["CHN"],
            "coord_source": ["not found"],
            "coord_precision_m": [np.nan],
        },
        geometry=[None],
        crs="EPSG:4326",
    )
    assert validate_layer(wharfs, SCHEMAS["wharfs"]) == []
