"""BLO reach and border coverage on the shipped graph, checked against networkx; bad inputs."""

import json

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from borderwatch import ParameterError, PatrolHours, UnknownNameError, ValidationError
from borderwatch.analysis.chokepoints import chokepoint_metrics
from borderwatch.analysis.coverage import blo_coverage, read_hour_overrides
from borderwatch.analysis.ranking import rank_gates
from borderwatch.analysis.siting import site_blos
from borderwatch.cli import main
from borderwatch.patrol import PATROL_MODES


@pytest.fixture(scope="module")
def two_hours(scenario):
    return blo_coverage(scenario.with_settings(hours=2.0))


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
def test_more_hours_cover_more_and_overrides_apply_per_blo(scenario, two_hours):
    four_h = scenario.with_settings(hours=4.0)
    assert four_h.patrol is scenario.patrol and four_h.arrays is scenario.arrays  # the graph's facts are reused
    four = blo_coverage(four_h)
    assert four.hours == 4.0 and two_hours.hours == 2.0 and (four.blos["hours"] == 4.0).all()
    assert (four.summary["covered_km"] >= two_hours.summary["covered_km"]).all()
    assert four.summary.loc["LAO", "covered_km"] > two_hours.summary.loc["LAO", "covered_km"]
    assert set(four.summary.index) == {"LAO", "CHN", "KHM", "coast"}
    summary = two_hours.summary
    assert np.allclose(summary["covered_pct"], 100 * summary["covered_km"] / summary["border_km"], atol=0.01)
    longer = blo_coverage(scenario.with_settings(hours=2.0, blo_hours={"BLO-07": 6.0}))
    changed = longer.segments["covered"] & ~two_hours.segments["covered"]
    assert changed.any() and longer.segments.loc[changed, "by"].str.contains("BLO-07").all()
    hours = longer.blos.set_index("blo_id")["hours"]
    assert hours["BLO-07"] == 6.0 and (hours.drop("BLO-07") == 2.0).all()
    # the same by an edit, naming the BLO by id
    edited = blo_coverage(scenario.edited(PatrolHours({"BLO-07": 6.0})))
    assert edited.segments["covered"].equals(longer.segments["covered"])
    # the BLO without coordinates starts at its gate
    sites = two_hours.blos.set_index("blo_id")
    assert sites.loc["BLO-X1", "start_node"] == "gate:VN-CHN-015:VNM"
    # uncovered stretches: merged lines that add up to the uncovered length
    uncovered_km = two_hours.segments.loc[~two_hours.segments["covered"], "length_km"].sum()
    assert two_hours.uncovered["length_km"].sum() == pytest.approx(uncovered_km)
    assert list(two_hours.uncovered["rank_by_length"]) == list(range(1, len(two_hours.uncovered) + 1))


def test_bad_hours_and_override_files(tmp_path, scenario):
    with pytest.raises(ParameterError, match="hours must be a finite number > 0, got 0"):
        scenario.with_settings(hours=0)
    with pytest.raises(ParameterError, match=r"blo_hours\['BLO-01'\] must be a finite number > 0, got -1"):
        scenario.with_settings(blo_hours={"BLO-01": -1})
    with pytest.raises(ParameterError, match="blo_hours name unknown BLOs 'BLO-99'"):  # at the door, before any work
        scenario.with_settings(blo_hours={"BLO-99": 3.0})
    with pytest.raises(UnknownNameError, match="unknown BLO 'BLO-99'"):
        scenario.edited(PatrolHours({"BLO-99": 3.0}))
    path = tmp_path / "hours.csv"
    path.write_text("blo_id,hours\nBLO-01,3\nBLO-99,2\nBLO-02,-1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_hour_overrides(path, blo_ids=["BLO-01", "BLO-02"])
    assert "line 3: blo_id 'BLO-99' is not a BLO" in str(err.value)
    assert "line 4: hours '-1' is not a number > 0" in str(err.value)
    path.write_text("blo,h\nBLO-01,3\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="needs blo_id and hours"):
        read_hour_overrides(path, blo_ids=["BLO-01"])


@pytest.mark.slow
def test_chokepoints_of_another_segment_length_are_refused(scenario):
    """Their segment ids name other stretches of border: joining them would be silently wrong."""
    sc5 = scenario
    sc10 = scenario.with_settings(segment_length_km=10)
    metrics = chokepoint_metrics(sc5)
    assert metrics.segment_length_km == 5.0
    with pytest.raises(ParameterError, match="name 5 km border segments but this scenario uses 10 km ones"):
        blo_coverage(sc10, chokepoints=metrics)
    with pytest.raises(ParameterError, match="name 5 km border segments but this scenario uses 10 km ones"):
        site_blos(sc10, p=1, objective="flow", chokepoints=metrics)
    with pytest.raises(ParameterError, match="name 5 km border segments but this scenario uses 10 km ones"):
        rank_gates(sc10, chokepoints=metrics)
    # the matching scenario takes them, and the flow coverage is then known
    coverage = blo_coverage(sc5, chokepoints=metrics)
    assert 0 <= coverage.flow_covered_pct <= 100 and 0 <= coverage.ensemble_flow_covered_pct <= 100
    assert set(coverage.segments["segment_id"]) >= set(metrics.ensemble.segments.index)


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
