"""The command line: exit codes, messages, JSON keys."""

import json
import subprocess
import sys

from click.testing import CliRunner

from borderwatch.cli import main
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
    assert any(line.startswith("VN-CHN-005") and "IMPLAUSIBLE: " in line for line in lines)
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
