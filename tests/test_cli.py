"""The command line: exit codes, messages, JSON keys."""

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from borderwatch.cli import main
from borderwatch.edits import AddBLO, CloseGates, InspectGates, MoveBLO, PatrolHours, RemoveBLO
from borderwatch.readers import LAYER_FILES


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_validate_shipped_data():
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: 16 layers")


def test_validate_lists_all_problems_and_exits_1(data_dir, gates_csv):
    bad = gates_csv.replace(
        "VN-CHN-003,Bac Phong Sinh,Bắc Phong Sinh,primary", "VN-CHN-003,Bac Phong Sinh,Bắc Phong Sinh,tertiary", 1
    )
    bad = bad.replace("VN-CHN-004,", "VN-CHN-001,", 1)
    root = data_dir({LAYER_FILES["gates"]: bad})
    result = run("validate", "--data", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        "record 'VN-CHN-003': column 'class' = 'tertiary' is not one of international, primary, secondary"
        in result.output
    )
    assert "duplicate id 'VN-CHN-001'" in result.output


def test_missing_column_and_bad_coordinates_exit_1(data_dir, gates_csv):
    header, *rows = gates_csv.splitlines(keepends=True)
    no_border = header.replace(",border,", ",border_code,", 1)
    result = run("validate", "--data", str(data_dir({LAYER_FILES["gates"]: no_border + "".join(rows)})))
    assert result.exit_code == 1 and "missing required column 'border'" in result.output


def test_info_json_keys_and_values():
    result = run("info", "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    for key in [
        "gates",
        "published_gates",
        "blo_count",
        "seaport_count",
        "border_length_km",
        "coastline_km",
        "gates_snapped",
        "snap_distance_km",
    ]:
        assert key in facts, key
    assert facts["published_gates"]["CHN"] == {"international": 5, "primary": 3, "secondary": 42}
    assert facts["blo_count"] == 15 and facts["seaport_count"] == 21
    assert set(facts["border_length_km"]) == {"LAO", "CHN", "KHM"}
    assert facts["border_length_km"]["LAO"] > facts["border_length_km"]["CHN"] > facts["border_length_km"]["KHM"] > 1000
    assert facts["gates_snapped"] == 87
    assert 0 < facts["snap_distance_km"]["median"] <= facts["snap_distance_km"]["max"]


def test_info_text_shows_published_counts():
    result = run("info")
    assert result.exit_code == 0
    assert "published total stated as 40, class counts add to 50" in result.output


def test_python_dash_m_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "borderwatch", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.startswith("borderwatch, version")


def test_bad_data_dir_is_one_message_no_traceback(tmp_path):
    result = run("validate", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "does not exist" in result.output and "Traceback" not in result.output


def _gates_row_edit(gates_csv: str, gate_id: str, column: str, value: str) -> str:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(gates_csv)))
    for row in rows:
        if row["id"] == gate_id:
            row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_an_infinite_precision_is_refused(data_dir, gates_csv):
    """An infinite coord_precision_m let a gate be snapped 385 km away without a flag."""
    bad = _gates_row_edit(gates_csv, "VN-CHN-002", "coord_precision_m", "inf")
    result = run("validate", "--data", str(data_dir({LAYER_FILES["gates"]: bad})))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "coord_precision_m" in result.output and "must be a finite number" in result.output


def test_a_route_from_the_origin_to_itself_and_a_candidate_at_sea_are_refused(tmp_path):
    import networkx as nx

    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0)
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)
    result = run("routes", "--graph", str(path), "--origin", "a", "--to", "a")
    assert result.exit_code == 1 and "is the origin" in result.output and "Traceback" not in result.output
    candidates = tmp_path / "c.csv"
    candidates.write_text("id,name,lat,lon\nC1,sea,15.0,109.5\n")
    result = run("site-blos", "--samples", "5", "--p", "1", "--candidates", str(candidates))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "candidates C1 lie at sea or more than 20 km" in result.output


def test_nan_and_out_of_region_coordinates_exit_1(data_dir, gates_csv):
    bad = _gates_row_edit(gates_csv, "VN-LAO-016", "lat", "")
    bad = _gates_row_edit(bad, "VN-KHM-011", "lon", "11.05")  # lat typed into lon
    result = run("validate", "--data", str(data_dir({LAYER_FILES["gates"]: bad})))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "record 'VN-LAO-016': has no coordinates (lat/lon are empty or NaN)" in result.output
    assert "record 'VN-KHM-011': lon 11.05" in result.output and "outside the region" in result.output


