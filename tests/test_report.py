"""The report folder: every file, a manifest that matches them, and all-or-nothing writing."""

from __future__ import annotations

import hashlib
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from borderwatch.cli import main
from borderwatch.errors import OutputError, OutputExistsError
from borderwatch.report import COMPARISON_FILES, REPORT_FILES, data_origin, write_comparison, write_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def comparison(scenario):
    """The base scenario against Loc Thinh and the trails of the route to Ho Chi Minh City (KHM-05-0104) closed."""
    from borderwatch import CloseGates, CloseSegments, compare

    return compare(scenario, scenario.edited(CloseGates(("VN-KHM-009",)), CloseSegments(("KHM-05-0104",))))


def test_the_report_says_where_its_data_came_from(analysis, data_dir, tmp_path):
    """A report of data from another folder (``--data DIR``) names that folder, not "the shipped data"."""
    import dataclasses

    from borderwatch import Scenario, load_region

    folder = data_dir()  # the shipped files, linked into another folder
    elsewhere = Scenario.from_region(load_region(folder), samples=40)  # the same contents: a graph cache hit
    assert elsewhere.fingerprint()["graph"] == analysis.scenario.fingerprint()["graph"]
    moved = dataclasses.replace(analysis, scenario=elsewhere)  # the same results, of data read from `folder`
    out = tmp_path / "report"
    write_report(moved, out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"from the data in {folder}" in index
    assert "shipped data" not in index
    assert "shipped data" not in (out / "map.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"] == f"the data in {folder}"
    assert manifest["inputs"]["gates"]["path"] == str(folder / "gates" / "border_gates.csv")


def test_data_origin_names_the_folder_and_every_layer_from_elsewhere(region, data_dir, tmp_path, gates_csv):
    from borderwatch import load_region

    assert data_origin(region) == "the shipped data"
    assert data_origin(None) == "a graph without region data"
    folder = data_dir()
    assert data_origin(load_region(folder)) == f"the data in {folder}"
    own = tmp_path / "my_gates.csv"
    own.write_text(gates_csv, encoding="utf-8")
    mixed = load_region(gates=own, wharfs=region.wharfs)
    assert data_origin(mixed) == f"the shipped data; gates from {own}; wharfs given as tables in memory"


def test_report_holds_every_file_and_the_manifest_matches_them(report_dir, analysis):
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(REPORT_FILES)
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((report_dir / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(manifest["files"]) == set(REPORT_FILES) - {"manifest.json"}
    assert manifest["seed"] == analysis.scenario.settings.seed and manifest["settings"]["samples"] == 40
    assert manifest["scenario"] == json.loads(json.dumps(analysis.scenario.describe()))
    assert manifest["scenario"]["settings"]["samples"] == 40 and manifest["scenario"]["edits"] == []
    assert manifest["data"] == "the shipped data" and manifest["graph"]["status"] == analysis.scenario.graph_status
    assert manifest["inputs"]["gates"]["sha256"] == analysis.region.manifest()["gates"]["sha256"]
    assert manifest["profile"]["ensemble"]["samples"] == 200  # the profile as built; --samples overrides it
    assert manifest["packages"]["XStatic-Leaflet"] == "1.9.3.0"
    assert {"analysis.chokepoints", "write.map.html"} <= set(manifest["timings_s"])


def test_report_tables_carry_the_analysis(report_dir, analysis):
    ranking = pd.read_csv(report_dir / "ranking.csv")
    assert len(ranking) == len(analysis.ranking.gates) == 87
    assert ranking.loc[0, "gate_id"] == analysis.ranking.gates.iloc[0]["gate_id"]
    routes = gpd.read_file(report_dir / "routes.geojson")
    cities = {"Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang", "China border"}
    exports = {n for n in analysis.scenario.demand if n.startswith("export to ")}  # export split by port
    assert set(routes["destination"]) == cities | exports and len(exports) == 8
    assert routes.crs.to_epsg() == 4326
    coverage = json.loads((report_dir / "coverage.json").read_text(encoding="utf-8"))
    assert set(coverage["borders"]) == {"LAO", "CHN", "KHM", "coast"}
    inter = json.loads((report_dir / "interdiction.json").read_text(encoding="utf-8"))
    assert inter["cost_after_heq"] >= inter["cost_before_heq"] and len(inter["chosen"]) == 5
    assert inter["chosen"] == analysis.interdiction.chosen and inter["mode"] == "close"
    assert len(inter["routes_after"]) == len(analysis.interdiction.routes_after)
    sites = pd.read_csv(report_dir / "sites.csv")
    assert len(sites) == 5 and {"id", "name", "lon", "lat", "adds"} <= set(sites.columns)
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    top = analysis.ranking.gates.iloc[0]
    assert top["gate_id"] in index and 'href="map.html"' in index and "Corridors" in index
    assert "<script" not in index  # the overview is static HTML
    assert "from the shipped data" in index and "compare.html" not in index


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
        (["--inspection-teams", "-1"], "Invalid value"),
        (["--stochastic-samples", "-2"], "Invalid value"),
        (["--calibration", "missing.json"], "calibration file missing.json: cannot read it"),
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
    assert f"wrote {len(REPORT_FILES)} files" in result.output
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
        ({"route_k": 0}, "route_k must be an integer from 1"),
        ({"site_p": -1}, "site_p must be >= 0, got -1"),
        ({"site_p": 100_000}, "site_p must be <= 100, got 100000"),
        ({"site_objective": "votes"}, "site_objective must be one of 'flow', 'length'"),
        ({"interdict_units": "bridges"}, "interdict_units must be one of 'gates', 'segments', 'both'"),
        ({"interdict_k": True}, "interdict_k must be an integer, got bool True"),
        ({"interdict_k": 100_000}, "interdict_k must be <= 100, got 100000"),
        ({"inspect_teams": 3}, "inspect_teams must be"),
        ({"inspect_teams": (3, -1)}, "inspect_teams holds -1"),
        ({"inspect_teams": (2.5,)}, "inspect_teams must be int, got float 2.5"),
    ],
)
def test_analyse_region_checks_every_option_before_any_work(options, message):
    import networkx as nx

    from borderwatch.analysis.suite import analyse_region
    from borderwatch.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        analyse_region(nx.MultiDiGraph(), **options)  # checked before the graph is even wrapped


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"hours": 0}, "hours must be a finite number > 0, got 0"),
        ({"samples": 0}, "samples must be >= 1, got 0"),
    ],
)
def test_scenario_settings_are_checked_before_any_work(region, monkeypatch, settings, message):
    """Patrol hours and samples are scenario settings now: bad ones fail before the graph is built or loaded."""
    import borderwatch.network.cache as cache
    from borderwatch import Scenario
    from borderwatch.errors import ParameterError

    def no_graph(*args, **kwargs):
        raise AssertionError("the graph was built or loaded")

    monkeypatch.setattr(cache, "cached_route_graph", no_graph)
    with pytest.raises(ParameterError, match=message):
        Scenario.from_region(region, **settings)


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


