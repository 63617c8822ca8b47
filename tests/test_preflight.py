"""The preflight: ``validate`` checks everything the default profile needs, and every command checks it at the door.

Each test feeds one bad input found by a hostile tester (a DEM off the region, a
1x1 DEM, an undeclared nodata, a DMS coordinate, a two-layer GeoPackage ...)
and expects a borderwatch error that names the problem and the fix.  Most
tests check the input directly (no region load); a few run the CLI once to show
that the command refuses at the door.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner

from borderwatch import (
    CRSError,
    DataFileError,
    ParameterError,
    ProfileError,
    Scenario,
    ValidationError,
    load_region,
    read_layer,
)
from borderwatch.borders import borderlines
from borderwatch.cli import main
from borderwatch.cli.format import format_rows, terminal_safe
from borderwatch.errors import GraphContractError
from borderwatch.network.graphio import load_graph
from borderwatch.network.profile import load_profile
from borderwatch.preflight import cross_layer_problems
from borderwatch.readers import DEM_FILE, LAYER_FILES, read_terrain, shipped_data_dir
from borderwatch.region import Region

DATA = shipped_data_dir()
SHIPPED_DEM = DATA / DEM_FILE


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def failed_cleanly(result, message: str) -> bool:
    return result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def write_dem(
    path: Path,
    values: np.ndarray | None = None,
    *,
    transform: Affine | None = None,
    crs: str | None = None,
    bands: int = 1,
    nodata: float | None = -32768.0,
) -> Path:
    """Write a DEM like the shipped one, with some of its properties replaced."""
    with rasterio.open(SHIPPED_DEM) as src:
        shipped = src.read(1).astype("float32")
        profile = src.profile
    values = shipped if values is None else values.astype("float32")
    profile |= {
        "dtype": "float32",
        "nodata": nodata,
        "count": bands,
        "height": values.shape[0],
        "width": values.shape[1],
        "transform": transform or profile["transform"],
        "crs": crs or profile["crs"],
    }
    with rasterio.open(path, "w", **profile) as dst:
        for band in range(1, bands + 1):
            dst.write(values, band)
    return path


def dem_check(region: Region, path: Path) -> list[str]:
    """The cross-layer problems of the shipped layers with the DEM at ``path``."""
    return cross_layer_problems(Region(layers=region.layers, terrain=read_terrain(path), sources=region.sources))


def shipped_dem() -> tuple[np.ndarray, Affine]:
    with rasterio.open(SHIPPED_DEM) as src:
        return src.read(1).astype("float32"), src.transform


# -- DEMs that passed validate but crashed every build ---------------------------------------


def test_shipped_region_passes_the_preflight(region):
    assert cross_layer_problems(region) == []


def test_dem_shifted_off_the_region_is_refused(region, tmp_path):
    values, transform = shipped_dem()
    shifted = write_dem(tmp_path / "dem.tif", values, transform=transform @ Affine.translation(120, 0))
    (problem,) = dem_check(region, shifted)
    assert "does not cover the countries" in problem and "check its CRS and georeference" in problem


def test_dem_with_a_wrong_crs_label_is_refused(region, tmp_path):
    labelled = write_dem(tmp_path / "dem.tif", crs="EPSG:32648")  # lon/lat values labelled UTM 48N
    (problem,) = dem_check(region, labelled)
    assert "does not cover the countries" in problem and "EPSG:32648" in problem


def test_one_pixel_dem_is_refused(region, tmp_path):
    one = write_dem(tmp_path / "dem.tif", np.array([[100.0]]), transform=Affine(20.1, 0, 91.95, 0, -22.1, 27.05))
    (problem,) = dem_check(region, one)
    assert "1 x 1 cells" in problem and "at least 2 x 2" in problem


def test_undeclared_nodata_in_band_1_of_a_three_band_dem_is_refused(region, tmp_path):
    values, _ = shipped_dem()
    holes = values.copy()
    holes[100:140, 100:140] = -9999.0  # on land in Laos and Vietnam
    path = write_dem(tmp_path / "dem.tif", holes, bands=3, nodata=None)
    with pytest.raises(DataFileError, match="has 3 bands; give a single-band DEM"):
        read_terrain(path)
    single = write_dem(tmp_path / "dem1.tif", holes, nodata=None)
    (problem,) = dem_check(region, single)
    assert "-9999" in problem and "land outside -1500..9000 m" in problem
    assert "gdal_edit.py -a_nodata -9999" in problem


def test_dem_spike_is_refused_without_a_numpy_warning(region, tmp_path, recwarn):
    values, _ = shipped_dem()
    values[120, 120] = 1e9
    (problem,) = dem_check(region, write_dem(tmp_path / "dem.tif", values))
    assert "1e+09" in problem and "row 120, col 120" in problem
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_infinite_elevation_is_refused(region, tmp_path):
    values, _ = shipped_dem()
    values[0, 0] = np.inf  # at sea: not filled, not plausible
    (problem,) = dem_check(region, write_dem(tmp_path / "dem.tif", values))
    assert "inf" in problem


def test_validate_and_every_command_refuse_a_bad_dem_at_the_door(data_dir, tmp_path):
    root = data_dir({DEM_FILE: None})
    values, transform = shipped_dem()
    write_dem(root / DEM_FILE, values, transform=transform @ Affine.translation(120, 0))
    result = run("validate", "--data", str(root))
    assert failed_cleanly(result, "does not cover the countries")
    started = time.perf_counter()
    result = run("routes", "--data", str(root), "--to", "Hanoi", "--no-cache")
    assert failed_cleanly(result, "does not cover the countries")
    assert time.perf_counter() - started < 20  # refused before the graph build (~60 s)


# -- data every command refuses under the default profile ---------------------------------


def test_validate_checks_the_default_profile_destinations_and_export_ports(data_dir, tmp_path):
    places = gpd.read_file(DATA / LAYER_FILES["places"])
    no_hanoi = tmp_path / "places.geojson"
    places[places["name"] != "Hanoi"].to_file(no_hanoi, driver="GeoJSON")
    ports = (DATA / LAYER_FILES["ports_worldwide"]).read_text(encoding="utf-8").splitlines()
    no_manila = "\n".join(line for line in ports if ",Manila," not in line) + "\n"
    root = data_dir({LAYER_FILES["places"]: no_hanoi.read_bytes(), LAYER_FILES["ports_worldwide"]: no_manila})
    result = run("validate", "--data", str(root))
    assert failed_cleanly(result, "key 'demand.Hanoi': 'Hanoi' is not a destination")
    assert "export.destinations.Manila (Philippines)" in result.output


def test_validate_names_the_profile_it_checked(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[demand]\n"Atlantis" = 0.1\n')
    result = run("validate", "--profile", str(profile))
    assert failed_cleanly(result, "key 'demand.Atlantis'")


def test_the_origin_needs_the_golden_triangle(region):
    countries = region.countries
    far_thailand = countries.copy()
    tha = far_thailand["iso_a3"] == "THA"
    far_thailand.loc[tha, "geometry"] = far_thailand.loc[tha, "geometry"].translate(xoff=-3.0)
    problems = cross_layer_problems(Region({**region.layers, "countries": far_thailand}, region.terrain))
    assert any("Golden Triangle" in p and "origin" in p for p in problems)


# -- messages that hid the problem ------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "20°50'12\"N"])
def test_non_numeric_coordinate_names_record_column_value_and_fix(tmp_path, bad):
    gates = pd.read_csv(DATA / LAYER_FILES["gates"], dtype=str, keep_default_na=False)
    gates.loc[0, "lat"] = bad
    path = tmp_path / "gates.csv"
    gates.to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        read_layer(path, "gates")
    message = str(err.value)
    assert f"record 'VN-CHN-001': column 'lat' = {bad!r} is not a number" in message
    assert "decimal degrees" in message
    assert "empty or NaN" not in message


def test_symlink_loop_is_named(tmp_path):
    loop = tmp_path / "gates.csv"
    os.symlink(loop, loop)
    with pytest.raises(DataFileError, match="symbolic link loop"):
        read_layer(loop, "gates")


def test_folder_in_place_of_a_layer_file_is_named(tmp_path):
    folder = tmp_path / "roads.geojson"
    folder.mkdir()
    with pytest.raises(DataFileError, match="is a folder, not a file"):
        read_layer(folder, "roads")


def test_folder_in_place_of_the_dem_is_named(tmp_path):
    with pytest.raises(DataFileError, match="is a folder, not a file"):
        read_terrain(tmp_path)


def test_missing_data_folder_is_one_line(tmp_path):
    result = run("validate", "--data", str(tmp_path / "nowhere"))
    assert failed_cleanly(result, "data folder")
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(DataFileError, match="does not exist"):
        load_region(tmp_path / "nowhere")
    result = run("validate", "--data", str(tmp_path))  # a folder without the data layout
    assert failed_cleanly(result, "holds none of the layer files")
    assert len(result.output.strip().splitlines()) == 1


def test_two_layer_geopackage_must_name_its_layer(tmp_path):
    roads = gpd.read_file(DATA / LAYER_FILES["roads"])
    path = tmp_path / "roads.gpkg"
    roads.head(5).to_file(path, layer="decoy", driver="GPKG")
    roads.to_file(path, layer="main_roads", driver="GPKG")
    with pytest.raises(DataFileError, match="has 2 layers: decoy, main_roads"):
        read_layer(path, "roads")
    roads.to_file(path, layer="roads", driver="GPKG")  # a layer named after the borderwatch layer is chosen
    assert len(read_layer(path, "roads")) == len(roads)


# -- names printed to a terminal ----------------------------------------------------------------


def test_names_are_escaped_for_the_terminal():
    table = format_rows([{"name": "A\nB"}, {"name": "\u202eX"}])
    assert table.splitlines() == ["name", "A\\nB", "\\u202eX"]
    assert terminal_safe("left\u2066right\u2069 \u200f") == "left\\u2066right\\u2069 \\u200f"
    assert terminal_safe("line 1\nline 2") == "line 1\nline 2"  # the text's own lines are kept


def test_list_gates_prints_names_escaped(data_dir, gates_csv):
    evil = gates_csv.replace("VN-CHN-005,Co Sau,", 'VN-CHN-005,"A\nB",', 1).replace(
        "VN-CHN-001,Mong Cai,", "VN-CHN-001,\u202eX,", 1
    )
    result = run("list", "gates", "--data", str(data_dir({LAYER_FILES["gates"]: evil})))
    assert result.exit_code == 0, result.output
    assert "A\\nB" in result.output and "\\u202eX" in result.output
    assert "\u202e" not in result.output and "A\nB" not in result.output


# -- the API refuses foreign types with borderwatch errors ------------------------------------


def test_load_region_refuses_a_number():
    with pytest.raises(ParameterError, match="load_region: data_dir must be str or PathLike, got int 123"):
        load_region(123)
    with pytest.raises(ParameterError, match="load_region: dem must be str or PathLike, got int 5"):
        load_region(dem=5)


def test_borderlines_refuses_a_projected_layer_and_a_non_frame(region):
    with pytest.raises(CRSError, match="EPSG:3857"):
        borderlines(region.countries.to_crs("EPSG:3857"))
    with pytest.raises(ParameterError, match="GeoDataFrame"):
        borderlines("countries.geojson")


# -- user graphs ----------------------------------------------------------------------------------


GRAPHML = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="cost" for="edge" attr.name="cost" attr.type="double"/>
<graph edgedefault="directed">
<node id="a"/><node id="b"/><node id="a"/>
<edge source="a" target="b"><data key="cost">1.0</data></edge>
</graph></graphml>
"""