def test_invalid_polygon_exits_1(data_dir):
    bowtie = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"province_id": "VNM-99", "name": "Bowtie", "iso_a3": "VNM", "source": "test"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[105, 10], [106, 11], [106, 10], [105, 11], [105, 10]]],
                },
            }
        ],
    }
    result = run("validate", "--data", str(data_dir({LAYER_FILES["provinces"]: json.dumps(bowtie)})))
    assert result.exit_code == 1
    assert "layer 'provinces' record 'VNM-99': invalid polygon (Self-intersection" in result.output


def test_unreadable_dem_and_empty_layer_exit_1(data_dir):
    from borderwatch.readers import DEM_FILE

    result = run("validate", "--data", str(data_dir({DEM_FILE: b"GIF89a not a tiff", LAYER_FILES["seaports"]: ""})))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "is not a readable raster" in result.output
        and "layer 'seaports'" in result.output
        and "is empty" in result.output
    )


def test_user_roads_without_crs_exit_1(tmp_path, region):
    shp = tmp_path / "roads.shp"
    region.roads.iloc[:3].set_crs(None, allow_override=True).to_file(shp)
    result = run("build-network", "--roads", str(shp))
    assert result.exit_code == 1
    assert "layer 'roads'" in result.output and "has no CRS" in result.output and "Traceback" not in result.output


def test_existing_output_is_not_replaced_without_overwrite(tmp_path):
    out = tmp_path / "g.gpkg"
    out.write_text("keep me")
    result = run("build-network", "--out", str(out))
    assert result.exit_code == 1 and "exists; pass --overwrite" in result.output
    assert out.read_text() == "keep me"


def test_routes_unknown_name_fails_before_building_and_lists_names():
    result = run("routes", "--to", "Atlantis")
    assert result.exit_code == 1
    assert (
        "unknown destination 'Atlantis'; valid names: Hanoi; Ho Chi Minh City; Haiphong; Da Nang; export; China "
        "border; SP-01 Cat Lai" in result.output
    )


def test_gates_command_reports_each_gate_and_writes_a_table(tmp_path):
    out = tmp_path / "gates.csv"
    result = run("-q", "gates", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "class", "method"]
    assert sum(line.startswith("VN-") for line in lines) == 87
    assert any(line.startswith("VN-CHN-005") and "placed with a note: " in line for line in lines)
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    for col in (
        "id",
        "orig_lon",
        "orig_lat",
        "snap_method",
        "snap_distance_m",
        "coord_precision_m",
        "snap_plausible",
        "geometry_wkt",
    ):
        assert col in header


# -- scenarios: edit options, compare and sweep ------------------------------------------------------


def _fails_cleanly(result, *messages):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.output.count("error: ") == 1, result.output
    for message in messages:
        assert message in result.output, result.output


def test_compare_writes_the_folder_and_summarises_the_edit(tmp_path):
    import pandas as pd

    out = tmp_path / "na_meo"
    result = run("-q", "compare", "--close", "VN-LAO-009", "--samples", "8", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {"compare.csv", "compare.html", "compare.json"} <= {p.name for p in out.iterdir()}
    text = result.stdout
    assert "edits: close gate VN-LAO-009" in text
    assert "cost change per destination" in text and "Hanoi" in text and "demand-weighted least cost:" in text
    losing = text.split("crossings losing flow")[1]
    assert "VN-LAO-009" in losing.split("coverage")[0]  # the closed gate loses all its flow
    assert "coverage by BLO patrols:" in text and "wrote compare.csv, compare.html, compare.json" in text
    facts = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert facts["summary"]["edits"] == ["close gate VN-LAO-009"] and facts["summary"]["comparable"]
    assert facts["method"]["samples"] == 8 and facts["scenario"]["edits"][0]["gates"] == ["VN-LAO-009"]
    table = pd.read_csv(out / "compare.csv")
    closed = table[table["id"] == "VN-LAO-009"].iloc[0]
    assert closed["kind"] == "gate" and closed["edit"] == "closed" and closed["flow_scenario"] == 0.0
    assert set(table["kind"]) == {"gate", "segment"}
    # an existing folder is refused at once, and left as it was
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir())
    again = run("compare", "--close", "VN-LAO-009", "--samples", "8", "--out", str(out))
    _fails_cleanly(again, "exists; pass --overwrite")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir()) == before