def test_report_with_a_comparison_adds_its_files_and_section(analysis, comparison, tmp_path):
    out = tmp_path / "report"
    manifest = write_report(analysis, out, comparison=comparison)
    assert sorted(p.name for p in out.iterdir()) == sorted({**REPORT_FILES, **COMPARISON_FILES})
    assert set(manifest["files"]) == set(REPORT_FILES) - {"manifest.json"} | set(COMPARISON_FILES)
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"], name
    edits = ["close gate VN-KHM-009", "close border segment KHM-05-0104"]
    assert manifest["comparison"]["scenario"]["edits_described"] == edits
    index = (out / "index.html").read_text(encoding="utf-8")
    s = comparison.summary
    assert "What if: close gate VN-KHM-009" in index and 'href="compare.html"' in index
    assert f"{s['demand_weighted_cost_base_heq']:.1f} → {s['demand_weighted_cost_scenario_heq']:.1f} h-eq" in index
    assert f"{s['flow_moved']:.1%} of the demand" in index
    # the route to Ho Chi Minh City moves along the Tây Ninh border: the closed trails beside Xa Mát lose most
    what_if = re.sub("<[^>]+>", " ", index[index.index("What if: ") :])
    assert "Least-cost routes changed  Ho Chi Minh City" in what_if
    assert re.search(r"Losing most flow\s+[\d.]+ km SW of gate Xa Mát", what_if), what_if[:2000]
    assert "<script" not in index
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["summary"]["scenario"] == "; ".join(edits)
    table = pd.read_csv(out / "compare.csv")
    assert len(table) == len(comparison.table()) and set(table["kind"]) == {"gate", "segment"}


def test_report_refuses_a_comparison_of_other_draws(analysis, comparison, tmp_path):
    import dataclasses

    from borderwatch.errors import ParameterError

    other_seed = dataclasses.replace(analysis, scenario=analysis.scenario.with_settings(seed=1))
    with pytest.raises(ParameterError, match="other data, graphs or random draws"):
        write_report(other_seed, tmp_path / "report", comparison=comparison)
    assert list(tmp_path.iterdir()) == []


