"""BLO reach and border coverage on the shipped graph, checked against networkx; bad inputs."""

import json

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from borderwatch import GraphArrays, ParameterError, ValidationError
from borderwatch.analysis.coverage import blo_coverage, read_hour_overrides
from borderwatch.patrol import PATROL_MODES
from borderwatch.cli import main


@pytest.fixture(scope="module")
def arrays(route_graph):
    return GraphArrays.from_graph(route_graph)


@pytest.fixture(scope="module")
def two_hours(route_graph, region, arrays):
    return blo_coverage(route_graph, region, hours=2.0, arrays=arrays)


@pytest.mark.slow
def test_reach_equals_a_networkx_search_on_the_patrol_graph(route_graph, two_hours):
    """Patrols move inside Vietnam on roads, off-road and rivers at time_h; nothing else."""
    patrol = nx.DiGraph()
    for u, v, d in route_graph.edges(data=True):
        inside = route_graph.nodes[u]["country"] == "VNM" and route_graph.nodes[v]["country"] == "VNM"
        if inside and d["mode"] in PATROL_MODES and not d.get("crossing"):
            if not patrol.has_edge(u, v) or patrol.edges[u, v]["time_h"] > d["time_h"]:
                patrol.add_edge(u, v, time_h=d["time_h"])
    start = two_hours.blos.set_index("blo_id").loc["BLO-01", "start_node"]
    reach = nx.single_source_dijkstra_path_length(patrol, start, cutoff=2.0, weight="time_h")
    gates = two_hours.gates.set_index("gate_id")
    # Móng Cái's BLO reaches its own gate; every gate it is said to cover is within 2 h by networkx too
    assert "BLO-01" in gates.loc["VN-CHN-001", "by"]
    for gid, row in gates.iterrows():
        node = f"gate:{gid}:VNM"
        assert ("BLO-01" in row["by"].split(", ")) == (node in reach), gid
        if row["covered"]:
            assert row["reach_h"] <= 2.0


@pytest.mark.slow
def test_more_hours_cover_more_and_overrides_apply_per_blo(route_graph, region, arrays, two_hours):
    four = blo_coverage(route_graph, region, hours=4.0, arrays=arrays)
    assert (four.summary["covered_km"] >= two_hours.summary["covered_km"]).all()
    assert four.summary.loc["LAO", "covered_km"] > two_hours.summary.loc["LAO", "covered_km"]
    assert set(four.summary.index) == {"LAO", "CHN", "KHM", "coast"}
    summary = two_hours.summary
    assert np.allclose(summary["covered_pct"], 100 * summary["covered_km"] / summary["border_km"], atol=0.01)
    longer = blo_coverage(route_graph, region, hours=2.0, overrides={"BLO-07": 6.0}, arrays=arrays)
    changed = longer.segments["covered"] & ~two_hours.segments["covered"]
    assert changed.any() and longer.segments.loc[changed, "by"].str.contains("BLO-07").all()
    # the BLO without coordinates starts at its gate
    sites = two_hours.blos.set_index("blo_id")
    assert sites.loc["BLO-X1", "start_node"] == "gate:VN-CHN-015:VNM"
    # uncovered stretches: merged lines that add up to the uncovered length
    uncovered_km = two_hours.segments.loc[~two_hours.segments["covered"], "length_km"].sum()
    assert two_hours.uncovered["length_km"].sum() == pytest.approx(uncovered_km)
    assert list(two_hours.uncovered["rank_by_length"]) == list(range(1, len(two_hours.uncovered) + 1))


def test_bad_hours_and_override_files(tmp_path, route_graph, region):
    with pytest.raises(ParameterError, match="hours must be a number > 0"):
        blo_coverage(route_graph, region, hours=0)
    with pytest.raises(ParameterError, match="unknown BLOs BLO-99"):
        blo_coverage(route_graph, region, overrides={"BLO-99": 3.0})
    path = tmp_path / "hours.csv"
    path.write_text("blo_id,hours\nBLO-01,3\nBLO-99,2\nBLO-02,-1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_hour_overrides(path, blo_ids=["BLO-01", "BLO-02"])
    assert "line 3: blo_id 'BLO-99' is not a BLO" in str(err.value)
    assert "line 4: hours '-1' is not a number > 0" in str(err.value)
    path.write_text("blo,h\nBLO-01,3\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="needs blo_id and hours"):
        read_hour_overrides(path, blo_ids=["BLO-01"])


def test_coverage_command_bad_input_exits_1(tmp_path):
    out = tmp_path / "coverage.geojson"
    result = CliRunner().invoke(main, ["coverage", "--hours", "0", "--out", str(out)])
    assert result.exit_code == 1 and "--hours must be > 0" in result.output and not out.exists()
    bad = tmp_path / "hours.csv"
    bad.write_text("blo_id,hours\nBLO-77,2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", "--blo-hours", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and "blo_id 'BLO-77' is not a BLO" in result.output and not out.exists()


@pytest.mark.slow
def test_coverage_command_json_and_geojson(tmp_path):
    out = tmp_path / "coverage.geojson"
    result = CliRunner().invoke(main, ["coverage", "--samples", "10", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert set(facts["borders"]) == {"LAO", "CHN", "KHM", "coast"}
    for border in facts["borders"].values():
        assert set(border) == {"border_km", "covered_km", "covered_pct"}
        assert 0 <= border["covered_km"] <= border["border_km"]
    assert 0 < facts["gates_covered"] < facts["gates"]
    assert 0 <= facts["flow_covered_pct"] <= 100 and 0 <= facts["ensemble_flow_covered_pct"] <= 100
    import geopandas as gpd

    features = gpd.read_file(out)
    assert set(features["feature"]) == {"segment", "uncovered_stretch"}
    assert features["covered"].dtype == bool and not features.loc[features["feature"] != "segment", "covered"].any()