def test_sweep_file_with_a_two_row_grid_gives_a_two_row_table(tmp_path):
    import pandas as pd

    from borderwatch.analysis.sweep import SWEEP_COLUMNS

    sweep_file = tmp_path / "hours.toml"
    sweep_file.write_text('name = "patrol hours"\n\n[grid]\npatrol_hours = [2, 4]\n', encoding="utf-8")
    out = tmp_path / "sweep.csv"
    result = run("-q", "sweep", str(sweep_file), "--samples", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote 2 rows to {out}" in result.output
    table = pd.read_csv(out)
    assert list(table.columns) == SWEEP_COLUMNS and list(table["scenario"]) == ["patrol 2 h", "patrol 4 h"]
    same, longer = table.iloc[0], table.iloc[1]
    assert same["covered_km_change"] == 0.0 and same["cost_change_heq"] == 0.0  # 2 h is the base's patrol time
    assert longer["covered_km_change"] > 0  # longer patrols reach more border
    again = run("sweep", str(sweep_file), "--samples", "4", "--out", str(out))
    _fails_cleanly(again, "exists; pass --overwrite")


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["compare"], ["compare needs an edit", "--close GATE", "--add-blo LON,LAT"]),
        (["compare", "--add-blo", "abc"], ["--add-blo 'abc': give LON,LAT, two numbers in degrees"]),
        (["compare", "--add-blo", "21.0,105.8,3"], ["--add-blo '21.0,105.8,3': give LON,LAT"]),
        (["compare", "--add-blo", "105.8,210"], ["is not a longitude, latitude pair"]),
        (["compare", "--close", "VN-LAO-016", "--seed", "-1"], ["--seed must be >= 0, got -1"]),
        (["compare", "--close", "VN-LAO-016", "--samples", "0"], ["--samples must be >= 1, got 0"]),
        (["compare", "--close", "VN-LAO-016", "--hours", "-2"], ["--hours must be > 0"]),
        (
            ["compare", "--close", "VN-LAO-016", "--base", "nowhere.toml"],
            ["scenario file 'nowhere.toml' does not exist"],
        ),
        (["compare", "--scenario", "nowhere.toml"], ["scenario file 'nowhere.toml' does not exist"]),
        (["sweep", "nowhere.toml"], ["sweep file 'nowhere.toml' does not exist"]),
        (["chokepoints", "--seed", "-1"], ["--seed must be >= 0, got -1"]),
        (["rank-gates", "--add-blo", "abc"], ["--add-blo 'abc'"]),
        (
            ["routes", "--to", "Hanoi", "--graph", "g.graphml", "--add-blo", "105.8,21.0"],
            ["--add-blo needs the region"],
        ),
    ],
)
def test_bad_scenario_options_exit_1_before_any_work(tmp_path, monkeypatch, args, messages):
    monkeypatch.chdir(tmp_path)
    out = {"compare": ["--out", "cmp"], "sweep": ["--out", "sweep.csv"], "chokepoints": ["--out", "c.geojson"]}
    started = time.perf_counter()
    result = run(*args, *out.get(args[0], []))
    _fails_cleanly(result, *messages)
    assert time.perf_counter() - started < 5  # nothing was loaded
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'name = "x"\n[[edit]]\ntype = "close_gates"\ngates = ["VN-LAO-016"]\n',
            "unknown key 'edit' (did you mean 'edits'?)",
        ),
        ('[[edits]]\ntype = "close_gates"\ngatez = ["VN-LAO-016"]\n', "unknown key 'gatez' (did you mean 'gates'?)"),
        ('[[edits]]\ntype = "close_gate"\ngates = ["VN-LAO-016"]\n', "'close_gate' is not an edit type"),
        ("[[edits]\n", "is not valid TOML"),
    ],
)
def test_scenario_file_with_a_typo_exits_1_naming_it(tmp_path, text, message):
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "cmp"
    result = run("compare", "--scenario", str(path), "--out", str(out))
    _fails_cleanly(result, "typo.toml", message)
    assert not out.exists()


@pytest.fixture
def no_graph(monkeypatch):
    """Make building or reading the route graph fail the test: what is refused here is refused before it."""

    def built(*args, **kwargs):
        pytest.fail("the route graph was built or read before the refusal")

    monkeypatch.setattr("borderwatch.scenario.Scenario.from_region", built)