def test_write_comparison_writes_its_files_and_a_manifest(comparison, tmp_path):
    out = tmp_path / "cmp"
    manifest = write_comparison(comparison, out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*COMPARISON_FILES, "manifest.json"])
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == json.loads(json.dumps(manifest))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(manifest["files"]) == set(COMPARISON_FILES)
    assert manifest["kind"] == "comparison" and manifest["data"] == "the shipped data"
    assert manifest["base"]["name"] == "base" and manifest["scenario"]["edits"] == [
        {"type": "close_gates", "gates": ["VN-KHM-009"]},
        {"type": "close_segments", "segments": ["KHM-05-0104"]},
    ]
    assert manifest["inputs"]["gates"]["sha256"] == comparison.base.scenario.region.manifest()["gates"]["sha256"]
    assert {"compare.base", "compare.scenario", "write.compare.html"} <= set(manifest["timings_s"])
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["summary"]["flow_moved"] == pytest.approx(comparison.summary["flow_moved"])
    assert data["method"]["common_random_numbers"] is True
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == list(comparison.table().columns)
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "Leaflet 1.9.3, inlined" in page and "Least-cost routes only in the scenario" in page


def test_write_comparison_overwrites_only_its_own_folders(comparison, tmp_path):
    out = tmp_path / "cmp"
    write_comparison(comparison, out)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_comparison(comparison, out)
    first = (out / "manifest.json").read_text(encoding="utf-8")
    write_comparison(comparison, out, overwrite=True)
    assert (out / "manifest.json").read_text(encoding="utf-8") != first  # replaced (a new "created")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="did not write"):
        write_comparison(comparison, mine, overwrite=True)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is a file"):
        write_comparison(comparison, tmp_path / "a-file", overwrite=True)


def test_write_comparison_leaves_nothing_half_written(comparison, tmp_path, monkeypatch):
    import borderwatch.report as report

    out = tmp_path / "cmp"

    def broken(table, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "_save", broken)  # compare.csv, after compare.html and compare.json
    with pytest.raises(OutputError, match="No space left"):
        write_comparison(comparison, out)
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary

    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError):
        write_comparison(comparison, out, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]
    assert [p.name for p in out.iterdir()] == ["manifest.json"]
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"  # the old folder is untouched


def test_the_report_places_inspection_teams_and_reads_a_calibration(report_dir, analysis, tmp_path):
    from borderwatch.analysis.calibrate import read_calibration
    from borderwatch.errors import ParameterError
    from borderwatch.report import overview_page

    table = pd.read_csv(report_dir / "inspection.csv")
    assert sorted(table["teams"].unique()) == [3, 5]
    for teams, rows in table.groupby("teams"):
        assert rows["fixed"].sum() == teams  # the best fixed placement uses every team
        assert 0 < rows["probability"].sum() <= teams + 1e-6 * len(rows)  # at most m teams (each rounded to 1e-6)
        assert rows["probability"].between(0, 1).all() and rows["place"].str.len().min() > 0
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "Randomised inspection" in page and "3 teams" in page and "5 teams" in page
    assert "Inspection: 3 teams" in (report_dir / "map.html").read_text(encoding="utf-8")

    bad = tmp_path / "fit.json"
    bad.write_text('{"fit": {"parameters": {}}}', encoding="utf-8")
    with pytest.raises(ParameterError, match="no fit with parameters, likelihood_ratio, incidents"):
        read_calibration(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ParameterError, match="not JSON"):
        read_calibration(bad)
    fit = {
        "incidents": {"sha256": "ab" * 32},
        "fit": {
            "incidents": 20,
            "parameters": {
                "trail": {
                    "estimate": 1.5,
                    "interval_95": [1.1, 2.0],
                    "interval_open": [False, False],
                    "verdict": "contradicted",
                }
            },
            "likelihood_ratio": {"statistic": 4.2, "df": 1, "p_value": 0.04},
        },
    }
    bad.write_text(json.dumps(fit), encoding="utf-8")
    section = overview_page(analysis, calibration=read_calibration(bad))
    assert "Calibration to incident records" in section and "contradicted" in section


def test_coverage_figures_are_rounded_once_for_display(analysis, report_dir):
    """60.9487 % showed as 61.0 % in the index: the summary had rounded it to 60.95 first."""
    import dataclasses

    from borderwatch.analysis.coverage import coverage_summary

    edge = dataclasses.replace(analysis.coverage, ensemble_flow_covered_pct=60.9487)
    assert f"{coverage_summary(edge)['ensemble_flow_covered_pct']:.1f}" == "60.9"
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    c = analysis.coverage
    assert f"{c.flow_covered_pct:.1f} % least-cost, {c.ensemble_flow_covered_pct:.1f} % ensemble" in index
