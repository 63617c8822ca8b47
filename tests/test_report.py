"""The report folder: every file, a manifest that matches them, and all-or-nothing writing."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from borderwatch.cli import main
from borderwatch.errors import OutputError, OutputExistsError
from borderwatch.report import REPORT_FILES, write_report

pytestmark = pytest.mark.slow


def test_report_holds_every_file_and_the_manifest_matches_them(report_dir, analysis):
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(REPORT_FILES)
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((report_dir / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(manifest["files"]) == set(REPORT_FILES) - {"manifest.json"}
    assert manifest["seed"] == analysis.settings["seed"] and manifest["settings"]["samples"] == 40
    assert manifest["inputs"]["gates"]["sha256"] == analysis.region.manifest()["gates"]["sha256"]
    assert manifest["profile"]["ensemble"]["samples"] == 200  # the profile as built; --samples overrides it
    assert manifest["packages"]["XStatic-Leaflet"] == "1.9.3.0"
    assert {"analysis.chokepoints", "write.map.html"} <= set(manifest["timings_s"])


def test_report_tables_carry_the_analysis(report_dir, analysis):
    ranking = pd.read_csv(report_dir / "ranking.csv")
    assert len(ranking) == len(analysis.ranking.gates) == 87
    assert ranking.loc[0, "gate_id"] == analysis.ranking.gates.iloc[0]["gate_id"]
    routes = gpd.read_file(report_dir / "routes.geojson")
    assert set(routes["destination"]) == {"Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang", "export", "China border"}
    assert routes.crs.to_epsg() == 4326
    coverage = json.loads((report_dir / "coverage.json").read_text(encoding="utf-8"))
    assert set(coverage["borders"]) == {"LAO", "CHN", "KHM", "coast"}
    inter = json.loads((report_dir / "interdiction.json").read_text(encoding="utf-8"))
    assert inter["cost_after"] >= inter["cost_before"] and len(inter["chosen"]) == 5
    sites = pd.read_csv(report_dir / "sites.csv")
    assert len(sites) == 5 and {"id", "name", "lon", "lat", "adds"} <= set(sites.columns)
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    top = analysis.ranking.gates.iloc[0]
    assert top["gate_id"] in index and 'href="map.html"' in index and "Corridors" in index
    assert "<script" not in index  # the overview is static HTML


def test_a_failure_part_way_leaves_no_report_and_keeps_the_old_one(analysis, tmp_path, monkeypatch):
    import borderwatch.report as report

    out = tmp_path / "report"

    def broken(table, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "_save", broken)
    with pytest.raises(OutputError, match="No space left"):
        write_report(analysis, out)
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary

    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError):
        write_report(analysis, out, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"  # the old report is untouched


def test_existing_folders_are_replaced_only_with_overwrite_and_only_if_a_report(analysis, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_report(analysis, out)
    with pytest.raises(OutputError, match="did not write"):
        write_report(analysis, out, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hours", "0"], "--hours must be > 0"),
        (["--samples", "0"], "samples"),
        (["--sites", "-1"], "Invalid value"),
    ],
)
def test_report_cli_rejects_bad_options_before_work(tmp_path, args, message):
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r"), *args])
    assert result.exit_code in (1, 2) and message in result.output
    assert not (tmp_path / "r").exists()


def test_report_cli_refuses_an_existing_folder_at_once(tmp_path):
    (tmp_path / "r").mkdir()
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "exists; pass --overwrite" in result.output


def test_report_cli_writes_the_folder(tmp_path):
    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["-q", "report", "--out", str(out), "--samples", "10", "--interdict", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert "wrote 12 files" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["interdict_k"] == 2 and "route graph" in manifest["timings_s"]


def test_map_cli_without_analysis_is_offline_and_quick(tmp_path):
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["-q", "map", "--out", str(out), "--no-analysis"])
    assert result.exit_code == 0, result.output
    assert "Leaflet 1.9.3, inlined" in out.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, ["map", "--out", str(out), "--no-analysis"])
    assert again.exit_code == 1 and "exists" in again.output
    bad = CliRunner().invoke(main, ["map", "--out", str(tmp_path / "map.png"), "--no-analysis"])
    assert bad.exit_code == 1 and ".html" in bad.output


@pytest.mark.parametrize(
    "options, message",
    [
        ({"hours": 0}, "hours must be a number > 0"),
        ({"route_k": 0}, "route_k must be an integer from 1"),
        ({"site_p": -1}, "site_p must be an integer >= 0"),
        ({"site_objective": "votes"}, "site_objective must be 'flow' or 'length'"),
        ({"interdict_units": "bridges"}, "interdict_units must be one of gates, segments, both"),
        ({"samples": 0}, "samples must be an integer >= 1, got 0"),
        ({"interdict_k": True}, "interdict_k must be an integer >= 0"),
    ],
)
def test_analyse_region_checks_every_option_before_any_work(options, message):
    import networkx as nx

    from borderwatch.analysis.suite import analyse_region
    from borderwatch.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        analyse_region(nx.MultiDiGraph(), None, **options)  # no graph or region is touched


def test_blo_reach_areas_hold_each_blo_start(analysis, route_graph):
    import shapely

    areas = analysis.coverage.reach_areas.set_index("blo_id")
    blos = analysis.coverage.blos.set_index("blo_id")
    placed = blos[blos["start_node"] != ""]
    assert set(areas.index) == set(placed.index)
    for blo, row in placed.iterrows():
        node = route_graph.nodes[row["start_node"]]
        area = areas.loc[blo]
        assert area["nodes"] >= 1
        assert area.geometry.distance(shapely.Point(node["x"], node["y"])) < 1e-9