def test_unknown_gate_and_blo_at_sea_exit_1_naming_them(tmp_path, no_graph):
    out = tmp_path / "cmp"
    result = run("compare", "--close", "Cau Treoo", "--samples", "4", "--out", str(out))
    _fails_cleanly(result, "unknown gate 'Cau Treoo'; did you mean 'Cau Treo'")
    assert not out.exists()
    result = run("compare", "--add-blo", "109.5,12.0", "--samples", "4", "--out", str(out))
    _fails_cleanly(result, "109.5000 E 12.0000 N lies at sea or outside the region")
    assert not out.exists()


def test_sweep_file_with_an_unknown_gate_or_format_exits_1(tmp_path, no_graph):
    out = tmp_path / "sweep.csv"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenarios]]\nname = "x"\n[[scenarios.edits]]\ntype = "close_gates"\ngates = ["Cau Treoo"]\n')
    _fails_cleanly(run("sweep", str(bad), "--samples", "4", "--out", str(out)), "unknown gate 'Cau Treoo'")
    _fails_cleanly(run("sweep", str(bad), "--out", str(tmp_path / "sweep.geojson")), "use one of .csv")
    assert not list(tmp_path.glob("sweep*"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[grid]\nclose_each_gate = ["LAOS"]\n', "close_each_gate must be true or a list of borders (LAO, CHN, KHM)"),
        ("[grid]\npatrol_hours = [2, -1]\n", "patrol_hours must be a list of numbers > 0"),
        ("[grid]\nclose_every_gate = true\n", "unknown [grid] key 'close_every_gate'"),
        ('[grids]\nclose_each_gate = ["LAO"]\n', "unknown section 'grids'"),
        ('name = "empty"\n', "lists no scenario"),
        ('[grid]\nscenario_files = ["missing.toml"]\n', "missing.toml"),
    ],
)
def test_a_malformed_sweep_file_is_refused_before_the_region_is_read(tmp_path, monkeypatch, text, message):
    def read(*args, **kwargs):
        pytest.fail("the region was read before the refusal")

    monkeypatch.setattr("borderwatch.readers.load_region", read)
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "sweep.csv"
    _fails_cleanly(run("sweep", str(bad), "--samples", "4", "--out", str(out)), message)
    assert not out.exists()


def test_a_base_file_or_scenario_file_naming_an_unknown_blo_is_refused_before_the_build(tmp_path, no_graph):
    base = tmp_path / "base.toml"
    base.write_text('[[edits]]\ntype = "remove_blo"\nblo = "Moc Chauu"\n', encoding="utf-8")
    out = tmp_path / "cmp"
    result = run("compare", "--base", str(base), "--close", "VN-LAO-016", "--out", str(out))
    _fails_cleanly(result, "edit 'remove BLO Moc Chauu': unknown BLO 'Moc Chauu'; did you mean 'Moc Chau'")
    result = run("coverage", "--scenario", str(base), "--out", str(tmp_path / "c.geojson"))
    _fails_cleanly(result, "unknown BLO 'Moc Chauu'")
    assert not list(tmp_path.glob("c*"))


@pytest.mark.parametrize(
    "edits",
    [
        [CloseGates(("Cau Treoo",))],
        [CloseGates(("VN-LAO-016",)), InspectGates(("Tay Trangg",))],
        [AddBLO(name="x", lon=109.5, lat=12.0)],  # at sea
        [AddBLO(name="x", lon=102.6, lat=17.97)],  # Vientiane, Laos
        [AddBLO(name="x", at_gate="Lao Caii")],
        [MoveBLO("Moc Chauu", lon=104.6, lat=20.8)],
        [RemoveBLO("BLO-99")],
        [PatrolHours({"BLO-01": 3.0, "Mong Caii": 4.0})],
        [AddBLO(name="y", lon=105.0, lat=21.9, id="NEW-X"), RemoveBLO("NEW-X")],  # the BLO added is known
        [CloseGates(("Cầu Treo",)), MoveBLO("Mộc Châu", at_gate="Lóng Sập"), PatrolHours({"BLO-01": 3.0})],
    ],
    ids=lambda edits: "; ".join(e.describe() for e in edits),
)
def test_the_checks_before_the_build_refuse_what_the_scenario_refuses_in_its_words(region, scenario, edits):
    """The CLI's early checks (the region alone) give the scenario's own message, or pass what it accepts."""
    from borderwatch.cli.options import check_edits
    from borderwatch.errors import BorderwatchError

    try:
        scenario.edited(*edits)
        expected = None
    except BorderwatchError as exc:
        expected = (type(exc), str(exc))
    try:
        check_edits(region, edits)
        early = None
    except BorderwatchError as exc:
        early = (type(exc), str(exc))
    assert early == expected
