"""Places: every border segment, stretch, site and interdiction unit named by its nearest place and province."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from borderwatch.analysis.coverage import split_run
from borderwatch.errors import ParameterError
from borderwatch.places import gazetteer
from borderwatch.settings import Settings


def test_split_run_makes_the_fewest_near_equal_parts_within_the_planning_length():
    lengths = np.full(201, 5.0)  # a 1,005 km run, as the issue found
    parts = split_run(lengths, 50.0)
    assert len(parts) == 21
    assert np.concatenate(parts).tolist() == list(range(201))  # every segment once, in order
    assert max(lengths[p].sum() for p in parts) <= 50.0
    assert min(lengths[p].sum() for p in parts) >= 40.0  # near-equal: no 5 km tail
    assert split_run(np.array([80.0]), 50.0)[0].tolist() == [0]  # one long segment stays one
    assert split_run(np.array([]), 50.0) == []


def test_stretch_km_is_range_checked():
    from borderwatch.network.profile import default_profile

    base = Settings.from_profile(default_profile())
    assert base.stretch_km == 50.0
    with pytest.raises(ParameterError, match=r"stretch_km must be >= 1, got 0"):
        base.replace(stretch_km=0)


def test_a_point_is_named_by_its_nearest_place_district_and_province(region):
    g = gazetteer(region)
    assert gazetteer(region) is g  # built once per region
    gate = region.gates.set_index("id").loc["VN-LAO-013"]  # Nậm Cắn, Kỳ Sơn, Nghệ An
    x, y = gate.geometry.x, gate.geometry.y
    table = g.table([x, x - 0.02, np.nan], [y, y - 0.02, np.nan])
    assert table["place"].tolist()[0] == "at Nậm Cắn, Kỳ Sơn, Nghệ An"
    assert table["place"].tolist()[1].endswith("km SW of Nậm Cắn, Kỳ Sơn, Nghệ An")
    assert 2.5 < table["landmark_km"].iloc[1] < 3.5
    assert table["place"].iloc[2] == ""
    with pytest.raises(ParameterError, match="one entry per point; got 2 and 1"):
        g.table([1.0, 2.0], [3.0])


def test_uncovered_stretches_are_split_at_the_planning_length_and_named(analysis):
    cov = analysis.coverage
    stretches = cov.uncovered
    assert stretches["length_km"].max() <= analysis.scenario.settings.stretch_km + 1e-6
    open_km = cov.segments.loc[~cov.segments["covered"], "length_km"].sum()
    assert stretches["length_km"].sum() == pytest.approx(open_km)  # nothing lost or doubled
    assert (stretches["place"].str.len() > 0).all()
    assert (cov.segments["place"].str.len() > 0).all()
    assert sorted(stretches["rank_by_flow"]) == list(range(1, len(stretches) + 1))


def test_every_segment_site_and_interdiction_unit_in_the_report_has_a_place(report_dir):
    for name in ("segments.geojson", "coverage.geojson"):
        table = gpd.read_file(report_dir / name)
        assert "place" in table.columns, name
        assert (table["place"].fillna("").str.len() > 0).all(), name
    sites = pd.read_csv(report_dir / "sites.csv", keep_default_na=False)
    assert len(sites) and (sites["place"].str.len() > 0).all()
    inter = json.loads((report_dir / "interdiction.json").read_text(encoding="utf-8"))
    assert set(inter["chosen_places"]) == set(inter["chosen"])
    assert all(", " in place for place in inter["chosen_places"].values())
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "segment:" not in page  # units by name and place, not opaque ids
    first = next(iter(inter["chosen_places"].values()))
    assert first in page
