"""The rank-gates and chokepoints commands: outputs a GIS opens, exit 1 on bad input with nothing written."""

import json

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from borderwatch.cli import main

from .test_ranking import two_gate_graph


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def toy_graphml(tmp_path):
    G = two_gate_graph()
    G.add_node("Z", x=104.0, y=20.0)  # unreachable
    path = tmp_path / "toy.graphml"
    nx.write_graphml(G, path)
    return path


def test_user_graph_chokepoints_report_an_unreachable_destination(tmp_path, toy_graphml):
    out = tmp_path / "choke.geojson"
    args = ["--graph", toy_graphml, "--origin", "O", "--to", "T", "--to", "Z", "--out", out, "--json"]
    result = run("chokepoints", *args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["unreachable"] == ["Z"]
    assert summary["destinations"]["T"]["effective_resistance_heq"] == pytest.approx(12 / 7, abs=1e-4)  # 3 h || 4 h
    assert summary["destinations"]["Z"]["reachable"] is False
    features = gpd.read_file(out)
    assert set(features["feature"]) == {"edge", "node"} and features.crs.to_epsg() == 4326
    z = features[features["node"] == "Z"].iloc[0]
    assert not z["reachable"]


def test_user_graph_rank_gates_writes_csv_and_agreement(tmp_path, toy_graphml):
    out = tmp_path / "ranking.csv"
    result = run("rank-gates", "--graph", toy_graphml, "--origin", "O", "--to", "T", "--samples", 50, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table["gate_id"]) == ["G-A", "G-B"] and list(table["rank"]) == [1, 2]
    assert "ensemble: 50 samples; top mean shares, first half -> all: G-A" in result.output
    assert (tmp_path / "ranking_agreement.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "0"], "--samples must be >= 1, got 0"),
        (["--samples", "-5"], "--samples must be >= 1, got -5"),
        (["--origin", "X"], "--origin and --to need --graph"),
    ],
)
def test_bad_arguments_exit_1_before_any_work(tmp_path, args, message):
    out = tmp_path / "ranking.csv"
    result = run("rank-gates", "--out", out, *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_graph_without_cost_or_with_negative_cost_exits_1(tmp_path):
    for attrs, message in (({}, "has no 'cost'"), ({"cost": -2.0}, "'cost'")):
        G = nx.MultiDiGraph()
        G.add_edge("O", "T", gate_id="G", **attrs)
        path = tmp_path / "bad.graphml"
        nx.write_graphml(G, path)
        out = tmp_path / "c.geojson"
        result = run("chokepoints", "--graph", path, "--origin", "O", "--to", "T", "--out", out)
        assert result.exit_code == 1 and message in result.output, result.output
        assert not out.exists()


def test_unknown_node_exits_1(tmp_path, toy_graphml):
    result = run("chokepoints", "--graph", toy_graphml, "--origin", "nowhere", "--to", "T", "--out", tmp_path / "c.csv")
    assert result.exit_code == 1 and "'nowhere' is not in the graph" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,place\n2024-01-01,x\n", "needs 'date' and either 'gate_id'"),
        ("date,gate_id\n31/31/2024,VN-LAO-005\n", "line 2: date '31/31/2024' cannot be read"),
        ("date,gate_id\n2024-01-01,VN-LAO-999\n", "gate_id 'VN-LAO-999' is not a gate"),
        ("date,lat,lon\n2024-01-01,-33.9,151.2\n", "is outside the region"),
    ],
)
def test_bad_incidents_exit_1_before_the_graph_is_built(tmp_path, monkeypatch, text, message):
    monkeypatch.setattr("borderwatch.scenario.Scenario.from_region", lambda *a, **k: pytest.fail("graph built"))
    if text.startswith("date,place"):  # a header without the needed columns is refused before the region is read
        monkeypatch.setattr("borderwatch.readers.load_region", lambda *a, **k: pytest.fail("region loaded"))
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(text, encoding="utf-8")
    out = tmp_path / "ranking.csv"
    result = run("rank-gates", "--incidents", incidents, "--out", out)
    assert result.exit_code == 1 and message in result.output, result.output
    assert not out.exists() and not (tmp_path / "ranking_agreement.csv").exists()


@pytest.mark.slow
def test_rank_gates_and_chokepoints_on_the_shipped_data(tmp_path):
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "incident_id,date,gate_id,lat,lon\nS1,2023-05-02,VN-LAO-019,,\nS2,2023-06-11,,20.63,104.55\n"
        "S3,2023-07-01,,16.0,106.0\n",
        encoding="utf-8",
    )
    out, points, segments = tmp_path / "ranking.csv", tmp_path / "ranking.geojson", tmp_path / "segments.geojson"
    result = run(
        "rank-gates", "--out", out, "--geojson", points, "--segments", segments, "--incidents", incidents,
        "--samples", 20,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 87 and table["gate_id"].is_unique
    components = ["flow_share", "usage_probability", "cost_rise_heq", "in_min_cut", "pinch_current", "class_exposure"]
    for column in ["rank", "score", "rank_low", "rank_high", *components, "travel_cost_heq", "incidents", "status"]:
        assert column in table.columns, column
    assert table.set_index("gate_id").loc["VN-LAO-019", "incidents"] == 1.0
    assert "1 incidents match no gate or border segment" in result.output and "S3 (line 4)" in result.output
    agreement = pd.read_csv(tmp_path / "ranking_agreement.csv", index_col=0)
    assert agreement.loc["score", "score"] == 1.0
    assert pyogrio.read_info(points)["features"] == 87
    assert pyogrio.read_info(segments)["geometry_type"] == "LineString"

    choke = tmp_path / "chokepoints.geojson"
    result = run("chokepoints", "--out", choke, "--samples", 20, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    manila = "overseas:WPI-58370"  # export is split by port: each port is a destination of its own
    assert set(summary["destinations"]) >= {"dest:hanoi", manila} and not summary["unreachable"]
    assert all(d["effective_resistance_heq"] > 0 for d in summary["destinations"].values())
    info = pyogrio.read_info(choke)
    assert info["features"] == summary["features"] and info["crs"] == "EPSG:4326"
    features = gpd.read_file(choke)
    assert features["in_min_cut"].sum() > 0 and (features["flow"] > 0).sum() > 100


def test_user_graph_chokepoints_on_an_edited_scenario(tmp_path, toy_graphml):
    out = tmp_path / "choke.geojson"
    args = ["--graph", toy_graphml, "--origin", "O", "--to", "T", "--samples", 8, "--out", out, "--json"]
    result = run("chokepoints", *args, "--close", "G-A")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"] == {"name": "close gate G-A", "edits": ["close gate G-A"]}
    assert summary["destinations"]["T"]["least_cost_heq"] == pytest.approx(4.0)  # through G-B now (3 h before)
    result = run("chokepoints", *args, "--overwrite", "--inspect", "G-A")  # the toy's gates have no exposure
    assert result.exit_code == 1 and "edit 'inspect gate G-A': inspecting raises a gate's exposure" in result.output
    result = run("rank-gates", "--graph", toy_graphml, "--origin", "O", "--to", "T", "--close", "G-Z")
    assert result.exit_code == 1 and "unknown gate 'G-Z'; did you mean" in result.output
    assert "Traceback" not in result.output