def test_duplicate_node_id_in_graphml_is_refused(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text(GRAPHML)
    with pytest.raises(DataFileError, match="node id 'a' appears 2 times"):
        load_graph(path)


def test_unknown_gate_class_in_a_user_graph_is_refused():
    G = nx.MultiDiGraph()
    G.add_edge("o", "g", cost=1.0, mode="gate", gate_id="G1", gate_class="bogus")
    G.add_edge("g", "d", cost=1.0)
    with pytest.raises(GraphContractError, match="gate_class = 'bogus'; use one of international, primary, secondary"):
        Scenario.from_graph(G, origin="o", destinations=["d"])


# -- profile values far beyond anything real -------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"cost": {"exposure_weight_h": 1e308}}, "cost.exposure_weight_h"),
        ({"road": {"speed_kmh": {"primary": 1e30}}}, "road.speed_kmh.primary"),
        ({"road": {"default_speed_kmh": 1e30}}, "road.default_speed_kmh"),
        ({"sea": {"speed_kmh": 1e30}}, "sea.speed_kmh"),
        ({"gate": {"primary": {"delay_h": 1e30}}}, "gate.primary.delay_h"),
    ],
)
def test_implausible_profile_values_are_refused(table, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(table)


# -- incidents ----------------------------------------------------------------------------------


def test_ambiguous_incident_date_is_refused(tmp_path, region):
    from borderwatch.analysis.incidents import read_incidents

    path = tmp_path / "incidents.csv"
    path.write_text("date,gate_id\n01/02/2020,VN-CHN-001\n2020-02-01,VN-CHN-001\n13/02/2020,VN-CHN-001\n")
    gates = region.gates.assign(lon=region.gates.geometry.x, lat=region.gates.geometry.y)
    with pytest.raises(ValidationError) as err:
        read_incidents(path, gates=gates, segments=gpd.GeoDataFrame(geometry=[]), bounds=(92, 5, 112, 27), match_km=10)
    message = str(err.value)
    assert "line 2: date '01/02/2020' is ambiguous" in message and "YYYY-MM-DD" in message
    assert "line 3" not in message


# -- the rest of the class, found while fixing the above --------------------------------------


def test_rotated_or_south_up_dem_is_refused(region, tmp_path):
    values, transform = shipped_dem()
    south_up = Affine(transform.a, 0, transform.c, 0, -transform.e, transform.f - values.shape[0] * -transform.e)
    (problem,) = dem_check(region, write_dem(tmp_path / "dem.tif", values[::-1], transform=south_up))
    assert "not north-up" in problem and "gdalwarp" in problem


def test_incident_coordinate_in_dms_is_named(tmp_path, region):
    from borderwatch.analysis.incidents import read_incidents

    path = tmp_path / "incidents.csv"
    path.write_text('date,lat,lon\n2020-01-02,"20°50\'12""N",106.7\n2020-01-03,20.8,\n')
    gates = region.gates.assign(lon=region.gates.geometry.x, lat=region.gates.geometry.y)
    with pytest.raises(ValidationError) as err:
        read_incidents(path, gates=gates, segments=gpd.GeoDataFrame(geometry=[]), bounds=(92, 5, 112, 27), match_km=10)
    message = str(err.value)
    assert "line 2: lat '20°50\\'12\"N' is not a number; give decimal degrees" in message
    assert "line 3: no gate_id and no numeric lat/lon" in message


def test_graph_geopackage_with_a_repeated_node_id_is_refused(tmp_path):
    from shapely.geometry import LineString, Point

    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame({"node_id": ["a", "a"]}, geometry=[Point(105, 20), Point(106, 21)], crs=4326).to_file(
        path, layer="nodes"
    )
    gpd.GeoDataFrame(
        {"u": ["a"], "v": ["a"], "key": [0], "cost": [1.0]}, geometry=[LineString([(105, 20), (106, 21)])], crs=4326
    ).to_file(path, layer="edges")
    with pytest.raises(DataFileError, match="repeats node_id 'a'"):
        load_graph(path)


def test_graphml_node_coordinate_that_is_not_a_number_is_named(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text(
        GRAPHML.replace('<node id="a"/><node id="b"/><node id="a"/>', '<node id="a"><data key="x">abc</data></node>')
        .replace('<edge source="a" target="b">', '<edge source="a" target="a">')
        .replace('<key id="cost"', '<key id="x" for="node" attr.name="x" attr.type="string"/>\n<key id="cost"')
    )
    with pytest.raises(DataFileError, match="node 'a' has x = 'abc', which is not a number"):
        load_graph(path)


def test_log_arguments_stay_on_their_line():
    import logging

    from borderwatch.cli import _SafeFormatter

    record = logging.LogRecord("bw", logging.WARNING, __file__, 1, "gate %s (%s)", ("G1", "A\nB\u202e"), None)
    assert _SafeFormatter("%(message)s").format(record) == "gate G1 (A\\nB\\u202e)"


def test_folder_in_place_of_a_graph_or_incidents_file_is_named(tmp_path, region):
    from borderwatch.analysis.incidents import read_incidents

    folder = tmp_path / "g.graphml"
    folder.mkdir()
    with pytest.raises(DataFileError, match=r"graph file .* is a folder, not a file"):
        load_graph(folder)
    with pytest.raises(DataFileError, match=r"incidents file .* is a folder, not a file"):
        read_incidents(
            folder, gates=region.gates, segments=gpd.GeoDataFrame(geometry=[]), bounds=(0, 0, 1, 1), match_km=1
        )
