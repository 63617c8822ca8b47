"""Borderlines from shared polygon edges, segmentation, coastline."""

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from borderwatch import borderlines, segment_borders, vietnam_coastline
from borderwatch.errors import ValidationError
from borderwatch.geodesy import distance_m, split_coords_every_m


def toy_countries():
    """Vietnam east of 105 E; Laos, China and Cambodia share one straight edge each.

    Edges are densified to 0.01 degree, like real boundary data (a long straight
    lon/lat edge is not straight once projected).
    """
    boxes = [
        box(105.0, 10.0, 106.0, 21.0),
        box(104.0, 15.0, 105.0, 20.0),
        box(104.0, 21.0, 107.0, 22.0),
        box(104.0, 10.0, 105.0, 12.0),
    ]
    return gpd.GeoDataFrame(
        {"iso_a3": ["VNM", "LAO", "CHN", "KHM"], "source": ["toy"] * 4},
        geometry=[shapely.segmentize(b, 0.01) for b in boxes],
        crs="EPSG:4326",
    )


def test_toy_border_lengths_are_geodesic():
    lines = borderlines(toy_countries(), tolerance_m=50)
    # LAO: the meridian 105 E from 15 to 20 N; CHN: parallel 21 N from 105 to 106 E
    assert lines.at["LAO", "length_km"] == pytest.approx(float(distance_m(105, 15, 105, 20)) / 1000, rel=1e-3)
    assert lines.at["CHN", "length_km"] == pytest.approx(float(distance_m(105, 21, 106, 21)) / 1000, rel=1e-3)
    assert lines.at["KHM", "length_km"] == pytest.approx(float(distance_m(105, 10, 105, 12)) / 1000, rel=1e-3)


def test_missing_neighbour_is_a_validation_error():
    with pytest.raises(ValidationError, match="no record with iso_a3 = 'KHM'"):
        borderlines(toy_countries().iloc[:3])


def test_segments_have_stable_ids_and_the_requested_length():
    lines = borderlines(toy_countries(), tolerance_m=50)
    segs = segment_borders(lines, segment_length_km=50)
    lao = segs[segs["border"] == "LAO"]
    assert lao["segment_id"].iloc[0] == "LAO-00-0000"
    assert lao["length_m"].iloc[:-1].round().eq(50000).all()
    assert lao["length_m"].sum() / 1000 == pytest.approx(lines.at["LAO", "length_km"], rel=1e-6)
    again = segment_borders(borderlines(toy_countries(), tolerance_m=50), segment_length_km=50)
    assert list(again["segment_id"]) == list(segs["segment_id"])
    with pytest.raises(ValueError, match="segment_length_km must be a finite number > 0"):
        segment_borders(lines, segment_length_km=0)


def test_split_coords_every_m_keeps_total_length():
    coords = np.array([[105.0, 15.0], [105.0, 15.3], [105.2, 15.3]])
    pieces = split_coords_every_m(coords, 10000)
    lengths = [LineString(p).length for p in pieces]
    assert len(pieces) == int(
        np.ceil(sum(float(distance_m(a[0], a[1], b[0], b[1])) for a, b in itertools.pairwise(coords)) / 10000)
    )
    assert all(np.allclose(a[-1], b[0]) for a, b in itertools.pairwise(pieces))
    assert all(x > 0 for x in lengths)


def test_shipped_border_lengths(region):
    lines = borderlines(region.countries)
    # measured on the OSM 100 m polygons; Natural Earth lines are 15-25 % shorter
    assert lines.at["LAO", "length_km"] == pytest.approx(2151.9, abs=2)
    assert lines.at["CHN", "length_km"] == pytest.approx(1341.3, abs=2)
    assert lines.at["KHM", "length_km"] == pytest.approx(1147.8, abs=2)
    segs = segment_borders(lines)
    assert segs["segment_id"].is_unique and len(segs) > 900
    assert segs["length_m"].max() < 5002


def test_shipped_coastline(region):
    coast = vietnam_coastline(region.coastline, region.countries)
    assert 5000 < coast.at["all", "length_km"] < 5400
    assert 4300 < coast.at["mainland", "length_km"] < coast.at["all", "length_km"]
